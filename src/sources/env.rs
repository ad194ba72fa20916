//! Process environment variables selected by a name prefix.

use super::{SourceError, SourceSecrets};

/// Variables whose name starts with `prefix` (case-sensitive). With `strip_prefix`
/// the key is the rest of the name (`APP_DB_URL` → `DB_URL`), otherwise the full
/// name. The prefix is never empty: that would sync the whole environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSource {
    pub prefix: String,
    pub strip_prefix: bool,
}

impl EnvSource {
    /// Reads the environment at call time, sorted by key (the environment has no
    /// meaningful order).
    pub(crate) fn read(&self) -> Result<SourceSecrets, SourceError> {
        let mut found = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name_str) = name.to_str() else {
                // A non-UTF-8 name cannot start with a UTF-8 prefix unless its
                // leading bytes match; report it rather than silently skip it.
                let lossy = name.to_string_lossy();
                if lossy.starts_with(&self.prefix) {
                    return Err(SourceError::Read(format!(
                        "environment variable {lossy:?} has a name that is not valid UTF-8"
                    )));
                }
                continue;
            };
            let Some(rest) = name_str.strip_prefix(&self.prefix) else {
                continue;
            };
            let key = if self.strip_prefix { rest } else { name_str };
            if key.is_empty() {
                return Err(SourceError::Read(format!(
                    "environment variable {name_str} is exactly the prefix; stripping it leaves an empty key"
                )));
            }
            let Ok(value) = value.into_string() else {
                return Err(SourceError::Read(format!(
                    "environment variable {name_str} has a value that is not valid UTF-8"
                )));
            };
            found.push((key.to_string(), value));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found.into_iter().collect())
    }

    pub(crate) fn describe(&self) -> String {
        let mode = if self.strip_prefix {
            "stripped"
        } else {
            "kept"
        };
        format!("env: prefix {} ({mode})", self.prefix)
    }
}
