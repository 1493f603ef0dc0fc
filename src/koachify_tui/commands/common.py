"""What every command shares: the --db/--json options, opening the store, output, the error boundary."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..i18n import _
from ..safe_text import json_safe, visible

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="KOACHIFY_DB",
        help=_("Database file path or URL (default: the user data dir)."),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print JSON on stdout (nothing else)."))]

#: SQLite's integers are signed 64-bit: a larger id can name nothing, a larger count means nothing.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: Parameters that hold an id of this entity (the rest of the int parameters are counts or positions).
_ID_PARAMS = {
    "contact": "contact", "opportunity": "opportunity", "rule": "automation rule", "undo": "import batch",
    "batch": "import batch",
    "merge": "merge",
}  # fmt: skip


class UserError(Exception):
    """A command-level error whose message is shown as is (one line, exit code 1)."""


def _bounded(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Check every int parameter against SQLite's range before the command runs: `contacts show 2**63`
    answers "no contact 9223372036854775808", not an OverflowError from the driver."""

    def run(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
                entity = _ID_PARAMS.get(name.removesuffix("_id"))
                if entity:
                    raise UserError(_("no {entity} {id}").format(entity=entity, id=value))
                raise UserError(_("{name} {value} is out of range").format(name=name.replace("_", "-"), value=value))
        return callback(*args, **kwargs)

    run.__wrapped__ = callback  # type: ignore[attr-defined]
    return run


class ErrorLineGroup(TyperGroup):
    """The CLI's error boundary: every exception a command raises becomes one line on stderr and exit code 1.

    `--debug` re-raises (the traceback); every failure's traceback also goes to the log file (errors.py).
    As the root command it also picks the language and translates the help of the whole tree first."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from .localize import choose_language, localize

        choose_language()
        localize(self)
        return super().main(*args, **kwargs)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        if cmd is not None and cmd.callback is not None and not getattr(cmd, "_koachify_bounded", False):
            cmd.callback = _bounded(cmd.callback)
            cmd._koachify_bounded = True  # type: ignore[attr-defined]
        return name, cmd, rest

    def invoke(self, ctx: Any) -> Any:
        from typer.exceptions import Abort, Exit, TyperException

        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException, KeyboardInterrupt):
            raise
        except Exception as exc:
            from ..errors import describe, log_exception

            log_path = log_exception(exc)
            if os.environ.get("KOACHIFY_DEBUG"):
                raise
            echo_err(_("Error: {message}").format(message=describe(exc, log_path)))
            raise typer.Exit(1) from None


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ErrorLineGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


def load_settings(db: str | None) -> Any:
    """The settings for one command; a bad config value is reported (once per process) and ignored."""
    from ..config import Settings

    settings = Settings.load(db=db)
    for problem in settings.problems:
        if problem not in _REPORTED:
            _REPORTED.add(problem)
            echo_err(_("Warning: {problem}").format(problem=problem))
    return settings


_REPORTED: set[str] = set()


@contextmanager
def open_store(db: str | None, *, must_exist: bool = True, origin: str = "cli") -> Iterator[Any]:
    """Open the store for one command. With `must_exist`, a database file that is not there is an error
    (a typo in --db must not silently create an empty CRM)."""
    from ..store import Store, resolve_url
    from ..store.db import is_sqlite

    settings = load_settings(db)
    url = resolve_url(settings.db)
    if must_exist and is_sqlite(url) and db:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise UserError(
                _("no database at {path} (create one with `koachify demo --db {path}` or any `add` command)").format(
                    path=path
                )
            )
    store = Store.open(url, origin=origin, region=settings.region, busy_timeout=settings.busy_timeout)
    try:
        from ..automations import install

        install(store)  # rules fire on CLI changes exactly as on the TUI's
        yield store
    finally:
        store.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")


def echo(message: str, *, err: bool = False) -> None:
    """One line of output; stored text in it is shown, never interpreted by the terminal."""
    typer.echo(visible(message), err=err)


def echo_err(message: str) -> None:
    echo(message, err=True)


def console(**options: Any) -> Any:
    """A Rich console whose output passes the sanitiser (see SafeConsole)."""
    from ._console import SafeConsole

    return SafeConsole(**options)
