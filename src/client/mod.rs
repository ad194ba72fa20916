//! The DigitalOcean API client transport: configuration, auth, retries, rate-limit pacing,
//! pagination, error mapping and the operation table. Works on raw bytes, `serde_json::Value`
//! and any `DeserializeOwned` type; typed per-operation methods build on top of it.
mod apps;
mod config;
mod db_scope;
mod error;
mod operations;
mod pagination;
mod prefetch;
mod rate_limit;
mod redact;
pub(crate) mod retry;
mod transport;
mod urls;

pub use apps::*;
pub use config::{
    ClientBuilder, ResponseObserver, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_PAGES,
    DEFAULT_TIMEOUT, TOKEN_ENV_VARS,
};
pub use db_scope::{DatabaseScopeError, DATABASE_CREDENTIALS_SCOPE, DATABASE_PASSWORD_MESSAGE};
pub use error::{ApiError, Error, TransportKind};
pub use operations::{operation, Operation, ACCOUNT_GET, OPERATIONS};
pub use pagination::{PageItems, Pages, MAX_PER_PAGE};
pub use prefetch::PrefetchPages;
pub use rate_limit::RateLimit;
pub use redact::{excerpt, looks_like_token, mask_secrets, Scrubber, EXCERPT_CHARS};
pub use retry::{method_is_idempotent, parse_retry_after, RetryConfig};
pub use transport::{Client, Response};
