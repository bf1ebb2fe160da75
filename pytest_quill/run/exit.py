"""How a run's processes end: without the interpreter's last full garbage
collection.

At exit CPython collects every object a process still holds. In a run that is
about 0.3 s per xdist worker, which the controller waits for before it writes
the record, and 0.15 s in the controller itself (docs/performance.md, "Where a
warm run's time goes"). Frozen objects are still freed by reference counting as
the interpreter clears its modules; only objects caught in reference cycles at
exit are not finalized, which Python never promised and nothing in a run needs
(files, consoles and devices are closed by their owners before the end).
"""

from __future__ import annotations

import atexit
import gc


def skip_final_collection() -> None:
    """Freeze the heap once the exit handlers start. Registered once per
    process, and last (atexit runs handlers last-in, first-out): the handlers
    that run after it collect what they make, as usual."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
