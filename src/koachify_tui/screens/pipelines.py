"""Pipeline and stage management: create, rename, delete pipelines; add, rename, reorder, delete stages.

Deleting a stage or pipeline that holds opportunities asks where to move them (the store refuses to
orphan anything); name clashes come back from the store as `Conflict` and are shown as they are."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _
from ..store import Conflict, PipelineInfo, Store, StoreError
from .pickers import ChoicePicker, Confirm, TextPrompt
from .writes import ScreenWrites


class PipelinesScreen(ScreenWrites, ModalScreen[None]):
    """Pipelines on the left, the selected pipeline's stages on the right.

    | Key | Action |
    | --- | --- |
    | tab | Switch between pipelines and stages |
    | n | New pipeline |
    | a | Add a stage |
    | r | Rename the selected pipeline or stage |
    | d, delete | Delete the selected pipeline or stage |
    | shift+↑, K / shift+↓, J | Move the stage up / down |
    | w | Won on entry: moving a deal into the selected stage also marks it won (on / off) |
    | escape | Close |
    """

    DEFAULT_CSS = """
    PipelinesScreen { align: center middle; }
    PipelinesScreen > Vertical { width: 100; max-width: 100%; height: 80%; background: $panel;
        border: thick $primary; padding: 0 1; }
    PipelinesScreen #pm-lists { height: 1fr; }
    PipelinesScreen #pm-lists > Vertical { width: 1fr; }
    PipelinesScreen OptionList { height: 1fr; }
    PipelinesScreen Label { color: $foreground-muted; }
    PipelinesScreen #pm-status { height: auto; color: $warning; }
    """
    BINDINGS = [
        Binding("escape", "close", _("Close"), id="pipelines.close", tooltip=_("Back to the board")),
        Binding("n", "new_pipeline", _("New pipeline"), id="pipelines.new", tooltip=_("Create a pipeline")),
        Binding("a", "add_stage", _("Add stage"), id="pipelines.add_stage", tooltip=_("Add a stage at the end")),
        Binding("r", "rename", _("Rename"), id="pipelines.rename", tooltip=_("Rename the selected item")),
        Binding("d,delete", "delete", _("Delete"), id="pipelines.delete", tooltip=_("Delete the selected item")),
        Binding("shift+up,K", "move_stage(-1)", _("Stage up"), id="pipelines.up", tooltip=_("Move the stage earlier")),
        Binding(
            "shift+down,J", "move_stage(1)", _("Stage down"), id="pipelines.down", tooltip=_("Move the stage later")
        ),
        Binding(
            "w",
            "toggle_won",
            _("Won on entry"),
            id="pipelines.won_on_entry",
            tooltip=_("Moving a deal into the selected stage also marks it won (on / off)"),
        ),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.pipelines: list[PipelineInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = _("Pipelines and stages")
            box.border_subtitle = _(
                "n new · a add stage · r rename · d delete · shift+↑↓ reorder · w won on entry · esc close"
            )
            with Horizontal(id="pm-lists"):
                with Vertical():
                    yield Label(_("Pipelines"))
                    yield OptionList(id="pm-pipelines")
                with Vertical():
                    yield Label(_("Stages, in order"))
                    yield OptionList(id="pm-stages")
            yield Static("", id="pm-status")

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#pm-pipelines", OptionList).focus()

    # --- state -------------------------------------------------------------------------------------

    @property
    def pipeline(self) -> PipelineInfo | None:
        index = self.query_one("#pm-pipelines", OptionList).highlighted
        return self.pipelines[index] if index is not None and index < len(self.pipelines) else None

    def reload(self, pipeline_id: int | None = None, stage_id: int | None = None) -> None:
        current = pipeline_id or (self.pipeline.id if self.pipeline else None)
        self.pipelines = self.store.list_pipelines()
        listing = self.query_one("#pm-pipelines", OptionList)
        listing.clear_options()
        listing.add_options([Option(Text(p.name), id=str(p.id)) for p in self.pipelines])
        ids = [p.id for p in self.pipelines]
        if ids:
            listing.highlighted = ids.index(current) if current in ids else 0
        self._show_stages(stage_id)

    def _show_stages(self, stage_id: int | None = None) -> None:
        stages = self.query_one("#pm-stages", OptionList)
        previous = stages.highlighted
        stages.clear_options()
        pipeline = self.pipeline
        if pipeline is None:
            return
        totals = self.store.stage_totals(pipeline.id, status=None)
        for st in pipeline.stages:
            label = Text(st.name)
            count = totals.get(st.id, (0, 0))[0]
            if count:
                label.append(f"  ({count})", style="dim")
            if st.won_on_entry:
                label.append("  ✓ " + _("won on entry"), style="bold")
            stages.add_option(Option(label, id=str(st.id)))
        ids = [st.id for st in pipeline.stages]
        if stage_id in ids:
            stages.highlighted = ids.index(stage_id)
        elif ids:
            stages.highlighted = min(previous or 0, len(ids) - 1)

    @on(OptionList.OptionHighlighted, "#pm-pipelines")
    def _pipeline_highlighted(self) -> None:
        self._show_stages()

    @property
    def stage_id(self) -> int | None:
        stages = self.query_one("#pm-stages", OptionList)
        if stages.highlighted is None or not stages.option_count:
            return None
        option_id = stages.get_option_at_index(stages.highlighted).id
        return int(option_id) if option_id else None

    def _error(self, exc: Exception) -> None:
        self.query_one("#pm-status", Static).update(Text(str(exc)))
        self.notify(str(exc), severity="error", markup=False)

    def _ok(self, message: str) -> None:
        self.query_one("#pm-status", Static).update(Text(message))

    # --- actions -----------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="pipelines")
    async def action_new_pipeline(self) -> None:
        name = await self.app.push_screen_wait(TextPrompt(_("New pipeline name")))
        if not name:
            return
        stages = await self.app.push_screen_wait(
            TextPrompt(_("Its stages, comma separated"), ", ".join(_(stage) for stage in DEFAULT_NEW_STAGES))
        )
        try:
            names = [s.strip() for s in (stages or "").split(",") if s.strip()]
            created = await self.store_write(partial(self.store.create_pipeline, name, names))
        except StoreError as exc:
            self._error(exc)
            return
        self.reload(created.id)
        self._ok(_("Pipeline created"))

    @work(exclusive=True, group="pipelines")
    async def action_add_stage(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        name = await self.app.push_screen_wait(TextPrompt(_("New stage in {p}").format(p=pipeline.name)))
        if not name:
            return
        try:
            stage = await self.store_write(partial(self.store.add_stage, pipeline.id, name))
        except StoreError as exc:
            self._error(exc)
            return
        self.reload(pipeline.id, stage.id)

    def _stages_focused(self) -> bool:
        return self.focused is self.query_one("#pm-stages", OptionList)

    @work(exclusive=True, group="pipelines")
    async def action_rename(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        stage_id = self.stage_id if self._stages_focused() else None
        try:
            if stage_id is not None:
                old = pipeline.stage(stage_id).name
                name = await self.app.push_screen_wait(TextPrompt(_("Rename stage"), old))
                if name:
                    await self.store_write(partial(self.store.rename_stage, stage_id, name))
            else:
                name = await self.app.push_screen_wait(TextPrompt(_("Rename pipeline"), pipeline.name))
                if name:
                    await self.store_write(partial(self.store.rename_pipeline, pipeline.id, name))
        except StoreError as exc:
            self._error(exc)
            return
        self.reload(pipeline.id, stage_id)

    @work(exclusive=True, group="pipelines")
    async def action_delete(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:
            return
        if self._stages_focused() and self.stage_id is not None:
            await self._delete_stage(pipeline, self.stage_id)
        else:
            await self._delete_pipeline(pipeline)

    async def _delete_stage(self, pipeline: PipelineInfo, stage_id: int) -> None:
        stage = pipeline.stage(stage_id)
        try:
            if not await self.app.push_screen_wait(Confirm(_("Delete stage “{s}”?").format(s=stage.name))):
                return
            try:
                await self.store_write(partial(self.store.delete_stage, stage_id))
            except Conflict as exc:  # it holds opportunities: ask where they go
                options = [
                    (f"{p.name} › {s.name}", s.id)
                    for p in self.store.list_pipelines()
                    for s in p.stages
                    if s.id != stage_id
                ]
                if not options:
                    raise
                target = await self.app.push_screen_wait(
                    ChoicePicker(_("Move its opportunities to"), options, hint=str(exc))
                )
                if target is None:
                    return
                await self.store_write(partial(self.store.delete_stage, stage_id, move_to=target))
        except StoreError as exc:
            self._error(exc)
            return
        self.reload(pipeline.id)
        self._ok(_("Stage deleted"))

    async def _delete_pipeline(self, pipeline: PipelineInfo) -> None:
        try:
            if not await self.app.push_screen_wait(Confirm(_("Delete pipeline “{p}”?").format(p=pipeline.name))):
                return
            try:
                await self.store_write(partial(self.store.delete_pipeline, pipeline.id))
            except Conflict as exc:
                options = [
                    (f"{p.name} › {s.name}", s.id)
                    for p in self.store.list_pipelines()
                    if p.id != pipeline.id
                    for s in p.stages
                ]
                if not options:
                    raise Conflict(_("Create another pipeline first: its opportunities need somewhere to go")) from exc
                target = await self.app.push_screen_wait(
                    ChoicePicker(_("Move its opportunities to"), options, hint=str(exc))
                )
                if target is None:
                    return
                await self.store_write(partial(self.store.delete_pipeline, pipeline.id, move_to_stage=target))
        except StoreError as exc:
            self._error(exc)
            return
        self.reload()
        self._ok(_("Pipeline deleted"))

    def action_toggle_won(self) -> None:
        """Switch "won on entry" for the highlighted stage (the stages list need not have focus: only stages
        have it)."""
        pipeline, stage_id = self.pipeline, self.stage_id
        if pipeline is None or stage_id is None:
            return
        stage = pipeline.stage(stage_id)
        on = not stage.won_on_entry

        def saved(_result: object) -> None:
            self.reload(pipeline.id, stage_id)
            on_text = _("Moving a deal into “{s}” now also marks it won")
            off_text = _("Moving a deal into “{s}” no longer marks it won (w on the board does)")
            self._ok((on_text if on else off_text).format(s=stage.name))

        self.run_store_write(
            partial(self.store.update_stage, stage_id, won_on_entry=on), done=saved, failed=self._error
        )

    def action_move_stage(self, delta: int) -> None:
        pipeline, stage_id = self.pipeline, self.stage_id
        if pipeline is None or stage_id is None:
            return
        ids = [s.id for s in pipeline.stages]
        i = ids.index(stage_id)
        j = i + delta
        if not 0 <= j < len(ids):
            return
        ids[i], ids[j] = ids[j], ids[i]

        def moved(_result: object) -> None:
            self.reload(pipeline.id, stage_id)
            self.query_one("#pm-stages", OptionList).focus()

        self.run_store_write(partial(self.store.reorder_stages, pipeline.id, ids), done=moved, failed=self._error)


DEFAULT_NEW_STAGES = (_("Lead"), _("Proposal"), _("Won"))
