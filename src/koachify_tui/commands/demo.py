"""`koachify demo`: fill a database with demo data and open the app on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..i18n import _, ngettext
from .common import DbOption, JsonOption, echo, open_store, print_json


def demo_db_path() -> Path:
    """Demo data lives in its own file, never in the user's real CRM unless --db says so."""
    from ..store import default_db_path

    return default_db_path().with_name("demo.db")


def demo(
    db: DbOption = None,
    reset: Annotated[bool, typer.Option("--reset", help=_("Wipe the database first and refill it."))] = False,
    contacts: Annotated[int, typer.Option(help=_("How many contacts."))] = 200,
    seed: Annotated[int, typer.Option(help=_("Random seed (same seed, same data)."))] = 7,
    no_open: Annotated[bool, typer.Option("--no-open", help=_("Only fill the database; don't open the app."))] = False,
    json_out: JsonOption = False,
) -> None:
    """Fill a database with realistic demo data, then open the app on it (when run in a terminal).

    A database that already holds contacts is never overwritten: it is opened as it is (use --reset to refill)."""
    from ..store.demo import fill_demo

    target = db or str(demo_db_path())
    if reset:
        _wipe(target)
    counts: dict[str, int] = {}
    with open_store(target, must_exist=False, origin="demo") as store:
        if store.is_empty():
            counts = fill_demo(store, contacts=contacts, seed=seed)
            message = _("Demo data written to {db}: {contacts}, {opportunities}.").format(
                db=target,
                contacts=ngettext("{n} contact", "{n} contacts", counts["contacts"]).format(n=counts["contacts"]),
                opportunities=ngettext("{n} opportunity", "{n} opportunities", counts["opportunities"]).format(
                    n=counts["opportunities"]
                ),
            )
        else:
            message = _("{db} already holds contacts: left as it is (use --reset to refill).").format(db=target)
    if json_out:
        print_json({"db": target, "created": counts})
    else:
        echo(message, err=True)
    if not no_open and not json_out and sys.stdin.isatty() and sys.stdout.isatty():
        from ..cli import run_tui

        run_tui(target)


def _wipe(target: str) -> None:
    from ..store import resolve_url
    from ..store.db import is_sqlite

    url = resolve_url(target)
    if not is_sqlite(url):
        raise typer.BadParameter(_("--reset only wipes SQLite files; drop the PostgreSQL database yourself"))
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
