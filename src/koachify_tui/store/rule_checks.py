"""A rule's references checked against the real data: pipelines, their stages, custom fields and sequences.

`validate_filters` / `validate_actions` (rules.py) check a rule's shape; this module checks that what it names
exists, so a typo such as `pipeline = Vendite Coachinto_status = won` is refused with "did you mean «Vendite
Coaching»?" instead of saving a rule that never fires. The same check runs on every saved rule when it is
listed, so a rule whose pipeline or stage was later renamed or deleted shows as broken instead of going quiet.

Tags are not checked: a filter on a tag nobody has yet is a rule waiting for its first contact, and `add_tag`
creates the tag it names. Owners and sources are free text too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import _
from .errors import InvalidValue
from .models import CustomFieldDef, Pipeline, Sequence, Stage
from .normalize import fold

STAGE_FILTERS = ("stage", "from_stage", "to_stage")


@dataclass
class KnownNames:
    """What a rule may name: pipelines with their stages, custom fields per entity, sequences."""

    pipelines: dict[str, list[str]] = field(default_factory=dict)  # pipeline name → stage names, in order
    pipeline_ids: dict[int, str] = field(default_factory=dict)
    stage_ids: dict[int, str] = field(default_factory=dict)
    fields: dict[str, dict[str, CustomFieldDef]] = field(default_factory=dict)  # entity → key → definition
    sequences: list[str] = field(default_factory=list)
    sequence_ids: set[int] = field(default_factory=set)

    @property
    def all_stages(self) -> list[str]:
        seen: dict[str, str] = {}
        for stages in self.pipelines.values():
            for name in stages:
                seen.setdefault(fold(name), name)
        return list(seen.values())


def load_known(session: Session) -> KnownNames:
    """Every name a rule can refer to, in one pass (a handful of small tables)."""
    known = KnownNames()
    pipelines = session.execute(select(Pipeline).order_by(Pipeline.position, Pipeline.id)).scalars()  # type: ignore[arg-type]
    for pipeline in pipelines:
        known.pipelines[pipeline.name] = []
        known.pipeline_ids[pipeline.id or 0] = pipeline.name
    by_id = known.pipeline_ids
    for stage in session.execute(select(Stage).order_by(Stage.pipeline_id, Stage.position)).scalars():  # type: ignore[arg-type]
        if stage.pipeline_id in by_id:
            known.pipelines[by_id[stage.pipeline_id]].append(stage.name)
            known.stage_ids[stage.id or 0] = stage.name
    for definition in session.execute(select(CustomFieldDef)).scalars():
        known.fields.setdefault(definition.entity, {})[definition.key] = definition
    for sequence in session.execute(select(Sequence)).scalars():
        known.sequences.append(sequence.name)
        known.sequence_ids.add(sequence.id or 0)
    return known


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """ " (did you mean «X»?)" for the closest choice (a prefix of the value counts as close), or ""."""
    options = list(choices)
    folded = {fold(c): c for c in options}
    wanted = fold(value)
    prefixed = [c for key, c in folded.items() if key and wanted.startswith(key)]
    close = prefixed or [folded[k] for k in difflib.get_close_matches(wanted, list(folded), n=1, cutoff=0.5)]
    return _(": did you mean «{name}»?").format(name=close[0]) if close else ""


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _find(value: Any, names: Iterable[str], ids: Mapping[int, str] | set[int]) -> str | None:
    """The real name `value` refers to (by name, any case, or by id), or None."""
    text = str(value).strip()
    if text.isdigit() and int(text) in ids:
        return ids[int(text)] if isinstance(ids, Mapping) else text
    return next((n for n in names if fold(n) == fold(text)), None)


def _pipelines(values: Any, known: KnownNames, problems: list[str]) -> list[str]:
    found = []
    for value in _values(values):
        name = _find(value, known.pipelines, known.pipeline_ids)
        if name is None:
            hint = did_you_mean(str(value), known.pipelines)
            problems.append(_("pipeline «{value}» does not exist{hint}").format(value=value, hint=hint))
        else:
            found.append(name)
    return found


def _stages(values: Any, pipelines: list[str], known: KnownNames, problems: list[str]) -> None:
    stages = [s for p in pipelines for s in known.pipelines[p]] if pipelines else known.all_stages
    for value in _values(values):
        if _find(value, stages, known.stage_ids) is not None:
            continue
        hint = did_you_mean(str(value), stages)
        if len(pipelines) == 1:
            message = _("stage «{value}» is not in pipeline «{pipeline}»{hint}")
        else:
            message = _("no pipeline has a stage «{value}»{hint}")
        problems.append(message.format(value=value, pipeline=pipelines[0] if pipelines else "", hint=hint))


def filter_problems(filters: Mapping[str, Any], known: KnownNames) -> tuple[list[str], list[str]]:
    """What the filters name that does not exist, and the pipelines they scope the rule to."""
    problems: list[str] = []
    pipelines = _pipelines(filters["pipeline"], known, problems) if "pipeline" in filters else []
    if "pipeline" in filters and not pipelines:
        return problems, []  # its stages cannot be checked against a pipeline that is not there
    for key in STAGE_FILTERS:
        if key in filters:
            _stages(filters[key], pipelines, known, problems)
    return problems, pipelines


def action_problems(actions: Iterable[Mapping[str, Any]], pipelines: list[str], known: KnownNames) -> list[str]:
    """What the actions name that does not exist (stages, fields, sequences), with the action's number."""
    problems: list[str] = []
    for i, action in enumerate(actions, 1):
        found: list[str] = []
        kind = action.get("type")
        if kind == "move_opportunity":
            scope = pipelines
            if action.get("pipeline"):
                scope = _pipelines(action["pipeline"], known, found)
            if not found:
                _stages(action.get("stage", ""), scope, known, found)
        elif kind == "set_field":
            found += _field_problems(action, known)
        elif kind in {"enroll_sequence", "leave_sequence"}:
            name = str(action.get("sequence", ""))
            if (
                not (kind == "leave_sequence" and name == "*")
                and _find(name, known.sequences, known.sequence_ids) is None
            ):
                hint = did_you_mean(name, known.sequences)
                found.append(_("sequence «{value}» does not exist{hint}").format(value=name, hint=hint))
        problems += [_("action {i}: {problem}").format(i=i, problem=p) for p in found]
    return problems


def _field_problems(action: Mapping[str, Any], known: KnownNames) -> list[str]:
    from .fields import coerce

    entity = str(action.get("target", "contact"))
    defs = known.fields.get(entity, {})
    key = str(action.get("key", ""))
    definition = defs.get(key)
    if definition is None:
        hint = did_you_mean(key, defs)
        message = (
            _("contacts have no field «{key}»{hint}") if entity == "contact" else _("deals have no field «{key}»{hint}")
        )
        return [message.format(key=key, hint=hint)]
    try:
        coerce(definition, action.get("value"))
    except InvalidValue as exc:
        return [str(exc)]
    return []


def rule_problems(filters: Mapping[str, Any], actions: Iterable[Mapping[str, Any]], known: KnownNames) -> list[str]:
    """Everything a rule names that does not exist; empty for a sound rule."""
    problems, pipelines = filter_problems(filters, known)
    return problems + action_problems(actions, pipelines, known)


def check_references(filters: Mapping[str, Any], actions: Iterable[Mapping[str, Any]], session: Session) -> None:
    """Refuse (InvalidValue, the first problem) a rule that names something that does not exist."""
    problems = rule_problems(filters, actions, load_known(session))
    if problems:
        raise InvalidValue(problems[0])
