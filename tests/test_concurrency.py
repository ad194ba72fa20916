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


def test_threads_run_concurrently(client: Client, emu: Emulator) -> None:
    emu.add_fault("delay", delay=0.4, method="GET", path="^/v2/account$", count=8)
    results: list[str | None] = []

    def work() -> None:
        results.append(client.account.get().status)

    threads = [threading.Thread(target=work) for _ in range(8)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    assert results == ["active"] * 8
    # Serialized under the GIL this would take 8 x 0.4 s.
    assert elapsed < 1.6, elapsed


def test_ctrl_c_interrupts_a_blocking_call(client: Client, emu: Emulator) -> None:
    emu.add_fault("delay", delay=20, method="GET", path="^/v2/account$", count=1)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.account.get()
    assert time.monotonic() - t0 < 3
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
    emu.add_fault("delay", delay=0.3, method="GET", path="^/v2/apps/", count=32)
    t0 = time.monotonic()
    apps = await asyncio.gather(*(client.apps.get(app.id) for _ in range(32)))
    assert time.monotonic() - t0 < 2.0
    assert {a.id for a in apps} == {app.id}


async def test_async_iteration_across_pages(emu: Emulator) -> None:
    for i in range(250):
        emu.seed_app(make_spec(f"a-{i:03d}"))
    client = emu.async_client()
    count = 0
    async for _ in client.apps.list():
        count += 1
    assert count == 250
    assert emu.request_count("GET", "/v2/apps") == 2
