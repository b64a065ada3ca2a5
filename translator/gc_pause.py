"""Pausing Python's cycle collector over work that builds many long-lived objects and no cycles.

The collector runs whenever allocations outnumber deallocations by a few hundred, and each run
rescans the objects of the younger generations (and, from time to time, every object): a job
that builds millions of objects it keeps (a loaded snapshot, the diff's memo tables) pays for
scans that find nothing to free. Reference counting still frees everything else at once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """The collector off inside the block, and back on afterwards if it was on before (so nested
    pauses and callers that turned it off themselves keep their setting)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote_survivors()
            gc.enable()


def _promote_survivors() -> None:
    """Move what the block built into the oldest generation without scanning it: else the first
    collection after the pause scans all of it at once as young objects (seconds for a big diff)
    only to find it alive. Later full collections still see it. Left alone when the process
    keeps objects frozen itself (`gc.freeze`): unfreezing would release its objects too."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
