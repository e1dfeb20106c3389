"""Password guesses, limited: per client an exponential wait after a few wrong tries, a wait for everybody when
wrong tries pour in from anywhere, and one expensive hash check at a time (scrypt takes ~32 MiB each), so that
guessing is slow and cannot exhaust memory. The clock is monotonic and injectable (tests do not sleep)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_TRIES = 3  # wrong passwords a client may give before it waits
FIRST_WAIT = 2.0  # seconds after the first wrong try past FREE_TRIES; doubled each further one
MAX_WAIT = 900.0
GLOBAL_TRIES = 20  # wrong passwords from all clients within GLOBAL_WINDOW ...
GLOBAL_WINDOW = 60.0
GLOBAL_WAIT = 60.0  # ... make everybody wait this long


@dataclass
class _Client:
    failures: int = 0
    until: float = 0.0


@dataclass
class Throttle:
    """Who may try a password now, and how long the others wait; check() runs one hash check at a time."""

    clock: Callable[[], float] = time.monotonic
    _clients: dict[str, _Client] = field(default_factory=dict)
    _recent: deque = field(default_factory=deque)
    _global_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checking: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds before this client may try again (0: now)."""
        now = self.clock()
        with self._lock:
            own = self._clients.get(client, _Client()).until
            return max(own - now, self._global_until - now, 0.0)

    def check(self, client: str, verify: Callable[[], bool]) -> tuple[bool, float]:
        """(right, seconds to wait): runs verify() only when the client may try, one check at a time in the
        process; a wrong password lengthens the client's wait and counts towards everybody's."""
        waiting = self.wait(client)
        if waiting > 0:
            return False, waiting
        with self._checking:
            right = verify()
        now = self.clock()
        with self._lock:
            if right:
                self._clients.pop(client, None)
                return True, 0.0
            state = self._clients.setdefault(client, _Client())
            state.failures += 1
            if state.failures > FREE_TRIES:
                state.until = now + min(FIRST_WAIT * 2 ** (state.failures - FREE_TRIES - 1), MAX_WAIT)
            self._recent.append(now)
            while self._recent and self._recent[0] < now - GLOBAL_WINDOW:
                self._recent.popleft()
            if len(self._recent) >= GLOBAL_TRIES:
                self._global_until = now + GLOBAL_WAIT
                self._recent.clear()
        return False, self.wait(client)
