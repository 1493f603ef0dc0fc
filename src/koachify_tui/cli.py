"""`koachify`: the command line. With no sub-command it opens the TUI.

Heavy modules (Textual, SQLModel) are imported inside the commands that need them, so `--help` and
scripted commands start fast."""

from __future__ import annotations

import gc
import os
from typing import Annotated

import typer

from .commands import activities, automations, contacts, demo, duplicates, opportunities, pipelines
from .commands.common import DbOption, new_app
from .i18n import _

app = new_app(_("Koachify: a keyboard-driven CRM for coaches, in your terminal."))
app.info.no_args_is_help = False
app.info.invoke_without_command = True

app.add_typer(contacts.app, name="contacts")
app.add_typer(opportunities.app, name="opportunities")
app.add_typer(activities.app, name="activities")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(automations.app, name="automations")
app.add_typer(duplicates.app, name="duplicates")
app.command("demo")(demo.demo)
from .commands import imports  # noqa: E402 - import/export commands (issue 3)

imports.register(app)
from .commands import reports  # noqa: E402 - `koachify report …` (issue 17)

app.command("report")(reports.report)


def run_tui(db: str | None, *, start: str = "contacts") -> None:
    """Open the TUI on a database (created if missing)."""
    import gc

    gc.disable()  # until the first frame, before the heavy imports: see app.resume_gc
    from .app import make_app
    from .config import Settings
    from .store import Store

    settings = Settings.load(db=db)
    store = Store.open(settings.db, origin="tui", region=settings.region, busy_timeout=settings.busy_timeout)
    try:
        tui = make_app(settings, store, start=start)
        tui.run()
    finally:
        store.close()
    if tui.return_code:  # the app ended on an error: one line, the traceback in the log (see app.py)
        from .commands.common import echo_err
        from .errors import describe

        if tui.crash is not None:
            echo_err(_("Error: {message}").format(message=describe(tui.crash, tui.crash_log)))
        raise typer.Exit(tui.return_code)


@app.callback()
def root(
    ctx: typer.Context,
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", help=_("Show tracebacks on errors."))] = False,
) -> None:
    """Koachify: a keyboard-driven CRM for coaches. Run without a command to open the app."""
    if debug:
        os.environ["KOACHIFY_DEBUG"] = "1"
    if db:
        # `koachify --db X contacts list` means the same as `koachify contacts list --db X`: sub-commands
        # read $KOACHIFY_DB when their own --db is not given (their options are parsed after this runs).
        os.environ["KOACHIFY_DB"] = db
    if ctx.invoked_subcommand is None:
        run_tui(db)


@app.command("tui")
def tui(db: DbOption = None) -> None:
    """Open the app (the same as running `koachify` alone)."""
    run_tui(db)


@app.command("board")
def board(db: DbOption = None) -> None:
    """Open the app on the pipeline board."""
    run_tui(db, start="board")


def main() -> None:
    try:
        app()
    finally:
        # The process is ending: spare it the interpreter's last full garbage collection over every object
        # SQLAlchemy, Textual and the data left behind (~0.2 s after a big import). Reference counting still
        # frees what it can; nothing of ours relies on a finaliser inside a reference cycle.
        gc.freeze()


if __name__ == "__main__":
    main()
