#!/usr/bin/env python3
"""Generate the typed models from DigitalOcean's App Platform OpenAPI bundle.

Reads ``apps-bundle.json`` (default: ``../shared/openapi/apps-bundle.json`` next to the repo)
and writes two committed files:

- ``src/models/generated.rs``: one Rust type per schema (components, inline objects and enums
  nested in properties, inline response bodies), with lossless serde impls built on
  ``src/models/lossless.rs``; piped through ``rustfmt``.
- ``python/do_envsync/models.py``: one pure-Python wrapper class per Rust struct.

Usage: ``python3 tools/gen_models.py [BUNDLE] [--check]``. ``--check`` writes nothing and
exits 1 when a committed file differs from what would be generated.

Python 3.10+ standard library only.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = REPO.parent / "shared" / "openapi" / "apps-bundle.json"
RUST_OUT = REPO / "src" / "models" / "generated.rs"
PY_OUT = REPO / "python" / "do_envsync" / "models.py"

SCHEMA_REF = "#/components/schemas/"

# Documented gaps between the published schema and the real API, added to the schema before
# generation. Each entry: schema name -> {property name -> property schema}.
SCHEMA_PATCHES: dict[str, dict[str, dict[str, Any]]] = {
    # SUMMARY.md / NOTES.md: the real API (and the seeds' update example) has app-level
    # `spec.envs`; upstream app_spec.yml lacks it.
    "app_spec": {
        "envs": {
            "type": "array",
            "description": (
                "A list of environment variables made available to all components in the app. "
                "Not in the published schema; present in the real API."
            ),
            "items": {"$ref": SCHEMA_REF + "app_variable_definition"},
        },
        # Seed 001 (API reference, "Update an App" request sample) sends app-level `alerts`;
        # upstream app_spec.yml lacks it (component specs have it).
        "alerts": {
            "type": "array",
            "description": (
                "A list of alerts which apply to the app. "
                "Not in the published schema; present in the real API."
            ),
            "items": {"$ref": SCHEMA_REF + "app_alert_spec"},
        },
    },
}

# Properties whose value is a credential: Debug / repr print `***` when set.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "app_log_destination_datadog_spec": ("api_key",),
    "app_log_destination_logtail_spec": ("token",),
    "app_log_destination_open_search_spec_basic_auth": ("password",),
    "apps_image_source_spec": ("registry_credentials",),
    "app_alert_slack_webhook": ("url",),
    # Signed, short-lived URLs that grant access on their own.
    "apps_get_exec_response": ("url",),
    "apps_get_logs_response": ("live_url", "historic_urls"),
}

# Properties masked only when the object says so: Rust condition (on `self`) per property.
# Python: the class gets an `_is_masked` override from PY_CLASS_EXTRAS.
CONDITIONAL_SECRETS: dict[str, dict[str, str]] = {
    "app_variable_definition": {"value": "self.debug_masks_value()"},
}

ANNOTATION_KEYS = {
    "description",
    "title",
    "deprecated",
    "readOnly",
    "writeOnly",
    "nullable",
    "example",
    "default",
    "required",
    "externalDocs",
}

RUST_KEYWORDS = set(
    """as break const continue crate else enum extern false fn for if impl in let loop match mod
    move mut pub ref return self Self static struct super trait true type unsafe use where while
    async await dyn abstract become box do final macro override priv typeof unsized virtual yield
    try gen union""".split()
)
RUST_RESERVED_FIELDS = {"extra", "key_order"}
PY_RESERVED = {
    "to_dict",
    "to_json",
    "from_dict",
    "from_json",
    "from_yaml",
    "to_yaml",
}

# --------------------------------------------------------------------------------------------
# Naming


def words(text: str) -> list[str]:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]


def pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:].lower() for w in words(text))


def snake(text: str) -> str:
    return "_".join(w.lower() for w in words(text))


def rust_field_name(json_name: str) -> str:
    name = snake(json_name) or "field"
    if name[0].isdigit():
        name = "f_" + name
    if name in RUST_RESERVED_FIELDS or name in {"self", "Self", "super", "crate"}:
        return name + "_"
    if name in RUST_KEYWORDS:
        return "r#" + name
    return name


def py_attr_name(json_name: str) -> str:
    name = snake(json_name) or "field"
    if name[0].isdigit():
        name = "f_" + name
    if keyword.iskeyword(name) or name in PY_RESERVED or name.startswith("_"):
        return name + "_"
    return name


def variant_name(value: str) -> str:
    name = pascal(value)
    if not name:
        return "Empty"
    if name[0].isdigit():
        return "V" + "_".join(words(value)).replace("-", "_")
    return name


TYPOGRAPHIC_QUOTES = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'}


def first_sentence(text: str | None) -> str:
    if not text:
        return ""
    # Typographic quotes confuse linters (ruff RUF002) and gain nothing in a doc comment.
    text = text.translate(TYPOGRAPHIC_QUOTES)
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z`(\[])", text)
    if match:
        text = text[: match.start()]
    return text.strip()


def doc_of(schema: dict[str, Any]) -> str:
    return first_sentence(schema.get("description")) or first_sentence(schema.get("title"))


# --------------------------------------------------------------------------------------------
# Type model


@dataclass(frozen=True)
class TypeRef:
    """A field type: `str`, `i64`, `num`, `bool`, `value`, `vec` (of `inner`), `named`."""

    kind: str
    inner: TypeRef | None = None
    name: str | None = None


STR = TypeRef("str")
I64 = TypeRef("i64")
NUM = TypeRef("num")
BOOL = TypeRef("bool")
VALUE = TypeRef("value")
PRIMITIVES = {"string": STR, "integer": I64, "number": NUM, "boolean": BOOL}


@dataclass
class FieldDef:
    json: str
    rust: str
    py: str
    ty: TypeRef
    doc: str


@dataclass
class TypeDef:
    name: str
    schema: str  # name in the bundle, or path of an inline schema
    kind: str  # "struct" | "enum" | "alias"
    doc: str
    fields: list[FieldDef] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    default: str | None = None
    alias_of: TypeRef | None = None
    origin: str = ""  # "component" | "inline" | "response"


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    request: str | None
    response: str | None


class Builder:
    """Walks the bundle and collects one TypeDef per generated type."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self.components: dict[str, Any] = bundle["components"]["schemas"]
        self.types: dict[str, TypeDef] = {}
        self.order: list[str] = []  # output order
        self.by_id: dict[int, str] = {}  # inline schema identity -> type name
        self.effective_cache: dict[int, dict[str, Any]] = {}
        self.merge_cache: dict[tuple[int, int], dict[str, Any]] = {}
        self.keep: list[Any] = []  # keeps synthesized dicts alive so their ids stay unique
        self.response_types: dict[str, str] = {}  # response name -> schema name
        self.operations: list[Operation] = []

    # -- schema helpers ----------------------------------------------------------------------

    def deref(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith(SCHEMA_REF):
                raise SystemExit(f"unsupported $ref {ref}")
            schema = self.components[ref[len(SCHEMA_REF) :]]
        return schema

    @staticmethod
    def members(schema: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """Members of allOf/anyOf/oneOf that say more than annotations."""
        return [m for m in schema[key] if set(m) - ANNOTATION_KEYS]

    def is_string_enum(self, schema: dict[str, Any]) -> bool:
        s = self.deref(schema)
        if "enum" in s:
            return s.get("type", "string") == "string" and all(
                isinstance(v, str) for v in s["enum"]
            )
        for key in ("anyOf", "oneOf"):
            if key in s:
                parts = self.members(s, key)
                return bool(parts) and all(self.is_string_enum(m) for m in parts)
        return False

    def enum_values(self, schema: dict[str, Any]) -> list[str]:
        s = self.deref(schema)
        if "enum" in s:
            return list(s["enum"])
        values: list[str] = []
        for key in ("anyOf", "oneOf"):
            for m in self.members(s, key) if key in s else []:
                values.extend(v for v in self.enum_values(m) if v not in values)
        return values

    def enum_default(self, schema: dict[str, Any], values: list[str]) -> str:
        s = self.deref(schema)
        candidates = [s.get("default")]
        for key in ("anyOf", "oneOf"):
            candidates.extend(self.deref(m).get("default") for m in s.get(key, []))
        for candidate in candidates:
            if candidate in values:
                return str(candidate)
        return values[0]

    def is_object_like(self, schema: dict[str, Any]) -> bool:
        s = self.deref(schema)
        if s.get("properties"):
            return True
        if "allOf" in s:
            return any(self.is_object_like(m) for m in self.members(s, "allOf"))
        for key in ("anyOf", "oneOf"):
            if key in s:
                parts = self.members(s, key)
                return bool(parts) and all(self.is_object_like(m) for m in parts)
        return False

    def is_inline_object(self, schema: dict[str, Any]) -> bool:
        return "$ref" not in schema and self.is_object_like(schema)

    def effective(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema as one object: allOf / object anyOf / object oneOf merged."""
        key = id(schema)
        if key in self.effective_cache:
            return self.effective_cache[key]
        if "$ref" in schema:
            result = self.effective(self.deref(schema))
        else:
            parts: list[dict[str, Any]] = []
            if "allOf" in schema:
                parts = self.members(schema, "allOf")
            for combinator in ("anyOf", "oneOf"):
                if combinator in schema and self.is_object_like(schema):
                    parts = self.members(schema, combinator)
            if not parts:
                result = schema
            else:
                props: dict[str, Any] = {}
                docs = [doc_of(schema)]
                for part in [*parts, {"properties": schema.get("properties", {})}]:
                    eff = self.effective(part)
                    docs.append(doc_of(eff))
                    for name, prop in eff.get("properties", {}).items():
                        old = props.get(name)
                        if (
                            old is not None
                            and old is not prop
                            and self.is_inline_object(old)
                            and self.is_inline_object(prop)
                        ):
                            props[name] = self.merge_objects(old, prop)
                        else:
                            props[name] = prop
                result = {
                    "type": "object",
                    "properties": props,
                    "description": next((d for d in docs if d), ""),
                }
                self.keep.append(result)
        self.effective_cache[key] = result
        return result

    def merge_objects(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        key = (id(a), id(b))
        if key not in self.merge_cache:
            merged = {"allOf": [a, b]}
            self.keep.append(merged)
            self.merge_cache[key] = merged
        return self.merge_cache[key]

    # -- registration ------------------------------------------------------------------------

    def unique_name(self, name: str) -> str:
        if name not in self.types:
            return name
        n = 2
        while f"{name}{n}" in self.types:
            n += 1
        return f"{name}{n}"

    def classify(self, schema: dict[str, Any]) -> tuple[str, TypeRef | None]:
        if self.is_string_enum(schema):
            return "enum", None
        if self.is_object_like(schema):
            return "struct", None
        s = self.deref(schema)
        if s.get("type") == "array" or "items" in s:
            return "alias", TypeRef("vec", inner=self.type_of(s.get("items", {}), "", "", ""))
        return "alias", PRIMITIVES.get(s.get("type", ""), VALUE)

    def build(self) -> None:
        for name, patch in SCHEMA_PATCHES.items():
            props = self.components[name].setdefault("properties", {})
            for prop, prop_schema in patch.items():
                if prop in props:
                    raise SystemExit(f"patch {name}.{prop}: the schema now documents it")
                props[prop] = prop_schema
        # Register every component first so that inline names never take a component's name.
        for name, schema in self.components.items():
            kind, alias_of = self.classify(schema)
            self.types[pascal(name)] = TypeDef(
                name=pascal(name),
                schema=name,
                kind=kind,
                doc=doc_of(self.effective(schema)) if kind == "struct" else doc_of(schema),
                alias_of=alias_of,
                origin="component",
            )
        for name, schema in self.components.items():
            typedef = self.types[pascal(name)]
            self.order.append(typedef.name)
            if typedef.kind == "enum":
                typedef.values = self.enum_values(schema)
                typedef.default = self.enum_default(schema, typedef.values)
            elif typedef.kind == "struct":
                self.fill_struct(typedef, schema, name)
        for name, response in self.bundle["components"]["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            if "$ref" in schema:
                self.response_types[name] = schema["$ref"][len(SCHEMA_REF) :]
                continue
            if not self.is_object_like(schema):
                raise SystemExit(f"response {name}: inline schema is not an object")
            type_name = pascal(name) + "Response"
            if type_name in self.types:
                raise SystemExit(f"response {name}: type name {type_name} is taken")
            path = f"responses/{name}"
            typedef = TypeDef(
                name=type_name,
                schema=path,
                kind="struct",
                doc=first_sentence(response.get("description")),
                origin="response",
            )
            self.types[type_name] = typedef
            self.order.append(type_name)
            self.by_id[id(schema)] = type_name
            self.fill_struct(typedef, schema, path)
            self.response_types[name] = path
        self.collect_operations()

    def fill_struct(self, typedef: TypeDef, schema: dict[str, Any], path: str) -> None:
        eff = self.effective(schema)
        rust_names: set[str] = set()
        py_names: set[str] = set()
        for json_name, prop in eff.get("properties", {}).items():
            ty = self.type_of(prop, typedef.name, json_name, f"{path}.{json_name}")
            rust = rust_field_name(json_name)
            py = py_attr_name(json_name)
            if rust in rust_names or py in py_names:
                raise SystemExit(f"{typedef.name}: field name clash on {json_name}")
            rust_names.add(rust)
            py_names.add(py)
            doc = doc_of(prop)
            if not doc and "$ref" in prop:
                doc = doc_of(self.effective(prop))
            if not doc and "allOf" in prop:
                doc = next((doc_of(m) for m in prop["allOf"] if doc_of(m)), "")
            typedef.fields.append(FieldDef(json_name, rust, py, ty, doc))
        if len(typedef.fields) > 128:
            raise SystemExit(f"{typedef.name}: more than 128 fields (see lossless.rs)")

    def inline_type(
        self, schema: dict[str, Any], kind: str, parent: str, prop: str, path: str
    ) -> TypeRef:
        known = self.by_id.get(id(schema))
        if known is not None:
            return TypeRef("named", name=known)
        name = self.unique_name(parent + pascal(prop))
        typedef = TypeDef(name=name, schema=path, kind=kind, doc=doc_of(schema), origin="inline")
        self.types[name] = typedef
        self.order.append(name)
        self.by_id[id(schema)] = name
        if kind == "enum":
            typedef.values = self.enum_values(schema)
            typedef.default = self.enum_default(schema, typedef.values)
        else:
            typedef.doc = typedef.doc or doc_of(self.effective(schema))
            self.fill_struct(typedef, schema, path)
        return TypeRef("named", name=name)

    def type_of(self, schema: dict[str, Any], parent: str, prop: str, path: str) -> TypeRef:
        if "$ref" in schema:
            return TypeRef("named", name=pascal(schema["$ref"][len(SCHEMA_REF) :]))
        if "allOf" in schema:
            parts = self.members(schema, "allOf")
            if not parts:
                return VALUE
            if len(parts) == 1:
                return self.type_of(parts[0], parent, prop, path)
            return self.inline_type(schema, "struct", parent, prop, path)
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                if self.is_string_enum(schema):
                    return self.inline_type(schema, "enum", parent, prop, path)
                if self.is_object_like(schema):
                    return self.inline_type(schema, "struct", parent, prop, path)
                return VALUE
        if self.is_string_enum(schema):
            return self.inline_type(schema, "enum", parent, prop, path)
        kind = schema.get("type")
        if kind == "array" or "items" in schema:
            inner = self.type_of(schema.get("items", {}), parent, prop, path + "[]")
            if inner.kind == "vec":
                inner = VALUE  # nested arrays are not used by the API; keep them free-form
            return TypeRef("vec", inner=inner)
        if kind == "object" or "properties" in schema:
            if schema.get("properties"):
                return self.inline_type(schema, "struct", parent, prop, path)
            return VALUE
        return PRIMITIVES.get(kind or "", VALUE)

    def body_schema_name(self, content: dict[str, Any] | None) -> str | None:
        schema = (content or {}).get("application/json", {}).get("schema")
        if schema is None:
            return None
        if "$ref" in schema:
            return str(schema["$ref"][len(SCHEMA_REF) :])
        name = self.by_id.get(id(schema))
        return self.types[name].schema if name else None

    def collect_operations(self) -> None:
        responses = self.bundle["components"]["responses"]
        for path, item in self.bundle["paths"].items():
            for method, op in item.items():
                if method not in {"get", "put", "post", "delete", "patch"}:
                    continue
                request = self.body_schema_name(op.get("requestBody", {}).get("content"))
                response = None
                for code, resp in op["responses"].items():
                    if not code.startswith("2"):
                        continue
                    if "$ref" in resp:
                        name = resp["$ref"].rsplit("/", 1)[-1]
                        response = self.response_types.get(name)
                        resp = responses[name]
                    else:
                        response = self.body_schema_name(resp.get("content"))
                    break
                self.operations.append(
                    Operation(op["operationId"], method.upper(), path, request, response)
                )


# --------------------------------------------------------------------------------------------
# Rust output


def rust_type(ty: TypeRef) -> str:
    if ty.kind == "vec":
        assert ty.inner is not None
        return f"Vec<{rust_type(ty.inner)}>"
    if ty.kind == "named":
        assert ty.name is not None
        return ty.name
    return {"str": "String", "i64": "i64", "num": "Number", "bool": "bool", "value": "Value"}[
        ty.kind
    ]


def rust_doc(text: str, indent: str = "") -> list[str]:
    if not text:
        return []
    return [f"{indent}/// {line}".rstrip() for line in text.split("\n")]


def rust_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def type_doc(typedef: TypeDef) -> str:
    if typedef.origin == "component":
        where = f"Schema `{typedef.schema}`."
    elif typedef.origin == "response":
        name = typedef.schema.split("/", 1)[1]
        where = f"Body of the `{name}` response (schema `{typedef.schema}`)."
    else:
        where = f"Inline schema `{typedef.schema}`."
    return f"{typedef.doc}\n\n{where}" if typedef.doc else where


def render_rust_enum(t: TypeDef) -> list[str]:
    variants: list[tuple[str, str]] = []
    used: set[str] = {"Other"}
    for value in t.values:
        name = variant_name(value)
        base, n = name, 2
        while name in used:
            name = f"{base}{n}"
            n += 1
        used.add(name)
        variants.append((name, value))
    default = next(name for name, value in variants if value == t.default)
    lines = ["string_enum! {"]
    lines += rust_doc(type_doc(t), "    ")
    lines.append(f"    {t.name}, default = {default}, {{")
    lines += [f"        {name} => {rust_str(value)}," for name, value in variants]
    lines += ["    }", "}", ""]
    return lines


def render_rust_struct(t: TypeDef) -> list[str]:
    lines = rust_doc(type_doc(t))
    lines += ["#[derive(Clone, Default, PartialEq)]", f"pub struct {t.name} {{"]
    for f in t.fields:
        lines += rust_doc(f.doc or f"`{f.json}`.", "    ")
        lines.append(f"    pub {f.rust}: Option<{rust_type(f.ty)}>,")
    lines += [
        "    /// Keys not held by a typed field, verbatim: unknown keys, and documented keys",
        "    /// whose value is `null` or not of the documented type.",
        "    pub extra: Map<String, Value>,",
        "    /// Key order of the JSON this was read from (presentation only).",
        "    #[doc(hidden)]",
        "    pub key_order: KeyOrder,",
        "}",
        "",
        f"impl Object for {t.name} {{",
        "    const FIELDS: &'static [&'static str] = &["
        + ", ".join(rust_str(f.json) for f in t.fields)
        + "];",
        "",
        "    fn set_field(&mut self, key: &str, value: Value) -> Result<(), Value> {",
    ]
    if t.fields:
        lines.append("        match key {")
        for f in t.fields:
            key = rust_str(f.json)
            lines.append(f"            {key} => lossless::set(&mut self.{f.rust}, value),")
        lines += ["            _ => Err(value),", "        }"]
    else:
        lines += ["        let _ = key;", "        Err(value)"]
    lines += [
        "    }",
        "",
        "    fn write_field<M: SerializeMap>(&self, index: usize, map: &mut M)"
        " -> Result<bool, M::Error> {",
    ]
    if t.fields:
        lines.append("        match index {")
        for i, f in enumerate(t.fields):
            key = rust_str(f.json)
            lines.append(f"            {i} => lossless::write(map, {key}, &self.{f.rust}),")
        lines += ["            _ => Ok(false),", "        }"]
    else:
        lines += ["        let _ = (index, map);", "        Ok(false)"]
    lines += [
        "    }",
        "",
        "    fn object_extra(&self) -> &Map<String, Value> {",
        "        &self.extra",
        "    }",
        "",
        "    fn object_extra_mut(&mut self) -> &mut Map<String, Value> {",
        "        &mut self.extra",
        "    }",
        "",
        "    fn key_order(&self) -> &KeyOrder {",
        "        &self.key_order",
        "    }",
        "",
        "    fn key_order_mut(&mut self) -> &mut KeyOrder {",
        "        &mut self.key_order",
        "    }",
        "}",
        "",
        f"impl fmt::Debug for {t.name} {{",
        "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {",
        f"        lossless::DebugModel::new(f, {rust_str(t.name)})",
    ]
    secrets = SECRET_FIELDS.get(t.schema, ())
    conditional = CONDITIONAL_SECRETS.get(t.schema, {})
    for f in t.fields:
        if f.json in secrets:
            lines.append(f"            .secret({rust_str(f.json)}, &self.{f.rust}, true)")
        elif f.json in conditional:
            cond = conditional[f.json]
            lines.append(f"            .secret({rust_str(f.json)}, &self.{f.rust}, {cond})")
        else:
            lines.append(f"            .field({rust_str(f.json)}, &self.{f.rust})")
    lines += [
        "            .finish(&self.extra)",
        "    }",
        "}",
        "",
        f"lossless_model!({t.name}, {rust_str(t.schema)});",
        "",
    ]
    return lines


def render_rust(builder: Builder, bundle_label: str) -> str:
    types = [builder.types[name] for name in builder.order]
    uses_number = any(
        "Number" in rust_type(f.ty) for t in types for f in t.fields
    ) or any(t.alias_of is not None and "Number" in rust_type(t.alias_of) for t in types)
    out = [
        f"// @generated by tools/gen_models.py from {bundle_label}. Do not edit by hand:",
        "// change the generator (or its patch tables) and run `python3 tools/gen_models.py`.",
        "",
        "use std::fmt;",
        "",
        "use serde::ser::SerializeMap;",
        "use serde_json::{Map, Number, Value};" if uses_number else "use serde_json::{Map, Value};",
        "",
        "use super::lossless::{self, lossless_model, string_enum, KeyOrder, Object};",
        "use super::Operation;",
        "",
    ]
    for t in types:
        if t.kind == "enum":
            out += render_rust_enum(t)
        elif t.kind == "struct":
            out += render_rust_struct(t)
        else:
            assert t.alias_of is not None
            out += rust_doc(type_doc(t))
            out += [f"pub type {t.name} = {rust_type(t.alias_of)};", ""]
    out += [
        "/// Every schema name `roundtrip_schema` knows: components (bundle order), then inline",
        "/// schemas and inline response bodies.",
        "pub const SCHEMA_NAMES: &[&str] = &[",
    ]
    ordered = sorted(types, key=lambda t: (t.origin != "component", builder.order.index(t.name)))
    out += [f"    {rust_str(t.schema)}," for t in ordered]
    out += [
        "];",
        "",
        "/// Every operation in the bundle with the schemas of its JSON request and success body.",
        "pub const OPERATIONS: &[Operation] = &[",
    ]
    for op in builder.operations:
        req = f"Some({rust_str(op.request)})" if op.request else "None"
        resp = f"Some({rust_str(op.response)})" if op.response else "None"
        out += [
            "    Operation {",
            f"        operation_id: {rust_str(op.operation_id)},",
            f"        method: {rust_str(op.method)},",
            f"        path: {rust_str(op.path)},",
            f"        request_schema: {req},",
            f"        response_schema: {resp},",
            "    },",
        ]
    out += [
        "];",
        "",
        "pub(crate) fn roundtrip_generated(",
        "    schema: &str,",
        "    value: Value,",
        ") -> Option<Result<Value, serde_json::Error>> {",
        "    Some(match schema {",
    ]
    for t in ordered:
        if t.kind == "struct":
            call = f"lossless::roundtrip_model::<{t.name}>(value)"
        else:
            call = f"lossless::roundtrip_field::<{t.name}>(value, {rust_str(t.schema)})"
        out.append(f"        {rust_str(t.schema)} => {call},")
    out += ["        _ => return None,", "    })", "}", ""]
    return "\n".join(out)


def rustfmt(source: str) -> str:
    result = subprocess.run(
        ["rustfmt", "--edition", "2021", "--emit", "stdout"],
        input=source,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"rustfmt failed:\n{result.stderr}")
    return result.stdout


# --------------------------------------------------------------------------------------------
# Python output

PY_WIDTH = 100


def py_type(builder: Builder, ty: TypeRef) -> str:
    if ty.kind == "vec":
        assert ty.inner is not None
        return f"list[{py_type(builder, ty.inner)}]"
    if ty.kind == "named":
        assert ty.name is not None
        t = builder.types[ty.name]
        if t.kind == "struct":
            return t.name
        if t.kind == "enum":
            return "str"
        assert t.alias_of is not None
        return py_type(builder, t.alias_of)
    return {"str": "str", "i64": "int", "num": "float", "bool": "bool", "value": "Any"}[ty.kind]


def py_getter(builder: Builder, ty: TypeRef, key: str) -> tuple[str, list[str]]:
    """Helper function name and extra arguments reading a field of type `ty`."""
    scalar = {"str": "_get_str", "i64": "_get_int", "num": "_get_float", "bool": "_get_bool"}
    many = {"str": "_get_strs", "i64": "_get_ints", "num": "_get_floats", "bool": "_get_bools"}
    resolved = resolve_alias(builder, ty)
    if resolved.kind == "vec":
        assert resolved.inner is not None
        inner = resolve_alias(builder, resolved.inner)
        if inner.kind == "named":
            assert inner.name is not None
            if builder.types[inner.name].kind == "struct":
                return "_get_models", [inner.name]
            return "_get_strs", []
        if inner.kind in many:
            return many[inner.kind], []
        return "_get_list", []
    if resolved.kind == "named":
        assert resolved.name is not None
        if builder.types[resolved.name].kind == "struct":
            return "_get_model", [resolved.name]
        return "_get_str", []
    if resolved.kind in scalar:
        return scalar[resolved.kind], []
    return "", []


def resolve_alias(builder: Builder, ty: TypeRef) -> TypeRef:
    while ty.kind == "named":
        assert ty.name is not None
        t = builder.types[ty.name]
        if t.kind != "alias":
            break
        assert t.alias_of is not None
        ty = t.alias_of
    return ty


def py_docstring(text: str, indent: str) -> list[str]:
    if not text:
        return []
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text += " "
    one = f'{indent}"""{text}"""'
    if len(one) <= PY_WIDTH:
        return [one]
    wrapped = textwrap.wrap(text, width=PY_WIDTH - len(indent) - 3, break_on_hyphens=False)
    lines = [f'{indent}"""{wrapped[0]}']
    lines += [f"{indent}{line}" for line in wrapped[1:]]
    lines.append(f'{indent}"""')
    return lines


def py_call(prefix: str, func: str, args: list[str], indent: str) -> list[str]:
    one = f"{indent}{prefix}{func}({', '.join(args)})"
    if len(one) <= PY_WIDTH:
        return [one]
    lines = [f"{indent}{prefix}{func}("]
    lines += [f"{indent}    {arg}," for arg in args]
    lines.append(f"{indent})")
    return lines


def py_def(name: str, params: list[str], ret: str, indent: str) -> list[str]:
    one = f"{indent}def {name}({', '.join(params)}) -> {ret}:"
    if len(one) <= PY_WIDTH:
        return [one]
    lines = [f"{indent}def {name}("]
    lines += [f"{indent}    {param}," for param in params]
    lines.append(f"{indent}) -> {ret}:")
    return lines


def py_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render_py_class(builder: Builder, t: TypeDef) -> list[str]:
    lines = ["", "", f"class {t.name}(Model):"]
    lines += py_docstring(type_doc(t).replace("\n\n", " "), "    ")
    lines += ["", '    __slots__ = ()', f"    _schema: ClassVar[str] = {py_str(t.schema)}"]
    pairs = [f"({py_str(f.json)}, {py_str(f.py)})" for f in t.fields]
    tail = "," if len(pairs) == 1 else ""
    one = f"    _fields: ClassVar[tuple[tuple[str, str], ...]] = ({', '.join(pairs)}{tail})"
    if len(one) <= PY_WIDTH:
        lines.append(one)
    else:
        lines.append("    _fields: ClassVar[tuple[tuple[str, str], ...]] = (")
        lines += [f"        {pair}," for pair in pairs]
        lines.append("    )")
    secrets = SECRET_FIELDS.get(t.schema, ())
    if secrets:
        names = ", ".join(py_str(s) for s in secrets)
        lines.append(f"    _secrets: ClassVar[frozenset[str]] = frozenset({{{names}}})")
    lines += PY_CLASS_EXTRAS.get(t.schema, [])
    for f in t.fields:
        value_type = py_type(builder, f.ty)
        annotation = f"{value_type} | None" if value_type != "Any" else "Any"
        getter, extra_args = py_getter(builder, f.ty, f.json)
        lines += ["", "    @property"]
        lines += py_def(f.py, ["self"], annotation, "    ")
        lines += py_docstring(f.doc or f"``{f.json}``.", "        ")
        if getter:
            args = ["self._data", py_str(f.json), *extra_args]
            lines += py_call("return ", getter, args, "        ")
        else:
            lines.append(f"        return self._data.get({py_str(f.json)})")
        lines += ["", f"    @{f.py}.setter"]
        lines += py_def(f.py, ["self", f"value: {annotation}"], "None", "    ")
        lines += py_call("", "_set", ["self._data", py_str(f.json), "value"], "        ")
    return lines


PY_CLASS_EXTRAS: dict[str, list[str]] = {
    "app_variable_definition": [
        "",
        "    def _is_masked(self, key: str) -> bool:",
        "        # Same rule as the Rust model: anything but an absent or GENERAL type is secret;",
        "        # ciphertext (EV[...]) is shown as 'EV[…]' instead.",
        '        if key != "value" or self._data.get("type", "GENERAL") == "GENERAL":',
        "            return False",
        '        value = self._data.get("value")',
        "        return not (isinstance(value, str) and value.startswith(_CIPHERTEXT_PREFIX))",
    ],
    "app_spec": [
        "",
        "    @classmethod",
        "    def from_yaml(cls, text: str) -> AppSpec:",
        '        """Reads a ``.do/app.yaml`` spec (parsed and checked by the Rust core)."""',
        "        from do_envsync import _native",
        "",
        "        return cls(_as_object(json.loads(_native.spec_yaml_to_json(text)), cls))",
        "",
        "    def to_yaml(self) -> str:",
        '        """Writes the spec as ``.do/app.yaml`` YAML, keys in their current order."""',
        "        from do_envsync import _native",
        "",
        "        return _native.spec_json_to_yaml(self.to_json())",
    ],
}


PY_HEADER = '''\
"""Typed wrappers over the exact JSON of DigitalOcean App Platform objects.

GENERATED FILE, do not edit by hand. ``tools/gen_models.py`` writes it from DigitalOcean's
OpenAPI bundle ({bundle}) together with the Rust models in
``src/models/generated.rs``; run ``python3 tools/gen_models.py`` after changing the generator,
and ``python3 tools/gen_models.py --check`` to verify this file is current.

Each class wraps a plain ``dict`` holding the JSON exactly as the API sent it: unknown keys,
``null`` values and values of an undocumented type stay untouched, and key order is kept, so
``to_dict()`` gives back exactly what was read plus the changes made through properties.
Properties read and write one documented key each: setting ``None`` removes the key; a value
that does not have the documented type reads as ``None`` (the raw value stays in the dict).
Nested models and lists of models wrap the inner dicts, so changes made through them show up
in the outer object. String enums are plain ``str`` values; a ``Literal`` alias per enum (same
name as the Rust enum) lists the documented values. ``repr()`` never shows a secret.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from ._model_base import (
    _CIPHERTEXT_PREFIX,
    Model,
    _as_object,
    _get_bool,
    _get_float,
    _get_int,
    _get_ints,
    _get_list,
    _get_model,
    _get_models,
    _get_str,
    _get_strs,
    _set,
)
'''


def render_py(builder: Builder, bundle_label: str) -> str:
    types = [builder.types[name] for name in builder.order]
    out = [PY_HEADER.format(bundle=bundle_label).rstrip("\n")]
    exported = ["Model"]
    aliases: list[str] = []
    for t in types:
        if t.kind == "enum":
            values = [py_str(v) for v in t.values]
            one = f"{t.name} = Literal[{', '.join(values)}]"
            if len(one) <= PY_WIDTH:
                aliases.append(one)
            else:
                aliases.append(f"{t.name} = Literal[")
                aliases += [f"    {v}," for v in values]
                aliases.append("]")
            exported.append(t.name)
        elif t.kind == "alias":
            aliases.append(f"{t.name} = {py_type(builder, t.alias_of or VALUE)}")
            exported.append(t.name)
    out += ["", "# String enums: the documented values (the API may send others).", *aliases]
    for t in types:
        if t.kind == "struct":
            out += render_py_class(builder, t)
            exported.append(t.name)
    out += ["", "", "__all__ = ["]
    out += [f"    {py_str(name)}," for name in sorted(exported)]
    out += ["]", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed files are not current"
    )
    args = parser.parse_args(argv)
    bundle_path: Path = args.bundle
    if not bundle_path.is_file():
        print(f"gen_models: bundle not found: {bundle_path}", file=sys.stderr)
        return 2
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    builder = Builder(bundle)
    builder.build()
    label = "shared/openapi/apps-bundle.json"
    outputs = {
        RUST_OUT: rustfmt(render_rust(builder, label)),
        PY_OUT: render_py(builder, label),
    }
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check:
        for path in stale:
            print(f"gen_models: {path.relative_to(REPO)} is out of date", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        print(f"gen_models: wrote {path.relative_to(REPO)}")
    counts: dict[str, int] = {}
    for t in builder.types.values():
        counts[t.kind] = counts.get(t.kind, 0) + 1
    print(f"gen_models: {len(builder.types)} types {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
