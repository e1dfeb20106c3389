"""No answer at all, on real sockets: a name that does not resolve, a closed port, a dropped connection, a full
listen queue and a server that never answers; counted in requests made, told in plain words, never slept through."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from aicost import sources as providers
from aicost.config.settings import Settings
from aicost.errors import ProviderUnavailable
from aicost.sources import http, sync
from tests import fakeprovider
from tests.receivers import free_port

KEY = "sk-admin-never-in-a-message-0123456789KEYZ"
NOWHERE = "http://api.nowhere.invalid/v1"  # .invalid never resolves (RFC 2606), offline or not


def client(base_url: str, **kw) -> tuple[http.Client, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("max_retries", 5)
    return http.Client("openai", base_url, {"Authorization": f"Bearer {KEY}"}, secret=KEY, sleep=sleeps.append,
                       **kw), sleeps


def failure(c: http.Client) -> str:
    with pytest.raises(ProviderUnavailable) as info:
        c.get("/organization/costs", {"start_time": 1730419200, "api_key": KEY})
    text = str(info.value)
    assert KEY not in text and KEY[-12:] not in text and "1730419200" not in text and "/organization" not in text
    assert "\n" not in text  # one line
    return text


@pytest.fixture
def listener():
    """A socket that listens on 127.0.0.1 and never accepts: the kernel still completes connections into its queue,
    but nobody reads a request or answers it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def test_a_name_that_does_not_resolve_is_not_retried():
    c, sleeps = client(NOWHERE)
    assert failure(c) == ("openai: cannot find api.nowhere.invalid (the name does not resolve: is this machine "
                          "online, is the base URL right?)")
    assert c.requests == 1 and sleeps == []


def test_a_refused_connection_is_retried_once_after_a_short_wait():
    port = free_port()  # bound and closed again: nothing listens there
    c, sleeps = client(f"http://127.0.0.1:{port}/v1")
    assert failure(c).startswith(f"openai: 127.0.0.1:{port} refused the connection")
    assert c.requests == 2 and len(sleeps) == 1 and 0 < sleeps[0] <= http.BASE_DELAY
    none, sleeps = client(f"http://127.0.0.1:{port}/v1", max_retries=0)
    failure(none)
    assert none.requests == 1 and sleeps == []


def test_a_connection_reset_before_any_answer_is_retried_once(listener):
    def reset_each():
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a RST
            conn.close()

    thread = threading.Thread(target=reset_each, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    c, sleeps = client(f"http://127.0.0.1:{port}/v1")
    assert failure(c) == f"openai: 127.0.0.1:{port} closed the connection before answering"
    assert c.requests == 2 and len(sleeps) == 1
    thread.join()


def test_a_dropped_connection_then_an_answer_recovers(fake):
    fake.fault("drop", path=fakeprovider.OA_COSTS)
    sleeps: list[float] = []
    c = http.Client("openai", fake.openai_base_url, {"Authorization": f"Bearer {fakeprovider.OPENAI_KEY}"},
                    sleep=sleeps.append)
    assert "data" in c.get("/organization/costs", {"start_time": 1730419200, "limit": 1})
    assert c.requests == 2 and len(sleeps) == 1


def test_a_connection_not_made_in_time_is_retried_once():
    # A full accept queue drops new SYNs without an answer (Linux): the connect itself times out.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    port, fillers = sock.getsockname()[1], []
    try:
        for _ in range(16):
            filler = socket.socket()
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", port))
            except TimeoutError:
                filler.close()
                break
            fillers.append(filler)
        else:
            pytest.fail("the listen queue never filled: this kernel answers every connection")
        c, sleeps = client(f"http://127.0.0.1:{port}/v1", connect_timeout=0.2)
        assert failure(c) == f"openai: no connection to 127.0.0.1:{port} within 0.2 s"
        assert c.requests == 2 and len(sleeps) == 1
    finally:
        for filler in fillers:
            filler.close()
        sock.close()


def test_no_answer_in_time_keeps_the_usual_retries(listener):
    port = listener.getsockname()[1]
    c, sleeps = client(f"http://127.0.0.1:{port}/v1", timeout=0.2, max_retries=2)
    assert failure(c) == f"openai: no answer from 127.0.0.1:{port} within 0.2 s"
    assert c.requests == 3 and len(sleeps) == 2


def test_server_errors_keep_the_usual_retries(fake):
    fake.fault("503", path=fakeprovider.OA_COSTS, times=None)
    sleeps: list[float] = []
    c = http.Client("openai", fake.openai_base_url, {"Authorization": f"Bearer {fakeprovider.OPENAI_KEY}"},
                    sleep=sleeps.append)
    with pytest.raises(ProviderUnavailable, match="HTTP 503"):
        c.get("/organization/costs", {"start_time": 1730419200})
    assert c.requests == 6 and len(sleeps) == 5 and sleeps[4] > sleeps[0] * 4  # max_retries, exponential


def test_the_connect_timeout_is_short_and_the_read_timeout_is_the_setting(monkeypatch):
    monkeypatch.setenv("AICOST_OPENAI_ADMIN_KEY", KEY)
    monkeypatch.setenv("AICOST_REQUEST_TIMEOUT_SECONDS", "30")
    client = providers.build("openai", Settings()).client
    assert (client.connect_timeout, client.timeout) == (http.CONNECT_TIMEOUT, 30)
    assert http.Client("openai", NOWHERE, {}, timeout=2).connect_timeout == 2  # never longer than the whole wait


def test_testing_a_key_offline_says_so_at_once(monkeypatch):
    monkeypatch.setenv("AICOST_OPENAI_BASE_URL", NOWHERE)
    with pytest.raises(ProviderUnavailable, match="cannot find api.nowhere.invalid"):
        sync.check_key(Settings(), "openai", KEY)


def test_the_settings_page_says_the_name_does_not_resolve(app_test, monkeypatch):
    monkeypatch.setenv("AICOST_OPENAI_BASE_URL", NOWHERE)
    monkeypatch.delenv("AICOST_OPENAI_ADMIN_KEY", raising=False)
    at = app_test("pages/settings.py").run()
    at.text_input(key="key_openai").input(KEY).run()
    at.button(key="test_openai").click().run()
    assert not at.exception
    assert at.error[0].value == ("The test failed: cannot find api.nowhere.invalid (the name does not resolve: is "
                                 "this machine online, is the base URL right?)")
