//! `ClientBuilder`: token, base URL and transport settings, validated once in `build`.
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};

use super::error::Error;
use super::rate_limit::{Pacer, PacingConfig};
use super::retry::RetryConfig;
use super::transport::{Client, Inner};

pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com";
/// Environment variables read, in order, when no token is given.
pub const TOKEN_ENV_VARS: [&str; 2] = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"];
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// 1000 pages of 200 items: 200,000 items.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// Builds a [`Client`]. Every setting has a default except the token, which falls back to the
/// environment.
#[derive(Clone)]
pub struct ClientBuilder {
    token: Option<SecretString>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryConfig,
    user_agent_suffix: Option<String>,
    pacing: PacingConfig,
    max_pages: usize,
    observer: Option<ResponseObserver>,
}

/// Called with the HTTP status of every response received (each attempt, retries
/// included), e.g. to count requests and 429s for metrics. Keep it quick.
pub type ResponseObserver = Arc<dyn Fn(u16) + Send + Sync>;

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryConfig::default(),
            user_agent_suffix: None,
            pacing: PacingConfig::default(),
            max_pages: DEFAULT_MAX_PAGES,
            observer: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("pacing", &self.pacing)
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

impl ClientBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The API token; without one, `DIGITALOCEAN_TOKEN` then `DIGITALOCEAN_ACCESS_TOKEN` are read.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Default `https://api.digitalocean.com`; `http://` is accepted for loopback hosts only.
    pub fn base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.to_string();
        self
    }

    /// Timeout of one attempt, response body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Appended to the `do-envsync/<version>` user agent.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Client-side pacing from the rate-limit headers and the burst window (default on).
    pub fn pacing(mut self, enabled: bool) -> Self {
        self.pacing.enabled = enabled;
        self
    }

    /// Longest a request may be held back by pacing before failing with `Error::RateLimited`
    /// (default 90 s).
    pub fn max_pacing_wait(mut self, wait: Duration) -> Self {
        self.pacing.max_wait = wait;
        self
    }

    /// Client-side sliding window: at most `requests` per `window` (default 250 per minute,
    /// DigitalOcean's burst limit); `None` turns it off.
    pub fn burst_limit(mut self, limit: Option<(u32, Duration)>) -> Self {
        self.pacing.burst = limit;
        self
    }

    /// Pages a single listing may fetch before failing with `Error::PageLimit` (default 1000).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Sets the [`ResponseObserver`] (clients built from this builder share it).
    pub fn observer(mut self, observer: ResponseObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let token = match self.token {
            Some(token) => token,
            None => token_from_env().ok_or_else(|| {
                Error::Config(format!(
                    "no API token: pass one or set {} or {}",
                    TOKEN_ENV_VARS[0], TOKEN_ENV_VARS[1]
                ))
            })?,
        };
        let token_text = token.expose_secret();
        if token_text.trim().is_empty() {
            return Err(Error::Config("the API token is empty".into()));
        }
        // DigitalOcean tokens are ASCII; anything else is a paste or encoding accident
        // that an HTTP header would carry as raw bytes and the API would answer with 401.
        if !token_text.is_ascii() {
            return Err(Error::Config(
                "the API token contains non-ASCII characters; DigitalOcean tokens are ASCII".into(),
            ));
        }
        // A token never holds whitespace; a stray space or line break is a copy-paste
        // accident that would only come back as a 401.
        if token_text.chars().any(|c| c.is_ascii_whitespace()) {
            return Err(Error::Config(
                "the API token contains whitespace (a space or line break); DigitalOcean tokens have none".into(),
            ));
        }
        // Validated once here so that building the header per request cannot fail.
        if HeaderValue::from_str(&format!("Bearer {token_text}")).is_err() {
            return Err(Error::Config(
                "the API token contains characters not allowed in an HTTP header".into(),
            ));
        }

        let base_url = parse_base_url(&self.base_url)?;
        if self.max_pages == 0 {
            return Err(Error::Config("max_pages must be at least 1".into()));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        if matches!(self.pacing.burst, Some((0, _)))
            || matches!(self.pacing.burst, Some((_, w)) if w.is_zero())
        {
            return Err(Error::Config(
                "the burst limit needs a positive count and window".into(),
            ));
        }

        let mut user_agent = concat!("do-envsync/", env!("CARGO_PKG_VERSION")).to_string();
        if let Some(suffix) = self.user_agent_suffix.as_deref().filter(|s| !s.is_empty()) {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        if HeaderValue::from_str(&user_agent).is_err() {
            return Err(Error::Config("invalid user agent suffix".into()));
        }

        let mut default_headers = http::HeaderMap::new();
        default_headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let mut http = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(default_headers)
            // A redirect could carry the Authorization header somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .referer(false);
        if is_loopback(&base_url) {
            // A proxy from the environment must not intercept the local emulator.
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                token,
                retry: self.retry,
                pacer: Pacer::new(self.pacing),
                max_pages: self.max_pages,
                observer: self.observer,
            }),
        })
    }
}

fn token_from_env() -> Option<SecretString> {
    TOKEN_ENV_VARS.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(SecretString::from)
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn parse_base_url(text: &str) -> Result<Url, Error> {
    let url = Url::parse(text).map_err(|e| Error::Config(format!("invalid base URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "the base URL must not contain credentials".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(
            "the base URL must not have a query or fragment".into(),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "refusing plain http:// to the non-loopback host {}: the token would travel unencrypted",
                url.host_str().unwrap_or("")
            )))
        }
        other => return Err(Error::Config(format!("unsupported base URL scheme `{other}`"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config("the base URL has no host".into()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "http://127.0.0.1:1",
            "http://127.8.9.10",
            "http://[::1]:80",
            "http://LOCALHOST:3",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://api.digitalocean.com",
            "http://localhost.evil.com",
            "ftp://127.0.0.1",
            "https://u:p@api.digitalocean.com",
            "https://api.digitalocean.com?x=1",
            "not a url",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }
}
