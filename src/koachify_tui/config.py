"""User settings: a TOML file in the platform config dir, overridable per run (CLI flags, tests).

The file's keys and their types are declared once, in `ConfigFile` (a pydantic model). A value of the wrong
type or out of its domain (`locale = 7`, `keymap = "x"`, `currency = "XXXX"`) is reported at start with its
key and ignored: the default applies, the app never crashes on its config. Saving a setting from the app edits
only that key (tomlkit keeps the user's comments, order and unknown keys), never a detected default.

To add a setting: a field on `ConfigFile` (with its check) and the same name on `Settings` (with its default).
"""

from __future__ import annotations

import locale
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .i18n import _


def config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(os.environ.get("KOACHIFY_CONFIG") or Path(user_config_dir("koachify", appauthor=False)) / "config.toml")


def _default_locale() -> str:
    for var in ("LC_ALL", "LC_MONETARY", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in {"C", "POSIX"} and not value.startswith("C."):
            return value.split(".")[0]
    current = locale.getlocale()[0]
    return current or "en_GB"


class ConfigFile(BaseModel):
    """The keys of config.toml and what each accepts (strict types: `"7"` is not a number, 7 is not text)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    locale: str | None = None
    region: str | None = None
    currency: str | None = None
    owner: str | None = None
    theme: str | None = None
    language: str | None = None
    busy_timeout: float | None = None
    keymap: dict[str, str] | None = None

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        from babel import Locale, UnknownLocaleError

        if value is not None:
            try:
                Locale.parse(value.replace("-", "_"))
            except (UnknownLocaleError, ValueError) as exc:
                raise ValueError(f"unknown locale {value!r}") from exc
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        import phonenumbers

        if value is not None and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r} (a two-letter country code such as IT)")
        return value.upper() if value else value

    @field_validator("busy_timeout")
    @classmethod
    def _positive_timeout(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 24 * 3600:
            raise ValueError("busy_timeout must be between 0 and 86400 seconds")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        from .store.normalize import normalize_currency

        return normalize_currency(value) if value is not None else None


def _validate(data: dict[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
    """The valid keys of `data` (wrong ones dropped) and one problem line per dropped key."""
    problems: list[str] = []
    while True:
        try:
            model = ConfigFile.model_validate(data)
            return model.model_dump(exclude_none=True, exclude_unset=True), problems
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            for err in exc.errors():
                where = ".".join(str(part) for part in err["loc"])
                problems.append(_("{path}: {key}: {error} (ignored)").format(path=path, key=where, error=err["msg"]))
            if not bad:
                return {}, problems
            data = {k: v for k, v in data.items() if k not in bad}


def _read(path: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        return {}, [_("cannot read {path}: {error}").format(path=path, error=exc.strerror)]
    notices = []
    if mode & 0o077:
        try:
            path.chmod(0o600)
            notices.append(_("made {path} private (it was {mode})").format(path=path, mode=oct(stat.S_IMODE(mode))[2:]))
        except OSError:
            pass
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), notices
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, [*notices, _("{path} is not valid TOML, using defaults: {error}").format(path=path, error=error)]
    except OSError as exc:
        return {}, [_("cannot read {path}: {error}").format(path=path, error=exc.strerror)]


@dataclass
class Settings:
    """What the app needs to know about its user. `db` is a path or URL (None: $KOACHIFY_DB or default)."""

    db: str | None = None
    locale: str = field(default_factory=_default_locale)
    region: str = "IT"  # default region for phone numbers without a country code
    currency: str = "EUR"
    owner: str = ""  # the user's own name, default owner of new deals
    theme: str = "koachify"
    language: str = ""  # "it", "en"; empty: from LC_ALL / LC_MESSAGES / LANG (see i18n.resolve_language)
    keymap: dict[str, str] = field(default_factory=dict)
    busy_timeout: float | None = None  # seconds a write waits for another writer; $KOACHIFY_BUSY_TIMEOUT wins
    path: Path | None = None  # where these settings were read from / are saved to
    #: What was wrong in the file (shown once at start: the CLI on stderr, the app as a notification).
    problems: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> Settings:
        path = path or config_path()
        raw, problems = _read(path)
        values, bad = _validate(raw, path) if isinstance(raw, dict) else ({}, [])
        known = {f.name for f in fields(cls)} - {"path", "problems"}
        values = {k: v for k, v in values.items() if k in known}
        if os.environ.get("KOACHIFY_BUSY_TIMEOUT", "").strip():
            values.pop("busy_timeout", None)  # the store reads the variable itself (db.busy_timeout)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(path=path, problems=[*problems, *bad], **values)

    def save_language(self, language: str) -> None:
        """Set `language` and write only that key to the settings file (the rest of the file as it was)."""
        self.language = language
        self.save("language")

    def save(self, *keys: str) -> None:
        """Write these settings' current values to the file, changing nothing else in it (comments, order,
        other and unknown keys stay). A file that is not valid TOML is left alone (ValueError)."""
        import tomlkit

        from .files import private_dir, write_text

        if self.path is None or not keys:
            return
        for key in keys:  # the value must be one the file may hold
            ConfigFile.model_validate({key: getattr(self, key)})
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise ValueError(_("{path} is not valid TOML: not changed").format(path=self.path)) from exc
        for key in keys:
            doc[key] = getattr(self, key)
        private_dir(self.path.parent)
        write_text(self.path, tomlkit.dumps(doc))
