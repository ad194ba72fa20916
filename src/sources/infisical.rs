//! An Infisical project read through Infisical's REST API with a machine identity
//! (universal auth):
//!
//! 1. `POST {site}/api/v1/auth/universal-auth/login` with `{"clientId","clientSecret"}`
//!    → `{"accessToken","expiresIn","tokenType"}`;
//! 2. `GET {site}/api/v3/secrets/raw?workspaceId=&environment=&secretPath=&recursive=
//!    &include_imports=true&expandSecretReferences=` with `Authorization: Bearer`
//!    → `{"secrets":[{"secretKey","secretValue",..}],"imports":[{"secretPath",
//!    "environment","secrets":[..]}]}`.
//!
//! Imported secrets are included; the project's own secrets win over imports, and
//! an earlier import wins over a later one. With `recursive`, a key found in two
//! folders is an error (which value is meant is unknowable). A value Infisical hides
//! (`secretValueHidden`, the identity may not read values) is an error too.
//! Errors carry Infisical's `message` and the HTTP status, never the client secret
//! or the access token.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::{Host, Url};

use super::{SourceError, SourceSecrets};

pub const DEFAULT_SITE_URL: &str = "https://app.infisical.com";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest part of an Infisical error message that is shown.
const MAX_MESSAGE_CHARS: usize = 300;

/// Where the machine identity's client secret comes from.
#[derive(Clone)]
pub enum ClientSecret {
    /// Stored with the sync (encrypted by the store; see `SourceSpec::split`).
    Value(SecretString),
    /// Read from this environment variable each time the source is read.
    Env(String),
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientSecret::Value(_) => f.write_str("Value(<redacted>)"),
            ClientSecret::Env(name) => f.debug_tuple("Env").field(name).finish(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InfisicalSource {
    /// Normalized: no trailing slash.
    pub site_url: String,
    pub project_id: String,
    pub environment: String,
    /// Normalized: starts with `/`, no trailing slash except for the root.
    pub secret_path: String,
    pub recursive: bool,
    pub include_imports: bool,
    /// Sent as `expandSecretReferences`. Infisical then resolves its own `${KEY}`
    /// references; turn it off when values hold App Platform bindable variables
    /// such as `${db.DATABASE_URL}` that must reach the app unchanged.
    pub expand_references: bool,
    pub client_id: String,
    pub client_secret: ClientSecret,
}

impl InfisicalSource {
    pub(crate) fn describe(&self) -> String {
        let mut line = format!(
            "infisical: project {} env {} path {}",
            self.project_id, self.environment, self.secret_path
        );
        if self.recursive {
            line.push_str(" (recursive)");
        }
        if self.site_url != DEFAULT_SITE_URL {
            line.push_str(&format!(" at {}", self.site_url));
        }
        line
    }

    fn error(&self, status: Option<u16>, message: impl Into<String>) -> SourceError {
        SourceError::Infisical {
            status,
            message: message.into(),
        }
    }

    fn client_secret(&self) -> Result<SecretString, SourceError> {
        match &self.client_secret {
            ClientSecret::Value(secret) => Ok(secret.clone()),
            ClientSecret::Env(name) => match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => Ok(SecretString::from(value)),
                Ok(_) => Err(SourceError::Read(format!(
                    "infisical: environment variable {name} (client_secret_env) is empty"
                ))),
                Err(_) => Err(SourceError::Read(format!(
                    "infisical: environment variable {name} (client_secret_env) is not set"
                ))),
            },
        }
    }

    fn http_client(&self) -> Result<reqwest::Client, SourceError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("do-envsync/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the bearer token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .referer(false);
        if let Ok(url) = Url::parse(&self.site_url) {
            if is_loopback(&url) {
                builder = builder.no_proxy();
            }
        }
        builder
            .build()
            .map_err(|e| self.error(None, format!("cannot build the HTTP client: {e}")))
    }

    pub(crate) async fn read(&self) -> Result<SourceSecrets, SourceError> {
        let secret = self.client_secret()?;
        let http = self.http_client()?;
        let token = self.login(&http, &secret).await?;
        let listing = self.list(&http, &token).await;
        // Whatever Infisical said, neither credential may appear in what we return.
        listing.map_err(|e| scrub(e, &[secret.expose_secret(), token.expose_secret()]))
    }

    async fn login(
        &self,
        http: &reqwest::Client,
        secret: &SecretString,
    ) -> Result<SecretString, SourceError> {
        let url = format!("{}/api/v1/auth/universal-auth/login", self.site_url);
        let body = serde_json::json!({
            "clientId": self.client_id,
            "clientSecret": secret.expose_secret(),
        });
        let response = http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error("login", &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error("login", &e))?;
        if !status.is_success() {
            let e = self.http_error("login failed", status, &bytes);
            return Err(scrub(e, &[secret.expose_secret()]));
        }
        let login: LoginResponse = serde_json::from_slice(&bytes).map_err(|_| {
            self.error(
                Some(status.as_u16()),
                "login answered without an accessToken (is site_url an Infisical server?)",
            )
        })?;
        if login.access_token.is_empty() {
            return Err(self.error(
                Some(status.as_u16()),
                "login returned an empty access token",
            ));
        }
        Ok(SecretString::from(login.access_token))
    }

    async fn list(
        &self,
        http: &reqwest::Client,
        token: &SecretString,
    ) -> Result<SourceSecrets, SourceError> {
        let url = format!("{}/api/v3/secrets/raw", self.site_url);
        let bool_str = |b: bool| if b { "true" } else { "false" };
        let response = http
            .get(&url)
            .query(&[
                ("workspaceId", self.project_id.as_str()),
                ("environment", self.environment.as_str()),
                ("secretPath", self.secret_path.as_str()),
                ("recursive", bool_str(self.recursive)),
                ("include_imports", bool_str(self.include_imports)),
                ("expandSecretReferences", bool_str(self.expand_references)),
            ])
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| self.transport_error("listing secrets", &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error("listing secrets", &e))?;
        if !status.is_success() {
            return Err(self.http_error("listing secrets failed", status, &bytes));
        }
        let listing: ListResponse = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(
                Some(status.as_u16()),
                format!(
                    "listing secrets answered with an unexpected body (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        self.collect(listing)
    }

    fn collect(&self, listing: ListResponse) -> Result<SourceSecrets, SourceError> {
        let mut own = SourceSecrets::new();
        let mut folder_of: indexmap::IndexMap<String, Option<String>> = Default::default();
        for secret in listing.secrets {
            check_secret(&secret).map_err(|m| self.error(None, m))?;
            if let Some(first) = folder_of.get(&secret.secret_key) {
                return Err(self.error(
                    None,
                    format!(
                        "key {} is in both {} and {}; with recursive, each key must appear once",
                        secret.secret_key,
                        first.as_deref().unwrap_or("?"),
                        secret.secret_path.as_deref().unwrap_or("?"),
                    ),
                ));
            }
            folder_of.insert(secret.secret_key.clone(), secret.secret_path);
            own.insert(secret.secret_key, secret.secret_value);
        }
        let mut merged = SourceSecrets::new();
        if self.include_imports {
            for import in listing.imports {
                for secret in import.secrets {
                    check_secret(&secret).map_err(|m| self.error(None, m))?;
                    merged
                        .entry(secret.secret_key)
                        .or_insert(secret.secret_value);
                }
            }
        }
        // Own secrets first and winning; imported-only keys after them.
        let mut out = own;
        for (key, value) in merged {
            out.entry(key).or_insert(value);
        }
        Ok(out)
    }

    fn http_error(&self, what: &str, status: reqwest::StatusCode, body: &[u8]) -> SourceError {
        let message = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .map(|m| bounded(&m))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("unexpected status")
                    .to_string()
            });
        self.error(Some(status.as_u16()), format!("{what}: {message}"))
    }

    fn transport_error(&self, what: &str, e: &reqwest::Error) -> SourceError {
        let reason = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else if e.is_redirect() || e.status().is_some_and(|s| s.is_redirection()) {
            "was redirected (redirects are not followed)".to_string()
        } else {
            "request failed".to_string()
        };
        let detail = innermost(e);
        self.error(
            None,
            format!("{what} at {}: {reason} ({detail})", self.site_url),
        )
    }
}

#[derive(Deserialize)]
struct LoginResponse {
    #[serde(rename = "accessToken")]
    access_token: String,
}

#[derive(Deserialize)]
struct ListResponse {
    secrets: Vec<RawSecret>,
    #[serde(default)]
    imports: Vec<RawImport>,
}

#[derive(Deserialize)]
struct RawImport {
    #[serde(default)]
    secrets: Vec<RawSecret>,
}

#[derive(Deserialize)]
struct RawSecret {
    #[serde(rename = "secretKey")]
    secret_key: String,
    #[serde(rename = "secretValue")]
    secret_value: String,
    #[serde(rename = "secretPath", default)]
    secret_path: Option<String>,
    #[serde(rename = "secretValueHidden", default)]
    secret_value_hidden: bool,
}

fn check_secret(secret: &RawSecret) -> Result<(), String> {
    if secret.secret_key.is_empty() {
        return Err("Infisical returned a secret with an empty key".to_string());
    }
    if secret.secret_value_hidden {
        return Err(format!(
            "the value of {} is hidden from this machine identity; give it permission to read secret values",
            secret.secret_key
        ));
    }
    Ok(())
}

/// Replaces every occurrence of a credential in the error text.
fn scrub(error: SourceError, credentials: &[&str]) -> SourceError {
    match error {
        SourceError::Infisical {
            status,
            mut message,
        } => {
            for credential in credentials.iter().filter(|c| c.len() >= 4) {
                message = message.replace(credential, "<redacted>");
            }
            SourceError::Infisical { status, message }
        }
        other => other,
    }
}

fn bounded(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_MESSAGE_CHARS {
        one_line
    } else {
        format!(
            "{}…",
            one_line.chars().take(MAX_MESSAGE_CHARS).collect::<String>()
        )
    }
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks a site URL (https, or http to a loopback host only: the client secret
/// travels in the login body) and returns it without a trailing slash.
pub(crate) fn normalize_site_url(text: &str) -> Result<String, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("site_url is not a valid URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("site_url must not contain credentials".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("site_url must not have a query or fragment".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "refusing plain http:// to the non-loopback host {}: the client secret would travel unencrypted",
                url.host_str().unwrap_or("")
            ))
        }
        other => return Err(format!("site_url has the unsupported scheme `{other}`")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("site_url has no host".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Infisical environment slugs: lowercase letters, digits, `-` and `_`.
pub(crate) fn check_environment_slug(slug: &str) -> Result<(), String> {
    let valid = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !slug.starts_with(['-', '_']);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "environment {slug:?} is not an Infisical environment slug (lowercase letters, digits, - and _, e.g. \"prod\")"
        ))
    }
}

/// A folder path: `/` or `/a/b`; a trailing slash is dropped.
pub(crate) fn normalize_secret_path(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("secret_path {path:?} must start with /"));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok("/".to_string());
    }
    for segment in trimmed[1..].split('/') {
        let valid = !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid {
            return Err(format!(
                "secret_path {path:?} has an invalid folder name {segment:?} (letters, digits, - _ .)"
            ));
        }
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls() {
        assert_eq!(
            normalize_site_url("https://app.infisical.com/").unwrap(),
            "https://app.infisical.com"
        );
        assert_eq!(
            normalize_site_url("https://vault.example.com/infisical/").unwrap(),
            "https://vault.example.com/infisical"
        );
        assert!(normalize_site_url("http://127.0.0.1:8080").is_ok());
        assert!(normalize_site_url("http://localhost:8080").is_ok());
        assert!(normalize_site_url("http://[::1]:8080").is_ok());
        assert!(normalize_site_url("http://infisical.example.com")
            .unwrap_err()
            .contains("non-loopback"));
        assert!(normalize_site_url("https://u:p@x.example.com").is_err());
        assert!(normalize_site_url("https://x.example.com/?a=1").is_err());
        assert!(normalize_site_url("ftp://x.example.com").is_err());
        assert!(normalize_site_url("not a url").is_err());
    }

    #[test]
    fn slugs_and_paths() {
        for ok in ["dev", "prod", "staging-2", "qa_eu"] {
            assert!(check_environment_slug(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Prod", "prod env", "-x", "pr/od"] {
            assert!(check_environment_slug(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_secret_path("/").unwrap(), "/");
        assert_eq!(normalize_secret_path("/a/b/").unwrap(), "/a/b");
        for bad in ["a", "/a//b", "/a/../b", "/a b"] {
            assert!(normalize_secret_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scrub_removes_credentials() {
        let e = SourceError::Infisical {
            status: Some(401),
            message: "bad secret s3cr3t-canary and token tok-canary".into(),
        };
        let text = scrub(e, &["s3cr3t-canary", "tok-canary"]).to_string();
        assert!(!text.contains("canary"), "{text}");
        assert!(text.contains("<redacted>"));
    }
}
