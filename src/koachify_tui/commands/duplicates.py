"""`koachify duplicates …`: find likely duplicate contacts, merge them, undo a merge, mark a pair as not a
duplicate. The rules live in the store (store/duplicates.py finds, store/merge.py merges); this only parses
arguments and prints."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..i18n import _, ngettext
from .common import INT_MAX, INT_MIN, DbOption, JsonOption, UserError, console, echo, new_app, open_store, print_json

app = new_app(_("Find, merge and un-merge duplicate contacts."))


# --- list and ignore (the finder: store/duplicates.py) ---------------------------------------------------


@app.command("list")
def list_(
    limit: Annotated[int | None, typer.Option(help=_("At most this many groups (best first)."))] = None,
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            help=_("Only the groups holding a contact this import batch created or changed."),
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List groups of likely duplicate contacts, most certain first, with why and a score."""
    if limit is not None and limit < 1:
        raise UserError(_("--limit must be at least 1"))
    with open_store(db) as store:
        # --batch: the import summary's count (store.batch_duplicates)
        groups = store.find_duplicates(limit=limit) if batch is None else store.batch_duplicates(batch, limit=limit)
        names = store.duplicate_names(cid for g in groups for cid in g.contact_ids)
    if json_out:
        print_json([_group_json(g, names) for g in groups])
        return
    _print_groups(groups, names)


def _group_json(group: Any, names: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = group.as_dict()
    data["contacts"] = [{"id": cid, "name": names.get(cid, "")} for cid in group.contact_ids]
    return data


def _print_groups(groups: list[Any], names: dict[int, str]) -> None:
    from rich.text import Text

    from ..duplicate_text import reason_text

    out = console()
    for number, group in enumerate(groups, 1):
        strength = _("strong") if group.strong else _("suggestion")
        out.print(Text(_("{n}. score {score:.0f} ({strength})").format(n=number, score=group.score, strength=strength),
                       style="bold"))  # fmt: skip
        for cid in group.contact_ids:
            out.print(Text(f"   #{cid} {names.get(cid, '')}"))
        for reason in group.reasons:
            out.print(Text("   · " + reason_text(reason), style="dim"))
    count = len(groups)
    echo(ngettext("{n} group of possible duplicates", "{n} groups of possible duplicates", count).format(n=count),
         err=True)  # fmt: skip
    if count:
        echo(_("Mark a pair that is not a duplicate with `koachify duplicates ignore A B`."), err=True)


@app.command("ignore")
def ignore(
    contact_a: Annotated[int, typer.Argument(help=_("Contact id."), show_default=False)],
    contact_b: Annotated[int, typer.Argument(help=_("The other contact id."), show_default=False)],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Mark two contacts as not a duplicate: they are never suggested together again."""
    with open_store(db) as store:
        added = store.ignore_duplicate(contact_a, contact_b)
    low, high = sorted((contact_a, contact_b))
    if json_out:
        print_json({"contact_ids": [low, high], "ignored": True, "already": not added})
    elif added:
        echo(_("#{a} and #{b} are marked as not a duplicate").format(a=low, b=high))
    else:
        echo(_("#{a} and #{b} were already marked as not a duplicate").format(a=low, b=high))


# --- merge and undo (store/merge.py) ------------------------------------------------------------------------


def _prefer(values: list[str]) -> dict[str, int]:
    """--prefer ID:FIELD … as {field: id}."""
    out: dict[str, int] = {}
    for value in values:
        cid, sep, name = value.partition(":")
        if not sep or not cid.strip().isdigit() or not name.strip():
            raise UserError(_("--prefer takes CONTACT_ID:FIELD (e.g. 42:email), not {value!r}").format(value=value))
        if name.strip() in out:
            raise UserError(_("--prefer names {field} twice").format(field=name.strip()))
        out[name.strip()] = _contact_id(int(cid))
    return out


def _contact_id(value: int) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise UserError(_("no contact with id {contact_id}").format(contact_id=value))
    return value


@app.command("merge")
def merge(
    survivor: Annotated[int, typer.Argument(help=_("The contact that stays."), show_default=False)],
    others: Annotated[list[int], typer.Argument(help=_("The contacts merged into it."), show_default=False)],
    prefer: Annotated[
        list[str] | None,
        typer.Option(
            "--prefer",
            metavar="ID:FIELD",
            help=_(
                "Keep this contact's value of a field (first_name, last_name, company, email, phone, source, "
                "owner, custom.<key>); repeatable. Default: the survivor's, else the first non-empty."
            ),
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Merge duplicate contacts into one (undo with `duplicates undo MERGE_ID`)."""
    wanted = _prefer(prefer or [])
    ids = [_contact_id(i) for i in (survivor, *others)]
    with open_store(db) as store:
        result = store.merge_contacts(ids[0], ids[1:], prefer=wanted)
        if json_out:
            print_json(result.as_dict())
            return
        echo(
            ngettext(
                "Merged contact {ids} into contact {survivor} (merge {merge}).",
                "Merged contacts {ids} into contact {survivor} (merge {merge}).",
                len(result.merged_ids),
            ).format(ids=", ".join(map(str, result.merged_ids)), survivor=result.survivor_id, merge=result.merge_id)
        )
        from ..duplicate_text import moved_phrase

        moved = [w for w in (moved_phrase(k, n) for k, n in result.moved.items()) if w]
        if moved:
            echo(_("Moved: {what}").format(what=", ".join(moved)))
        echo(_("Undo with `koachify duplicates undo {merge}`.").format(merge=result.merge_id))


@app.command("undo")
def undo(
    merge_id: Annotated[int, typer.Argument(help=_("The merge id (`duplicates merge` prints it)."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Undo a merge: the merged contacts come back with their own items; later edits stay."""
    with open_store(db) as store:
        result = store.undo_merge(merge_id)
        if json_out:
            print_json(result.as_dict())
            return
        echo(
            ngettext(
                "Merge {merge} undone: contact {ids} is back (contact {survivor} keeps its own).",
                "Merge {merge} undone: contacts {ids} are back (contact {survivor} keeps its own).",
                len(result.restored_ids),
            ).format(merge=result.merge_id, ids=", ".join(map(str, result.restored_ids)), survivor=result.survivor_id)
        )
        for kept in result.kept:
            echo(
                _("Kept on contact {id}: {field} — {reason}").format(
                    id=kept.contact_id if kept.contact_id is not None else result.survivor_id,
                    field=kept.field,
                    reason=kept.reason,
                )
            )
