"""The GIL is released during I/O, Ctrl-C interrupts, and the async client matches the sync one."""

from __future__ import annotations

import _thread
import asyncio
import threading
import time

import pytest
from do_envsync import AsyncClient, Client, NotFoundError, ValidationError, models
from do_envsync.testing import Emulator

from .conftest import make_spec


def in_flight_at_once(emu: Emulator) -> int:
    """The most requests the emulator held at the same moment (from arrival and answer
    times in its log): concurrency shown by events, not by a wall-clock bound."""
    spans = [(r.ts, r.ts + r.response_ms / 1000) for r in emu.requests()]
    return max(sum(1 for a, b in spans if a <= start < b) for start, _ in spans)


def test_threads_run_concurrently(client: Client, emu: Emulator) -> None:
    # Each answer is held 2 s: eight requests sent one after another (serialized under
    # the GIL) would never be in flight together.
    emu.add_fault("delay", delay=2.0, method="GET", path="^/v2/account$", count=8)
    emu.clear_requests()
    results: list[str | None] = []

    def work() -> None:
        results.append(client.account.get().status)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["active"] * 8
    assert in_flight_at_once(emu) == 8


def test_ctrl_c_interrupts_a_blocking_call(client: Client, emu: Emulator) -> None:
    emu.add_fault("delay", delay=20, method="GET", path="^/v2/account$", count=1)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.account.get()
    # Interrupted, not answered: the emulator holds the answer for 20 s.
    assert time.monotonic() - t0 < 15
    timer.cancel()


async def test_async_parity(emu: Emulator) -> None:
    client: AsyncClient = emu.async_client()
    account = await client.account.get()
    assert isinstance(account, models.Account) and account.status == "active"
    app = await client.apps.create(make_spec())
    assert app.id and app.spec
    got = await client.apps.get(app.id)
    assert got.to_dict()["spec"] == app.to_dict()["spec"]
    updated = await client.apps.update(app.id, got.spec)  # type: ignore[arg-type]
    assert updated.id == app.id
    names = [a.spec.name async for a in client.apps.list() if a.spec]
    assert names == ["shop"]
    deps = [d async for d in client.apps.list_deployments(app.id)]
    assert len(deps) == 2
    raw = await client.request("GET", "/v2/account")
    assert raw["account"]["status"] == "active"
    assert client.rate_limit is not None
    with pytest.raises(NotFoundError):
        await client.apps.get("4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf")
    with pytest.raises(ValidationError):
        await client.apps.create({"region": "nyc"})


async def test_async_many_concurrent_requests(emu: Emulator) -> None:
    client = emu.async_client()
    app = await client.apps.create(make_spec())
    assert app.id
    emu.add_fault("delay", delay=2.0, method="GET", path="^/v2/apps/", count=32)
    emu.clear_requests()
    apps = await asyncio.gather(*(client.apps.get(app.id) for _ in range(32)))
    assert {a.id for a in apps} == {app.id}
    assert in_flight_at_once(emu) == 32


async def test_async_iteration_across_pages(emu: Emulator) -> None:
    for i in range(250):
        emu.seed_app(make_spec(f"a-{i:03d}"))
    client = emu.async_client()
    count = 0
    async for _ in client.apps.list():
        count += 1
    assert count == 250
    assert emu.request_count("GET", "/v2/apps") == 2
