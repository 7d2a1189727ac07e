"""The garbage collector of a long-running service process, set once its code and app are loaded.

CPython's cyclic collector walks the young objects every 700 allocations and, every so often, every
object the process holds: for a hub or a node mostly modules, classes, functions and settings
loaded at start, which live as long as the process and are never garbage. ``settle`` moves what
the process holds at that moment into the permanent generation (``gc.freeze``), which no collection
walks again. Only for a process that serves until it stops (``hub serve``, ``node serve``): frozen
objects are never freed, so a test process or a library caller must not call it.
docs/PERFORMANCE.md ("The collector") has the figures; collecting young objects less often as well
(a threshold of 7,000) measured no better.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once, then freeze everything still alive: later collections walk only newer objects."""
    gc.collect()
    gc.freeze()
