"""A served process's collector: what was loaded at start is frozen, new garbage is still collected."""

from __future__ import annotations

import json
import subprocess
import sys

# In a child process: freezing the test process's own heap would keep its garbage for the whole run.
_CHILD = """
import gc, json, weakref
import singlewindow.hub  # what a hub process has loaded before it serves
from singlewindow.heap import settle

settle()
frozen = gc.get_freeze_count()

class Cycle:
    pass

garbage = Cycle()
garbage.itself = garbage  # only the cyclic collector frees it
alive = weakref.ref(garbage)
del garbage
kept = [[] for _ in range(3 * gc.get_threshold()[0])]  # enough allocations for a young collection
print(json.dumps({"frozen": frozen, "cycle_freed": alive() is None}))
"""


def test_settle_freezes_the_loaded_code_and_new_cycles_are_still_freed() -> None:
    answer = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    seen = json.loads(answer.stdout)
    assert seen["frozen"] > 10_000  # modules, classes and functions of the hub and its libraries
    assert seen["cycle_freed"] is True  # without any explicit gc.collect()
