"""Listing: pages split into items in Rust, items decoded one at a time in Python, and the
next page read ahead once a listing goes past its first page (never before)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from do_envsync import DecodeError, models
from do_envsync._transport import iter_items, loads
from do_envsync.testing import Emulator

from .conftest import make_spec

APPS = 9  # five pages of two


@pytest.fixture
def nine_apps(emu: Emulator) -> list[str]:
    names = [f"app-{i}" for i in range(APPS)]
    for name in names:
        emu.seed_app(make_spec(name))
    emu.clear_requests()
    return names


def list_gets(emu: Emulator) -> list[str]:
    return [r.query or "" for r in emu.requests() if r.method == "GET" and r.path == "/v2/apps"]


def settle() -> None:
    """Time for a page read ahead that should NOT happen to show up (a loaded machine
    only makes a wrong extra request less likely to be seen, never a right one fail)."""
    time.sleep(0.3)


def wait_for_gets(emu: Emulator, n: int) -> list[str]:
    """Waits (generously) until the emulator got `n` list requests, then settles and
    returns them all: a read-ahead that must happen is waited for, not timed."""
    deadline = time.monotonic() + 30
    while len(list_gets(emu)) < n:
        assert time.monotonic() < deadline, f"only {list_gets(emu)} of {n} list requests"
        time.sleep(0.01)
    settle()
    return list_gets(emu)


def test_every_item_arrives_in_order_with_one_request_per_page(
    emu: Emulator, nine_apps: list[str]
) -> None:
    native = emu.client()._native
    pages = list(native.pages("list", {}, [("per_page", "2")]))
    assert [len(p) for p in pages] == [2, 2, 2, 2, 1]
    items = [json.loads(item) for page in pages for item in page]
    assert sorted(a["spec"]["name"] for a in items) == sorted(nine_apps)
    assert len({a["id"] for a in items}) == APPS
    settle()
    # Five pages, five requests: the read-ahead stops at the last page.
    assert len(list_gets(emu)) == 5


def test_the_public_listing_yields_models(emu: Emulator, nine_apps: list[str]) -> None:
    apps = list(emu.client().apps.list())
    assert all(isinstance(a, models.App) for a in apps)
    assert sorted(a.spec.name for a in apps if a.spec) == sorted(nine_apps)
    # Unknown fields survive: every item is decoded whole.
    assert all(
        a.to_dict()["spec"]["services"][0]["future_field"] == {"nested": [1, 2.5, None, "x"]}
        for a in apps
    )


def test_stopping_after_the_first_page_costs_no_extra_request(
    emu: Emulator, nine_apps: list[str]
) -> None:
    it = emu.client()._native.pages("list", {}, [("per_page", "2")])
    assert len(next(it)) == 2
    del it
    settle()
    assert len(list_gets(emu)) == 1


def test_stopping_later_costs_at_most_one_page_read_ahead(
    emu: Emulator, nine_apps: list[str]
) -> None:
    it = emu.client()._native.pages("list", {}, [("per_page", "2")])
    next(it)
    next(it)
    # Pages 1 and 2 were asked for; page 3 was read ahead while page 2 was in use.
    gets = wait_for_gets(emu, 3)
    assert len(gets) == 3, gets
    assert "page=3" in gets[-1]
    assert it.pages_fetched == 2
    third = next(it)
    assert len(third) == 2
    assert len(wait_for_gets(emu, 4)) == 4  # page 4 now on its way, nothing more
    del it
    settle()
    assert len(list_gets(emu)) == 4


def test_async_listing_matches_the_blocking_one(emu: Emulator, nine_apps: list[str]) -> None:
    async def collect() -> list[str]:
        native = emu.async_client()._native
        names = []
        async for page in native.pages("list", {}, [("per_page", "2")]):
            names += [json.loads(item)["spec"]["name"] for item in page]
        return names

    assert sorted(asyncio.run(collect())) == sorted(nine_apps)
    settle()
    assert len(list_gets(emu)) == 5


def test_a_malformed_page_is_a_decode_error_with_no_body_dump(
    emu: Emulator, nine_apps: list[str]
) -> None:
    emu.add_fault("malformed", method="GET", path="^/v2/apps$", count=1)
    with pytest.raises(DecodeError) as info:
        list(iter_items(emu.client()._native, "list", {}, [], models.App))
    assert info.value.status == 200
    assert len(str(info.value)) < 600


def test_a_body_python_cannot_decode_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as info:
        loads(b'{"apps": [1, 2')
    assert info.value.status == 200
    assert "EOF" in str(info.value) or "end" in str(info.value)
    # Integers beyond 64 bits are decoded exactly (through `json`), never as floats.
    assert loads(b'{"n": 123456789012345678901234567890}') == {"n": 123456789012345678901234567890}
    assert loads(b'{"n": 12345678901234567}') == {"n": 12345678901234567}
