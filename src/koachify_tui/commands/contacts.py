"""`koachify contacts …`"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..formatting import phone
from ..history_text import history_text, kind_word, status_word
from ..i18n import _, ngettext
from .common import DbOption, JsonOption, UserError, console, echo, load_settings, new_app, open_store, print_json

app = new_app(_("Add, list, show and edit contacts."))


def _contact_dict(store: object, contact_id: int) -> dict[str, object]:
    from ..store import Store

    assert isinstance(store, Store)
    data = store.contact_row(contact_id).as_dict()
    data["custom_fields"] = store.field_values("contact", contact_id)
    data["extra"] = [{"kind": c.kind, "value": c.value} for c in store.contact_channels(contact_id)]
    data["version"] = store.get_contact(contact_id).version  # for `edit --if-version`
    return data


@app.command("add")
def add(
    first_name: Annotated[str, typer.Option("--first-name", "-f", help=_("First name."))] = "",
    last_name: Annotated[str, typer.Option("--last-name", "-l", help=_("Last name."))] = "",
    email: Annotated[str, typer.Option(help=_("Email address."))] = "",
    phone: Annotated[str, typer.Option(help=_("Phone number (national numbers use the default region)."))] = "",
    company: Annotated[str, typer.Option(help=_("Company."))] = "",
    source: Annotated[str, typer.Option(help=_("Acquisition source (Form, Funnel, Ads, Chat, Manual…)."))] = "Manual",
    owner: Annotated[str, typer.Option(help=_("Owner (assigned seller)."))] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help=_("Tag (repeatable)."))] = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate", help=_("Add it even when its email or phone already belongs to a contact.")),
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a contact (refused when its email or phone already belongs to one, unless --allow-duplicate)."""
    with open_store(db, must_exist=False) as store:
        if not allow_duplicate:
            _refuse_duplicate(store, email, phone)
        contact = store.create_contact(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            company=company,
            source=source,
            owner=owner,
            tags=tag or (),
        )
        if json_out:
            print_json(_contact_dict(store, contact.id))
        else:
            echo(_("Created contact {id}: {name}").format(id=contact.id, name=contact.display_name))


def _refuse_duplicate(store: Any, email: str, phone: str) -> None:
    """One line naming the contacts that already have this email or phone (the create-time check)."""
    check = store.check_new_contact(email=email, phone=phone)
    if not check.blocking:
        return
    names = store.duplicate_names((*check.same_email, *check.same_phone))

    def who(ids: tuple[int, ...]) -> str:
        shown = ", ".join(f"#{cid} {names.get(cid, '')}".strip() for cid in ids[:3])
        return shown + (", …" if len(ids) > 3 else "")

    parts = []
    if check.same_email:
        parts.append(_("email already belongs to {contacts}").format(contacts=who(check.same_email)))
    phone_only = tuple(cid for cid in check.same_phone if cid not in check.same_email)
    if phone_only:
        parts.append(_("phone already belongs to {contacts}").format(contacts=who(phone_only)))
    raise UserError(_("{problem}; use --allow-duplicate to add anyway").format(problem="; ".join(parts)))


@app.command("list")
def list_(
    search: Annotated[str, typer.Option("--search", "-s", help=_("Search name, email, phone, company, tags."))] = "",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help=_("Only contacts with this tag (all of them)."))
    ] = None,
    source: Annotated[str, typer.Option(help=_("Only contacts from this source."))] = "",
    smart_list: Annotated[str, typer.Option("--list", help=_("Only the contacts of this smart list."))] = "",
    deleted: Annotated[bool, typer.Option("--deleted", help=_("List the Trash instead."))] = False,
    limit: Annotated[int | None, typer.Option(help=_("At most this many."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List contacts (every match; `--limit` to cap)."""
    from ..store import ContactQuery

    with open_store(db) as store:
        query = store.smart_list_query(smart_list) if smart_list else ContactQuery()
        query.search = search or query.search
        query.tags_all = [*query.tags_all, *(tag or [])]
        query.source = source or query.source
        query.deleted = deleted
        rows = store.list_contacts(query, limit=limit)
        if json_out:
            print_json([r.as_dict() for r in rows])
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(
            _("ID"),
            _("Name"),
            _("Company"),
            _("Email"),
            _("Phone"),
            _("Tags"),
            _("Source"),
            box=None,
            header_style="bold",
        )
        for r in rows:
            table.add_row(
                str(r.id),
                Text(r.display_name),
                Text(r.company),
                Text(r.email),
                Text(phone(r.phone_e164, r.phone)),
                Text(", ".join(r.tags)),
                Text(r.source),
            )
        console().print(table)
        echo(ngettext("{n} contact", "{n} contacts", len(rows)).format(n=len(rows)), err=True)


@app.command("show")
def show(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a contact with its opportunities and merged timeline."""
    with open_store(db) as store:
        data = _contact_dict(store, contact_id)
        data["opportunities"] = [o.as_dict() for o in store.list_opportunities(contact_id=contact_id)]
        locale = load_settings(db).locale  # the amounts of "Value: … → …" lines
        data["timeline"] = [i.as_dict() for i in store.timeline(contact_id, limit=None, locale=locale)]
        if json_out:
            print_json(data)
            return
        from rich.text import Text

        out = console()
        row = store.contact_row(contact_id)
        out.print(Text(f"#{row.id} {row.display_name}", style="bold"))
        for label, value in (
            (_("Company"), row.company),
            (_("Email"), row.email),
            (_("Phone"), phone(row.phone_e164, row.phone)),
            (_("Source"), row.source),
            (_("Owner"), row.owner),
            (_("Tags"), ", ".join(row.tags)),
        ):
            if value:
                out.print(Text.assemble((f"{label}: ", "dim"), value))
        for opp in data["opportunities"]:  # type: ignore[attr-defined]
            out.print(Text(f"  • {opp['title']} — {opp['pipeline']} / {opp['stage']} [{status_word(opp['status'])}]"))
        for item in store.timeline(contact_id, limit=None, locale=locale):
            suffix = f" ({item.opportunity_title})" if item.opportunity_title else ""
            text = history_text(item.kind, item.text)
            out.print(Text(f"{item.at:%Y-%m-%d %H:%M}  {kind_word(item.kind):<13} {text}{suffix}"))


@app.command("edit")
def edit(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    first_name: Annotated[str | None, typer.Option("--first-name", "-f")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name", "-l")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    company: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    if_version: Annotated[
        int | None,
        typer.Option(
            "--if-version",
            help=_(
                "The version (from `show --json`) these changes are based on: fields changed by someone else "
                "since then are refused (exit 1) instead of overwritten."
            ),
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Change a contact's fields."""
    changes = {
        k: v
        for k, v in {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "company": company,
            "source": source,
            "owner": owner,
        }.items()
        if v is not None
    }
    with open_store(db) as store:
        store.update_contact(contact_id, changes, expected_version=if_version)
        if json_out:
            print_json(_contact_dict(store, contact_id))
        else:
            echo(_("Updated contact {id}").format(id=contact_id))


@app.command("tag")
def tag_cmd(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    tags: Annotated[list[str], typer.Argument(help=_("Tags to add."))],
    remove: Annotated[bool, typer.Option("--remove", "-r", help=_("Remove the tags instead."))] = False,
    db: DbOption = None,
) -> None:
    """Add (or remove) tags on a contact."""
    with open_store(db) as store:
        for name in tags:
            changed = store.remove_tag(contact_id, name) if remove else store.add_tag(contact_id, name)
            if not changed:
                echo(_("{tag}: nothing to do").format(tag=name), err=True)


@app.command("note")
def note(
    contact_id: Annotated[int, typer.Argument(help=_("Contact id."))],
    text: Annotated[str, typer.Argument(help=_("The note."))],
    opportunity: Annotated[int | None, typer.Option(help=_("Write it on this opportunity of the contact."))] = None,
    db: DbOption = None,
) -> None:
    """Add a note to a contact (or one of its opportunities)."""
    with open_store(db) as store:
        store.add_note(text, contact_id=contact_id, opportunity_id=opportunity)


@app.command("delete")
def delete(contact_id: Annotated[int, typer.Argument(help=_("Contact id."))], db: DbOption = None) -> None:
    """Move a contact (and its opportunities) to the Trash."""
    with open_store(db) as store:
        store.delete_contact(contact_id)
        echo(_("Contact {id} moved to the Trash (restore with `koachify contacts restore {id}`)").format(id=contact_id))


@app.command("restore")
def restore(contact_id: Annotated[int, typer.Argument(help=_("Contact id."))], db: DbOption = None) -> None:
    """Restore a contact from the Trash."""
    with open_store(db) as store:
        store.restore_contact(contact_id)
