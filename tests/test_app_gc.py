"""The launcher's garbage-collector hand-off (cli.run_tui pauses it before the heavy imports)."""

from __future__ import annotations

import gc

from koachify_tui.app import resume_gc


def test_resume_gc_freezes_the_start_up_heap_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    gc.disable()
    try:
        resume_gc()
        assert gc.isenabled() and gc.get_freeze_count() > 1000
        assert gc.get_threshold() == (10_000, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        gc.enable()


def test_resume_gc_leaves_a_running_collector_alone() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.set_threshold(700, 10, 10)
    try:
        resume_gc()
        assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == frozen
    finally:
        gc.set_threshold(*before)
