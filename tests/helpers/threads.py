"""Run one function in several threads at once and wait for all of them."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(work: Callable[..., object], count: int, *, with_index: bool = False) -> None:
    """``work()`` (or ``work(i)`` with ``with_index``) in ``count`` threads, started together, all joined."""
    threads = [threading.Thread(target=work, args=(i,) if with_index else ()) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
