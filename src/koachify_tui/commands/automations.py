"""`koachify automations …`: rules, their run log, due sequence steps, hooks; `automations sequences …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..i18n import _, ngettext
from .common import DbOption, JsonOption, UserError, console, echo, load_settings, new_app, open_store, print_json

app = new_app(_("Automation rules (trigger ⇒ actions), their run log and follow-up sequences."))
sequences_app = new_app(_("Follow-up sequences: ordered steps run N days apart."))
app.add_typer(sequences_app, name="sequences")

RuleId = Annotated[int, typer.Argument(help=_("Rule id."))]


def _load_file(path: Path) -> Any:
    """A JSON or TOML document (by extension; TOML for anything but .json)."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(_("cannot read {path}: {error}").format(path=path, error=exc.strerror)) from None
    except UnicodeDecodeError:
        raise UserError(_("cannot read {path}: not UTF-8 text").format(path=path)) from None
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(_("{path} is not valid: {error}").format(path=path, error=exc)) from None
    except RecursionError:
        raise UserError(_("{path} is not valid: nested too deeply").format(path=path)) from None


def _items(data: Any, key: str) -> list[Any]:
    """One object, a list of them, or {key: [...]} (TOML's [[rules]] / [[sequences]] tables)."""
    if isinstance(data, dict) and key in data and isinstance(data[key], list):
        return list(data[key])
    return list(data) if isinstance(data, list) else [data]


def _parse_filters(pairs: list[str], locale: str) -> dict[str, Any]:
    from ..store.normalize import parse_money
    from ..store.rules import NUMERIC_FILTERS

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise UserError(_("--filter takes KEY=VALUE, not {pair!r}").format(pair=pair))
        if key in NUMERIC_FILTERS:
            out[key] = parse_money(value, locale) / 100
        elif key in out:  # a repeated filter matches any of its values
            out[key] = [*(out[key] if isinstance(out[key], list) else [out[key]]), value]
        else:
            out[key] = value
    return out


def _print_rules(rules: list[Any], problems: dict[int, list[str]] | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..store.rules import describe_action, describe_filters

    table = Table(
        _("ID"), _("On"), _("Name"), _("Trigger"), _("Filters"), _("Actions"), _("Runs"), _("Last run"), _("Error"),
        box=None, header_style="bold",
    )  # fmt: skip
    for r in rules:
        table.add_row(
            str(r.id),
            _("yes") if r.enabled else _("no"),
            Text(r.name),
            r.trigger,
            Text(describe_filters(json.loads(r.filters_json))),
            Text("\n".join(describe_action(a) for a in json.loads(r.actions_json))),
            str(r.run_count),
            r.last_run_at.strftime("%Y-%m-%d %H:%M") if r.last_run_at else "",
            Text(
                "\n".join(_("broken: {problem}").format(problem=p) for p in (problems or {}).get(r.id, []))
                or r.last_error,
                style="red",
            ),
        )
    console().print(table)


@app.command("list")
def list_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the rules with their trigger, filters, actions, run count, last run and last error."""
    from ..store.rules import rule_as_dict

    with open_store(db) as store:
        rules = store.list_rules()
        if json_out:
            print_json([rule_as_dict(r) for r in rules])
        else:
            _print_rules(rules, store.rule_problems(rules))


@app.command("show")
def show(rule_id: RuleId, db: DbOption = None) -> None:
    """Print one rule as JSON (a file `add --file` can read back)."""
    from ..store.rules import rule_as_dict

    with open_store(db) as store:
        print_json(rule_as_dict(store.get_rule(rule_id)))


@app.command("add")
def add(
    name: Annotated[str, typer.Option("--name", "-n", help=_("Rule name."))] = "",
    trigger: Annotated[
        str,
        typer.Option(
            "--trigger",
            help=_(
                "opportunity.status_changed, opportunity.stage_changed, opportunity.created, contact.created, "
                "tag.added, tag.removed, contact.merged."
            ),
        ),
    ] = "",  # fmt: skip
    filter_: Annotated[
        list[str] | None,
        typer.Option("--filter", help=_("KEY=VALUE, e.g. to_status=won, pipeline=…, value_gte=500 (repeatable).")),
    ] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help=_("Action: tag the contact."))] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag", help=_("Action: untag the contact."))] = None,
    task: Annotated[str, typer.Option("--task", help=_("Action: create a task with this title."))] = "",
    due_days: Annotated[int | None, typer.Option("--due-days", help=_("The task is due in N days."))] = None,
    note: Annotated[str, typer.Option("--note", help=_("Action: add a note."))] = "",
    move_to: Annotated[str, typer.Option("--move-to", help=_("Action: move the opportunity to this stage."))] = "",
    owner: Annotated[str | None, typer.Option("--set-owner", help=_("Action: set the opportunity's owner."))] = None,
    enroll: Annotated[str, typer.Option("--enroll", help=_("Action: enroll the contact in this sequence."))] = "",
    leave: Annotated[
        str, typer.Option("--leave", help=_("Action: take the contact out of a sequence (* = all)."))
    ] = "",
    action: Annotated[
        list[str] | None, typer.Option("--action", help=_('Any action as JSON, e.g. \'{"type": "set_field", …}\'.'))
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help=_("Read the rule(s) from a JSON or TOML file instead."))
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help=_("Create it disabled."))] = False,
    fire_on_import: Annotated[
        bool, typer.Option("--fire-on-import", help=_("contact.created: also for contacts from bulk imports."))
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a rule from flags (actions run in the order of the flags listed here) or from a file."""
    from ..store.rules import rule_as_dict

    if file is not None:
        from ..store.rule_file import check_rule_file

        specs = _items(_load_file(file), "rules")
        check_rule_file(specs)  # every rule, before the store opens: a bad file changes nothing
    else:
        if not name or not trigger:
            raise UserError(_("give --name and --trigger, or --file"))
        actions: list[dict[str, Any]] = []
        actions += [{"type": "add_tag", "tag": t} for t in add_tag or []]
        actions += [{"type": "remove_tag", "tag": t} for t in remove_tag or []]
        if task:
            actions.append({"type": "create_task", "title": task, **({"due_in_days": due_days} if due_days else {})})
        if note:
            actions.append({"type": "add_note", "body": note})
        if move_to:
            actions.append({"type": "move_opportunity", "stage": move_to})
        if owner is not None:
            actions.append({"type": "set_owner", "owner": owner, "target": "opportunity"})
        if enroll:
            actions.append({"type": "enroll_sequence", "sequence": enroll})
        if leave:
            actions.append({"type": "leave_sequence", "sequence": leave})
        for raw in action or []:
            try:
                actions.append(json.loads(raw))
            except json.JSONDecodeError as exc:
                raise UserError(_("--action is not valid JSON: {error}").format(error=exc)) from None
        specs = [
            {
                "name": name,
                "trigger": trigger,
                "filters": _parse_filters(filter_ or [], load_settings(db).locale),
                "actions": actions,
                "enabled": not disabled,
                "fire_on_import": fire_on_import,
            }
        ]
    with open_store(db, must_exist=False) as store:
        created = store.create_rules(specs)  # a file's rules are added all or none
    if json_out:
        print_json([rule_as_dict(r) for r in created] if file else rule_as_dict(created[0]))
    else:
        for rule in created:
            echo(_("Created rule {id}: {name}").format(id=rule.id, name=rule.name))


def _set_enabled(db: str | None, rule_id: int, enabled: bool, json_out: bool) -> None:
    from ..store.rules import rule_as_dict

    with open_store(db) as store:
        rule = store.set_rule_enabled(rule_id, enabled)
    if json_out:
        print_json(rule_as_dict(rule))
    else:
        message = _("Rule {id} enabled: {name}") if enabled else _("Rule {id} disabled: {name}")
        echo(message.format(id=rule.id, name=rule.name))


@app.command("enable")
def enable(rule_id: RuleId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Enable a rule."""
    _set_enabled(db, rule_id, True, json_out)


@app.command("disable")
def disable(rule_id: RuleId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Disable a rule (it stays, with its run log)."""
    _set_enabled(db, rule_id, False, json_out)


@app.command("delete")
def delete(rule_id: RuleId, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Delete a rule (its past runs stay in the log)."""
    with open_store(db) as store:
        name = store.get_rule(rule_id).name
        store.delete_rule(rule_id)
    if json_out:
        print_json({"deleted": rule_id})
    else:
        echo(_("Deleted rule {id}: {name}").format(id=rule_id, name=name))


@app.command("log")
def log(
    rule: Annotated[int | None, typer.Option("--rule", "-r", help=_("Only the runs of this rule."))] = None,
    contact: Annotated[int | None, typer.Option("--contact", "-c", help=_("Only the runs on this contact."))] = None,
    failed: Annotated[bool, typer.Option("--failed", help=_("Only failed runs."))] = False,
    limit: Annotated[int, typer.Option(help=_("At most this many (newest first)."))] = 50,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """The run log: rule or hook, event, actions done, result."""
    from ..store.rules import run_as_dict

    with open_store(db) as store:
        runs = store.list_runs(rule_id=rule, contact_id=contact, limit=limit)
        runs = [r for r in runs if not (failed and r.ok)]
        names = {r.id: r.name for r in store.list_rules()}
    if json_out:
        print_json([{**run_as_dict(r), "rule": names.get(r.rule_id or 0, "")} for r in runs])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(_("When"), _("Rule / hook"), _("Event"), _("Contact"), _("Result"), box=None, header_style="bold")
    for r in runs:
        event = json.loads(r.event_json or "{}").get("event", "")
        who = names.get(r.rule_id or 0, f"#{r.rule_id}") if r.rule_id else f"hook {r.hook}"
        result = Text("; ".join(json.loads(r.actions_json or "[]"))) if r.ok else Text(r.error, style="red")
        table.add_row(r.at.strftime("%Y-%m-%d %H:%M:%S"), Text(who), event, str(r.contact_id or ""), result)
    console().print(table)


@app.command("run-due")
def run_due(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Run the follow-up sequence steps that are due now (suitable for cron)."""
    from ..automations import install

    with open_store(db) as store:
        runs = install(store).run_due()
    if json_out:
        print_json([r.as_dict() for r in runs])
        return
    for r in runs:
        line = (
            _("contact {contact}: {sequence} step {step}: {text}")
            if r.ok
            else _("contact {contact}: {sequence} step {step} failed: {text}")
        )
        echo(line.format(contact=r.contact_id, sequence=r.sequence, step=r.step, text=r.text or r.error))
    echo(ngettext("{n} step run", "{n} steps run", len(runs)).format(n=len(runs)), err=True)


@app.command("hooks")
def hooks(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the Python hooks installed (entry-point group koachify.automations) and any load errors."""
    from ..automations import install

    with open_store(db) as store:
        loaded = install(store).hooks
    if json_out:
        print_json([h.as_dict() for h in loaded])
        return
    for h in loaded:
        echo(f"{h.name}  {h.value}  " + (_("error: {error}").format(error=h.error) if h.error else _("loaded")))
    if not loaded:
        echo(_("No hooks installed."), err=True)


# --- sequences ------------------------------------------------------------------------------------------


def _parse_step(text: str) -> dict[str, Any]:
    days, _sep, rest = text.partition(":")
    action, _sep2, body = rest.partition(":")
    action = action.strip().lower()
    if not days.strip().isdigit() or action not in {"task", "note"} or not body.strip():
        raise UserError(_("--step takes DAYS:task:Title or DAYS:note:Text, not {text!r}").format(text=text))
    key = "title" if action == "task" else "body"
    return {"delay_days": int(days), "action": action, key: body.strip()}


@sequences_app.command("list")
def sequences_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List sequences with their steps and active enrolments."""
    from ..automations import sequences

    with open_store(db) as store:
        items = sequences.list_sequences(store)
    if json_out:
        print_json([s.as_dict() for s in items])
        return
    for seq in items:
        state = "" if seq.enabled else _(" (paused)")
        echo(_("{id}. {name}{state}: {steps}, {active}").format(
            id=seq.id, name=seq.name, state=state,
            steps=ngettext("{n} step", "{n} steps", len(seq.steps)).format(n=len(seq.steps)),
            active=ngettext("{n} active", "{n} active", seq.active).format(n=seq.active)))  # fmt: skip
        for step in seq.steps:
            echo(f"   +{step.delay_days}d {step.action}: {step.title or step.body}")


@sequences_app.command("add")
def sequences_add(
    name: Annotated[str, typer.Option("--name", "-n", help=_("Sequence name."))] = "",
    step: Annotated[
        list[str] | None,
        typer.Option("--step", "-s", help=_("DAYS:task:Title or DAYS:note:Text, days after the previous step.")),
    ] = None,
    description: Annotated[str, typer.Option(help=_("Description."))] = "",
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help=_("Read the sequence(s) from JSON or TOML."))
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a follow-up sequence from --step flags or from a file."""

    if file is not None:
        specs = _items(_load_file(file), "sequences")
    elif name:
        specs = [{"name": name, "description": description, "steps": [_parse_step(s) for s in step or []]}]
    else:
        raise UserError(_("give --name and --step, or --file"))
    with open_store(db, must_exist=False) as store:
        created = store.create_sequences(specs)  # all or none
    if json_out:
        print_json([s.as_dict() for s in created] if file else created[0].as_dict())
    else:
        for seq in created:
            echo(_("Created sequence {id}: {name}").format(id=seq.id, name=seq.name))


@sequences_app.command("delete")
def sequences_delete(
    sequence: Annotated[str, typer.Argument(help=_("Sequence name or id."))], db: DbOption = None
) -> None:
    """Delete a sequence and its enrolments."""
    from ..automations import sequences

    with open_store(db) as store:
        sequences.delete_sequence(store, sequence)
    echo(_("Deleted sequence {name}").format(name=sequence))


@sequences_app.command("enroll")
def sequences_enroll(
    contact: Annotated[int, typer.Argument(help=_("Contact id."))],
    sequence: Annotated[str, typer.Argument(help=_("Sequence name or id."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Enroll a contact in a sequence (steps due now run at once)."""
    from ..automations import install, sequences

    with open_store(db) as store:
        added = sequences.enroll(store, contact, sequence)
        runs = install(store).run_due(contact_id=contact) if added else []
        info = sequences.enrollments(store, contact_id=contact)
    if json_out:
        print_json({"enrolled": added, "steps_run": [r.as_dict() for r in runs], "active": [e.as_dict() for e in info]})
    elif added:
        echo(_("Contact {contact} enrolled in {sequence}").format(contact=contact, sequence=sequence))
    else:
        echo(_("Contact {contact} is already in {sequence}").format(contact=contact, sequence=sequence))


@sequences_app.command("leave")
def sequences_leave(
    contact: Annotated[int, typer.Argument(help=_("Contact id."))],
    sequence: Annotated[str, typer.Argument(help=_("Sequence name or id; * for all."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Take a contact out of a sequence, cancelling its remaining steps."""
    from ..automations import sequences

    with open_store(db) as store:
        count = sequences.leave(store, contact, sequence)
    if json_out:
        print_json({"cancelled": count})
    else:
        echo(ngettext("{n} enrolment cancelled", "{n} enrolments cancelled", count).format(n=count))


@sequences_app.command("enrollments")
def sequences_enrollments(
    contact: Annotated[int | None, typer.Option("--contact", "-c", help=_("Only this contact."))] = None,
    sequence: Annotated[str | None, typer.Option("--sequence", help=_("Only this sequence."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Active enrolments, soonest due first."""
    from ..automations import sequences

    with open_store(db) as store:
        items = sequences.enrollments(store, contact_id=contact, sequence=sequence)
    if json_out:
        print_json([e.as_dict() for e in items])
        return
    for e in items:
        due = e.next_due_at.strftime("%Y-%m-%d %H:%M") if e.next_due_at else "-"
        echo(_("contact {contact}: {sequence}, step {step}/{steps} due {due}").format(
            contact=e.contact_id, sequence=e.sequence, step=e.next_step + 1, steps=e.steps, due=due))  # fmt: skip
