"""Reports over a pipeline's stage history: the funnel and the time deals spend in each stage.

Both read the `HistoryEntry` stage-change rows (`data_json` holds `from_stage_id` / `to_stage_id`). The stages
a deal has been at are exactly the `from` stages of its moves plus the stage it is at now (its creation stage is
the first move's `from`), so no extra bookkeeping is needed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlmodel import Session, col

from ..i18n import _
from .models import Contact, HistoryEntry, HistoryKind, Opportunity, OpportunityStatus
from .pipelines import PipelineInfo
from .report_period import Period
from .report_sql import at, days_between, deal_scope, json_int
from .report_types import Chart, Column, Report, ReportItem, median_mean, ratio

STUCK_LIMIT = 10
WON = OpportunityStatus.WON.value


def _reach(dialect: str, p: PipelineInfo, period: Period) -> Any:
    """Subquery (oid, pos): deals added to the pipeline in the period and the furthest stage position each
    reached so far. Skipped stages count as passed; moving back does not undo a reach."""
    start, end = period.bounds
    cohort = [*deal_scope(p.id), col(Opportunity.created_at) >= start, col(Opportunity.created_at) < end]
    ids = select(col(Opportunity.id)).where(*cohort)
    moves = [col(HistoryEntry.kind) == HistoryKind.STAGE_CHANGE.value, col(HistoryEntry.opportunity_id).in_(ids)]
    visited = union_all(
        select(col(Opportunity.id).label("oid"), col(Opportunity.stage_id).label("sid")).where(*cohort),
        select(col(HistoryEntry.opportunity_id), json_int(dialect, HistoryEntry.data_json, "from_stage_id")).where(
            *moves
        ),
        select(col(HistoryEntry.opportunity_id), json_int(dialect, HistoryEntry.data_json, "to_stage_id")).where(
            *moves
        ),
    ).subquery()
    position = case(*((visited.c.sid == st.id, st.position) for st in p.stages), else_=None)
    return (
        select(visited.c.oid.label("oid"), func.max(position).label("pos"))
        .group_by(visited.c.oid)
        .having(func.max(position).is_not(None))
        .subquery()
    )


def funnel(s: Session, dialect: str, p: PipelineInfo, period: Period, currency: str) -> Report:
    """Deals added to the pipeline in the period: how many reached each stage, stage→stage conversion,
    the share of those that reached it which are won, and where they stopped (still open there, or closed
    lost/abandoned there; statuses as they are now)."""
    reach = _reach(dialect, p, period)
    counts: dict[tuple[int, str], int] = {}
    for pos, status, n in s.execute(
        select(reach.c.pos, col(Opportunity.status), func.count())
        .join(Opportunity, col(Opportunity.id) == reach.c.oid)
        .group_by(reach.c.pos, col(Opportunity.status))
    ):
        counts[(int(pos), status)] = int(n)
    total = sum(counts.values())
    won = sum(n for (_pos, st), n in counts.items() if st == OpportunityStatus.WON.value)
    rows: list[dict[str, Any]] = []
    for i, st in enumerate(p.stages):
        reached = sum(n for (pos, _s), n in counts.items() if pos >= st.position)
        nxt = p.stages[i + 1] if i + 1 < len(p.stages) else None
        onward = sum(n for (pos, _s), n in counts.items() if nxt and pos >= nxt.position)
        here = {status: n for (pos, status), n in counts.items() if pos == st.position}
        rows.append(
            {
                "key": str(st.id),
                "stage": st.name,
                "reached": reached,
                "to_next": ratio(onward, reached) if nxt else None,
                "to_won": ratio(sum(n for (pos, s), n in counts.items() if pos >= st.position and s == WON), reached),
                "stopped": sum(here.values()) - here.get(OpportunityStatus.WON.value, 0),
                "open_here": here.get(OpportunityStatus.OPEN.value, 0),
                "lost_here": here.get(OpportunityStatus.LOST.value, 0) + here.get(OpportunityStatus.ABANDONED.value, 0),
            }
        )
    columns = (
        Column("stage", _("Stage"), "text"),
        Column("reached", _("Reached")),
        Column("to_next", _("→ next"), "pct"),
        Column("to_won", _("→ won"), "pct"),
        Column("stopped", _("Stopped")),
        Column("lost_here", _("Lost here")),
    )
    summary = {"deals": total, "won": won, "win_conversion": ratio(won, total)}
    return Report(
        "funnel", _("Funnel"), period, p.name, currency, columns, rows, Chart("bar", "stage", ("reached",)), summary
    )


def funnel_items(s: Session, dialect: str, p: PipelineInfo, period: Period, key: str) -> list[ReportItem]:
    """The deals behind a funnel bar: those that reached the stage."""
    reach = _reach(dialect, p, period)
    stage = p.stage(int(key))
    stmt = (
        select(Opportunity, Contact)
        .join(reach, reach.c.oid == col(Opportunity.id))
        .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
        .where(reach.c.pos >= stage.position)
        .order_by(col(Opportunity.created_at), col(Opportunity.id))
    )
    return deal_items(s, stmt)


def deal_items(s: Session, stmt: Any, limit: int = 500) -> list[ReportItem]:
    """ReportItems from a `select(Opportunity, Contact)`."""
    return [
        ReportItem("deal", o.id, o.title, f"{c.display_name} · {o.status}", o.contact_id, o.value_minor, o.currency)
        for o, c in s.execute(stmt.limit(limit))
    ]


def _stays(s: Session, dialect: str, p: PipelineInfo, period: Period) -> dict[int, list[float]]:
    """{stage id: days of each stay at it that ended (by a move) inside the period}."""
    start, end = period.bounds
    prev = func.lag(col(HistoryEntry.at)).over(
        partition_by=col(HistoryEntry.opportunity_id), order_by=(col(HistoryEntry.at), col(HistoryEntry.id))
    )
    moves = (
        select(
            col(HistoryEntry.opportunity_id).label("oid"),
            json_int(dialect, HistoryEntry.data_json, "from_stage_id").label("sid"),
            col(HistoryEntry.at).label("left_at"),
            prev.label("prev_at"),
        )
        .where(col(HistoryEntry.kind) == HistoryKind.STAGE_CHANGE.value, col(HistoryEntry.opportunity_id).is_not(None))
        .subquery()
    )
    entered = func.coalesce(moves.c.prev_at, col(Opportunity.created_at))
    stage_ids = [st.id for st in p.stages]
    stays: dict[int, list[float]] = {sid: [] for sid in stage_ids}
    for sid, days in s.execute(
        select(moves.c.sid, days_between(dialect, moves.c.left_at, entered))
        .join(Opportunity, col(Opportunity.id) == moves.c.oid)
        .where(
            col(Opportunity.deleted_at).is_(None),
            moves.c.sid.in_(stage_ids),
            moves.c.left_at >= at(start),
            moves.c.left_at < at(end),
        )
    ):
        stays[int(sid)].append(max(float(days), 0.0))
    return stays


def _open_now(dialect: str, p: PipelineInfo, now: datetime) -> tuple[Any, list[Any]]:
    days = days_between(dialect, at(now), col(Opportunity.last_stage_change_at))
    return days, [*deal_scope(p.id), col(Opportunity.status) == OpportunityStatus.OPEN.value]


def stages(s: Session, dialect: str, p: PipelineInfo, period: Period, currency: str, now: datetime) -> Report:
    """Median and mean days per stage over the stays that ended in the period; the open deals at each stage
    now, how many have been there longer than its median, and the ones stuck longest beyond it."""
    stays = _stays(s, dialect, p, period)
    medians = {sid: median_mean(v) for sid, v in stays.items()}
    days, where = _open_now(dialect, p, now)
    known = [(sid, mm[0]) for sid, mm in medians.items() if mm[0] is not None]
    over = days - case(*((col(Opportunity.stage_id) == sid, m) for sid, m in known)) if known else None
    beyond = func.sum(case((over > 0, 1), else_=0)) if over is not None else literal(0)
    per_stage: dict[int, tuple[int, int]] = {}
    for sid, n, n_beyond in s.execute(
        select(col(Opportunity.stage_id), func.count(), beyond).where(*where).group_by(col(Opportunity.stage_id))
    ):
        per_stage[int(sid)] = (int(n), int(n_beyond or 0))
    stuck = _stuck(s, p, days, over, where) if over is not None else []
    rows = [
        {
            "key": str(st.id),
            "stage": st.name,
            "stays": len(stays[st.id]),
            "median_days": medians[st.id][0],
            "mean_days": medians[st.id][1],
            "open_now": per_stage.get(st.id, (0, 0))[0],
            "beyond_median": per_stage.get(st.id, (0, 0))[1],
        }
        for st in p.stages
    ]
    columns = (
        Column("stage", _("Stage"), "text"),
        Column("median_days", _("Median days"), "days"),
        Column("mean_days", _("Mean days"), "days"),
        Column("stays", _("Stays")),
        Column("open_now", _("Open now")),
        Column("beyond_median", _("Beyond median")),
    )
    chart = Chart("bar", "stage", ("median_days",))
    return Report("stages", _("Time in stage"), period, p.name, currency, columns, rows, chart, extra={"stuck": stuck})


def _stuck(s: Session, p: PipelineInfo, days: Any, over: Any, where: list[Any]) -> list[dict[str, Any]]:
    """The open deals longest beyond their stage's median."""
    names = {st.id: st.name for st in p.stages}
    return [
        {
            "id": o.id,
            "title": o.title,
            "contact": c.display_name,
            "stage": names.get(o.stage_id, ""),
            "days": round(float(d), 1),
            "beyond_median": round(float(x), 1),
        }
        for o, c, d, x in s.execute(
            select(Opportunity, Contact, days, over)
            .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
            .where(*where, over > 0)
            .order_by(over.desc(), col(Opportunity.id))
            .limit(STUCK_LIMIT)
        )
    ]


def stage_items(s: Session, dialect: str, p: PipelineInfo, key: str, now: datetime) -> list[ReportItem]:
    """The open deals at a stage now, longest there first."""
    _days, where = _open_now(dialect, p, now)
    stmt = (
        select(Opportunity, Contact)
        .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
        .where(*where, col(Opportunity.stage_id) == int(key))
        .order_by(col(Opportunity.last_stage_change_at), col(Opportunity.id))
    )
    return deal_items(s, stmt)
