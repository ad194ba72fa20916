"""Rendering of sync plans and results for terminals and Jupyter.

Only keys, actions, reasons, types and scopes are rendered: the objects this module
receives carry no values, so a value can never end up on a screen or in a notebook.
Text coming from an app spec (component names) is made printable for terminals and
escaped for HTML, since a spec is data written by someone else.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = [
    "EnvChangeLike",
    "SyncResultLike",
    "app_html",
    "fleet_html",
    "model_html",
    "plan_html",
    "plan_summary",
    "plan_table",
    "result_html",
    "result_summary",
    "run_summary",
    "runs_html",
    "runs_table",
]

APP_LABEL = "(app)"
"""How the app-level `envs` target is shown."""

HEADERS = ("TARGET", "KEY", "ACTION", "REASON", "TYPE", "SCOPE")
ACTIONS = ("create", "update", "delete", "unchanged")

# SGR codes per action for terminals; unknown actions are left uncoloured.
_ANSI = {"create": "32", "update": "33", "delete": "31", "unchanged": "2"}
# (text colour, background) per action for HTML.
_HTML_COLORS = {
    "create": ("#137333", "#e6f4ea"),
    "update": ("#8a4b00", "#fef7e0"),
    "delete": ("#a50e0e", "#fce8e6"),
    "unchanged": ("#5f6368", "transparent"),
}


class EnvChangeLike(Protocol):
    """What the renderers read from one plan line (`do_envsync.EnvChange` fits)."""

    @property
    def key(self) -> str: ...
    @property
    def component(self) -> str | None: ...
    @property
    def action(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def type(self) -> str | None: ...
    @property
    def scope(self) -> str | None: ...


class SyncResultLike(Protocol):
    """What `result_summary` reads from a sync result (`do_envsync.SyncResult` fits)."""

    @property
    def deployment_id(self) -> str | None: ...
    @property
    def created(self) -> Sequence[str]: ...
    @property
    def updated(self) -> Sequence[str]: ...
    @property
    def deleted(self) -> Sequence[str]: ...
    @property
    def unchanged(self) -> Sequence[str]: ...


def _printable(text: str) -> str:
    """Control characters (e.g. ANSI escapes smuggled into a component name) as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _row(change: EnvChangeLike) -> tuple[str, str, str, str, str, str]:
    return (
        APP_LABEL if change.component is None else change.component,
        change.key,
        change.action,
        change.reason,
        change.type or "?",
        change.scope or "?",
    )


def _counts(changes: Sequence[EnvChangeLike]) -> dict[str, int]:
    counts = dict.fromkeys(ACTIONS, 0)
    for change in changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    return counts


def plan_summary(changes: Sequence[EnvChangeLike]) -> str:
    """One line: how many keys each action touches and whether applying deploys."""
    counts = _counts(changes)
    if not any(counts[a] for a in ACTIONS if a != "unchanged"):
        return "no changes — nothing will be deployed"
    return (
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged"
        " — applying will deploy the app"
    )


def plan_table(
    app_id: str,
    changes: Sequence[EnvChangeLike],
    warnings: Sequence[str],
    *,
    color: bool = False,
    imports: Iterable[str] = (),
    in_flight: str | None = None,
) -> str:
    """The plan as aligned text columns, a summary line, then imports and warnings.

    `color` wraps the ACTION cells in ANSI colours (alignment is computed without them).
    `imports` are the keys whose GENERAL values an import behaviour took from the app.
    `in_flight` is the line about a deployment in flight on the app, if any.
    """
    rows = [tuple(_printable(cell) for cell in _row(c)) for c in changes]
    widths = [len(h) for h in HEADERS]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    action_column = HEADERS.index("ACTION")

    def line(cells: Sequence[str], colored: bool) -> str:
        parts = []
        for i, cell in enumerate(cells):
            padded = cell if i == len(cells) - 1 else cell.ljust(widths[i])
            if colored and i == action_column and cell in _ANSI:
                padded = f"\x1b[{_ANSI[cell]}m{cell}\x1b[0m{padded[len(cell) :]}"
            parts.append(padded)
        return "  ".join(parts).rstrip()

    out = [f"sync plan for app {_printable(app_id)}", line(HEADERS, False)]
    out.extend(line(row, color) for row in rows)
    out.append(plan_summary(changes))
    if in_flight:
        out.append(_printable(in_flight))
    imported = [_printable(k) for k in imports]
    if imported:
        out.append(f"imported from the destination (GENERAL values): {', '.join(imported)}")
    out.extend(f"warning: {_printable(w)}" for w in warnings)
    return "\n".join(out) + "\n"


def plan_html(
    app_id: str,
    changes: Sequence[EnvChangeLike],
    warnings: Sequence[str],
    *,
    imports: Iterable[str] = (),
    in_flight: str | None = None,
) -> str:
    """The plan as a self-contained HTML fragment (inline styles only), for `_repr_html_`."""
    esc = html.escape
    cell = "padding:2px 10px;text-align:left;border-bottom:1px solid #ddd"
    parts = [
        '<div class="do-envsync-plan" style="font-family:sans-serif;font-size:13px">',
        f"<div><strong>sync plan for app</strong> <code>{esc(app_id)}</code></div>",
        '<table style="border-collapse:collapse;margin:4px 0">',
        "<thead><tr>",
        *(f'<th style="{cell};border-bottom:2px solid #999">{esc(h)}</th>' for h in HEADERS),
        "</tr></thead>",
        "<tbody>",
    ]
    for change in changes:
        row = _row(change)
        parts.append("<tr>")
        for i, text in enumerate(row):
            style = cell
            if HEADERS[i] in ("TARGET", "KEY"):
                style += ";font-family:monospace"
            if HEADERS[i] == "ACTION" and text in _HTML_COLORS:
                fg, bg = _HTML_COLORS[text]
                style += f";color:{fg};background:{bg};font-weight:bold"
            parts.append(f'<td style="{esc(style)}">{esc(text)}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.append(f"<div>{esc(plan_summary(changes))}</div>")
    if in_flight:
        parts.append(f'<div style="color:#8a4b00">{esc(in_flight)}</div>')
    imported = list(imports)
    if imported:
        keys = ", ".join(f"<code>{esc(k)}</code>" for k in imported)
        parts.append(f"<div>imported from the destination (GENERAL values): {keys}</div>")
    if warnings:
        parts.append('<ul style="color:#8a4b00;margin:4px 0">')
        parts.extend(f"<li>warning: {esc(w)}</li>" for w in warnings)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def result_summary(result: SyncResultLike) -> str:
    """One line for a sync result, e.g. `created 2, updated 1, deleted 0, unchanged 5;
    deployment <id>`, or `no changes; no deployment`.

    The final deployment phase and a rollback are appended when the result has them.
    """
    created, updated, deleted = len(result.created), len(result.updated), len(result.deleted)
    if created or updated or deleted:
        counts = (
            f"created {created}, updated {updated}, deleted {deleted}, "
            f"unchanged {len(result.unchanged)}"
        )
    else:
        counts = "no changes"
    if result.deployment_id is None:
        return f"{counts}; no deployment"
    text = f"{counts}; deployment {result.deployment_id}"
    phase = getattr(result, "deployment_phase", None)
    if isinstance(phase, str) and phase:
        text += f" ({phase})"
    if getattr(result, "rolled_back", False) is True:
        text += "; env rolled back to the previous entries"
    superseded = getattr(result, "superseded_deployment_id", None)
    if isinstance(superseded, str) and superseded:
        text += f"; superseded deployment {superseded} that was in flight"
    return text


class SyncRunLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def sync_name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def started_at(self) -> str | None: ...
    @property
    def duration_ms(self) -> int | None: ...


def run_summary(run: SyncRunLike) -> str:
    """One line for a recorded run: `<sync> <kind> <status>: <message> (job <id>)`."""
    text = f"{_printable(run.sync_name)} {run.kind} {run.status}"
    if run.message:
        text += f": {_printable(run.message)}"
    return f"{text} (job {run.id})"


_RUN_HEADERS = ("STARTED", "KIND", "STATUS", "TIME", "JOB", "MESSAGE")


def _run_row(run: SyncRunLike) -> tuple[str, ...]:
    took = "" if run.duration_ms is None else f"{run.duration_ms / 1000:.1f}s"
    return (
        run.started_at or "",
        run.kind,
        run.status,
        took,
        run.id,
        _printable(run.message or ""),
    )


def runs_table(runs: Sequence[SyncRunLike]) -> str:
    """A text table of runs (newest first, as given)."""
    rows = [_RUN_HEADERS, *(_run_row(r) for r in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_RUN_HEADERS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def runs_html(runs: Sequence[SyncRunLike]) -> str:
    """An HTML table of runs for Jupyter; every cell escaped."""
    colors = {"succeeded": "#137333", "failed": "#a50e0e", "running": "#8a4b00"}
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in _RUN_HEADERS)
    body = []
    for run in runs:
        cells = [html.escape(c) for c in _run_row(run)]
        color = colors.get(run.status, "#5f6368")
        cells[2] = f"<span style='color:{color};font-weight:600'>{cells[2]}</span>"
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_CELL = "padding:2px 10px;text-align:left;border-bottom:1px solid #ddd"


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of already escaped cells, inline styles only."""
    head = "".join(f'<th style="{_CELL};border-bottom:2px solid #999">{h}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in row) + "</tr>" for row in rows
    )
    return (
        '<table style="border-collapse:collapse;margin:4px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _keys_html(keys: Sequence[str]) -> str:
    return ", ".join(f"<code>{html.escape(k)}</code>" for k in keys) or "—"


def result_html(result: SyncResultLike) -> str:
    """A sync result for Jupyter: its summary line, then the keys per action (names only)."""
    esc = html.escape
    app_id = getattr(result, "app_id", "")
    rows = [
        (esc(action), str(len(keys)), _keys_html(keys))
        for action, keys in (
            ("created", result.created),
            ("updated", result.updated),
            ("deleted", result.deleted),
            ("unchanged", result.unchanged),
        )
    ]
    warnings = [str(w) for w in getattr(result, "warnings", ())]
    parts = [
        '<div class="do-envsync-result" style="font-family:sans-serif;font-size:13px">',
        f"<div><strong>sync result for app</strong> <code>{esc(str(app_id))}</code></div>",
        _html_table(("ACTION", "COUNT", "KEYS"), rows),
        f"<div>{esc(result_summary(result))}</div>",
    ]
    parts.extend(f'<div style="color:#8a4b00">warning: {esc(w)}</div>' for w in warnings)
    parts.append("</div>")
    return "".join(parts)


def fleet_html(
    results: Mapping[str, SyncResultLike],
    errors: Mapping[str, BaseException],
    summary: str,
) -> str:
    """A fleet sync for Jupyter: one row per app with its counts, deployment or error."""
    esc = html.escape
    rows = []
    for app, r in results.items():
        rows.append(
            (
                f"<code>{esc(app)}</code>",
                *(str(len(keys)) for keys in (r.created, r.updated, r.deleted, r.unchanged)),
                esc(r.deployment_id or "—"),
                "",
            )
        )
    for app, err in errors.items():
        message = " ".join(str(err).split())
        rows.append(
            (
                f"<code>{esc(app)}</code>",
                "",
                "",
                "",
                "",
                "",
                f'<span style="color:#a50e0e">{esc(type(err).__name__)}: {esc(message)}</span>',
            )
        )
    headers = ("APP", "CREATED", "UPDATED", "DELETED", "UNCHANGED", "DEPLOYMENT", "ERROR")
    return (
        '<div class="do-envsync-fleet" style="font-family:sans-serif;font-size:13px">'
        f"<div>{esc(summary.splitlines()[0] if summary else '')}</div>"
        f"{_html_table(headers, rows)}</div>"
    )


def _env_count(envs: Any) -> str:
    """`n (k secret)` for a list of env definitions; values are never read."""
    if not isinstance(envs, list):
        return "0"
    secret = sum(1 for e in envs if isinstance(e, dict) and e.get("type") == "SECRET")
    return f"{len(envs)} ({secret} secret)" if secret else str(len(envs))


_COMPONENT_KINDS = ("services", "workers", "jobs", "static_sites", "functions")


def app_html(data: Mapping[str, Any]) -> str:
    """An app for Jupyter: name, region, live URL, active deployment phase, and per target
    (the app and each component) its env var count. Values are never read."""
    esc = html.escape
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    deployment = data.get("active_deployment")
    phase = deployment.get("phase") if isinstance(deployment, dict) else None
    in_progress = data.get("in_progress_deployment")
    live_url = data.get("live_url")
    facts = [
        ("name", esc(str(spec.get("name", "")))),
        ("id", f"<code>{esc(str(data.get('id', '')))}</code>"),
        ("region", esc(str(spec.get("region") or data.get("region") or ""))),
        (
            "live URL",
            f'<a href="{esc(live_url)}">{esc(live_url)}</a>'
            if isinstance(live_url, str) and live_url.startswith("https://")
            else esc(str(live_url or "—")),
        ),
        ("active deployment", esc(str(phase or "—"))),
    ]
    if isinstance(in_progress, dict):
        facts.append(("deployment in progress", esc(str(in_progress.get("phase", "")))))
    components = [(APP_LABEL, "app", _env_count(spec.get("envs")))]
    for kind in _COMPONENT_KINDS:
        for comp in spec.get(kind) or ():
            if isinstance(comp, dict):
                components.append((str(comp.get("name", "")), kind, _env_count(comp.get("envs"))))
    return (
        '<div class="do-envsync-app" style="font-family:sans-serif;font-size:13px">'
        + _html_table(("", ""), [(f"<strong>{k}</strong>", v) for k, v in facts])
        + _html_table(
            ("COMPONENT", "KIND", "ENV VARS"),
            [(f"<code>{esc(n)}</code>", esc(k), esc(c)) for n, k, c in components],
        )
        + "</div>"
    )


def model_html(
    name: str, data: Mapping[str, Any], fields: Sequence[tuple[str, str]], masked: Any
) -> str:
    """Any other typed model: its documented top-level fields. Nested objects and lists are
    shown by size only; credentials (`masked(key)`) and every `value` show as ***."""
    esc = html.escape
    rows = []
    for key, attr in fields:
        if key not in data:
            continue
        value = data[key]
        if key == "value" or masked(key):
            shown = "***"
        elif isinstance(value, dict):
            shown = f"{{{len(value)} keys}}"
        elif isinstance(value, list):
            shown = f"[{len(value)} items]"
        else:
            shown = str(value)
        rows.append((f"<code>{esc(attr)}</code>", esc(shown)))
    return (
        f'<div style="font-family:sans-serif;font-size:13px"><strong>{esc(name)}</strong>'
        f"{_html_table(('FIELD', 'VALUE'), rows)}</div>"
    )
