//! Field rules shared by connections and syncs.

use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use regex::Regex;
use serde_json::Value;

use super::ControlError;

/// Longest name (connections and syncs are slugs).
pub const MAX_NAME_LEN: usize = 64;
/// Longest description.
pub const MAX_DESCRIPTION_LEN: usize = 256;

/// Infisical's slug rule for names.
pub fn check_name(field: &str, name: &str) -> Result<(), ControlError> {
    static SLUG: OnceLock<Regex> = OnceLock::new();
    let slug = SLUG.get_or_init(|| Regex::new("^[a-z0-9]+(?:-[a-z0-9]+)*$").expect("valid regex"));
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_LEN {
        return Err(ControlError::invalid(
            field,
            format!("must be 1-{MAX_NAME_LEN} characters (got {len})"),
        ));
    }
    if !slug.is_match(name) {
        return Err(ControlError::invalid(
            field,
            format!("{name:?} is not a slug: use lowercase letters, digits and single dashes between them"),
        ));
    }
    Ok(())
}

pub fn check_description(description: Option<&str>) -> Result<(), ControlError> {
    if let Some(d) = description {
        let len = d.chars().count();
        if len > MAX_DESCRIPTION_LEN {
            return Err(ControlError::invalid(
                "description",
                format!("at most {MAX_DESCRIPTION_LEN} characters are allowed (got {len})"),
            ));
        }
    }
    Ok(())
}

/// Infisical timestamps: RFC 3339, milliseconds, `Z`.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn opt_timestamp(t: Option<&DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(timestamp(t)))
}

/// Now, truncated to microseconds (what the store keeps).
pub fn now() -> DateTime<Utc> {
    crate::sync::state::now_micros()
}

/// A new `updatedAt` that is visibly later than `previous` even at millisecond
/// resolution, so every update moves it.
pub fn bump(previous: DateTime<Utc>) -> DateTime<Utc> {
    now().max(previous + TimeDelta::milliseconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "prod-db", "x1-2-3", &"a".repeat(64)] {
            assert!(check_name("name", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A",
            "a_b",
            "-a",
            "a-",
            "a--b",
            "a b",
            &"a".repeat(65),
            "é",
        ] {
            assert!(
                matches!(check_name("name", bad), Err(ControlError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn descriptions_and_time() {
        assert!(check_description(None).is_ok());
        assert!(check_description(Some(&"x".repeat(256))).is_ok());
        assert!(check_description(Some(&"x".repeat(257))).is_err());
        let t = now();
        assert!(bump(t) > t);
        assert_ne!(timestamp(&bump(t)), timestamp(&t));
        assert!(timestamp(&t).ends_with('Z'));
    }
}
