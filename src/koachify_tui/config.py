"""User settings: a TOML file in the platform config dir, overridable per run (CLI flags, tests)."""

from __future__ import annotations

import locale
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


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


@dataclass
class Settings:
    """What the app needs to know about its user. `db` is a path or URL (None: $KOACHIFY_DB or default)."""

    db: str | None = None
    locale: str = field(default_factory=_default_locale)
    region: str = "IT"  # default region for phone numbers without a country code
    currency: str = "EUR"
    owner: str = ""  # the user's own name, default owner of new deals
    theme: str = "koachify"
    keymap: dict[str, str] = field(default_factory=dict)
    busy_timeout: float | None = None  # seconds a write waits for another writer; $KOACHIFY_BUSY_TIMEOUT wins
    path: Path | None = None  # where these settings were read from / are saved to

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> Settings:
        path = path or config_path()
        data: dict[str, Any] = {}
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                data = {}  # a broken config must not stop the app; defaults apply
        known = {f.name for f in fields(cls)} - {"path"}
        values = {k: v for k, v in data.items() if k in known}
        if os.environ.get("KOACHIFY_BUSY_TIMEOUT", "").strip():
            values.pop("busy_timeout", None)  # the store reads the variable itself (db.busy_timeout)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(path=path, **values)

    def save(self) -> None:
        import tomli_w

        if self.path is None:
            return
        data: dict[str, Any] = {
            "locale": self.locale,
            "region": self.region,
            "currency": self.currency,
            "owner": self.owner,
            "theme": self.theme,
            "keymap": self.keymap,
        }
        if self.busy_timeout is not None:
            data["busy_timeout"] = self.busy_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(tomli_w.dumps(data), encoding="utf-8")
