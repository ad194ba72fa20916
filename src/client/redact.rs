//! Masking of secrets in text that may end up in errors or logs: `EV[...]` ciphertexts,
//! DigitalOcean tokens in every known form (`dop_v1_`/`doo_v1_`/`dor_v1_` and 64-hex
//! legacy tokens), bearer credentials, and, with a [`Scrubber`], the exact values a
//! caller knows to be secret (the values a request is sending, the token it uses).
use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// Longest body excerpt an error may carry, in characters.
pub const EXCERPT_CHARS: usize = 200;

pub(crate) const MASK: &str = "[REDACTED]";

static SECRETS: LazyLock<Regex> = LazyLock::new(|| {
    // An `EV[` without its closing bracket (a truncated body) is masked up to the end.
    Regex::new(concat!(
        r"EV\[[^\]]*\]?",
        r"|\bdo[opr]_v1_[0-9A-Za-z]*",
        r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+",
        // Legacy personal access tokens: 64 hex characters on their own.
        r"|\b[0-9A-Fa-f]{64}\b",
    ))
    .expect("static regex compiles")
});

/// Replaces every secret-looking substring with `[REDACTED]`.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    SECRETS.replace_all(text, MASK)
}

/// Whether `text` has the shape of a DigitalOcean token (so it must never be echoed,
/// e.g. when typed where a variable name was expected).
pub fn looks_like_token(text: &str) -> bool {
    static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(do[opr]_v1_[0-9A-Za-z]+|[0-9A-Fa-f]{64})$").expect("static regex compiles")
    });
    TOKEN.is_match(text.trim())
}

/// Shortest value a [`Scrubber`] replaces: shorter ones ("1", "on") occur in ordinary
/// words and numbers, so replacing them would garble messages without hiding anything.
pub const MIN_SCRUBBED_LEN: usize = 4;

/// The exact secret strings a caller knows (values being sent, its token): replaced,
/// together with everything [`mask_secrets`] recognises, in any text before it is shown,
/// logged or stored. Debug shows only how many values it holds.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Longest first, so a value containing another is replaced whole.
    values: Vec<String>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} values)", self.values.len())
    }
}

impl Scrubber {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (ignored when shorter than [`MIN_SCRUBBED_LEN`]). Its trimmed form
    /// is added too: messages often quote a value without its surrounding blanks.
    pub fn add(&mut self, value: &str) {
        for v in [value, value.trim()] {
            if v.chars().count() >= MIN_SCRUBBED_LEN && !self.values.iter().any(|x| x == v) {
                self.values.push(v.to_owned());
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Adds every SECRET plaintext of an app spec or request body: the `value` of each
    /// env entry whose `type` is `SECRET` (EV[...] ciphertexts are masked anyway).
    pub fn add_secret_envs(&mut self, json: &Value) {
        match json {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("SECRET") {
                    if let Some(v) = map.get("value").and_then(Value::as_str) {
                        self.add(v);
                    }
                }
                map.values().for_each(|v| self.add_secret_envs(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.add_secret_envs(v)),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every known value and every secret-looking substring masked.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = Cow::Owned(out.replace(v.as_str(), MASK));
            }
        }
        match mask_secrets(&out) {
            Cow::Borrowed(_) => out,
            Cow::Owned(masked) => Cow::Owned(masked),
        }
    }
}

/// A short, masked, single-line excerpt of a response body for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    // Mask before truncating so a secret cut by the truncation is still recognised whole.
    let masked = mask_secrets(&text);
    let mut out: String = masked
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if masked.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_ciphertexts_tokens_and_bearer_values() {
        let text = r#"{"value":"EV[1:abc/+=:def==]","t":"dop_v1_0123abcdef","h":"Bearer xyz.123"}"#;
        let masked = mask_secrets(text);
        assert!(!masked.contains("abc/+="));
        assert!(!masked.contains("0123abcdef"));
        assert!(!masked.contains("xyz.123"));
        assert_eq!(masked.matches(MASK).count(), 3);
    }

    #[test]
    fn masks_every_token_form() {
        let legacy = "0123456789abcdef".repeat(4);
        for token in [
            "dop_v1_abc123",
            "doo_v1_abc123",
            "dor_v1_abc123",
            legacy.as_str(),
        ] {
            let text = format!("token {token} is invalid");
            let masked = mask_secrets(&text);
            assert_eq!(masked, "token [REDACTED] is invalid", "{token}");
            assert!(looks_like_token(token), "{token}");
        }
        // 63 or 65 hex characters, or hex inside a longer word, are not a legacy token.
        assert_eq!(mask_secrets(&"a".repeat(65)), "a".repeat(65));
        assert!(!looks_like_token("DIGITALOCEAN_TOKEN"));
        assert!(!looks_like_token(&"a".repeat(63)));
    }

    #[test]
    fn scrubber_replaces_known_values_and_patterns() {
        let mut s = Scrubber::new();
        s.add("hunter2-canary");
        s.add("hunter2-canary-longer");
        s.add("ab"); // too short to scrub
        s.add_secret_envs(&serde_json::json!({"spec": {"envs": [
            {"key": "A", "value": " sent-secret ", "type": "SECRET"},
            {"key": "B", "value": "plain-general", "type": "GENERAL"},
        ]}}));
        let text = "bad hunter2-canary-longer and hunter2-canary, sent-secret, plain-general, ab, dop_v1_x";
        assert_eq!(
            s.scrub(text),
            "bad [REDACTED] and [REDACTED], [REDACTED], plain-general, ab, [REDACTED]"
        );
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
        assert_eq!(format!("{s:?}"), "Scrubber(4 values)");
    }

    #[test]
    fn masks_an_unterminated_ciphertext() {
        assert_eq!(mask_secrets("x EV[1:secret"), "x [REDACTED]");
    }

    #[test]
    fn excerpt_is_bounded_and_masked_before_truncation() {
        let mut body = "a".repeat(190);
        body.push_str("EV[1:");
        body.push_str(&"s".repeat(100));
        body.push(']');
        let e = excerpt(body.as_bytes());
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
        assert!(!e.contains("sss"));
        assert!(!e.contains("EV[1:"));
        assert_eq!(excerpt(b"line1\nline2"), "line1 line2");
    }
}
