"""Argument shaping shared by the generated operations: JSON bodies, queries, pagination.

Bodies are serialized here with the C json encoder (compact, order-preserving), so a spec
fetched with `apps.get` and sent back with `apps.update` is byte-identical to what was read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from . import _native
from .errors import DecodeError
from .models import Model

M = TypeVar("M", bound=Model)

Query = list[tuple[str, str]]


def _default(obj: object) -> Any:
    if isinstance(obj, Model):
        return obj._data
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"cannot send a {type(obj).__name__} as JSON")


def dumps(obj: Any) -> bytes:
    """Compact JSON, keys in insertion order, non-ASCII kept (as DigitalOcean sends it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=_default).encode()


def encode_body(fields: Mapping[str, Any]) -> bytes:
    """A request body from keyword arguments; arguments left as None are not sent."""
    return dumps({k: v for k, v in fields.items() if v is not None})


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(pairs: Sequence[tuple[str, Any]]) -> Query:
    """Query pairs; None dropped, booleans lowercased, sequences repeated."""
    out: Query = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out.extend((key, _query_value(v)) for v in value)
        else:
            out.append((key, _query_value(value)))
    return out


def loads(body: bytes) -> Any:
    """Decodes a response body with orjson (about twice as fast as `json` on App Platform's
    large app bodies, where this decode is half of a request's CPU), or with `json` when the
    body may hold an integer orjson cannot represent exactly. A body that is not JSON raises
    `DecodeError` with a short masked excerpt, never the body itself."""
    try:
        # A run of 19+ digits may be an integer beyond 64 bits, which orjson would turn
        # into a float; such (rare) bodies go through `json`, which keeps it exact.
        if _native.has_long_digit_run(body):
            return json.loads(body)
        return orjson.loads(body)
    except ValueError:
        # Both decoders' errors are ValueErrors; their messages quote the input.
        raise _native.decode_error(body) from None


def _loads(body: bytes) -> Any:
    return loads(body) if body and not body.isspace() else {}


def obj(data: Any) -> dict[str, Any]:
    """A response body that must be a JSON object (else a `DecodeError`, never a crash
    further on)."""
    if not isinstance(data, dict):
        raise DecodeError(f"the response is a JSON {_json_type(data)}, not the object expected")
    return data


def field(data: Any, key: str) -> dict[str, Any]:
    """`data[key]`, the object a response wraps (`{"app": {...}}`): a response without it
    is a `DecodeError` naming the field, never a `KeyError`."""
    value = obj(data).get(key)
    if not isinstance(value, dict):
        got = "no" if value is None else f"a JSON {_json_type(value)} as its"
        raise DecodeError(f'the response has {got} "{key}" field (expected an object)')
    return value


def items(data: Any, key: str) -> list[dict[str, Any]]:
    """`data[key]`, a list of objects (absent: empty); anything else is a `DecodeError`."""
    value = obj(data).get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise DecodeError(f'the response\'s "{key}" field is not a list of objects')
    return value


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "number")


def call(
    native: _native.NativeClient,
    op: str,
    path: dict[str, str],
    query: Query,
    body: bytes | None,
) -> Any:
    return _loads(native.call(op, path, query, body))


async def acall(
    native: _native.NativeAsyncClient,
    op: str,
    path: dict[str, str],
    query: Query,
    body: bytes | None,
) -> Any:
    return _loads(await native.call(op, path, query, body))


def iter_items(
    native: _native.NativeClient,
    op: str,
    path: dict[str, str],
    query: Query,
    cls: type[M],
) -> Iterator[M]:
    """Items of every page, fetched one page at a time as the caller iterates; each item is
    decoded only when reached, so a page never exists as one large Python object."""
    for page in native.pages(op, path, query):
        for item in page:
            yield cls(obj(loads(item)))


async def aiter_items(
    native: _native.NativeAsyncClient,
    op: str,
    path: dict[str, str],
    query: Query,
    cls: type[M],
) -> AsyncIterator[M]:
    async for page in native.pages(op, path, query):
        for item in page:
            yield cls(obj(loads(item)))
