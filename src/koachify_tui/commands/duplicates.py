"""`koachify duplicates …`: find likely duplicate contacts, merge them, undo a merge, mark a pair as not a
duplicate. The rules live in the store (store/duplicates.py finds, store/merge.py merges); this only parses
arguments and prints."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..i18n import _, ngettext
from .common import DbOption, JsonOption, UserError, console, echo, new_app, open_store, print_json

app = new_app(_("Find, merge and un-merge duplicate contacts."))


# --- list and ignore (the finder: store/duplicates.py) ---------------------------------------------------


@app.command("list")
def list_(
    limit: Annotated[int | None, typer.Option(help=_("At most this many groups (best first)."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List groups of likely duplicate contacts, most certain first, with why and a score."""
    if limit is not None and limit < 1:
        raise UserError(_("--limit must be at least 1"))
    with open_store(db) as store:
        groups = store.find_duplicates(limit=limit)
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
