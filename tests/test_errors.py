"""Each exception class raised by its case; retries seen from Python."""

from __future__ import annotations

import socket
import time

import do_envsync
import pytest
from do_envsync import (
    AuthenticationError,
    Client,
    ConflictError,
    DecodeError,
    DigitalOceanError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_hierarchy() -> None:
    for cls in (
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ValidationError,
        ConflictError,
        RateLimitError,
        ServerError,
        TransportError,
        DecodeError,
    ):
        assert issubclass(cls, DigitalOceanError)


def test_authentication_error(emu: Emulator) -> None:
    bad = Client("dop_v1_" + "0" * 64, base_url=emu.base_url)
    with pytest.raises(AuthenticationError) as info:
        bad.account.get()
    err = info.value
    assert err.status == 401 and err.error_id == "unauthorized" and err.message
    assert err.request_id
    assert "0" * 64 not in str(err) + repr(err)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (403, PermissionDeniedError),
        (409, ConflictError),
        (422, ValidationError),
        (418, DigitalOceanError),
    ],
)
def test_status_mapping(client: Client, emu: Emulator, status: int, cls: type) -> None:
    emu.add_fault("status", status=status, method="GET", path="^/v2/account$", count=1)
    with pytest.raises(cls) as info:
        client.account.get()
    assert info.value.status == status


def test_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as info:
        client.apps.get("4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf")
    assert info.value.error_id == "not_found"


def test_validation_error_changes_nothing(client: Client, emu: Emulator) -> None:
    bad = make_spec(envs=[{"key": "1BAD-KEY", "value": CANARY_SECRET, "type": "SECRET"}])
    with pytest.raises(ValidationError) as info:
        client.apps.create(bad)
    assert info.value.status in (400, 422)
    assert "1BAD-KEY" in info.value.message
    assert CANARY_SECRET not in str(info.value)
    assert list(client.apps.list()) == []


def test_rate_limit_error_carries_retry_after(emu: Emulator) -> None:
    client = emu.client(retry_budget=0.5, pacing=False)
    emu.set_rate_limits(2, 5000)
    client.account.get()
    client.account.get()
    with pytest.raises(RateLimitError) as info:
        client.account.get()
    assert info.value.status == 429
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    rl = client.rate_limit
    # The headers describe the hourly limit; remaining drops to 0 when the burst limit hits.
    assert rl is not None and rl.limit == 5000 and rl.remaining == 0


def _assert_each_429_retried_after_retry_after(emu: Emulator) -> int:
    """Every 429 was a burst 429 (with retry-after), and the same request came again no
    earlier than retry-after later (both times are the emulator's). Returns the 429s."""
    log = emu.requests()
    limited = 0
    for i, r in enumerate(log):
        if r.status != 429:
            continue
        limited += 1
        assert r.retry_after is not None, "a burst 429 carries retry-after"
        retry = next(n for n in log[i + 1 :] if (n.method, n.path) == (r.method, r.path))
        assert retry.ts - r.ts >= r.retry_after - 0.001, (r, retry)
    return limited


def test_burst_429s_are_waited_out_for_retry_after_not_an_hour(emu: Emulator) -> None:
    # 3 requests per 1 s window: the 429s look like DigitalOcean's burst sample (remaining 0,
    # reset up to an hour away, retry-after 1); the client waits retry-after and goes on.
    emu.set_rate_limits(3, 5000, burst_window=1.0)
    client = emu.client()
    for _ in range(8):
        assert client.account.get().status == "active"
    limited = _assert_each_429_retried_after_retry_after(emu)
    assert limited >= 1
    burst = next(r for r in emu.requests() if r.status == 429)
    assert burst.retry_after == 1
    rl = client.rate_limit
    assert rl is not None and rl.limit == 5000


def _spend_the_hourly_quota(emu: Emulator, hourly_window: float) -> None:
    """Two requests per (shortened) hour, both spent by another client of the token (one
    that does not pace: pacing spreads a budget this small over the whole hour)."""
    emu.set_rate_limits(250, 2, hourly_window=hourly_window)
    other = emu.client(pacing=False)
    other.account.get()
    other.account.get()


def test_the_hourly_quota_beyond_the_budget_raises_the_time_to_reset(emu: Emulator) -> None:
    # The next request meets the quota: a 429 without retry-after, whose reset is ~600 s
    # away, beyond the 5 s retry budget: no retry, and retry_after says how long to reset.
    _spend_the_hourly_quota(emu, 600.0)
    client = emu.client(retry_budget=5.0)
    with pytest.raises(RateLimitError) as info:
        client.account.get()
    assert info.value.message == "API Rate limit exceeded."  # DigitalOcean's, not ours
    assert info.value.retry_after is not None and 590 < info.value.retry_after <= 602
    assert emu.request_count("GET", "/v2/account") == 3
    assert emu.requests()[-1].retry_after is None
    # Until reset the client refuses without sending.
    with pytest.raises(RateLimitError) as again:
        client.account.get()
    assert again.value.retry_after is not None and again.value.retry_after > 590
    assert emu.request_count("GET", "/v2/account") == 3


def test_the_hourly_quota_within_the_budget_is_waited_for(emu: Emulator) -> None:
    _spend_the_hourly_quota(emu, 2.0)
    client = emu.client(retry_budget=10.0)
    t0 = time.monotonic()
    assert client.account.get().status == "active"
    assert time.monotonic() - t0 >= 0.9, "sent again before the quota's reset"
    statuses = [r.status for r in emu.requests()]
    assert statuses == [200, 200, 429, 200]


def test_server_error_after_retries(emu: Emulator) -> None:
    client = emu.client(max_attempts=3, retry_budget=5.0)
    emu.add_fault("status", status=500, method="GET", path="^/v2/account$")
    with pytest.raises(ServerError) as info:
        client.account.get()
    assert info.value.status == 500
    assert emu.request_count("GET", "/v2/account") == 3


def test_transient_faults_are_retried(emu: Emulator) -> None:
    client = emu.client(max_attempts=6, retry_budget=20.0)
    for status in (429, 500, 502, 503, 504):
        emu.add_fault("status", status=status, method="GET", path="^/v2/account$", count=1)
    assert client.account.get().status == "active"
    assert emu.request_count("GET", "/v2/account") == 6


def test_create_is_never_retried(client: Client, emu: Emulator) -> None:
    emu.add_fault("status", status=503, method="POST", path="^/v2/apps$", count=1)
    with pytest.raises(ServerError):
        client.apps.create(make_spec())
    assert emu.request_count("POST", "/v2/apps") == 1


def test_transport_error() -> None:
    client = Client(
        "dop_v1_x", base_url=f"http://127.0.0.1:{_free_port()}", max_attempts=2, retry_budget=1.0
    )
    with pytest.raises(TransportError) as info:
        client.account.get()
    assert info.value.status is None


def test_connection_reset_is_retried(client: Client, emu: Emulator) -> None:
    emu.add_fault("reset", method="GET", path="^/v2/account$", count=1)
    assert client.account.get().status == "active"


def test_decode_error(client: Client, emu: Emulator) -> None:
    emu.add_fault("malformed", method="GET", path="^/v2/account$", count=1)
    with pytest.raises(DecodeError) as info:
        client.account.get()
    assert info.value.status == 200


def test_off_origin_next_link_is_refused(client: Client, emu: Emulator) -> None:
    emu.seed_app(make_spec("one"))
    emu.add_fault(
        "off_origin_next",
        url="http://198.51.100.9:1/v2/apps?page=2",
        method="GET",
        path="^/v2/apps$",
    )
    with pytest.raises(DigitalOceanError) as info:
        list(client.apps.list())
    assert "198.51.100.9" in str(info.value)


def test_bad_base_url_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Client("dop_v1_x", base_url="http://api.example.com")


def test_missing_token_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN", raising=False)
    with pytest.raises(ValueError):
        do_envsync.Client()


def test_token_from_environment(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", emu.token)
    assert Client(base_url=emu.base_url).account.get().status == "active"
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "dop_v1_wrong")
    with pytest.raises(AuthenticationError):
        Client(base_url=emu.base_url).account.get()


def test_retry_after_is_honoured(client: Client, emu: Emulator) -> None:
    emu.add_fault("status", status=429, retry_after=1, method="GET", path="^/v2/account$", count=1)
    t0 = time.monotonic()
    client.account.get()
    assert time.monotonic() - t0 >= 0.95
