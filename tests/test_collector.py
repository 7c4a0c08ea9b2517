"""The garbage collector's policy during builds (masthead/collector.py): each context
manager leaves the collector as it found it, whatever the block raised."""

from __future__ import annotations

import gc

import pytest

from masthead.collector import fewer_collections, no_collections, settle, thawed_at_the_end


@pytest.fixture(autouse=True)
def _collector_restored():
    """The thresholds and the collector's switch as found (conftest's own fixture thaws
    what a test froze)."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_no_collections_inside_and_what_was_made_is_frozen_even_on_failure() -> None:
    gc.enable()
    with pytest.raises(ValueError), no_collections():
        assert not gc.isenabled()
        made = [object() for _ in range(10)]
        raise ValueError(made)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_no_collections_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with no_collections():
        pass
    assert not gc.isenabled()


def test_fewer_collections_raises_the_thresholds_for_the_block_only() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == (50_000, 20, 20)
        raise RuntimeError
    assert gc.get_threshold() == (700, 10, 10)


def test_what_a_build_froze_is_thawed_unless_the_process_keeps_it() -> None:
    gc.unfreeze()
    with thawed_at_the_end(), no_collections():
        pass
    assert gc.get_freeze_count() == 0
    with thawed_at_the_end(keep_frozen=True), no_collections():
        pass
    assert gc.get_freeze_count() > 0


def test_what_the_caller_froze_stays_frozen() -> None:
    settle()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    with thawed_at_the_end(), no_collections():
        pass
    assert gc.get_freeze_count() >= frozen
