"""Pacing of requests to public registries, per process and service, across clients (a
bulk run makes a client per lookup): ``pace(key, min_interval)`` sleeps as needed."""

import threading
import time

_NEXT = {}
_LOCK = threading.Lock()


def pace(key, min_interval):
    if min_interval <= 0:
        return
    with _LOCK:
        now = time.monotonic()
        slot = max(now, _NEXT.get(key, 0.0))
        _NEXT[key] = slot + min_interval
    if slot > now:
        time.sleep(slot - now)
