"""The cycle collector's pause: off inside, as before outside, and what the block built is
moved to the oldest generation rather than scanned as young objects."""

from __future__ import annotations

import gc

from translator.gc_pause import cycle_collector_paused


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
        with cycle_collector_paused():  # nested: the inner one keeps it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_it_comes_back_on_after_an_exception() -> None:
    try:
        with cycle_collector_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()


def test_what_the_block_built_is_in_the_oldest_generation() -> None:
    with cycle_collector_paused():
        kept = [[i] for i in range(20_000)]  # tracked containers
    # Else the first collection after the pause would scan all of them as young objects.
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept) in oldest
    assert all(id(item) in oldest for item in kept)


def test_frozen_objects_of_the_process_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with cycle_collector_paused():
            _ = [[i] for i in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
