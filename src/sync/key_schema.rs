//! Key schemas: how a source secret name becomes a destination env key, and
//! which destination keys a sync manages.
//!
//! A schema is a template such as `APP_{{environment}}_{{secretKey}}`. A
//! destination key is *managed* when it starts with the rendered text before
//! `{{secretKey}}` and ends with the rendered text after it; everything else in
//! the app is left alone. Without a schema every key is managed.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Placeholder for the source secret name (required, exactly once).
pub const SECRET_KEY_PLACEHOLDER: &str = "{{secretKey}}";
/// Placeholder for the environment slug (optional, any number of times).
pub const ENVIRONMENT_PLACEHOLDER: &str = "{{environment}}";
/// Longest accepted template, in characters.
pub const MAX_SCHEMA_LEN: usize = 255;

/// Why a template is not a valid key schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeySchemaError {
    #[error("key schema is empty")]
    Empty,
    #[error("key schema is {len} characters long; at most {MAX_SCHEMA_LEN} are allowed")]
    TooLong { len: usize },
    #[error("key schema has the character {character:?} at position {position}; only A-Z, a-z, 0-9, '_', '-', '/', '{{' and '}}' are allowed")]
    InvalidCharacter { character: char, position: usize },
    #[error("key schema must contain {SECRET_KEY_PLACEHOLDER}")]
    MissingSecretKey,
    #[error("key schema must contain {SECRET_KEY_PLACEHOLDER} exactly once (found {count})")]
    RepeatedSecretKey { count: usize },
    #[error("key schema has an unknown or malformed placeholder at position {position}; only {SECRET_KEY_PLACEHOLDER} and {ENVIRONMENT_PLACEHOLDER} are allowed")]
    BadPlaceholder { position: usize },
    #[error("key schema uses {ENVIRONMENT_PLACEHOLDER} but no environment was given")]
    MissingEnvironment,
}

/// Why a rendered destination key cannot be used in App Platform.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("destination key {key:?} (from source key {source_key:?}) is not a valid App Platform env key: it must match ^[_A-Za-z][_A-Za-z0-9]*$")]
pub struct InvalidKeyError {
    pub source_key: String,
    pub key: String,
}

/// A validated key schema template.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeySchema {
    template: String,
    /// Template text before `{{secretKey}}` (may hold `{{environment}}`).
    prefix: String,
    /// Template text after `{{secretKey}}` (may hold `{{environment}}`).
    suffix: String,
}

impl KeySchema {
    /// Parse and validate a template.
    pub fn parse(template: &str) -> Result<Self, KeySchemaError> {
        if template.is_empty() {
            return Err(KeySchemaError::Empty);
        }
        let len = template.chars().count();
        if len > MAX_SCHEMA_LEN {
            return Err(KeySchemaError::TooLong { len });
        }
        if let Some((position, character)) = template
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || "_-/{}".contains(*c)))
        {
            return Err(KeySchemaError::InvalidCharacter {
                character,
                position,
            });
        }
        // Every brace must belong to one of the two placeholders.
        let mut rest = template;
        let mut offset = 0;
        while let Some(at) = rest.find(['{', '}']) {
            let tail = &rest[at..];
            let len = if tail.starts_with(SECRET_KEY_PLACEHOLDER) {
                SECRET_KEY_PLACEHOLDER.len()
            } else if tail.starts_with(ENVIRONMENT_PLACEHOLDER) {
                ENVIRONMENT_PLACEHOLDER.len()
            } else {
                return Err(KeySchemaError::BadPlaceholder {
                    position: offset + at,
                });
            };
            offset += at + len;
            rest = &rest[at + len..];
        }
        let count = template.matches(SECRET_KEY_PLACEHOLDER).count();
        match count {
            0 => return Err(KeySchemaError::MissingSecretKey),
            1 => {}
            _ => return Err(KeySchemaError::RepeatedSecretKey { count }),
        }
        let (prefix, suffix) = template
            .split_once(SECRET_KEY_PLACEHOLDER)
            .expect("placeholder counted above");
        Ok(Self {
            template: template.to_owned(),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.template
    }

    /// Whether the template uses `{{environment}}`.
    pub fn uses_environment(&self) -> bool {
        self.template.contains(ENVIRONMENT_PLACEHOLDER)
    }

    fn fill(part: &str, environment: Option<&str>) -> Result<String, KeySchemaError> {
        if !part.contains(ENVIRONMENT_PLACEHOLDER) {
            return Ok(part.to_owned());
        }
        let env = environment.ok_or(KeySchemaError::MissingEnvironment)?;
        Ok(part.replace(ENVIRONMENT_PLACEHOLDER, env))
    }

    /// The rendered text around `{{secretKey}}` for one environment.
    pub fn affixes(&self, environment: Option<&str>) -> Result<(String, String), KeySchemaError> {
        Ok((
            Self::fill(&self.prefix, environment)?,
            Self::fill(&self.suffix, environment)?,
        ))
    }

    /// Destination key for `source_key` (not yet checked against App Platform's rules).
    pub fn render(
        &self,
        source_key: &str,
        environment: Option<&str>,
    ) -> Result<String, KeySchemaError> {
        let (prefix, suffix) = self.affixes(environment)?;
        Ok(format!("{prefix}{source_key}{suffix}"))
    }

    /// The source key behind a managed destination key, or `None` when the
    /// destination key is outside this schema's boundary.
    pub fn managed(
        &self,
        dest_key: &str,
        environment: Option<&str>,
    ) -> Result<Option<String>, KeySchemaError> {
        let (prefix, suffix) = self.affixes(environment)?;
        Ok(strip_affixes(dest_key, &prefix, &suffix).map(str::to_owned))
    }
}

/// `key` without `prefix` and `suffix` when it has both around a non-empty middle.
pub(crate) fn strip_affixes<'k>(key: &'k str, prefix: &str, suffix: &str) -> Option<&'k str> {
    if key.len() <= prefix.len() + suffix.len() {
        return None;
    }
    key.strip_prefix(prefix)?.strip_suffix(suffix)
}

impl FromStr for KeySchema {
    type Err = KeySchemaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for KeySchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeySchema").field(&self.template).finish()
    }
}

impl fmt::Display for KeySchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

/// App Platform's env key rule: `^[_A-Za-z][_A-Za-z0-9]*$`.
pub fn is_valid_env_key(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Render `source_key` through an optional schema and check the result.
pub fn render_destination_key(
    schema: Option<&KeySchema>,
    source_key: &str,
    environment: Option<&str>,
) -> Result<Result<String, InvalidKeyError>, KeySchemaError> {
    let key = match schema {
        Some(schema) => schema.render(source_key, environment)?,
        None => source_key.to_owned(),
    };
    if is_valid_env_key(&key) {
        Ok(Ok(key))
    } else {
        Ok(Err(InvalidKeyError {
            source_key: source_key.to_owned(),
            key,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let s = KeySchema::parse("APP_{{environment}}_{{secretKey}}_V1").unwrap();
        assert!(s.uses_environment());
        assert_eq!(s.render("DB", Some("prod")).unwrap(), "APP_prod_DB_V1");
        assert_eq!(
            s.managed("APP_prod_DB_V1", Some("prod"))
                .unwrap()
                .as_deref(),
            Some("DB")
        );
        assert_eq!(s.managed("APP_dev_DB_V1", Some("prod")).unwrap(), None);
        assert_eq!(s.managed("APP_prod__V1", Some("prod")).unwrap(), None);
        assert_eq!(
            s.render("DB", None).unwrap_err(),
            KeySchemaError::MissingEnvironment
        );
    }

    #[test]
    fn rejects_bad_templates() {
        assert_eq!(KeySchema::parse(""), Err(KeySchemaError::Empty));
        assert_eq!(
            KeySchema::parse("APP_"),
            Err(KeySchemaError::MissingSecretKey)
        );
        assert_eq!(
            KeySchema::parse("{{secretKey}}{{secretKey}}"),
            Err(KeySchemaError::RepeatedSecretKey { count: 2 })
        );
        assert_eq!(
            KeySchema::parse("A {{secretKey}}"),
            Err(KeySchemaError::InvalidCharacter {
                character: ' ',
                position: 1
            })
        );
        assert_eq!(
            KeySchema::parse("{{secretKey}}_{{env}}"),
            Err(KeySchemaError::BadPlaceholder { position: 14 })
        );
        assert_eq!(
            KeySchema::parse("{{secretKey}}}"),
            Err(KeySchemaError::BadPlaceholder { position: 13 })
        );
        let long = format!("{}{{{{secretKey}}}}", "A".repeat(250));
        assert_eq!(
            KeySchema::parse(&long),
            Err(KeySchemaError::TooLong { len: 263 })
        );
    }

    #[test]
    fn env_key_rule() {
        assert!(is_valid_env_key("_A1"));
        assert!(is_valid_env_key("a"));
        assert!(!is_valid_env_key("1A"));
        assert!(!is_valid_env_key(""));
        assert!(!is_valid_env_key("A-B"));
        assert!(!is_valid_env_key("A/B"));
    }
}
