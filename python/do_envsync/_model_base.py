"""The runtime under the generated models of ``do_envsync.models``: the ``Model`` base class
(a typed view over a plain ``dict`` holding the exact JSON) and the typed accessors the
generated properties use. Hand-written; ``tools/gen_models.py`` generates only the classes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

_M = TypeVar("_M", bound="Model")

_CIPHERTEXT_PREFIX = "EV["
_REPR_LIST_LIMIT = 3


def _to_json(value: Any) -> Any:
    """Plain JSON for a property value: models become their (shared) inner dicts."""
    if isinstance(value, Model):
        return value._data
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        data.pop(key, None)
    else:
        data[key] = _to_json(value)


def _get_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _get_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if _is_int(value) else None


def _get_float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return value if _is_float(value) else None


def _get_bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def _get_list(data: dict[str, Any], key: str) -> list[Any] | None:
    value = data.get(key)
    return value if isinstance(value, list) else None


def _get_strs(data: dict[str, Any], key: str) -> list[str] | None:
    value = _get_list(data, key)
    return value if value is not None and all(isinstance(v, str) for v in value) else None


def _get_ints(data: dict[str, Any], key: str) -> list[int] | None:
    value = _get_list(data, key)
    return value if value is not None and all(_is_int(v) for v in value) else None


def _get_floats(data: dict[str, Any], key: str) -> list[float] | None:
    value = _get_list(data, key)
    return value if value is not None and all(_is_float(v) for v in value) else None


def _get_bools(data: dict[str, Any], key: str) -> list[bool] | None:
    value = _get_list(data, key)
    return value if value is not None and all(isinstance(v, bool) for v in value) else None


def _get_model(data: dict[str, Any], key: str, cls: type[_M]) -> _M | None:
    value = data.get(key)
    return cls(value) if isinstance(value, dict) else None


def _get_models(data: dict[str, Any], key: str, cls: type[_M]) -> list[_M] | None:
    value = _get_list(data, key)
    if value is None or not all(isinstance(v, dict) for v in value):
        return None
    return [cls(v) for v in value]


def _as_object(value: Any, cls: type[Model]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{cls.__name__} expects a JSON object, got {type(value).__name__}")
    return value


def _render(value: Any) -> str:
    """repr() of a field value that hides ciphertext and SECRET env values."""
    if isinstance(value, Model):
        return repr(value)
    if isinstance(value, str):
        return "'EV[…]'" if value.startswith(_CIPHERTEXT_PREFIX) else repr(value)
    if isinstance(value, list):
        if len(value) > _REPR_LIST_LIMIT:
            return f"[...{len(value)} items...]"
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, dict):
        secret = value.get("type") == "SECRET"
        items = (
            f"{k!r}: {'***' if secret and k == 'value' else _render(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    return repr(value)


class Model:
    """Base class: a typed view over a JSON object (a plain dict, kept exactly)."""

    __slots__ = ("_data",)
    _schema: ClassVar[str] = ""
    # (JSON name, attribute name) of every documented key, in schema order.
    _fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    # JSON names whose values are credentials; repr() shows *** for them.
    _secrets: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, data: dict[str, Any] | None = None, **fields: Any) -> None:
        """Wraps ``data`` (not copied) and sets ``fields`` (by JSON or attribute name)."""
        self._data: dict[str, Any] = {} if data is None else data
        if fields:
            names = {attr: key for key, attr in self._fields}
            names.update((key, key) for key, _ in self._fields)
            for name, value in fields.items():
                if name not in names:
                    raise TypeError(
                        f"{type(self).__name__} has no documented field {name!r};"
                        " pass undocumented keys in the data dict"
                    )
                _set(self._data, names[name], value)

    @classmethod
    def from_dict(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """A model over a deep copy of ``data``, checked against the typed Rust model.

        Raises ``ValueError`` when the Rust model rejects it.
        """
        from do_envsync import _native

        copied = _as_object(copy.deepcopy(dict(data)), cls)
        _native.check_model(cls._schema, json.dumps(copied, ensure_ascii=False))
        return cls(copied)

    @classmethod
    def from_json(cls: type[_M], text: str) -> _M:
        """A model parsed from JSON text, checked like ``from_dict``."""
        from do_envsync import _native

        data = _as_object(json.loads(text), cls)
        _native.check_model(cls._schema, json.dumps(data, ensure_ascii=False))
        return cls(data)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the exact JSON object."""
        return copy.deepcopy(self._data)

    def to_json(self, indent: int | None = None) -> str:
        """The JSON text (compact unless ``indent`` is given); non-ASCII is kept as is."""
        if indent is None:
            return json.dumps(self._data, ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self._data, ensure_ascii=False, indent=indent)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return type(self) is type(other) and self._data == other._data

    def _is_masked(self, key: str) -> bool:
        return key in self._secrets

    def _repr_html_(self) -> str:
        """A masked HTML view for Jupyter (an app: name, region, components, env counts,
        live URL, deployment phase; other models: their top-level fields)."""
        from .display import app_html, model_html

        if self._schema == "app":
            return app_html(self._data)
        return model_html(type(self).__name__, self._data, self._fields, self._is_masked)

    def __repr__(self) -> str:
        parts: list[str] = []
        documented: set[str] = set()
        for key, attr in self._fields:
            documented.add(key)
            if key not in self._data:
                continue
            if self._is_masked(key):
                parts.append(f"{attr}='***'")
                continue
            typed = getattr(self, attr)
            parts.append(f"{attr}={_render(self._data[key] if typed is None else typed)}")
        unknown = [key for key in self._data if key not in documented]
        if unknown:
            parts.append(f"<unknown keys: {', '.join(unknown)}>")
        return f"{type(self).__name__}({', '.join(parts)})"
