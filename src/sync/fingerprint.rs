//! Keyed fingerprints of plaintexts: tell whether a secret is up to date without
//! keeping it. HMAC-SHA256 with a local 32-byte key that never leaves the machine,
//! so the state file alone does not allow guessing values offline.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Length of the fingerprint key in bytes.
pub const FINGERPRINT_KEY_LEN: usize = 32;

/// Length of a fingerprint in bytes (64 hex characters).
pub(crate) const DIGEST_LEN: usize = 32;

/// Computes and checks fingerprints with one local key.
#[derive(Clone)]
pub struct Fingerprinter {
    /// The MAC with the key already absorbed: cloning it skips the key schedule, which
    /// is most of the cost of fingerprinting a short value.
    keyed: HmacSha256,
}

impl Fingerprinter {
    pub fn new(key: [u8; FINGERPRINT_KEY_LEN]) -> Self {
        Self {
            keyed: HmacSha256::new_from_slice(&key).expect("HMAC accepts any key length"),
        }
    }

    fn mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    /// Lower-case hex HMAC-SHA256 of `plaintext` (64 characters).
    pub fn fingerprint(&self, plaintext: &str) -> String {
        hex::encode(self.digest(plaintext))
    }

    /// The raw HMAC-SHA256 of `plaintext`.
    pub(crate) fn digest(&self, plaintext: &str) -> [u8; DIGEST_LEN] {
        let mut mac = self.mac();
        mac.update(plaintext.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `fingerprint_hex` is the fingerprint of `plaintext`, compared in constant time.
    pub fn matches(&self, plaintext: &str, fingerprint_hex: &str) -> bool {
        hex_matches(&self.fingerprint(plaintext), fingerprint_hex)
    }
}

/// Whether `candidate` (any case) is the fingerprint `expected` (lower-case hex, as
/// [`Fingerprinter::fingerprint`] writes it). Compared without a data-dependent branch, and
/// in the hex text itself: a plan checks one fingerprint per synced key, and decoding each
/// record's hex first was a quarter of a 10k-key plan. Anything that is not the 64 hex
/// digits of `expected` matches nothing.
pub(crate) fn hex_matches(expected: &str, candidate: &str) -> bool {
    if expected.len() != DIGEST_LEN * 2 || candidate.len() != expected.len() {
        return false;
    }
    let differences = expected
        .bytes()
        .zip(candidate.bytes())
        .fold(0u8, |acc, (e, c)| acc | (e ^ c.to_ascii_lowercase()));
    bool::from(differences.ct_eq(&0))
}

impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprinter(<key redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_and_checked() {
        let a = Fingerprinter::new([1; 32]);
        let b = Fingerprinter::new([2; 32]);
        let fa = a.fingerprint("s3cret");
        assert_eq!(fa.len(), 64);
        assert_ne!(fa, b.fingerprint("s3cret"));
        assert_ne!(fa, a.fingerprint("s3cret2"));
        assert!(a.matches("s3cret", &fa));
        assert!(!a.matches("other", &fa));
        assert!(!b.matches("s3cret", &fa));
        assert!(!a.matches("s3cret", "zz"));
        assert!(!a.matches("s3cret", &fa[..62]));
        assert!(!format!("{a:?}").contains('1'));
    }

    #[test]
    fn hex_matches_takes_64_hex_digits_of_either_case() {
        let f = Fingerprinter::new([3; 32]);
        let digest = f.digest("value");
        let hex = f.fingerprint("value");
        assert_eq!(hex, hex::encode(digest));
        assert!(hex_matches(&hex, &hex));
        assert!(hex_matches(&hex, &hex.to_uppercase()));
        assert!(f.matches("value", &hex.to_uppercase()));
        assert!(!hex_matches(&hex, &hex[..63]));
        assert!(!hex_matches(&hex, &format!("{hex}00")));
        assert!(!hex_matches(&hex, &format!("{}g", &hex[..63])));
        // 'G' lower-cases to 'g', which is no hex digit of the expected text.
        let last = hex.as_bytes()[63] as char;
        assert!(!hex_matches(
            &hex,
            &format!("{}{}", &hex[..63], if last == 'f' { 'G' } else { 'g' })
        ));
        assert!(!hex_matches(&hex, ""));
        assert!(!hex_matches(&f.fingerprint("other"), &hex));
        // Every single-character change is seen, whatever its position.
        for i in 0..64 {
            let mut changed = hex.clone().into_bytes();
            changed[i] = if changed[i] == b'0' { b'1' } else { b'0' };
            assert!(
                !hex_matches(&hex, std::str::from_utf8(&changed).unwrap()),
                "{i}"
            );
        }
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2 uses a 4-byte key; here a zero key checks stability.
        let f = Fingerprinter::new([0; 32]);
        assert_eq!(
            f.fingerprint(""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        );
    }
}
