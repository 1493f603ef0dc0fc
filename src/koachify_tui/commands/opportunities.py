"""`koachify opportunities …`"""

from __future__ import annotations

from typing import Annotated

import typer

from ..history_text import history_text, status_word
from ..i18n import _
from .common import DbOption, JsonOption, console, echo, load_settings, new_app, open_store, print_json

app = new_app(_("Create, move and close opportunities."))


def _print_row(store: object, opportunity_id: int, json_out: bool, message: str) -> None:
    from ..store import Store

    assert isinstance(store, Store)
    row = store.opportunity_row(opportunity_id)
    if json_out:
        print_json(row.as_dict())
    else:
        echo(message.format(id=row.id, title=row.title, stage=row.stage, status=row.status))


@app.command("add")
def add(
    contact: Annotated[int, typer.Option("--contact", "-c", help=_("Contact id."))],
    pipeline: Annotated[str, typer.Option("--pipeline", "-p", help=_("Pipeline name."))],
    title: Annotated[str, typer.Option("--title", help=_("Title of the deal."))],
    stage: Annotated[str | None, typer.Option(help=_("Stage name (default: the first)."))] = None,
    value: Annotated[str, typer.Option(help=_("Value, e.g. 1500 or 1.500,50."))] = "0",
    currency: Annotated[str, typer.Option(help=_("ISO currency code."))] = "EUR",
    owner: Annotated[str, typer.Option(help=_("Owner (assigned seller)."))] = "",
    source: Annotated[str, typer.Option(help=_("Source (default: the contact's)."))] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help=_("Tag (repeatable)."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create an opportunity for a contact."""
    from ..store.normalize import parse_money

    minor = parse_money(value, load_settings(db).locale, currency)  # checked before the store opens
    with open_store(db) as store:
        opp = store.create_opportunity(
            contact,
            title,
            pipeline,
            stage=stage,
            value_minor=minor,
            currency=currency,
            owner=owner,
            source=source,
            tags=tag or (),
        )
        _print_row(store, opp.id, json_out, _("Created opportunity {id}: {title} at {stage}"))


@app.command("move")
def move(
    opportunity_id: Annotated[int, typer.Argument(help=_("Opportunity id."))],
    stage: Annotated[str, typer.Option("--stage", "-s", help=_("Target stage name."))],
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", "-p", help=_("Target pipeline (default: its own)."))
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Move an opportunity to another stage (or pipeline)."""
    with open_store(db) as store:
        before = store.opportunity_row(opportunity_id).status
        store.move_opportunity(opportunity_id, stage, pipeline=pipeline)
        won = before != "won" and store.opportunity_row(opportunity_id).status == "won"  # a won-on-entry stage
        message = _("Opportunity {id} is now at {stage}, won") if won else _("Opportunity {id} is now at {stage}")
        _print_row(store, opportunity_id, json_out, message)


@app.command("status")
def status(
    opportunity_id: Annotated[int, typer.Argument(help=_("Opportunity id."))],
    new_status: Annotated[str, typer.Argument(metavar="open|won|lost|abandoned", help=_("New status."))],
    reason: Annotated[str, typer.Option(help=_("Lost reason."))] = "",
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Mark an opportunity open, won, lost or abandoned."""
    with open_store(db) as store:
        store.set_status(opportunity_id, new_status, reason=reason)
        _print_row(store, opportunity_id, json_out, _("Opportunity {id} is now {status}"))


@app.command("list")
def list_(
    pipeline: Annotated[str | None, typer.Option("--pipeline", "-p", help=_("Only this pipeline."))] = None,
    status: Annotated[str | None, typer.Option(help=_("Only this status."))] = None,
    contact: Annotated[int | None, typer.Option(help=_("Only this contact's."))] = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help=_("List the deleted ones (restore with `restore ID`)."))
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List opportunities."""
    from ..config import Settings
    from ..formatting import money

    with open_store(db) as store:
        rows = store.list_opportunities(pipeline=pipeline, status=status, contact_id=contact, deleted=deleted)
        if json_out:
            print_json([r.as_dict() for r in rows])
            return
        from rich.table import Table
        from rich.text import Text

        loc = Settings.load(db=db).locale
        table = Table(
            _("ID"),
            _("Title"),
            _("Contact"),
            _("Pipeline"),
            _("Stage"),
            _("Status"),
            _("Value"),
            box=None,
            header_style="bold",
        )
        for r in rows:
            table.add_row(
                str(r.id),
                Text(r.title),
                Text(r.contact_name),
                Text(r.pipeline),
                Text(r.stage),
                r.status,
                money(r.value_minor, r.currency, loc),
            )
        console().print(table)


@app.command("show")
def show(
    opportunity_id: Annotated[int, typer.Argument(help=_("Opportunity id."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show an opportunity with its history."""
    with open_store(db) as store:
        data = store.opportunity_row(opportunity_id).as_dict()
        data["custom_fields"] = store.field_values("opportunity", opportunity_id)
        data["history"] = [
            {"kind": h.kind, "at": h.at.isoformat(), "from": h.from_value, "to": h.to_value, "text": h.text}
            for h in store.opportunity_history(opportunity_id)
        ]
        if json_out:
            print_json(data)
            return
        echo(f"#{data['id']} {data['title']} — {data['pipeline']} / {data['stage']} [{status_word(data['status'])}]")
        for h in data["history"]:
            echo(f"  {h['at'][:16]}  {history_text(h.get('kind', ''), h['text'])}")


@app.command("delete")
def delete(
    opportunity_id: Annotated[int, typer.Argument(help=_("Opportunity id."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete an opportunity (it can be restored, with its notes and tasks)."""
    with open_store(db) as store:
        store.delete_opportunity(opportunity_id)
        row = store.opportunity_row(opportunity_id)
        if json_out:
            print_json({**row.as_dict(), "deleted": True})
        else:
            message = _("Deleted opportunity {id}: {title} (restore with `koachify opportunities restore {id}`)")
            echo(message.format(id=row.id, title=row.title))


@app.command("restore")
def restore(
    opportunity_id: Annotated[int, typer.Argument(help=_("Opportunity id."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Restore a deleted opportunity where it was (stage, status, notes, tasks)."""
    with open_store(db) as store:
        store.restore_opportunity(opportunity_id)
        _print_row(store, opportunity_id, json_out, _("Restored opportunity {id}: {title} at {stage}"))
