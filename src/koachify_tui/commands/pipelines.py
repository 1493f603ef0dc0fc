"""`koachify pipelines …` and `koachify pipelines stages …`: the same rules as the TUI (unique names,
nothing orphaned: deleting a stage or pipeline that holds deals needs `--move-to`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..i18n import _
from .common import DbOption, JsonOption, UserError, echo, new_app, open_store, print_json

app = new_app(_("Pipelines and their stages."))
stages_app = new_app(_("Add, rename, reorder and delete the stages of a pipeline."))
app.add_typer(stages_app, name="stages")

PipelineArg = Annotated[str, typer.Argument(help=_("Pipeline id or name."))]
StageArg = Annotated[str, typer.Argument(help=_("Stage id or name."))]
WonOnEntryOption = Annotated[
    bool | None,
    typer.Option(
        "--won-on-entry/--no-won-on-entry", help=_("Moving a deal into this stage also marks it won (✓ in lists).")
    ),
]


def _ref(value: str) -> int | str:
    """An id when all digits, else a name (names are matched case-insensitively by the store)."""
    return int(value) if value.strip().isdigit() else value


def _print_pipeline(store: Any, ref: int | str, json_out: bool, message: str) -> None:
    p = store.get_pipeline(ref)
    if json_out:
        print_json(p.as_dict())
    else:
        echo(message.format(name=p.name, id=p.id))
        echo("  " + _stage_line(p))


def _stage_line(p: Any) -> str:
    """Stages in order; a won-on-entry one carries a ✓ ("Contratto vinto ✓")."""
    return " → ".join(s.name + (" ✓" if s.won_on_entry else "") for s in p.stages)


def _target_stage(store: Any, move_to: str | None, pipeline: str | None, default_pipeline: int | None) -> int | None:
    """Resolve `--move-to STAGE [--to-pipeline P]` to a stage id (`Pipeline:Stage` also works)."""
    if move_to is None:
        return None
    if pipeline is None and ":" in move_to and not move_to.strip().isdigit():
        pipeline, move_to = move_to.split(":", 1)
    if pipeline is None and default_pipeline is None:
        raise UserError(_("say which pipeline with --to-pipeline (or --move-to 'Pipeline:Stage')"))
    target = store.get_pipeline(_ref(pipeline) if pipeline is not None else default_pipeline)
    return int(target.stage(_ref(move_to.strip())).id)


@app.command("list")
def list_(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List pipelines with their stages in order."""
    with open_store(db) as store:
        pipelines = store.list_pipelines()
        if json_out:
            print_json([p.as_dict() for p in pipelines])
            return
        for p in pipelines:
            echo(f"{p.id}  {p.name}: " + _stage_line(p))


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help=_("Name of the new pipeline (unique)."))],
    stage: Annotated[list[str] | None, typer.Option("--stage", "-s", help=_("A stage, in order (repeatable)."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a pipeline with its stages."""
    with open_store(db, must_exist=False) as store:
        created = store.create_pipeline(name, stage or ())
        _print_pipeline(store, created.id, json_out, _("Created pipeline {id}: {name}"))


@app.command("rename")
def rename(pipeline: PipelineArg, new_name: str, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Rename a pipeline."""
    with open_store(db) as store:
        renamed = store.rename_pipeline(_ref(pipeline), new_name)
        _print_pipeline(store, renamed.id, json_out, _("Renamed pipeline {id} to {name}"))


@app.command("delete")
def delete(
    pipeline: PipelineArg,
    move_to: Annotated[
        str | None, typer.Option(help=_("Stage of another pipeline for its deals ('Pipeline:Stage' or a stage id)."))
    ] = None,
    to_pipeline: Annotated[str | None, typer.Option(help=_("Pipeline of --move-to, when it is a stage name."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete a pipeline; one holding opportunities needs --move-to."""
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        target = None
        if move_to is not None and move_to.strip().isdigit() and to_pipeline is None:
            target = int(move_to)
        else:
            target = _target_stage(store, move_to, to_pipeline, None)
        store.delete_pipeline(p.id, move_to_stage=target)
        if json_out:
            print_json({"deleted": p.id, "name": p.name, "moved_to_stage": target})
        else:
            echo(_("Deleted pipeline {id}: {name}").format(id=p.id, name=p.name))


@stages_app.command("add")
def stage_add(
    pipeline: PipelineArg,
    name: Annotated[str, typer.Argument(help=_("Name of the new stage (unique in the pipeline)."))],
    position: Annotated[int | None, typer.Option(help=_("1-based position (default: last)."))] = None,
    won_on_entry: WonOnEntryOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a stage to a pipeline."""
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        store.add_stage(
            p.id, name, position=None if position is None else position - 1, won_on_entry=bool(won_on_entry)
        )
        _print_pipeline(store, p.id, json_out, _("Added a stage to {name}"))


@stages_app.command("rename")
def stage_rename(
    pipeline: PipelineArg, stage: StageArg, new_name: str, db: DbOption = None, json_out: JsonOption = False
) -> None:
    """Rename a stage."""
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        store.rename_stage(p.stage(_ref(stage)).id, new_name)
        _print_pipeline(store, p.id, json_out, _("Renamed a stage of {name}"))


@stages_app.command("set")
def stage_set(
    pipeline: PipelineArg,
    stage: StageArg,
    won_on_entry: WonOnEntryOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Change a stage's settings: whether moving a deal into it also marks the deal won."""
    if won_on_entry is None:
        raise UserError(_("nothing to change: say --won-on-entry or --no-won-on-entry"))
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        store.update_stage(p.stage(_ref(stage)).id, won_on_entry=won_on_entry)
        _print_pipeline(store, p.id, json_out, _("Changed a stage of {name}"))


@stages_app.command("move")
def stage_move(
    pipeline: PipelineArg,
    stage: StageArg,
    position: Annotated[int, typer.Argument(help=_("New 1-based position."))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Move a stage to another position (reorder)."""
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        moving = p.stage(_ref(stage)).id
        ids = [s.id for s in p.stages if s.id != moving]
        if not 1 <= position <= len(ids) + 1:
            raise UserError(_("position must be between 1 and {n}").format(n=len(ids) + 1))
        ids.insert(position - 1, moving)
        store.reorder_stages(p.id, ids)
        _print_pipeline(store, p.id, json_out, _("Reordered the stages of {name}"))


@stages_app.command("delete")
def stage_delete(
    pipeline: PipelineArg,
    stage: StageArg,
    move_to: Annotated[
        str | None, typer.Option(help=_("Stage for its deals: a name in this pipeline, 'Pipeline:Stage' or an id."))
    ] = None,
    to_pipeline: Annotated[str | None, typer.Option(help=_("Pipeline of --move-to (default: the same)."))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete a stage; one holding opportunities needs --move-to."""
    with open_store(db) as store:
        p = store.get_pipeline(_ref(pipeline))
        st = p.stage(_ref(stage))
        target = _target_stage(store, move_to, to_pipeline, p.id)
        store.delete_stage(st.id, move_to=target)
        _print_pipeline(store, p.id, json_out, _("Deleted a stage of {name}"))
