"""Reports: funnel, revenue, sources, lost reasons, time in stage and activity, for a period and a pipeline.

Every figure is computed here, in SQL that runs on SQLite and PostgreSQL (aggregates in the database; only
medians, which neither spells the same way, in Python over the few values that need them). Amounts are summed
in the account currency only; deals in other currencies are counted in `other_currencies`, never added in.

Definitions (the same for the screen, the JSON and the CSV):
- a deal is *won/lost/abandoned in the period* when its `closed_at` falls in it (created before or not);
- win rate = won / (won + lost + abandoned) among the deals closed in the period;
- sales cycle = days from a won deal's creation to its close;
- funnel: the deals *added* to the pipeline in the period and the furthest stage each has reached;
- time in stage: the stays that ended (by a move) in the period; open deals are measured up to now."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ..i18n import _
from .base import StoreBase
from .errors import InvalidValue
from .models import Contact, Message, Note, Opportunity, OpportunityStatus, Task, utcnow
from .pipelines import PipelineInfo
from .report_period import Bucket, Period, bucket_of, local_day, period_for
from .report_sql import closed_in, days_between, deal_scope
from .report_types import REPORT_NAMES, Chart, Column, Report, ReportItem, median_mean, other_currency_rows, ratio

WON, LOST, ABANDONED = (OpportunityStatus.WON.value, OpportunityStatus.LOST.value, OpportunityStatus.ABANDONED.value)


class ReportsAPI(StoreBase):
    """Read-only reports (see the module docstring for what each number means)."""

    def report(
        self,
        name: str,
        period: Period,
        *,
        pipeline: int | str | None = None,
        currency: str = "EUR",
        by: str | None = None,
        now: datetime | None = None,
    ) -> Report:
        """One report by name (`REPORT_NAMES`). The funnel and time in stage need one pipeline: without
        `pipeline` they use the first. `by` ("month"/"week") picks revenue's buckets (default: weeks for a
        period of a month or less)."""
        if name not in REPORT_NAMES:
            raise InvalidValue(f"unknown report {name!r} ({', '.join(REPORT_NAMES)})")
        currency = currency.upper()
        from . import report_flow  # loaded on first use: every Store (and CLI command) carries this mixin

        with self.read() as s:
            if name in ("funnel", "stages"):
                p = self._report_pipeline(pipeline, required=True)
                assert p is not None
                if name == "funnel":
                    return report_flow.funnel(s, self.dialect, p, period, currency)
                return report_flow.stages(s, self.dialect, p, period, currency, now or utcnow())
            p = self._report_pipeline(pipeline, required=False)
            pid = p.id if p else None
            pname = p.name if p else None
            if name == "revenue":
                return _revenue(s, self.dialect, pid, pname, period, currency, by)
            if name == "sources":
                return _sources(s, pid, pname, period, currency)
            if name == "lost":
                return _lost(s, pid, pname, period, currency)
            return _activity(s, pid, pname, period, currency)

    def report_items(
        self,
        name: str,
        key: str,
        period: Period,
        *,
        pipeline: int | str | None = None,
        now: datetime | None = None,
    ) -> list[ReportItem]:
        """The deals or contacts behind one row/bar of a report (its `key`): at most 500."""
        from . import report_flow

        with self.read() as s:
            if name in ("funnel", "stages"):
                p = self._report_pipeline(pipeline, required=True)
                assert p is not None
                if name == "funnel":
                    return report_flow.funnel_items(s, self.dialect, p, period, key)
                return report_flow.stage_items(s, self.dialect, p, key, now or utcnow())
            p = self._report_pipeline(pipeline, required=False)
            return _items(s, name, key, p.id if p else None, period)

    def report_period(
        self, kind: str, today: date | None = None, *, start: date | None = None, end: date | None = None
    ) -> Period:
        """A period by kind (`PERIOD_KINDS`); "all" runs from the day of the oldest contact or deal."""
        first = None
        if kind == "all":
            with self.read() as s:
                oldest = [
                    s.execute(select(func.min(col(model.created_at)))).scalar() for model in (Contact, Opportunity)
                ]
            days = [local_day(o) for o in oldest if o is not None]
            first = min(days) if days else None
        return period_for(kind, today, start=start, end=end, first=first)

    def _report_pipeline(self, ref: int | str | None, *, required: bool) -> PipelineInfo | None:
        from .pipelines import PipelinesAPI

        assert isinstance(self, PipelinesAPI)
        if ref is not None and ref != "":
            return self.get_pipeline(ref)
        if not required:
            return None
        pipelines = self.list_pipelines()
        if not pipelines:
            raise InvalidValue("there is no pipeline yet")
        return pipelines[0]


# --- revenue --------------------------------------------------------------------------------------------


def _won_by_bucket(
    s: Session, pid: int | None, period: Period, buckets: list[Bucket], currency: str
) -> tuple[list[dict[str, Any]], dict[tuple[Any, str], tuple[int, int]]]:
    start, end = period.bounds
    bucket = bucket_of(col(Opportunity.closed_at), buckets)
    totals: dict[tuple[Any, str], tuple[int, int]] = {}
    for i, cur, n, minor in s.execute(
        select(
            bucket, col(Opportunity.currency), func.count(), func.coalesce(func.sum(col(Opportunity.value_minor)), 0)
        )
        .where(*deal_scope(pid), *closed_in(WON, start, end))
        .group_by(bucket, col(Opportunity.currency))
    ):
        totals[(buckets[int(i)].label, cur)] = (int(n), int(minor))
    rows: list[dict[str, Any]] = []
    for b in buckets:
        n, minor = totals.get((b.label, currency), (0, 0))
        rows.append(
            {"key": b.label, "bucket": b.label, "won": n, "won_minor": minor, "average_minor": minor // n if n else 0}
        )
    return rows, totals


def _revenue(
    s: Session, dialect: str, pid: int | None, pname: str | None, period: Period, currency: str, by: str | None
) -> Report:
    start, end = period.bounds
    months, month_totals = _won_by_bucket(s, pid, period, period.months(), currency)
    weeks, _totals = _won_by_bucket(s, pid, period, period.weeks(), currency)
    closed: dict[str, int] = {
        st: int(n)
        for st, n in s.execute(
            select(col(Opportunity.status), func.count())
            .where(*deal_scope(pid), *closed_in((WON, LOST, ABANDONED), start, end))
            .group_by(col(Opportunity.status))
        )
    }
    cycle = median_mean(
        float(d)
        for (d,) in s.execute(
            select(days_between(dialect, col(Opportunity.closed_at), col(Opportunity.created_at))).where(
                *deal_scope(pid), *closed_in(WON, start, end)
            )
        )
    )
    won_n = sum(r["won"] for r in months)
    won_minor = sum(r["won_minor"] for r in months)
    per_currency: dict[tuple[Any, str], tuple[int, int]] = {}
    for (_label, cur), (n, minor) in month_totals.items():
        old = per_currency.get(("", cur), (0, 0))
        per_currency[("", cur)] = (old[0] + n, old[1] + minor)
    decided = sum(int(closed.get(k, 0)) for k in (WON, LOST, ABANDONED))
    summary = {
        "won": won_n,
        "won_minor": won_minor,
        "average_minor": won_minor // won_n if won_n else 0,
        "won_all_currencies": int(closed.get(WON, 0)),
        "lost": int(closed.get(LOST, 0)),
        "abandoned": int(closed.get(ABANDONED, 0)),
        "win_rate": ratio(int(closed.get(WON, 0)), decided),
        "cycle_median_days": cycle[0],
        "cycle_mean_days": cycle[1],
    }
    by = by or ("week" if (period.end - period.start).days < 31 else "month")
    if by not in ("month", "week"):
        raise InvalidValue(f"unknown grouping {by!r} (month, week)")
    columns = (
        Column("bucket", _("Month") if by == "month" else _("Week"), "text"),
        Column("won", _("Won")),
        Column("won_minor", _("Won value"), "money"),
        Column("average_minor", _("Average"), "money"),
    )
    others = [
        {k: v for k, v in r.items() if k != "group"} for r in other_currency_rows(per_currency, currency, "group")
    ]
    return Report(
        "revenue",
        _("Revenue"),
        period,
        pname,
        currency,
        columns,
        months if by == "month" else weeks,
        Chart("bar", "bucket", ("won_minor",)),
        summary,
        others,
        {"by": by, "months": months, "weeks": weeks},
    )


# --- sources and lost reasons ---------------------------------------------------------------------------


def _sources(s: Session, pid: int | None, pname: str | None, period: Period, currency: str) -> Report:
    """Per acquisition source: new contacts in the period, how many of them have a won deal (to date), and
    the value of the deals won in the period with that source."""
    start, end = period.bounds
    new = [col(Contact.deleted_at).is_(None), col(Contact.created_at) >= start, col(Contact.created_at) < end]
    contacts: dict[str, list[int]] = {
        source: [int(n), 0]
        for source, n in s.execute(select(col(Contact.source), func.count()).where(*new).group_by(col(Contact.source)))
    }
    # Driven from the (few) won deals to their contacts: a correlated EXISTS per new contact lets SQLite's
    # planner pick the status index and scan every won deal for each of 100k contacts.
    for source, converted in s.execute(
        select(col(Contact.source), func.count(func.distinct(col(Contact.id))))
        .select_from(Opportunity)
        .join(Contact, col(Contact.id) == col(Opportunity.contact_id))
        .where(col(Opportunity.status) == WON, *deal_scope(pid), *new)
        .group_by(col(Contact.source))
    ):
        contacts.setdefault(source, [0, 0])[1] = int(converted)
    won: dict[tuple[Any, str], tuple[int, int]] = {}
    for source, cur, n, minor in s.execute(
        select(col(Opportunity.source), col(Opportunity.currency), func.count(), func.sum(col(Opportunity.value_minor)))
        .where(*deal_scope(pid), *closed_in(WON, start, end))
        .group_by(col(Opportunity.source), col(Opportunity.currency))
    ):
        won[(source, cur)] = (int(n), int(minor))
    names = sorted(set(contacts) | {src for src, _cur in won}, key=lambda x: (x == "", x.casefold()))
    rows: list[dict[str, Any]] = []
    for src in names:
        n, converted = contacts.get(src, [0, 0])
        w = won.get((src, currency), (0, 0))
        rows.append(
            {
                "key": src,
                "source": src,
                "new_contacts": n,
                "converted": converted,
                "conversion": ratio(converted, n),
                "won": w[0],
                "won_minor": w[1],
            }
        )
    rows.sort(key=lambda r: (-r["new_contacts"], -r["won_minor"], r["source"].casefold()))
    columns = (
        Column("source", _("Source"), "text"),
        Column("new_contacts", _("New contacts")),
        Column("converted", _("Became clients")),
        Column("conversion", _("Conversion"), "pct"),
        Column("won", _("Won")),
        Column("won_minor", _("Won value"), "money"),
    )
    summary = {
        "new_contacts": sum(r["new_contacts"] for r in rows),
        "converted": sum(r["converted"] for r in rows),
        "won_minor": sum(r["won_minor"] for r in rows),
    }
    chart = Chart("bar", "source", ("new_contacts",))
    others = other_currency_rows(won, currency, "source")
    return Report("sources", _("Sources"), period, pname, currency, columns, rows, chart, summary, others)


def _lost(s: Session, pid: int | None, pname: str | None, period: Period, currency: str) -> Report:
    """Deals lost or abandoned in the period, per status and reason."""
    start, end = period.bounds
    totals: dict[tuple[Any, str], tuple[int, int]] = {}
    for status, reason, cur, n, minor in s.execute(
        select(
            col(Opportunity.status),
            col(Opportunity.lost_reason),
            col(Opportunity.currency),
            func.count(),
            func.sum(col(Opportunity.value_minor)),
        )
        .where(*deal_scope(pid), *closed_in((LOST, ABANDONED), start, end))
        .group_by(col(Opportunity.status), col(Opportunity.lost_reason), col(Opportunity.currency))
    ):
        totals[(f"{status}:{reason}", cur)] = (int(n), int(minor))
    keys = sorted({k for k, _cur in totals})
    rows: list[dict[str, Any]] = []
    for key in keys:
        status, reason = key.split(":", 1)
        count = sum(n for (k, _cur), (n, _m) in totals.items() if k == key)
        rows.append(
            {
                "key": key,
                "status": status,
                "reason": reason,
                "count": count,
                "value_minor": totals.get((key, currency), (0, 0))[1],
            }
        )
    rows.sort(key=lambda r: (r["status"], -r["count"], r["reason"].casefold()))
    columns = (
        Column("status", _("Status"), "text"),
        Column("reason", _("Reason"), "text"),
        Column("count", _("Deals")),
        Column("value_minor", _("Value lost"), "money"),
    )
    summary = {
        "lost": sum(r["count"] for r in rows if r["status"] == LOST),
        "abandoned": sum(r["count"] for r in rows if r["status"] == ABANDONED),
        "value_minor": sum(r["value_minor"] for r in rows),
    }
    chart = Chart("bar", "reason", ("count",))
    others = other_currency_rows(totals, currency, "key")
    return Report("lost", _("Lost reasons"), period, pname, currency, columns, rows, chart, summary, others)


# --- activity -------------------------------------------------------------------------------------------


def _activity(s: Session, pid: int | None, pname: str | None, period: Period, currency: str) -> Report:
    """Notes written, calls and other messages logged, tasks completed, per week. With a pipeline: only those
    on its deals."""
    start, end = period.bounds
    weeks = period.weeks()
    in_pipeline = select(col(Opportunity.id)).where(*deal_scope(pid))
    sources: list[tuple[str, Any, Any, list[Any]]] = [
        ("notes", Note.created_at, Note, []),
        ("calls", Message.at, Message, [col(Message.channel) == "call"]),
        ("messages", Message.at, Message, [col(Message.channel) != "call"]),
        ("tasks_done", Task.done_at, Task, []),
    ]
    counts: dict[tuple[str, int], int] = {}
    for key, ts, model, extra in sources:
        bucket = bucket_of(col(ts), weeks)
        where = [col(model.deleted_at).is_(None), col(ts) >= start, col(ts) < end, *extra]
        if pid is not None:
            where.append(col(model.opportunity_id).in_(in_pipeline))
        for i, n in s.execute(select(bucket, func.count()).where(*where).group_by(bucket)):
            counts[(key, int(i))] = int(n)
    keys = [k for k, *_rest in sources]
    rows: list[dict[str, Any]] = [
        {"key": w.label, "week": w.label, **{k: counts.get((k, i), 0) for k in keys}} for i, w in enumerate(weeks)
    ]
    columns = (
        Column("week", _("Week"), "text"),
        Column("notes", _("Notes")),
        Column("calls", _("Calls")),
        Column("messages", _("Messages")),
        Column("tasks_done", _("Tasks done")),
    )
    summary = {k: sum(r[k] for r in rows) for k in keys}
    chart = Chart("line", "week", tuple(keys))
    return Report("activity", _("Activity"), period, pname, currency, columns, rows, chart, summary)


# --- drill-down -----------------------------------------------------------------------------------------


def _items(s: Session, name: str, key: str, pid: int | None, period: Period) -> list[ReportItem]:
    from . import report_flow

    start, end = period.bounds
    deals = select(Opportunity, Contact).join(Contact, col(Contact.id) == col(Opportunity.contact_id))
    if name == "revenue":
        bucket = next((b for b in period.months() + period.weeks() if b.label == key), None)
        if bucket is None:
            return []
        where = [*deal_scope(pid), *closed_in(WON, max(start, bucket.start), min(end, bucket.end))]
        return report_flow.deal_items(s, deals.where(*where).order_by(col(Opportunity.closed_at)))
    if name == "lost":
        status, reason = key.split(":", 1) if ":" in key else (key, "")
        where = [*deal_scope(pid), *closed_in(status, start, end), col(Opportunity.lost_reason) == reason]
        return report_flow.deal_items(s, deals.where(*where).order_by(col(Opportunity.closed_at)))
    if name == "sources":
        stmt = (
            select(Contact)
            .where(
                col(Contact.deleted_at).is_(None),
                col(Contact.created_at) >= start,
                col(Contact.created_at) < end,
                col(Contact.source) == key,
            )
            .order_by(col(Contact.created_at), col(Contact.id))
            .limit(500)
        )
        return [
            ReportItem("contact", c.id, c.display_name, c.email or c.phone, c.id) for c in s.execute(stmt).scalars()
        ]
    return []
