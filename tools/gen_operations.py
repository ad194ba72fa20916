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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "python" / "do_envsync" / "_operations.py"
RUST_OUT = ROOT / "src" / "client" / "apps.rs"
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
        self.rust_query: list[tuple[str, str, Any]] = []  # (wire name, Rust type, default)
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
                self.rust_query.append((wire, rust_query_type(schema), default))
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
        self.body_type: str | None = None
        if body:
            schema = body["content"]["application/json"]["schema"]
            body_name, _ = b.deref(schema)
            assert body_name, f"{self.operation_id}: inline request bodies are not expected"
            self.body_type = pascal(body_name)
            req = set(b.required(schema))
            for prop, ps in b.properties(schema).items():
                self.body_props.append((prop, py_type(b, ps, for_input=True), prop in req))
        self.returns, self.convert, self.item_cls = self._result(b, spec)
        self.rust = self._rust_result(b, spec)

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
                return cls, f"{cls}(field(data, {key!r}))", None
            if ps.get("type") == "array":
                iname, _ = b.deref(ps.get("items", {}))
                if iname and b.is_object(ps["items"]):
                    cls = f"models.{pascal(iname)}"
                    # `builtins.list`: the class has a method named `list`.
                    return (
                        f"builtins.list[{cls}]",
                        f"[{cls}(x) for x in items(data, {key!r})]",
                        None,
                    )
        cls = f"models.{pascal(sname)}" if sname else f"models.{pascal(ref)}Response"
        return cls, f"{cls}(obj(data))", None

    def _rust_result(self, b: Bundle, spec: dict) -> tuple[str, str, str]:  # type: ignore[type-arg]
        """(response type to decode, Rust return type, shape: whole|unwrap:KEY|list:KEY|none)."""
        ref = spec["responses"]["200"]["$ref"].split("/")[-1]
        resp = b.doc["components"]["responses"][ref]
        content = resp.get("content", {}).get("application/json")
        if not content or not content.get("schema"):
            return "serde_json::Value", "()", "none"
        schema = content["schema"]
        sname, _ = b.deref(schema)
        resp_type = pascal(sname) if sname else f"{pascal(ref)}Response"
        props = b.properties(schema)
        if self.name in PAGINATED:
            key = PAGINATED[self.name]
            item_name, _ = b.deref(props[key]["items"])
            return resp_type, pascal(item_name or ""), f"stream:{key}"
        if len(props) == 1:
            ((key, ps),) = props.items()
            pname, _ = b.deref(ps)
            if pname and b.is_object(ps):
                return resp_type, pascal(pname), f"unwrap:{key}"
            if ps.get("type") == "array":
                iname, _ = b.deref(ps.get("items", {}))
                if iname and b.is_object(ps["items"]):
                    return resp_type, f"Vec<{pascal(iname)}>", f"list:{key}"
        return resp_type, resp_type, "whole"

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
        "    field,",
        "    items,",
        "    iter_items,",
        "    obj,",
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
                        f"encode_query({query}), {op.item_cls})"
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


RUST_KEYWORDS = {"type", "match", "ref", "move", "fn", "impl", "loop", "self", "use", "where"}


def rust_query_type(schema: dict) -> str:  # type: ignore[type-arg]
    t = schema.get("type")
    if t == "boolean":
        return "bool"
    if t == "integer":
        return "i64"
    if t == "array":
        return "Vec<String>"
    return "String"


def rust_ident(name: str) -> str:
    return f"r#{name}" if name in RUST_KEYWORDS else name


def rust_doc(op: Op) -> list[str]:
    first = op.description.split("\n\n")[0].replace("\n", " ").strip() or op.summary
    first = re.sub(r"\s+", " ", first)
    if len(first) > 300:
        first = first[:297].rsplit(" ", 1)[0] + "..."
    lines = [f"/// {op.summary}."]
    lines += ["///"] + [f"/// {line}" for line in textwrap.wrap(first, 90)]
    lines += ["///", f"/// `{op.method} {op.path}` (`{op.operation_id}`)."]
    return ["    " + line if line != "    ///" else line for line in lines]


def render_rust(ops: list[Op]) -> str:
    out = [
        "//! Typed methods for every App Platform operation and `/v2/account`.",
        "//!",
        "//! Generated by tools/gen_operations.py from DigitalOcean's OpenAPI bundle: do not edit.",
        "//! Each method fills the operation's path, encodes its query and body, and decodes the",
        "//! typed model through [`Client::call`] (auth, retries, pacing) or [`Client::pages`].",
        "#![allow(clippy::too_many_arguments)]",
        "",
        "use bytes::Bytes;",
        "use futures::{Stream, StreamExt};",
        "",
        "use super::{operation, Client, Error, Operation};",
        "use crate::models::*;",
        "",
        "fn op(name: &str) -> &'static Operation {",
        '    operation(name).expect("the operation table lists every generated operation")',
        "}",
        "",
        "fn missing(key: &str) -> Error {",
        "    Error::Decode {",
        "        status: 200,",
        '        message: format!("the response has no `{key}`"),',
        "        excerpt: String::new(),",
        "        request_id: None,",
        "    }",
        "}",
        "",
        "fn encode<T: serde::Serialize>(value: &T) -> Result<Option<Bytes>, Error> {",
        "    serde_json::to_vec(value)",
        "        .map(|v| Some(Bytes::from(v)))",
        '        .map_err(|e| Error::Config(format!("request body does not serialize: {e}")))',
        "}",
        "",
        "fn item<T: Model>(value: serde_json::Value) -> Result<T, Error> {",
        "    let text = value.to_string();",
        "    T::from_value(value).map_err(|e| Error::decode(200, &e, text.as_bytes(), None))",
        "}",
        "",
        "fn push<T: ToString>(query: &mut Vec<(String, String)>, key: &str, value: &Option<T>) {",
        "    if let Some(v) = value {",
        "        query.push((key.to_owned(), v.to_string()));",
        "    }",
        "}",
        "",
        "/// App Platform operations: `client.apps()`.",
        "#[derive(Clone, Debug)]",
        "pub struct AppsApi {",
        "    client: Client,",
        "}",
        "",
        "/// Account operations: `client.account()`.",
        "#[derive(Clone, Debug)]",
        "pub struct AccountApi {",
        "    client: Client,",
        "}",
        "",
        "impl Client {",
        "    /// Every App Platform operation.",
        "    pub fn apps(&self) -> AppsApi {",
        "        AppsApi { client: self.clone() }",
        "    }",
        "",
        "    /// `/v2/account`.",
        "    pub fn account(&self) -> AccountApi {",
        "        AccountApi { client: self.clone() }",
        "    }",
        "}",
    ]
    # Query parameter structs.
    for o in ops:
        if not o.rust_query:
            continue
        sname = pascal(o.name if o.operation_id != "account_get" else "account_get") + "Params"
        out += [
            "",
            f"/// Query parameters of [`AppsApi::{o.name}`].",
            "#[derive(Clone, Debug, Default)]",
            f"pub struct {sname} {{",
        ]
        for wire, typ, _ in o.rust_query:
            out.append(f"    pub {rust_ident(wire)}: Option<{typ}>,")
        out += [
            "}",
            "",
            f"impl {sname} {{",
            "    fn query(&self) -> Vec<(String, String)> {",
            "        let mut q = Vec::new();",
        ]
        for wire, typ, default in o.rust_query:
            field = f"self.{rust_ident(wire)}"
            if typ == "Vec<String>":
                out.append(f"        for v in {field}.iter().flatten() {{")
                out.append(f'            q.push(("{wire}".to_owned(), v.clone()));')
                out.append("        }")
            elif default is not None:
                out.append(
                    f"        let value = {field}.clone()"
                    f".or_else(|| Some({json.dumps(default)}.into()));"
                )
                out.append(f'        push(&mut q, "{wire}", &value);')
            else:
                out.append(f'        push(&mut q, "{wire}", &{field});')
        out += ["        q", "    }", "}"]
    for group, api in (("apps", "AppsApi"), ("account", "AccountApi")):
        gops = [o for o in ops if (o.operation_id == "account_get") == (group == "account")]
        out += ["", f"impl {api} {{"]
        for o in gops:
            resp_type, ret, shape = o.rust
            path_args = [f"{py}: &str" for py, _ in o.path_params]
            path_pairs = "&[" + ", ".join(f'("{wire}", {py})' for py, wire in o.path_params) + "]"
            has_query = bool(o.rust_query)
            pname = pascal(o.name if o.operation_id != "account_get" else "account_get") + "Params"
            variants = [(o.name, False)]
            if has_query:
                variants = [(o.name, None), (f"{o.name}_with", True)]
            for mname, with_params in variants:
                args = ["&self", *path_args]
                if o.body_type:
                    args.append(f"body: &{o.body_type}")
                if with_params:
                    args.append(f"params: &{pname}")
                query = (
                    "&params.query()"
                    if with_params
                    else (f"&{pname}::default().query()" if has_query else "&[]")
                )
                body_expr = "encode(body)?" if o.body_type else "None"
                out.append("")
                out += rust_doc(o)
                if with_params:
                    out.append(f"    /// With query parameters ([`{pname}`]).")
                if shape.startswith("stream:"):
                    out.append(
                        f"    pub fn {mname}({', '.join(args)}) -> "
                        f"impl Stream<Item = Result<{ret}, Error>> + Send + 'static {{"
                    )
                    out.append(
                        f'        self.client.pages(op("{o.native}"), {path_pairs}, {query})'
                        f".into_item_stream().map(|r| r.and_then(item::<{ret}>))"
                    )
                    out.append("    }")
                    continue
                out.append(
                    f"    pub async fn {mname}({', '.join(args)}) -> Result<{ret}, Error> {{"
                )
                call = (
                    f'self.client.call(op("{o.native}"), {path_pairs}, {query}, {body_expr}).await?'
                )
                if shape == "none":
                    out.append(f"        let _: serde_json::Value = {call};")
                    out.append("        Ok(())")
                elif shape == "whole":
                    out.append(f"        let resp: {resp_type} = {call};")
                    out.append("        Ok(resp)")
                elif shape.startswith("unwrap:"):
                    key = shape.split(":", 1)[1]
                    out.append(f"        let resp: {resp_type} = {call};")
                    out.append(f'        resp.{key}.ok_or_else(|| missing("{key}"))')
                else:
                    key = shape.split(":", 1)[1]
                    out.append(f"        let resp: {resp_type} = {call};")
                    out.append(f"        Ok(resp.{key}.unwrap_or_default())")
                out.append("    }")
                for alias in ALIASES.get(o.name, []):
                    if with_params is not True:
                        out.append("")
                        out.append(f"    /// Alias of [`AppsApi::{o.name}`].")
                        out.append(
                            f"    pub async fn {alias}({', '.join(args)}) "
                            f"-> Result<{ret}, Error> {{"
                        )
                        call_args = ", ".join(
                            [py for py, _ in o.path_params] + (["body"] if o.body_type else [])
                        )
                        out.append(f"        self.{o.name}({call_args}).await")
                        out.append("    }")
        out.append("}")
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
    rust = subprocess.run(
        ["rustfmt", "--edition", "2021", "--emit", "stdout"],
        input=render_rust(ops),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = render(ops)
    text = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--line-length", "100", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "--check" in sys.argv:
        stale = [
            str(path.relative_to(ROOT))
            for path, content in ((OUT, text), (RUST_OUT, rust))
            if not path.exists() or path.read_text() != content
        ]
        if stale:
            print(f"{', '.join(stale)} stale: run python3 tools/gen_operations.py")
            return 1
        return 0
    OUT.write_text(text)
    RUST_OUT.write_text(rust)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(ops)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
