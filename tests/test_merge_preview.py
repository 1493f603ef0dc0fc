"""store.merge_preview: the read-only side-by-side the Duplicates screen shows before a merge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from koachify_tui.store import DEFAULT_PIPELINE, InvalidValue, NotFound, Store


def _pair(store: Store) -> tuple[int, int]:
    a = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it", company="Acme", tags=["VIP"])
    b = store.create_contact(
        first_name="Mario", last_name="Rossi", email="MARIO@x.it", phone="+39 333 1234567", company="Acme srl"
    )
    return a.id or 0, b.id or 0


def test_fields_conflicts_and_defaults(store: Store) -> None:
    a, b = _pair(store)
    preview = store.merge_preview([a, b])
    by_key = {f.key: f for f in preview.fields}
    assert preview.contact_ids == (a, b)
    assert by_key["first_name"].values == ("Mario", "Mario") and not by_key["first_name"].conflict
    assert not by_key["email"].conflict  # the same address in another case
    assert by_key["company"].conflict and by_key["company"].values == ("Acme", "Acme srl")
    assert not by_key["phone"].conflict  # one empty, one set: nothing to choose
    picks = preview.picks(a)
    assert picks["company"] == a  # the survivor's value by default
    assert picks["phone"] == b  # non-empty beats empty
    assert "source" not in picks  # empty everywhere: nothing to decide
    assert preview.picks(b)["company"] == b
    assert preview.picks(a, {"company": b})["company"] == b


def test_counts_per_contact(store: Store) -> None:
    a, b = _pair(store)
    store.create_opportunity(b, "Coaching", DEFAULT_PIPELINE)
    store.add_note("first call", contact_id=b)
    store.add_note("second call", contact_id=b)
    store.add_task("Follow up", contact_id=a)
    store.add_appointment("Intro", datetime(2026, 12, 3, 10, tzinfo=UTC), contact_id=b)
    store.log_message("Hi", contact_id=b, channel="email")
    store.add_contact_channel(a, "email", "mario.rossi@gmail.com")
    preview = store.merge_preview([a, b])
    first, second = preview.summary(a), preview.summary(b)
    assert (first.deals, first.notes, first.tasks, first.appointments, first.messages) == (0, 0, 1, 0, 0)
    assert (second.deals, second.notes, second.tasks, second.appointments, second.messages) == (1, 2, 0, 1, 1)
    assert first.tags == ("VIP",) and second.tags == ()
    assert first.extra_emails == ("mario.rossi@gmail.com",)
    assert second.items == 5 and second.display_name == "Mario Rossi"
    assert first.created_at <= second.created_at


def test_custom_fields(store: Store) -> None:
    a, b = _pair(store)
    store.define_field("contact", "Goal")
    store.define_field("contact", "Unused")
    store.set_field_value("contact", a, "goal", "Run 10k")
    store.set_field_value("contact", b, "goal", "Marathon")
    by_key = {f.key: f for f in store.merge_preview([b, a]).fields}
    assert by_key["custom.goal"].values == ("Marathon", "Run 10k") and by_key["custom.goal"].conflict
    assert by_key["custom.goal"].label == "Goal"
    assert "custom.unused" not in by_key


def test_bad_input(store: Store) -> None:
    a, b = _pair(store)
    with pytest.raises(InvalidValue):
        store.merge_preview([a, a])
    store.delete_contact(b)
    with pytest.raises(NotFound):
        store.merge_preview([a, b])
