"""`koachify pipelines …`"""

from __future__ import annotations

import typer

from ..i18n import _
from .common import DbOption, JsonOption, new_app, open_store, print_json

app = new_app(_("Pipelines and their stages."))


@app.command("list")
def list_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List pipelines with their stages in order."""
    with open_store(db) as store:
        pipelines = store.list_pipelines()
        if json_out:
            print_json([p.as_dict() for p in pipelines])
            return
        for p in pipelines:
            typer.echo(f"{p.id}  {p.name}: " + " → ".join(s.name for s in p.stages))
