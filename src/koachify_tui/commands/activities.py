"""`koachify activities …`: list, add, edit, delete/restore, complete/reopen and snooze notes, tasks,
appointments and messages (calls with their time, length and outcome). The same store calls as the TUI's keys,
so every change is in the change log and undoable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from ..history_text import history_text, kind_word, outcome_key
from ..i18n import _
from .common import DbOption, JsonOption, UserError, echo, load_settings, new_app, open_store, print_json

app = new_app(_("Notes, tasks, appointments and calls: list, add, edit, delete, complete and snooze them."))

KindArg = Annotated[str, typer.Argument(help=_("note, task, appointment or message."))]
ItemId = Annotated[int, typer.Argument(help=_("Its id (see `koachify activities list`)."))]
TaskId = Annotated[int, typer.Argument(help=_("Task id (see `koachify activities list`)."))]
Opportunity = Annotated[int | None, typer.Option(help=_("Write it on this opportunity of the contact."))]


def _item_dict(kind: str, item: Any) -> dict[str, Any]:
    data = {"kind": kind, **item.model_dump()}
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in data.items()}


def _done(store: Any, kind: str, item_id: int, json_out: bool, message: str) -> None:
    """Print the item (--json) or one line saying what was done."""
    if json_out:
        with store.read() as s:
            from ..store.activity_rules import activity_model

            print_json(_item_dict(kind, s.get(activity_model(kind), item_id)))
    else:
        echo(message)


def _when(text: str | None, locale: str) -> datetime | None:
    from ..store.dates import parse_datetime

    return parse_datetime(text, locale=locale) if text else None


@app.command("list")
def list_(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    kind: Annotated[str | None, typer.Option(help=_("Only this kind: note, task, appointment or message."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """A contact's notes, tasks, appointments and messages (with their ids), newest first."""
    from ..store.activity_rules import activity_model

    kinds = (activity_model(kind) and kind,) if kind else ("note", "task", "appointment", "message")
    with open_store(db) as store:
        store.contact_row(contact_id)  # a clear "no contact" first
        items = store.timeline(contact_id, kinds=kinds, limit=None)
    if json_out:
        print_json([i.as_dict() for i in items])
        return
    for item in items:
        mark = ("☑ " if item.done else "☐ ") if item.kind == "task" else ""
        echo(f"{item.kind}:{item.ref_id}  {item.at:%Y-%m-%d %H:%M}  {kind_word(item.kind):<12} {mark}"
             f"{history_text(item.kind, item.text)}")  # fmt: skip


@app.command("task")
def task(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    title: Annotated[str, typer.Argument(help=_("What to do."))],
    due: Annotated[str | None, typer.Option(help=_("Due date (the locale's order, ISO, today, +3)."))] = None,
    opportunity: Opportunity = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a task to a contact (or one of its opportunities)."""
    from ..store.activity_rules import due_from_text

    locale = load_settings(db).locale
    due_at = due_from_text(due, locale) if due else None
    with open_store(db) as store:
        item = store.add_task(title, contact_id=contact_id, opportunity_id=opportunity, due_at=due_at)
        _done(store, "task", item.id, json_out, _("Task {id} added").format(id=item.id))


@app.command("log")
def log(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    text: Annotated[str, typer.Argument(help=_("What was said (optional for a call)."))] = "",
    channel: Annotated[str, typer.Option(help=_("call, email, sms, whatsapp, chat or other."))] = "call",
    direction: Annotated[str, typer.Option(help=_("in or out."))] = "out",
    at: Annotated[str | None, typer.Option(help=_("When (default: now)."))] = None,
    duration: Annotated[str | None, typer.Option(help=_("How long: 5 (minutes), 5m, 1h30, 0:45."))] = None,
    outcome: Annotated[str, typer.Option(help=_("answered, no answer, voicemail, call back, or free text."))] = "",
    subject: Annotated[str, typer.Option(help=_("Subject."))] = "",
    opportunity: Opportunity = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Log a call (or another message) with its time, length and outcome."""
    from ..store.durations import parse_duration

    locale = load_settings(db).locale
    when, seconds = _when(at, locale), parse_duration(duration or "")
    with open_store(db) as store:
        item = store.log_message(
            text, contact_id=contact_id, opportunity_id=opportunity, channel=channel, direction=direction,
            subject=subject, at=when, duration_s=seconds, outcome=outcome_key(outcome),
        )  # fmt: skip
        _done(store, "message", item.id, json_out, _("Message {id} logged").format(id=item.id))


@app.command("edit")
def edit(
    kind: KindArg,
    item_id: ItemId,
    text: Annotated[str | None, typer.Option(help=_("A note's text or a message's body."))] = None,
    title: Annotated[str | None, typer.Option(help=_("A task's or an appointment's title."))] = None,
    notes: Annotated[str | None, typer.Option(help=_("A task's or an appointment's notes."))] = None,
    due: Annotated[str | None, typer.Option(help=_("A task's due date."))] = None,
    at: Annotated[str | None, typer.Option(help=_("A message's time, an appointment's start."))] = None,
    duration: Annotated[str | None, typer.Option(help=_("A call's length (5, 5m, 1h30, 0:45)."))] = None,
    outcome: Annotated[str | None, typer.Option(help=_("A call's outcome."))] = None,
    location: Annotated[str | None, typer.Option(help=_("An appointment's location."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Change fields of a note, task, appointment or message (only those given)."""
    changes = _changes(kind, load_settings(db).locale, text=text, title=title, notes=notes, due=due, at=at,
                       duration=duration, outcome=outcome, location=location)  # fmt: skip
    if not changes:
        raise UserError(_("nothing to change: give at least one option (see --help)"))
    with open_store(db) as store:
        store.update_activity(kind, item_id, changes)
        _done(store, kind, item_id, json_out, _("{kind} {id} saved").format(kind=kind_word(kind), id=item_id))


def _changes(kind: str, locale: str, **given: str | None) -> dict[str, Any]:
    """The store fields for the options given."""
    from ..store.activity_rules import due_from_text
    from ..store.durations import parse_duration

    out: dict[str, Any] = {}
    if given["text"] is not None:
        out["body"] = given["text"]
    for name in ("title", "notes", "location"):
        if given[name] is not None:
            out[name] = given[name]
    if given["due"] is not None:
        out["due_at"] = due_from_text(given["due"], locale) if given["due"] else None
    if given["at"] is not None:
        out["starts_at" if kind == "appointment" else "at"] = _when(given["at"], locale)
    if given["duration"] is not None:
        out["duration_s"] = parse_duration(given["duration"])
    if given["outcome"] is not None:
        out["outcome"] = outcome_key(given["outcome"])
    return out


@app.command("delete")
def delete(kind: KindArg, item_id: ItemId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Delete a note, task, appointment or message (restore it with `koachify activities restore`)."""
    with open_store(db) as store:
        store.delete_activity(kind, item_id)
        message = _("{kind} {id} deleted (restore with `koachify activities restore {kind_arg} {id}`)")
        _done(store, kind, item_id, json_out, message.format(kind=kind_word(kind), id=item_id, kind_arg=kind))


@app.command("restore")
def restore(kind: KindArg, item_id: ItemId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Bring a deleted note, task, appointment or message back."""
    with open_store(db) as store:
        store.restore_activity(kind, item_id)
        _done(store, kind, item_id, json_out, _("{kind} {id} restored").format(kind=kind_word(kind), id=item_id))


@app.command("done")
def done(task_id: TaskId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Mark a task done."""
    with open_store(db) as store:
        store.complete_task(task_id)
        _done(store, "task", task_id, json_out, _("Task {id} done").format(id=task_id))


@app.command("reopen")
def reopen(task_id: TaskId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Open a done task again."""
    with open_store(db) as store:
        store.complete_task(task_id, done=False)
        _done(store, "task", task_id, json_out, _("Task {id} open again").format(id=task_id))


@app.command("snooze")
def snooze(
    task_id: TaskId,
    until: Annotated[str, typer.Argument(help=_("1d, 3d, 1w (from the due date, or today when overdue) or a date."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Move a task's due date: some days or weeks later, or to a date."""
    import re

    from ..formatting import datetime_short
    from ..store.activity_rules import due_from_text

    locale = load_settings(db).locale
    relative = re.fullmatch(r"(\d{1,3})\s*([dgw])", until.strip().lower())
    with open_store(db) as store:
        if relative:
            days = int(relative[1]) * (7 if relative[2] == "w" else 1)
            item = store.snooze_task_by(task_id, days)
        else:
            keep = store.get_activity("task", task_id).due_at
            item = store.snooze_task(task_id, due_from_text(until, locale, keep=keep))
        when = datetime_short(item.due_at, locale)
        _done(store, "task", task_id, json_out, _("Task {id} due {when}").format(id=task_id, when=when))
