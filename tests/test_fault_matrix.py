"""The fault matrix: every operation class against every fault the emulator can inject.

Operation classes: `list` (`apps.list()` across two pages), `get` (`apps.get`), `update` (a
`sync` that PUTs), `propose` (`apps.propose`) and `follow` (`sync(wait=True)` following the
deployment it started). Faults: transient ones (429 with and without `retry-after`,
DigitalOcean's burst-limit 429 and a short hourly-quota 429, 500/502/503/504, connection
reset, timeout) hit once or twice and must be retried to success, and `remaining: 0` on
every success must not hold the client; the same faults without end (and an hourly quota
whose reset is an hour away) must surface as their exception class; permanent ones
(truncated JSON, off-origin `next` link, 401/403/404/422) must surface at once as the right
`do_envsync.errors` class carrying DigitalOcean's message. An update is afterwards either
fully applied or not at all, with unmanaged entries intact.

Each case adds one row to the table `docs/reliability.md` is generated from (written when
the whole matrix ran, at the end of the session).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import (
    AuthenticationError,
    DecodeError,
    DigitalOceanError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from do_envsync.testing import Emulator, RequestRecord

from .conftest import make_spec
from .test_sync import env_map, envs_of, reveal, spec_of

DOC = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"

OPERATIONS = ["list", "get", "update", "propose", "follow"]

# Client settings of the whole matrix: a short per-attempt timeout so that the timeout
# fault costs little, and enough attempts for two injected failures plus the success.
TIMEOUT = 1.0
MAX_ATTEMPTS = 3
# The timeout fault holds the answer this long: far beyond the per-attempt timeout, so a
# client without one would wait it out, which the elapsed time shows.
TIMEOUT_FAULT_DELAY = 12.0
# Apps seeded for `list`: one more than a page (200), so the listing takes two requests.
LIST_APPS = 201

# DigitalOcean's error messages, as the emulator sends them for an injected status.
MESSAGES = {
    401: "Unable to authenticate you.",
    403: "You do not have access for the attempted action.",
    404: "The resource you requested could not be found.",
    422: "The request could not be processed.",
    429: "API Rate limit exceeded.",
    500: "Unexpected server-side error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


@dataclass(frozen=True)
class Fault:
    """One column of the matrix: what to inject and what must come out of it."""

    name: str
    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    count: int | None = 1
    retries: int = 0
    """Failed attempts before the success, for a transient fault; 0 for a failing one."""
    error: type[BaseException] | None = None
    message: str | None = None
    """Text the exception's message must contain."""
    only: tuple[str, ...] = ()
    """Operation classes the fault applies to (all when empty)."""


FAULTS = [
    Fault("429 with retry-after", "status", {"status": 429, "retry_after": 1}, 1, retries=1),
    Fault("429 without retry-after", "status", {"status": 429}, 2, retries=2),
    # DigitalOcean's own 429s (seed 004, "Rate Limit"): a burst-limit 429 says remaining 0
    # with a reset up to an hour away and retry-after; the hourly quota's has no retry-after.
    Fault(
        "burst 429 (remaining 0, reset in 1 h, retry-after 1)",
        "rate_limited",
        {"retry_after": 1, "reset_in": 3599},
        2,
        retries=2,
    ),
    Fault(
        "hourly-quota 429 (no retry-after), reset in 2 s",
        "rate_limited",
        {"reset_in": 2},
        1,
        retries=1,
    ),
    Fault(
        "remaining 0 on every success, reset in 1 h",
        "remaining_zero",
        {"reset_in": 3599},
        None,
        retries=0,
    ),
    Fault("500", "status", {"status": 500}, 2, retries=2),
    Fault("502", "status", {"status": 502}, 2, retries=2),
    Fault("503", "status", {"status": 503}, 2, retries=2),
    Fault("504", "status", {"status": 504}, 2, retries=2),
    Fault("connection reset", "reset", {}, 2, retries=2),
    Fault("timeout", "delay", {"delay": TIMEOUT_FAULT_DELAY}, 1, retries=1),
    Fault(
        "429 without end",
        "status",
        {"status": 429},
        None,
        error=RateLimitError,
        message=MESSAGES[429],
    ),
    Fault(
        "hourly-quota 429 (no retry-after), reset in 1 h",
        "rate_limited",
        {"reset_in": 3599},
        1,
        error=RateLimitError,
        message=MESSAGES[429],
    ),
    Fault(
        "503 without end", "status", {"status": 503}, None, error=ServerError, message=MESSAGES[503]
    ),
    Fault(
        "reset without end",
        "reset",
        {},
        None,
        error=TransportError,
        message="transport error (Reset)",
    ),
    Fault("truncated JSON", "malformed", {}, 1, error=DecodeError, message="could not decode"),
    Fault(
        "off-origin next link",
        "off_origin_next",
        {"url": "http://198.51.100.9:8/v2/apps?page=2"},
        None,
        error=DigitalOceanError,
        message="refusing to follow a link to another origin: http://198.51.100.9:8/",
        only=("list",),
    ),
    Fault("401", "status", {"status": 401}, 1, error=AuthenticationError, message=MESSAGES[401]),
    Fault("403", "status", {"status": 403}, 1, error=PermissionDeniedError, message=MESSAGES[403]),
    Fault("404", "status", {"status": 404}, 1, error=NotFoundError, message=MESSAGES[404]),
    Fault("422", "status", {"status": 422}, 1, error=ValidationError, message=MESSAGES[422]),
]


# ---------------------------------------------------------------------------
# The generated table
# ---------------------------------------------------------------------------

DOC_HEAD = """\
# Reliability

<!-- Generated by `python -m pytest tests/test_fault_matrix.py`: edit the text in that file. -->

What do-envsync promises when the network or DigitalOcean misbehaves, and the tests that
hold it to that promise.

**Every failure is a typed error carrying DigitalOcean's message.** A response DigitalOcean
sent becomes the `do_envsync.errors` class of its status (`AuthenticationError` for 401,
`PermissionDeniedError` for 403, `NotFoundError` for 404, `ValidationError` for 400/422,
`RateLimitError` for 429, `ServerError` for 5xx) whose `message`, `error_id` and
`request_id` are DigitalOcean's. No response at all is a `TransportError`, a body that is
not the JSON expected a `DecodeError` (with a short, masked excerpt), a pagination link to
another host a `DigitalOceanError` that names the host, and the request is never sent there
(it would carry the token). Messages never hold a token or a secret value.

**Transient faults are retried; permanent ones are not.** 429, 500, 502, 503, 504, connection
resets and timeouts are retried with capped exponential backoff and full jitter, within
`max_attempts` tries and `retry_budget` seconds; a 429's `retry-after` is a floor for the
next try. Reads, PUTs and the read-only `propose` are retried; `create` (a POST with a side
effect) never is. 401, 403, 404 and 422 fail at once, after exactly one request.

**A burst-limit 429 costs seconds, not an hour.** DigitalOcean's burst-limit 429 carries
`ratelimit-remaining: 0`, a `ratelimit-reset` up to an hour away and `retry-after`: every
request of the client then waits `retry-after` (one shared "not before" instant), and the
request is tried again. `remaining: 0` on a success may only mean a full burst window: the
client then holds requests until `reset` only when that is within one burst window, and
otherwise sends one request at a time until the server's answer tells. Only a 429 without
`retry-after` and with nothing remaining is the spent hourly quota: it is waited for when
`reset` fits the retry budget, else it raises `RateLimitError` whose `retry_after` is the
time to `reset`, and the client refuses further requests (without sending them) until then.

**A sync changes the app completely or not at all.** The whole env change travels in one
PUT of the full spec, so DigitalOcean applies all of it or none of it: a failed sync
leaves the app's spec, its deployments and the state store as they were; a sync that
succeeds touches only the keys it manages, byte for byte (unmanaged entries keep their
`EV[...]` strings, components keep their envs). The state is written only after the PUT's
response arrived; a crash in between is repaired by the next run, at the cost of at most
one extra deployment.

**A PUT is never applied twice.** When a PUT's response is lost (a timeout, a reset after
the request was sent, a 5xx from a gateway), the request may or may not have been applied,
and sending it again would start a second deployment. The sync reads the app back instead:
unchanged means the PUT is sent again; holding what was sent (SECRET plaintexts now
`EV[...]`) means it was applied, and the read app stands in for the lost response;
anything else means someone else wrote meanwhile, and the sync stops with the original
error rather than overwrite their change. (With `max_attempts=1` the first failure is
returned as it came, without a read-back.)

**Bad input changes nothing.** Tokens (empty, whitespace, non-ASCII, header-breaking),
app ids (anything but a hyphenated UUID, so no name or path reaches a URL), key schemas,
environments, env keys before and after rendering, types, scopes, values (over 128 KiB,
the most one environment variable can hold on Linux, or holding a NUL) and component
targets are checked before the first request: a `ValueError` (or `TypeError`) that names
the problem, no request sent, no state written. Spec text that is not valid JSON/YAML,
not an object, or has a key twice in one mapping is refused with its position.

**Following a deployment is only reading.** When a poll of the deployment fails, the
PUT has already been applied and its state recorded: the error is the failed poll's (its
class and DigitalOcean's message), the app is fully updated and the state holds every
managed key.

## Fault matrix

Each cell is a test in `tests/test_fault_matrix.py`, run against the emulator's fault
injection: "ok after N retries" means the fault hit N attempts and the operation then
succeeded; otherwise the exception class and the message it carried. The timeout fault
holds the answer 12 s against a 1 s per-attempt timeout: its success comes from a retry
well before the held answer would have arrived. For `update`, the
cell also says whether the app ended fully updated or untouched (checked entry by entry,
never half) and how many deployments it started. N/A: the fault cannot occur for that
operation (only list responses have a `next` link).

Operations: **list** `apps.list()` across two pages (the fault hits the second page,
except the off-origin link, which is on the first); **get** `apps.get(id)`; **update**
`sync(...)`, the fault on its PUT; **propose** `apps.propose(spec)`; **follow**
`sync(..., wait=True)`, the fault on the deployment polls.

"""


class Matrix:
    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], str] = {}

    def record(self, fault: str, op: str, outcome: str) -> None:
        self.cells[(fault, op)] = outcome

    def complete(self) -> bool:
        return all(
            (f.name, op) in self.cells
            for f in FAULTS
            for op in OPERATIONS
            if not f.only or op in f.only
        )

    def markdown(self) -> str:
        lines = [
            "| fault | " + " | ".join(OPERATIONS) + " |",
            "| --- |" + " --- |" * len(OPERATIONS),
        ]
        for f in FAULTS:
            cells = [self.cells.get((f.name, op), "N/A").replace("|", "\\|") for op in OPERATIONS]
            lines.append(f"| {f.name} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def matrix() -> Iterator[Matrix]:
    m = Matrix()
    yield m
    # Only a full run regenerates the document: a `-k` selection must not truncate it.
    if m.complete():
        DOC.write_text(DOC_HEAD + m.markdown() + DOC_TAIL)


DOC_TAIL = """
Also proven by tests (`tests/test_fault_matrix.py` unless named):

- A PUT applied by the server whose connection then dropped (`apply_then_reset`) is
  detected by reading the app back: one deployment, the state recorded, the next sync a
  no-op.
- A PUT answered 503 while someone else wrote the app before the read-back: the sync
  stops with the 503 and sends no second PUT; their write stands, nothing is recorded.
- With `max_attempts=1`, a PUT whose connection dropped is returned as a
  `TransportError` with no read-back (one GET, one PUT); a held answer is a
  `TransportError` (Timeout) after about the timeout.
- `tests/test_crash.py`: 50 syncs SIGKILLed at random points (before the PUT, during it,
  after it before the state write); every next run converges, managed keys equal the
  source, unmanaged entries are never lost, at most one extra deployment per crash.
- `tests/test_sync_contention.py`: 8 processes syncing one app with overlapping and
  disjoint key sets: no lost update, no interleaved read-modify-write (the emulator's
  request log shows each process's GET followed by its own PUT), one deployment per PUT;
  a short `lock_timeout` fails promptly with `LockTimeoutError`.
- `tests/test_bad_input.py`: invalid tokens, app ids, key schemas, keys, types, scopes,
  oversized values and malformed specs are refused with a precise message before anything
  is sent or recorded.
- Rate limits: `src/client/rate_limit.rs` simulates tight loops on a paused clock against
  a server that follows the reference (burst window full → `remaining: 0` with `reset` an
  hour away; burst 429 with `retry-after`; hourly-quota 429 without): kept to the burst
  limit without a 429 or a stall; with an account limit below the client's own window,
  every 429 waited out and nothing sent during a `retry-after`; the hourly quota refused
  with the time to reset. `tests/sync_fleet.rs` and
  `tests/control_watch.rs` drive a fleet sync and `watch` through repeated burst 429s of the
  emulator to completion (each 429 retried no earlier than `retry-after`, no
  `RateLimitError`); `tests/test_errors.py` covers the hourly quota from Python.
- `fuzz/`: cargo-fuzz targets for key-schema rendering and matching, the spec JSON/YAML
  round trip and the plan function (`fuzz/run.sh [seconds]`).
- `tests/conftest.py`: after each passing pytest test, what pytest captured of it
  (stdout and stderr at the file-descriptor level, so Rust's tracing and the output of
  subprocesses that inherit them, and log records) holds no canary secret or token, and
  neither does any state file (database, WAL, key, lock) left under the session's
  temporary directories. Output a test captures itself (`capture_output=True`) is checked
  where that test asserts on it (e.g. `tests/test_sync_secrets.py`, the CLI tests); the
  cargo tests are outside this check.

## Security

Threats from issue 14 (a second local user beside the victim, a hostile or echoing server,
a web page in the victim's browser) and what stops each; every item is an attack performed
by a test in `tests/store_attacks.rs`, `tests/test_security.py` or `tests/emulator_api.rs`.

- **A lock file planted as a symbolic link to a victim's file (`~/.bashrc`), truncated and
  overwritten by the next sync.** Lock files are opened with `O_NOFOLLOW`, never truncated
  on open, and must be regular files of the current user with mode 0600; a link is refused
  with its path.
- **Another user pre-creates `<state>.locks/` (0777) or the state directory in a shared
  directory.** The state and lock directories must belong to the current user and be
  writable by nobody else (the lock directory must not be a link); refused with the path and
  `chmod go-w …` or "choose a state path of your own".
- **A state database, fingerprint key or master key planted (0666) by another user and
  adopted, so that they decrypt every token stored later.** Every store file must belong to
  the current user and be owner-only; refused, naming the path and the fix; the store never
  chmods a file (it used to "repair" them).
- **The state path is a symbolic link (its target's mode changed, a dangling link creating a
  database where it points).** A linked state path is refused, naming its target; SQLite's
  files are checked with `lstat`, not opened (closing a descriptor would drop SQLite's
  locks).
- **Loose permissions on existing files (0777 directory, 0666 lock or database).** Reported
  as an error with the `chmod` that fixes them, never silently left or changed.
- **A 422 whose message repeats a SECRET value sent, or a token (any form).** The client
  scrubs every error answer of its own token and of the SECRET values of the request it
  answers; `dop_v1_`/`doo_v1_`/`dor_v1_` and 64-hex legacy tokens and `EV[...]` are masked
  everywhere; a run's stored message is masked again.
- **A failing `--command` printing a secret on stderr, stored as the run's message.** Stderr
  is scrubbed of the values the command printed on stdout, of the product's secret variables
  and of token shapes before it is truncated (a line cut by the tail limit is dropped).
- **Secrets on argv (`--source-json` with an inline source or an Infisical `client_secret`),
  seen by `ps` and shell history.** Refused inline; `--source-json @FILE` or `-` (stdin, ≤ 1
  MiB).
- **A token typed as `--token-env dop_v1_…` (or `token_env` in the config file) echoed
  back.** Token-shaped names are refused without echo.
- **A command source inheriting `DO_ENVSYNC_MASTER_KEY`, `DIGITALOCEAN_TOKEN` and the
  like.** Withheld from the child's environment (also `DIGITALOCEAN_ACCESS_TOKEN`,
  `DO_ENVSYNC_EMULATOR_TOKEN` and every Infisical `client_secret_env` of the store);
  `pass_env` lists the ones a command really needs.
- **A `do-envsync.toml` in the working directory sending `$DIGITALOCEAN_TOKEN` to its own
  `base_url`.** The file is applied only before the commands that act on the declared setup;
  a new non-DigitalOcean `base_url` from a file *found* there is refused, and from a file
  *named* (`config apply PATH`, `--config`) announced on stderr before the token is sent.
- **A web page reaching the standalone emulator's `/_emulator/` surface (DNS rebinding,
  cross-origin `text/plain` POSTs), reading SECRET plaintexts from its request log, or the
  token file left behind.** The admin surface requires the emulator's token, a loopback
  `Host` and `application/json` for changes (403/401/415); logged bodies hold SECRET
  plaintexts sealed (`[REDACTED EV[...]]`); the token file is removed on stop.
- **A malformed API answer (no `app` field) ending in a traceback.** A `DecodeError` naming
  the missing field; every CLI path ends in one line.
- **A huge `.env` file or line read whole (a 50 MiB line cost ~400 MB).** Files over 10 MiB
  are refused by size before reading, lines over 1 MiB by number (the CLI peaks at ~47 MB
  RSS on a 50 MiB file).

The canary suite (`tests/conftest.py`) checks the output of every test, including the error
messages of an echoing API and of failing command sources (`tests/test_security.py`), and
every state file the suite wrote.
"""


# ---------------------------------------------------------------------------
# Operation classes
# ---------------------------------------------------------------------------

SCHEMA = "APP_{{secretKey}}"
UNMANAGED = ("LOG_LEVEL", "API_KEY")


@dataclass
class Setup:
    """An operation ready to run, the fault's target, and how to check the app after."""

    run: Callable[[], Any]
    method: str
    path: str
    check: Callable[[Any], None]
    after: int = 0
    app_id: str | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)


def _sync_setup(
    emu: Emulator, client: do_envsync.Client, tmp_path: Path, wait: bool
) -> tuple[str, Any, dict[str, str], dict[str, Any]]:
    """An app with two managed keys from an earlier sync; the next sync updates one,
    creates one and deletes one (a PUT that is all or nothing)."""
    app_id = emu.seed_app(make_spec())["id"]
    store = do_envsync.Store(tmp_path / "matrix" / "state.db")
    client.sync(app_id, {"A": "a-1", "B": "b-1"}, key_schema=SCHEMA, state=store)
    run = uuid.uuid4().hex[:8]
    desired = {"A": f"a-2-{run}", "C": f"c-2-{run}"}
    snapshot = {
        "envs": env_map(emu, app_id),
        "web": envs_of(emu, app_id, "web"),
        "rest": {k: v for k, v in spec_of(emu, app_id).items() if k != "envs"},
        "deployments": emu.deployment_count(app_id),
        "state": store.state(app_id),
    }
    return app_id, store, desired, snapshot


def sync_outcome(emu: Emulator, app_id: str, store: Any, desired: dict[str, str], snap: Any) -> str:
    """Asserts the app is fully updated or untouched, never half; says which."""
    envs = env_map(emu, app_id)
    for key in UNMANAGED:
        assert envs[key] == snap["envs"][key], key  # byte-identical, EV string included
    assert envs_of(emu, app_id, "web") == snap["web"]
    assert {k: v for k, v in spec_of(emu, app_id).items() if k != "envs"} == snap["rest"]
    managed = {k for k in envs if k.startswith("APP_")}
    if envs == snap["envs"]:
        assert emu.deployment_count(app_id) == snap["deployments"]
        assert store.state(app_id) == snap["state"]
        return "untouched"
    assert managed == {f"APP_{k}" for k in desired}, "a half-applied update"
    for key, value in desired.items():
        assert reveal(emu, app_id, f"APP_{key}") == value
    deployments = emu.deployment_count(app_id) - snap["deployments"]
    assert deployments == 1, f"{deployments} deployments for one update"
    return "fully updated, 1 deployment"


def make_setup(
    op: str, emu: Emulator, client: do_envsync.Client, tmp_path: Path, holder: dict[str, Any]
) -> Setup:
    if op == "list":
        for i in range(LIST_APPS):
            emu.seed_app(make_spec(f"app-{i:03d}"))

        def run_list() -> Any:
            return [a.id for a in client.apps.list()]

        def check_list(result: Any) -> None:
            assert len(set(result)) == LIST_APPS

        return Setup(run_list, "GET", r"^/v2/apps$", check_list, after=1)

    if op == "get":
        app = emu.seed_app(make_spec())

        def check_get(result: Any) -> None:
            assert result.to_dict()["spec"] == app["spec"]

        return Setup(
            lambda: client.apps.get(app["id"]), "GET", f"^/v2/apps/{app['id']}$", check_get
        )

    if op == "propose":
        spec = make_spec("proposed")

        def check_propose(result: Any) -> None:
            data = result.to_dict()
            assert data["app_name_available"] is True
            assert data["spec"]["name"] == "proposed"

        return Setup(
            lambda: client.apps.propose(spec), "POST", r"^/v2/apps/propose$", check_propose
        )

    wait = op == "follow"
    app_id, store, desired, snap = _sync_setup(emu, client, tmp_path, wait)
    holder.update(app_id=app_id, store=store, desired=desired, snap=snap)

    def run_sync() -> Any:
        return client.sync(app_id, desired, key_schema=SCHEMA, state=store, wait=wait)

    def check_sync(result: Any) -> None:
        assert sorted(result.created) == ["APP_C"]
        assert sorted(result.updated) == ["APP_A"]
        assert sorted(result.deleted) == ["APP_B"]
        if wait:
            assert result.deployment_phase == "ACTIVE"

    if wait:
        return Setup(
            run_sync, "GET", f"^/v2/apps/{app_id}/deployments/[^/]+$", check_sync, app_id=app_id
        )
    return Setup(run_sync, "PUT", f"^/v2/apps/{app_id}$", check_sync, app_id=app_id)


def cases() -> Iterator[Any]:
    for f in FAULTS:
        for op in OPERATIONS:
            if not f.only or op in f.only:
                yield pytest.param(f, op, id=f"{op}-{f.name.replace(' ', '_')}")


def fault_records(emu: Emulator, method: str, path: str) -> list[RequestRecord]:
    """The logged requests on the fault's route, in arrival order."""
    rx = re.compile(path)
    return [r for r in emu.requests() if r.method == method and rx.match(r.path)]


def fault_hits(emu: Emulator, method: str, path: str) -> int:
    """Requests the emulator logged on the fault's route (answered, or reset)."""
    rx = re.compile(path)
    return sum(1 for r in emu.requests() if r.method == method and rx.match(r.path))


@pytest.mark.parametrize(("fault", "op"), list(cases()))
def test_fault_matrix(emu: Emulator, tmp_path: Path, matrix: Matrix, fault: Fault, op: str) -> None:
    client = emu.client(timeout=TIMEOUT, max_attempts=MAX_ATTEMPTS, retry_budget=15.0)
    holder: dict[str, Any] = {}
    setup = make_setup(op, emu, client, tmp_path, holder)
    emu.clear_requests()
    emu.add_fault(
        fault.kind,
        method=setup.method,
        path=setup.path,
        count=fault.count,
        after=setup.after,
        **fault.kwargs,
    )

    t0 = time.monotonic()
    outcome: str
    if fault.error is None:
        result = setup.run()
        setup.check(result)
        outcome = f"ok after {fault.retries} {'retry' if fault.retries == 1 else 'retries'}"
        elapsed = time.monotonic() - t0
        # A request the client gave up on (timeout) is dropped unanswered and not logged.
        logged = 0 if fault.kind == "delay" else fault.retries
        if fault.kind == "delay":
            # The emulator answers the first attempt only after TIMEOUT_FAULT_DELAY: a
            # success well before that means the client gave up on it at its own timeout
            # and a second attempt (the one logged as answered) got the answer.
            assert elapsed >= TIMEOUT, "the delayed attempt did not wait for its timeout"
            assert elapsed < TIMEOUT_FAULT_DELAY - 2, (
                f"{elapsed:.1f}s: the client waited for the delayed answer (no per-attempt timeout)"
            )
        hits = fault_hits(emu, setup.method, setup.path)
        if op == "follow":
            assert hits >= setup.after + logged + 1, hits  # polls until ACTIVE
        else:
            assert hits == setup.after + logged + 1, hits
        if fault.name == "429 with retry-after":
            assert time.monotonic() - t0 >= 0.95, "retry-after was not honoured"
        if fault.kind == "rate_limited":
            # Each retry came after retry-after (burst) or after reset (hourly quota).
            floor = float(fault.kwargs.get("retry_after", fault.kwargs["reset_in"] - 1))
            route = fault_records(emu, setup.method, setup.path)
            gaps = [b.ts - a.ts for a, b in itertools.pairwise(route) if a.status == 429]
            assert len(gaps) == fault.retries and all(g >= floor - 0.001 for g in gaps), gaps
        if fault.kind == "remaining_zero":
            # Not an hour's hold: the client sends the next request at once.
            client.account.get()
            assert time.monotonic() - t0 < 30, "held after remaining 0"
            outcome = "ok, and the next request not held"
    else:
        with pytest.raises(fault.error) as info:
            setup.run()
        err = info.value
        assert type(err) is fault.error, f"{type(err).__name__}: {err}"
        assert fault.message is not None and fault.message in err.message, err.message
        if fault.kind == "status":
            assert err.status == fault.kwargs["status"]
            assert err.request_id, "DigitalOcean's request id is kept for support tickets"
        outcome = f"{type(err).__name__}: {_short(err.message)}"
        if fault.count == 1 and fault.kind in ("status", "rate_limited"):
            # A permanent error is not retried: one request on the fault's route.
            assert fault_hits(emu, setup.method, setup.path) == 1 + setup.after
        if fault.kind == "rate_limited":
            # The hourly quota: retry_after is the time to reset, and the client refuses
            # further requests without sending them.
            assert err.retry_after is not None and err.retry_after > 3500, err.retry_after
            outcome += f" (retry_after {err.retry_after / 60:.0f} min)"
            sent = len(emu.requests())
            with pytest.raises(RateLimitError):
                client.account.get()
            assert len(emu.requests()) == sent

    if op in ("update", "follow"):
        state = sync_outcome(emu, **holder)
        if op == "follow":
            # The PUT happened before the deployment was followed: always fully updated,
            # and its state recorded (the next sync sends nothing).
            assert state.startswith("fully updated"), state
            store = holder["store"]
            recorded = {r["key"] for r in store.state(holder["app_id"])}
            assert recorded == {f"APP_{k}" for k in holder["desired"]}, recorded
        if op == "update" and fault.error is not None:
            assert state == "untouched", state
        outcome += f"; {state}"
    matrix.record(fault.name, op, outcome)


def _short(message: str) -> str:
    """The message for the table: stable across runs (no request ids), one clause."""
    text = re.sub(r" \(request id [^)]*\)", "", message).split(";")[0]
    if text.startswith("transport error"):
        text = text.split(":")[0]
    return text if len(text) <= 70 else text[:67] + "..."


# ---------------------------------------------------------------------------
# A PUT applied by the server whose response was lost
# ---------------------------------------------------------------------------


def test_applied_put_whose_response_was_lost_is_not_applied_twice(
    emu: Emulator, tmp_path: Path
) -> None:
    client = emu.client(timeout=TIMEOUT, max_attempts=MAX_ATTEMPTS, retry_budget=15.0)
    app_id, store, desired, snap = _sync_setup(emu, client, tmp_path, wait=False)
    emu.clear_requests()
    emu.add_fault("apply_then_reset", method="PUT", path=f"^/v2/apps/{app_id}$", count=1)

    result = client.sync(app_id, desired, key_schema=SCHEMA, state=store)
    assert sorted(result.created) == ["APP_C"] and sorted(result.deleted) == ["APP_B"]
    assert result.deployment_id is not None
    assert sync_outcome(emu, app_id, store, desired, snap) == "fully updated, 1 deployment"
    # One PUT only: the lost response was replaced by reading the app back.
    assert emu.request_count("PUT", f"/v2/apps/{app_id}") == 1
    assert emu.request_count("GET", f"/v2/apps/{app_id}") == 2
    # The state was recorded from the read-back app: the next sync changes nothing.
    emu.clear_requests()
    again = client.sync(app_id, desired, key_schema=SCHEMA, state=store)
    assert again.deployment_id is None and emu.request_count() == 1
    assert emu.deployment_count(app_id) == snap["deployments"] + 1


# ---------------------------------------------------------------------------
# The per-attempt timeout, without retries
# ---------------------------------------------------------------------------


def test_an_attempt_that_outlives_its_timeout_is_abandoned(emu: Emulator) -> None:
    """With retries off, an answer held far beyond the timeout surfaces as a timeout
    `TransportError` after about `timeout`, not after the server's delay."""
    client = emu.client(timeout=TIMEOUT, max_attempts=1, retry_budget=15.0)
    app_id = emu.seed_app(make_spec())["id"]
    emu.clear_requests()
    emu.add_fault(
        "delay", method="GET", path=f"^/v2/apps/{app_id}$", count=1, delay=TIMEOUT_FAULT_DELAY
    )
    t0 = time.monotonic()
    with pytest.raises(TransportError) as info:
        client.apps.get(app_id)
    elapsed = time.monotonic() - t0
    assert "(Timeout)" in str(info.value), info.value
    assert TIMEOUT <= elapsed < TIMEOUT_FAULT_DELAY - 2, elapsed
    # No answer was sent for the abandoned attempt, and it was not retried.
    assert emu.request_count() == 0
    # The fault was spent on that one attempt: the next call is answered at once.
    assert client.apps.get(app_id).id == app_id


def test_a_lost_put_response_with_another_write_meanwhile_stops_without_overwriting(
    emu: Emulator, tmp_path: Path
) -> None:
    """The PUT's answer is a 503 (it may or may not have been applied); before the sync
    reads the app back, someone else writes it. The sync stops with the original error and
    sends no second PUT: their change stays, nothing of ours is applied or recorded."""
    client = emu.client(timeout=30.0, max_attempts=MAX_ATTEMPTS, retry_budget=60.0)
    app_id, store, desired, snap = _sync_setup(emu, client, tmp_path, wait=False)
    path = f"^/v2/apps/{app_id}$"
    emu.clear_requests()
    emu.add_fault("status", method="PUT", path=path, status=503, count=1)
    # The read-back (the second GET of the app) is held, leaving room for the other write.
    emu.add_fault("delay", method="GET", path=path, after=1, count=1, delay=6.0)
    failure: dict[str, BaseException] = {}

    def run() -> None:
        try:
            client.sync(app_id, desired, key_schema=SCHEMA, state=store)
        except BaseException as e:  # handed to the test thread
            failure["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while emu.request_count("PUT") == 0:
        assert time.monotonic() < deadline, "the sync never sent its PUT"
        time.sleep(0.01)
    # Someone else writes the app (from the stored spec: no GET of ours to disturb).
    theirs = spec_of(emu, app_id)
    theirs["envs"] = [*theirs["envs"], {"key": "THEIRS", "value": "x", "scope": "RUN_TIME"}]
    emu.client().request("PUT", f"/v2/apps/{app_id}", json={"spec": theirs})
    thread.join(60)
    assert not thread.is_alive()

    error = failure.get("error")
    assert isinstance(error, ServerError) and error.status == 503, error
    assert spec_of(emu, app_id) == theirs  # their write stands, nothing of ours on top
    puts = [r for r in emu.requests() if r.method == "PUT"]
    assert [r.status for r in puts] == [503, 200]  # our failed PUT, then theirs; no resend
    assert emu.deployment_count(app_id) == snap["deployments"] + 1  # theirs only
    assert store.state(app_id) == snap["state"]


def test_with_retries_off_a_lost_put_response_is_returned_without_a_read_back(
    emu: Emulator, tmp_path: Path
) -> None:
    client = emu.client(timeout=TIMEOUT, max_attempts=1)
    app_id, store, desired, snap = _sync_setup(emu, client, tmp_path, wait=False)
    emu.clear_requests()
    emu.add_fault("apply_then_reset", method="PUT", path=f"^/v2/apps/{app_id}$", count=1)
    with pytest.raises(TransportError):
        client.sync(app_id, desired, key_schema=SCHEMA, state=store)
    # One GET to plan, the PUT, and no read-back GET after it.
    assert [r.method for r in emu.requests()] == ["GET", "PUT"]
    assert store.state(app_id) == snap["state"]
