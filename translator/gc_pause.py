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
            gc.enable()
