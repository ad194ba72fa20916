//! Masking of secrets in text that may end up in errors or logs: `EV[...]` ciphertexts,
//! DigitalOcean tokens and bearer credentials.
use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Longest body excerpt an error may carry, in characters.
pub const EXCERPT_CHARS: usize = 200;

pub(crate) const MASK: &str = "[REDACTED]";

static SECRETS: LazyLock<Regex> = LazyLock::new(|| {
    // An `EV[` without its closing bracket (a truncated body) is masked up to the end.
    Regex::new(concat!(
        r"EV\[[^\]]*\]?",
        r"|\bdo[opr]_v1_[0-9A-Za-z]*",
        r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+",
    ))
    .expect("static regex compiles")
});

/// Replaces every secret-looking substring with `[REDACTED]`.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    SECRETS.replace_all(text, MASK)
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
