//! The emulator's single source of randomness: ids, tokens, keys and nonces.
//! Seeded (`EmulatorConfig::seed`) emulators draw the same sequence on every run.

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

#[derive(Debug)]
pub(crate) struct Entropy {
    rng: Mutex<StdRng>,
}

impl Entropy {
    pub(crate) fn new(seed: Option<u64>) -> Entropy {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Entropy {
            rng: Mutex::new(rng),
        }
    }

    pub(crate) fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        self.rng.lock().fill_bytes(&mut out);
        out
    }

    pub(crate) fn uuid(&self) -> String {
        uuid::Builder::from_random_bytes(self.bytes::<16>())
            .into_uuid()
            .to_string()
    }

    pub(crate) fn hex(&self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut rng = self.rng.lock();
        (0..len)
            .map(|_| DIGITS[rng.random_range(0..16)] as char)
            .collect()
    }

    /// Lowercase letters and digits (for generated hostnames and instance names).
    pub(crate) fn alnum(&self, len: usize) -> String {
        const CHARS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = self.rng.lock();
        (0..len)
            .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible() {
        let a = Entropy::new(Some(42));
        let b = Entropy::new(Some(42));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.hex(64), b.hex(64));
        assert_ne!(Entropy::new(None).uuid(), Entropy::new(None).uuid());
        assert_eq!(a.alnum(5).len(), 5);
    }
}
