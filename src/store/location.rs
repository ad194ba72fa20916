//! Where the state lives: a SQLite file path or a PostgreSQL URL, the latter kept
//! with its password out of every message.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::StoreError;

/// A state location, as given to `Store(...)`, `--state` or `DO_ENVSYNC_STATE`.
#[derive(Debug, Clone)]
pub enum Location {
    Path(PathBuf),
    Postgres(PgUrl),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else is a path.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        if is_postgres_url(text) {
            PgUrl::parse(text).map(Location::Postgres)
        } else {
            Ok(Location::Path(PathBuf::from(text)))
        }
    }

    /// As [`Location::parse`], for a path argument that may hold a URL.
    pub fn from_path(path: &Path) -> Result<Self, StoreError> {
        match path.to_str() {
            Some(text) if is_postgres_url(text) => Self::parse(text),
            _ => Ok(Location::Path(path.to_owned())),
        }
    }

    /// For messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Path(p) => p.display().to_string(),
            Location::Postgres(url) => url.redacted().to_owned(),
        }
    }
}

fn is_postgres_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// A PostgreSQL connection URL. `Debug` and [`PgUrl::redacted`] never show the
/// password (neither in the user-info part nor as a `password=` parameter).
#[derive(Clone)]
pub struct PgUrl {
    full: SecretString,
    redacted: String,
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgUrl").field(&self.redacted).finish()
    }
}

impl PgUrl {
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let mut url = url::Url::parse(text).map_err(|e| StoreError::BadUrl {
            // The url crate's messages name the problem, never the input.
            problem: e.to_string(),
        })?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(StoreError::BadUrl {
                problem: "the URL names no host".to_owned(),
            });
        }
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        Ok(Self {
            full: SecretString::from(text.to_owned()),
            redacted: url.to_string(),
        })
    }

    /// The URL with `***` in place of the password.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The URL as given, password included: for the driver only.
    pub(crate) fn expose(&self) -> &str {
        self.full.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_redacted_everywhere() {
        let url = PgUrl::parse(
            "postgresql://u:hunter2-canary@db.example:5432/st?sslmode=require&password=canary2",
        )
        .unwrap();
        for text in [url.redacted().to_owned(), format!("{url:?}")] {
            assert!(!text.contains("hunter2-canary"), "{text}");
            assert!(!text.contains("canary2"), "{text}");
            assert!(text.contains("db.example:5432/st"), "{text}");
        }
        assert!(url.expose().contains("hunter2-canary"));
    }

    #[test]
    fn paths_and_urls() {
        assert!(matches!(
            Location::parse("/tmp/x.db").unwrap(),
            Location::Path(_)
        ));
        assert!(matches!(
            Location::parse("PostgreSQL://h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(matches!(
            Location::parse("postgres://"),
            Err(StoreError::BadUrl { .. })
        ));
    }
}
