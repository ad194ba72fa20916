"""The compiled core (Rust, PyO3). Use the public names in `do_envsync` instead."""

from collections.abc import Awaitable, Callable, Sequence
from os import PathLike
from typing import final

from typing_extensions import Self, disjoint_base

from .errors import DecodeError

__all__ = [
    "AsyncPageIterator",
    "Emulator",
    "InfisicalStandIn",
    "NativeAsyncClient",
    "NativeClient",
    "NativeControl",
    "NativeSyncPlan",
    "PageIterator",
    "Store",
    "__debug_build__",
    "__version__",
    "api_key_create",
    "api_key_list",
    "api_key_revoke",
    "check_model",
    "decode_error",
    "has_long_digit_run",
    "operations",
    "plan_offline",
    "read_source",
    "refresh_logging",
    "serve",
    "spec_json_to_yaml",
    "spec_yaml_to_json",
]
__version__: str
__debug_build__: bool

@final
class NativeClient:
    """Blocking transport: every call releases the GIL and can be interrupted with Ctrl-C."""

    def __new__(
        cls,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_budget: float | None = None,
        pacing: bool = True,
        burst_limit: int | None = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    def rate_limit(self) -> tuple[int, int, int] | None: ...
    def call(
        self, op: str, path: dict[str, str], query: list[tuple[str, str]], body: bytes | None
    ) -> bytes: ...
    def request(
        self, method: str, path: str, query: list[tuple[str, str]], body: bytes | None
    ) -> bytes: ...
    def pages(
        self, op: str, path: dict[str, str], query: list[tuple[str, str]]
    ) -> PageIterator: ...
    def plan_sync(
        self,
        app_id: str,
        secrets: list[tuple[str, str, str | None, str | None]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
    ) -> NativeSyncPlan: ...
    def sync(
        self,
        app_id: str,
        secrets: list[tuple[str, str, str | None, str | None]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
        wait: bool = False,
        rollback_on_failure: bool = False,
        progress: Callable[[str], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> str: ...
    def remove_synced(
        self,
        app_id: str,
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        components: list[str] | None = None,
        wait: bool = False,
        lock_timeout: float = 30.0,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
    ) -> str: ...
    def sync_fleet(
        self,
        targets: list[tuple[str, list[tuple[str, str, str | None, str | None]]]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
        concurrency: int = 8,
        progress: Callable[[int, int], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> tuple[str, list[tuple[str, BaseException]]]: ...

@final
class PageIterator:
    """The pages of a list operation, fetched lazily (reading one page ahead from the second
    page on): each page is the list of its items' JSON texts."""

    @property
    def pages_fetched(self) -> int: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> list[bytes]: ...

@final
class NativeAsyncClient:
    """asyncio transport on the shared tokio runtime."""

    def __new__(
        cls,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_budget: float | None = None,
        pacing: bool = True,
        burst_limit: int | None = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    def rate_limit(self) -> tuple[int, int, int] | None: ...
    def call(
        self, op: str, path: dict[str, str], query: list[tuple[str, str]], body: bytes | None
    ) -> Awaitable[bytes]: ...
    def request(
        self, method: str, path: str, query: list[tuple[str, str]], body: bytes | None
    ) -> Awaitable[bytes]: ...
    def pages(
        self, op: str, path: dict[str, str], query: list[tuple[str, str]]
    ) -> AsyncPageIterator: ...
    def plan_sync(
        self,
        app_id: str,
        secrets: list[tuple[str, str, str | None, str | None]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
    ) -> Awaitable[NativeSyncPlan]: ...
    def sync(
        self,
        app_id: str,
        secrets: list[tuple[str, str, str | None, str | None]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
        wait: bool = False,
        rollback_on_failure: bool = False,
        progress: Callable[[str], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> Awaitable[str]: ...
    def remove_synced(
        self,
        app_id: str,
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        components: list[str] | None = None,
        wait: bool = False,
        lock_timeout: float = 30.0,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
    ) -> Awaitable[str]: ...
    def sync_fleet(
        self,
        targets: list[tuple[str, list[tuple[str, str, str | None, str | None]]]],
        store: Store,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str | None = None,
        components: list[str] | None = None,
        var_type: str | None = None,
        scope: str | None = None,
        if_deploying: str | None = None,
        deploy_wait_timeout: float | None = None,
        concurrency: int = 8,
        progress: Callable[[int, int], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> Awaitable[tuple[str, list[tuple[str, BaseException]]]]: ...

@final
class AsyncPageIterator:
    @property
    def pages_fetched(self) -> int: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[list[bytes]]: ...

@disjoint_base
class Emulator:
    """The App Platform emulator, serving on a loopback port from a background thread."""

    def __new__(
        cls,
        *,
        port: int = 0,
        token: str | None = None,
        burst_limit: int = 250,
        hourly_limit: int = 5000,
        phase_duration: float = 0.3,
        latency: float = 0.0,
        burst_window: float = 60.0,
        hourly_window: float = 3600.0,
        token_scopes: Sequence[str] | None = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def port(self) -> int: ...
    def add_token(self, scopes: Sequence[str] | None = None) -> str: ...
    def stop(self) -> None: ...
    def reset(self) -> None: ...
    def requests_json(self) -> str: ...
    def clear_requests(self) -> None: ...
    def request_count(self, method: str | None = None, path: str | None = None) -> int: ...
    def deployment_count(self, app_id: str) -> int: ...
    def add_fault(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        body: str | None = None,
        delay: float | None = None,
        url: str | None = None,
        count: int | None = None,
        after: int = 0,
        reset_in: int | None = None,
    ) -> int: ...
    def clear_faults(self) -> None: ...
    def reveal_secret(self, ev: str) -> str | None: ...
    def set_rate_limits(
        self,
        burst: int,
        hourly: int,
        *,
        burst_window: float | None = None,
        hourly_window: float | None = None,
    ) -> None: ...
    def fail_next_deployment(self, app_id: str) -> None: ...
    def start_push_deployment_json(self, app_id: str, cause: str | None = None) -> str: ...
    def finish_deployment_json(self, app_id: str, deployment_id: str) -> str: ...
    def seed_app_json(self, spec_json: str) -> str: ...
    def apps_json(self) -> str: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> None: ...

def check_model(schema: str, data_json: str) -> None: ...
def spec_yaml_to_json(text: str) -> str: ...
def spec_json_to_yaml(text: str) -> str: ...
def operations() -> list[tuple[str, str, str, bool, str | None]]: ...
def plan_offline(
    spec_json: str,
    secrets: list[tuple[str, str, str | None, str | None]],
    store: Store | None = None,
    app_id: str | None = None,
    *,
    environment: str | None = None,
    key_schema: str | None = None,
    disable_secret_deletion: bool = False,
    initial_sync_behavior: str | None = None,
    components: list[str] | None = None,
    var_type: str | None = None,
    scope: str | None = None,
) -> tuple[int, int, int, int, float, float]:
    """Plans against a spec given as JSON, with no I/O: (creates, updates, deletes,
    unchanged, seconds in the planner)."""

@disjoint_base
class Store:
    """The state store: a SQLite file, or a shared PostgreSQL database."""

    def __new__(cls, path: str | None = None) -> Self: ...
    @property
    def path(self) -> str: ...
    @property
    def round_trips(self) -> int: ...
    def state_json(self, app_id: str) -> str: ...
    def apps(self) -> list[str]: ...
    def forget_app(self, app_id: str) -> bool: ...
    def copy_to(self, target: Store) -> dict[str, int]: ...

@final
class NativeSyncPlan:
    @property
    def app_id(self) -> str: ...
    @property
    def has_changes(self) -> bool: ...
    @property
    def will_deploy(self) -> bool: ...
    @property
    def requests(self) -> int: ...
    @property
    def age(self) -> float: ...
    def changes_json(self) -> str: ...
    def warnings(self) -> list[str]: ...
    def imports(self) -> list[tuple[str, str]]: ...
    def apply(
        self,
        *,
        wait: bool = False,
        rollback_on_failure: bool = False,
        replan: bool = False,
        progress: Callable[[str], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> str: ...
    def apply_async(
        self,
        *,
        wait: bool = False,
        rollback_on_failure: bool = False,
        replan: bool = False,
        progress: Callable[[str], object] | None = None,
        lock_timeout: float = 30.0,
    ) -> Awaitable[str]: ...
    def table(self) -> str: ...
    def in_flight_json(self) -> str: ...

@disjoint_base
class InfisicalStandIn:
    """A local stand-in for Infisical's universal-auth login and raw secrets endpoints."""

    def __new__(
        cls,
        *,
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        project_id: str | None = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    def set_secret(self, environment: str, path: str, key: str, value: str) -> None: ...
    def remove_secret(self, environment: str, path: str, key: str) -> bool: ...
    def revoke_tokens(self) -> None: ...
    def request_count(self) -> int: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> None: ...

@final
class NativeControl:
    """Connections, syncs, runs, the config file and watch over one store (JSON in and out)."""

    def __new__(cls, store: Store) -> Self: ...
    def create_connection(
        self,
        name: str,
        token: str,
        description: str | None,
        base_url: str | None,
        extra_json: str,
    ) -> str: ...
    def get_connection(self, id_or_name: str) -> str: ...
    def list_connections(self) -> str: ...
    def update_connection(self, id_or_name: str, patch_json: str, token: str | None) -> str: ...
    def delete_connection(self, id_or_name: str, force: bool) -> str: ...
    def create_sync(
        self, spec_json: str, source_json: str, base_dir: str | PathLike[str]
    ) -> str: ...
    def get_sync(self, id_or_name: str) -> str: ...
    def list_syncs(self) -> str: ...
    def update_sync(
        self,
        id_or_name: str,
        patch_json: str,
        source_json: str | None,
        base_dir: str | PathLike[str],
    ) -> str: ...
    def delete_sync(self, id_or_name: str) -> str: ...
    def delete_sync_removing_secrets(
        self, id_or_name: str, wait: bool, lock_timeout: float
    ) -> tuple[str, str]: ...
    def connection_apps(self, id_or_name: str) -> PageIterator: ...
    def plan_sync(self, id_or_name: str) -> NativeSyncPlan: ...
    def run_sync(self, id_or_name: str, wait: bool, lock_timeout: float) -> str: ...
    def run_all(
        self, progress: Callable[[int, int], object] | None, lock_timeout: float
    ) -> str: ...
    def remove_secrets(self, id_or_name: str, wait: bool, lock_timeout: float) -> str: ...
    def history(self, id_or_name: str, limit: int | None = None) -> str: ...
    @staticmethod
    def config_custom_base_urls(path: str | PathLike[str]) -> str: ...
    def apply_config(self, path: str | PathLike[str]) -> str: ...
    def watch(
        self,
        syncs: list[str] | None,
        poll_interval: float,
        debounce: float,
        drift_interval: float | None,
        repair_drift: bool,
        on_event: Callable[[str], object] | None,
        should_stop: Callable[[], bool] | None,
    ) -> str: ...
    def create_notify_target(
        self,
        name: str,
        kind: str,
        url: str,
        secret: str | None,
        sync: str | None,
        events: list[str] | None,
        dedup_interval: float | None,
        enabled: bool | None,
    ) -> tuple[str, str | None]: ...
    def get_notify_target(self, id_or_name: str) -> str: ...
    def list_notify_targets(self) -> str: ...
    def update_notify_target(
        self,
        id_or_name: str,
        name: str | None,
        url: str | None,
        secret: str | None,
        events: list[str] | None,
        dedup_interval: float | None,
        enabled: bool | None,
    ) -> str: ...
    def delete_notify_target(self, id_or_name: str) -> str: ...
    def test_notify_target(self, id_or_name: str) -> str: ...
    def list_deliveries(
        self, sync: str | None = None, run_id: str | None = None, limit: int | None = None
    ) -> str: ...
    def flush_notifications(self, timeout: float) -> int: ...
    def notifications_in_flight(self) -> int: ...
    def set_notify_settings(
        self,
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
    ) -> None: ...

def has_long_digit_run(body: bytes) -> bool: ...
def decode_error(body: bytes) -> DecodeError: ...
def refresh_logging() -> None: ...
def read_source(source_json: str, base_dir: str | PathLike[str]) -> list[tuple[str, str]]: ...
def serve(
    store: Store,
    bind: str,
    tls_cert: str | PathLike[str] | None,
    tls_key: str | PathLike[str] | None,
    insecure_behind_proxy: bool,
    infisical_url: str | None,
    auto_sync: bool,
    poll_interval: float,
    on_ready: Callable[[str, bool], object] | None,
    should_stop: Callable[[], bool] | None,
) -> None: ...
def api_key_create(store: Store, name: str) -> tuple[str, str]: ...
def api_key_list(store: Store) -> str: ...
def api_key_revoke(store: Store, name: str) -> None: ...
