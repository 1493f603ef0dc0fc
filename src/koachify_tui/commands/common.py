"""What every command shares: the --db/--json options, opening the store, JSON output, error lines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ..i18n import _

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="KOACHIFY_DB", help="Database file path or URL (default: the user data dir).", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]


class ErrorLineGroup(TyperGroup):
    """Turns store and database errors into one line on stderr and exit code 1 (tracebacks with --debug)."""

    def invoke(self, ctx: Any) -> Any:
        from ..store import DatabaseError, StoreError

        try:
            return super().invoke(ctx)
        except (UserError, StoreError, DatabaseError, ValueError, OSError) as exc:
            if os.environ.get("KOACHIFY_DEBUG"):
                raise
            echo_err(_("Error: {message}").format(message=exc))
            raise typer.Exit(1) from None


class UserError(Exception):
    """A command-level error whose message is shown as is (one line, exit code 1)."""


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ErrorLineGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


@contextmanager
def open_store(db: str | None, *, must_exist: bool = True, origin: str = "cli") -> Iterator[Any]:
    """Open the store for one command. With `must_exist`, a database file that is not there is an error
    (a typo in --db must not silently create an empty CRM)."""
    from ..config import Settings
    from ..store import Store, resolve_url
    from ..store.db import is_sqlite

    settings = Settings.load(db=db)
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
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
