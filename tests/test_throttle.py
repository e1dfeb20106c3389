"""Password guesses are limited: a client waits longer after each wrong try, everybody waits when wrong tries pour
in, and one expensive hash check runs at a time (a fake clock: nothing sleeps)."""

from __future__ import annotations

import threading
import time

from aicost import throttle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_longer_after_each_wrong_try_and_the_right_one_waits_too():
    clock = Clock()
    t = throttle.Throttle(clock=clock)
    wrong = lambda: False  # noqa: E731
    for _ in range(throttle.FREE_TRIES):
        assert t.check("1.2.3.4", wrong) == (False, 0.0)
    assert t.check("1.2.3.4", wrong) == (False, 2.0)  # the 4th wrong try: 2 s
    checked = []
    assert t.check("1.2.3.4", lambda: checked.append(1) or True) == (False, 2.0)  # even the right one waits
    assert checked == []  # and is not even hashed
    clock.now += 2
    assert t.check("1.2.3.4", wrong) == (False, 4.0)  # then 4 s, 8 s ...
    assert t.wait("5.6.7.8") == 0  # another client is not held up by this one
    clock.now += 4
    assert t.check("1.2.3.4", lambda: True) == (True, 0.0)
    assert t.wait("1.2.3.4") == 0  # a right password clears the client's record


def test_wrong_tries_from_everywhere_make_everybody_wait():
    clock = Clock()
    t = throttle.Throttle(clock=clock)
    for n in range(throttle.GLOBAL_TRIES):
        t.check(f"10.0.0.{n}", lambda: False)  # a new address each time: none reaches its own limit
    assert t.wait("192.168.1.1") == throttle.GLOBAL_WAIT
    clock.now += throttle.GLOBAL_WAIT
    assert t.wait("192.168.1.1") == 0


def test_one_hash_check_at_a_time():
    t = throttle.Throttle()
    running, most, lock = [0], [0], threading.Lock()

    def verify() -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return True

    threads = [threading.Thread(target=t.check, args=(f"c{i}", verify)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert most[0] == 1  # each scrypt check takes ~32 MiB: never eight at once
