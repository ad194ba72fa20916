#!/usr/bin/env python3
"""Generate python/do_envsync/_operations.py: the Python surface of every API operation.

Each operation of DigitalOcean's OpenAPI bundle (App Platform + /v2/account) becomes a method
on `AppsAPI` / `AsyncAppsAPI` (or `AccountAPI` / `AsyncAccountAPI`), named after its
operationId without the `apps_` prefix, in snake case. Path parameters are positional
(`{id}` and `{app_id}` are both spelled `app_id`), body properties follow (required ones
positional), query parameters are keyword-only. The wire work (auth, retries, pacing,
pagination) happens in Rust (`_native`); these methods only shape arguments and wrap results
in the models of `do_envsync.models`.

Usage: python3 tools/gen_operations.py [BUNDLE] [--check]
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "python" / "do_envsync" / "_operations.py"
DEFAULT_BUNDLE = ROOT.parent / "shared" / "openapi" / "apps-bundle.json"

# Read-only POSTs, safe to retry: mirrors `retry_safe` in src/client/operations.rs.
ALIASES = {"validate_app_spec": ["propose"]}
PAGINATED = {
    "list": "apps",
    "list_deployments": "deployments",
    "list_job_invocations": "job_invocations",
    "list_events": "events",
}


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return s.lower()


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", name) if part)


def op_name(operation_id: str) -> str:
    if operation_id == "account_get":
        return "get"
    assert operation_id.startswith("apps_"), operation_id
    return snake(operation_id[len("apps_") :])


def native_name(operation_id: str) -> str:
    return "account_get" if operation_id == "account_get" else op_name(operation_id)


class Bundle:
    def __init__(self, doc: dict) -> None:  # type: ignore[type-arg]
        self.doc = doc
        self.schemas = doc["components"]["schemas"]

    def deref(self, node: dict) -> tuple[str | None, dict]:  # type: ignore[type-arg]
        ref = node.get("$ref")
        if ref is None:
            return None, node
        parts = ref.split("/")
        target = self.doc
        for p in parts[1:]:
            target = target[p]
        return parts[-1], target

    def properties(self, schema: dict) -> dict:  # type: ignore[type-arg]
        _, schema = self.deref(schema)
        props: dict = {}  # type: ignore[type-arg]
        for part in schema.get("allOf", []):
            props.update(self.properties(part))
        props.update(schema.get("properties", {}))
        return props

    def required(self, schema: dict) -> list[str]:  # type: ignore[type-arg]
        _, schema = self.deref(schema)
        req: list[str] = list(schema.get("required", []))
        for part in schema.get("allOf", []):
            req += self.required(part)
        return req

    def is_object(self, schema: dict) -> bool:  # type: ignore[type-arg]
        _, s = self.deref(schema)
        return bool(s.get("properties") or s.get("allOf")) and s.get("type", "object") == "object"


def py_type(b: Bundle, schema: dict, for_input: bool) -> str:  # type: ignore[type-arg]
    name, s = b.deref(schema)
    if name and b.is_object(schema):
        cls = f"models.{pascal(name)}"
        return f"{cls} | Mapping[str, Any]" if for_input else cls
    t = s.get("type")
    if t == "string":
        return "str"
    if t == "boolean":
        return "bool"
    if t == "integer":
        return "int"
    if t == "number":
        return "float"
    if t == "array":
        inner = py_type(b, s.get("items", {}), for_input)
        return f"Sequence[{inner}]" if for_input else f"builtins.list[{inner}]"
    return "Any"


class Op:
    def __init__(self, b: Bundle, method: str, path: str, spec: dict) -> None:  # type: ignore[type-arg]
        self.method = method.upper()
        self.path = path
        self.operation_id: str = spec["operationId"]
        self.name = op_name(self.operation_id)
        self.native = native_name(self.operation_id)
        self.summary = spec.get("summary", "").strip()
        self.description = (spec.get("description") or "").strip()
        self.path_params: list[tuple[str, str]] = []  # (python name, wire name)
        self.query_params: list[tuple[str, str, str, str | None, bool]] = []
        for raw in spec.get("parameters", []):
            _, p = b.deref(raw)
            if p["in"] == "path":
                wire = p["name"]
                py = "app_id" if wire in ("id", "app_id") else wire
                self.path_params.append((py, wire))
            elif p["in"] == "query":
                wire = p["name"]
                if wire in ("page", "per_page") and self.name in PAGINATED:
                    continue  # the iterator owns paging
                schema = p.get("schema", {})
                typ = py_type(b, schema, for_input=True)
                default = schema.get("default")
                enum = schema.get("enum")
                if p.get("required") and default is None and enum and len(enum) == 1:
                    default = enum[0]
                py = wire + "_" if keyword.iskeyword(wire) else wire
                self.query_params.append(
                    (
                        py,
                        wire,
                        typ,
                        json.dumps(default) if default is not None else None,
                        bool(p.get("required")),
                    )
                )
        # Sort path params in the order they appear in the path template.
        self.path_params.sort(key=lambda pw: path.index("{" + pw[1] + "}"))
        self.body_props: list[tuple[str, str, bool]] = []  # (name, type, required)
        body = spec.get("requestBody")
        if body:
            schema = body["content"]["application/json"]["schema"]
            req = set(b.required(schema))
            for prop, ps in b.properties(schema).items():
                self.body_props.append((prop, py_type(b, ps, for_input=True), prop in req))
        self.returns, self.convert, self.item_cls = self._result(b, spec)

    def _result(self, b: Bundle, spec: dict) -> tuple[str, str, str | None]:  # type: ignore[type-arg]
        ref = spec["responses"]["200"]["$ref"].split("/")[-1]
        resp = b.doc["components"]["responses"][ref]
        content = resp.get("content", {}).get("application/json")
        if not content or not content.get("schema"):
            return "None", "None", None
        schema = content["schema"]
        sname, _ = b.deref(schema)
        props = b.properties(schema)
        if self.name in PAGINATED:
            key = PAGINATED[self.name]
            item_name, _ = b.deref(props[key]["items"])
            assert item_name
            return "", "", f"models.{pascal(item_name)}"
        if len(props) == 1:
            ((key, ps),) = props.items()
            pname, _ = b.deref(ps)
            if pname and b.is_object(ps):
                cls = f"models.{pascal(pname)}"
                return cls, f"{cls}(data[{key!r}])", None
            if ps.get("type") == "array":
                iname, _ = b.deref(ps.get("items", {}))
                if iname and b.is_object(ps["items"]):
                    cls = f"models.{pascal(iname)}"
                    # `builtins.list`: the class has a method named `list`.
                    return (
                        f"builtins.list[{cls}]",
                        f"[{cls}(x) for x in data.get({key!r}) or []]",
                        None,
                    )
        cls = f"models.{pascal(sname)}" if sname else f"models.{pascal(ref)}Response"
        return cls, f"{cls}(data)", None

    def signature(self) -> str:
        args = ["self"]
        args += [f"{py}: str" for py, _ in self.path_params]
        required_body = [bp for bp in self.body_props if bp[2]]
        optional_body = [bp for bp in self.body_props if not bp[2]]
        args += [f"{n}: {t}" for n, t, _ in required_body]
        kw = [f"{n}: {t} | None = None" for n, t, _ in optional_body]
        for py, _, typ, default, _req in self.query_params:
            if default is not None:
                kw.append(f"{py}: {typ} = {default}")
            else:
                kw.append(f"{py}: {typ} | None = None")
        if kw:
            args.append("*")
            args += kw
        return ", ".join(args)

    def doc(self) -> str:
        first = self.description.split("\n\n")[0].replace("\n", " ").strip() or self.summary
        first = re.sub(r"\s+", " ", first)
        if len(first) > 300:
            first = first[:297].rsplit(" ", 1)[0] + "..."
        body = textwrap.fill(
            first, width=88, initial_indent="        ", subsequent_indent="        "
        )
        return (
            f"{self.summary}.\n\n{body}\n\n"
            f"        `{self.method} {self.path}`\n        ({self.operation_id}).\n        "
        )

    def call_args(self) -> str:
        path = "{" + ", ".join(f"{wire!r}: {py}" for py, wire in self.path_params) + "}"
        query = "[" + ", ".join(f"({wire!r}, {py})" for py, wire, *_ in self.query_params) + "]"
        if self.body_props:
            body = "{" + ", ".join(f"{n!r}: {n}" for n, _, _ in self.body_props) + "}"
            body = f"encode_body({body})"
        else:
            body = "None"
        return f"{self.native!r}, {path}, encode_query({query}), {body}"


def render(ops: list[Op]) -> str:
    out = [
        '"""Every DigitalOcean App Platform operation and /v2/account, sync and asyncio.',
        "",
        "Generated by tools/gen_operations.py from DigitalOcean's OpenAPI bundle: do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import builtins",
        "from collections.abc import AsyncIterator, Iterator, Mapping, Sequence",
        "from typing import Any",
        "",
        "from . import _native, models",
        "from ._transport import (",
        "    acall,",
        "    aiter_items,",
        "    call,",
        "    encode_body,",
        "    encode_query,",
        "    iter_items,",
        ")",
        "",
        '__all__ = ["AccountAPI", "AppsAPI", "AsyncAccountAPI", "AsyncAppsAPI"]',
        "",
    ]
    groups = {
        "Apps": [o for o in ops if o.operation_id != "account_get"],
        "Account": [o for o in ops if o.operation_id == "account_get"],
    }
    for group, gops in groups.items():
        for is_async in (False, True):
            cls = f"Async{group}API" if is_async else f"{group}API"
            native_t = "_native.NativeAsyncClient" if is_async else "_native.NativeClient"
            out += [
                "",
                f"class {cls}:",
                f'    """{group} operations ({"asyncio" if is_async else "blocking"})."""',
                "",
                '    __slots__ = ("_native",)',
                "",
                f"    def __init__(self, native: {native_t}) -> None:",
                "        self._native = native",
            ]
            for op in gops:
                out.append("")
                if op.item_cls:
                    ret = (
                        f"AsyncIterator[{op.item_cls}]" if is_async else f"Iterator[{op.item_cls}]"
                    )
                    out.append(f"    def {op.name}({op.signature()}) -> {ret}:")
                    out.append(
                        f'        """{op.doc()}\n\n'
                        '        Lazily follows every page (per_page=200)."""'
                    )
                    path = "{" + ", ".join(f"{w!r}: {p}" for p, w in op.path_params) + "}"
                    query = "[" + ", ".join(f"({w!r}, {p})" for p, w, *_ in op.query_params) + "]"
                    fn = "aiter_items" if is_async else "iter_items"
                    out.append(
                        f"        return {fn}(self._native, {op.native!r}, {path}, "
                        f"encode_query({query}), {PAGINATED[op.name]!r}, {op.item_cls})"
                    )
                else:
                    kw = "async def" if is_async else "def"
                    out.append(f"    {kw} {op.name}({op.signature()}) -> {op.returns}:")
                    out.append(f'        """{op.doc()}"""')
                    getter = "await acall" if is_async else "call"
                    if op.returns == "None":
                        out.append(f"        {getter}(self._native, {op.call_args()})")
                    else:
                        out.append(f"        data = {getter}(self._native, {op.call_args()})")
                        out.append(f"        return {op.convert}")
                for alias in ALIASES.get(op.name, []):
                    out.append("")
                    out.append(f"    {alias} = {op.name}")
    return "\n".join(out) + "\n"


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bundle_path = Path(args[0]) if args else DEFAULT_BUNDLE
    doc = json.loads(bundle_path.read_text())
    b = Bundle(doc)
    ops = []
    for path, item in doc["paths"].items():
        for method, spec in item.items():
            if isinstance(spec, dict) and "operationId" in spec:
                ops.append(Op(b, method, path, spec))
    text = render(ops)
    text = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--line-length", "100", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run python3 tools/gen_operations.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(ops)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
