//! Spotting JSON integers too long for a fast 64-bit decoder.

/// Digits from which an integer may not fit 64 bits (u64::MAX has 20, i64::MIN 19).
const LONG_RUN: usize = 19;

/// Whether `body` has a run of 19 or more ASCII digits: a JSON integer that may not fit 64
/// bits, which a fast decoder would turn into a float. Probes every 19th byte (any run that
/// long covers one probe) and measures the run around a digit it meets, so a page of app
/// bodies costs a few microseconds.
pub fn has_long_digit_run(body: &[u8]) -> bool {
    let mut probe = LONG_RUN - 1;
    while probe < body.len() {
        if body[probe].is_ascii_digit() {
            let start = body[..probe]
                .iter()
                .rposition(|b| !b.is_ascii_digit())
                .map_or(0, |p| p + 1);
            let end = body[probe..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(body.len(), |p| probe + p);
            if end - start >= LONG_RUN {
                return true;
            }
        }
        probe += LONG_RUN;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(body: &[u8]) -> bool {
        body.split(|b| !b.is_ascii_digit())
            .any(|run| run.len() >= LONG_RUN)
    }

    #[test]
    fn finds_runs_at_every_offset_and_length() {
        for len in 0..60 {
            for run in 17..22 {
                for at in 0..len.max(1) {
                    let mut body = vec![b'x'; len];
                    for slot in body.iter_mut().skip(at).take(run) {
                        *slot = b'7';
                    }
                    assert_eq!(has_long_digit_run(&body), naive(&body), "{len} {run} {at}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_plain_scan(body in proptest::collection::vec(
            prop_oneof![4 => b'0'..=b'9', 1 => Just(b','), 1 => Just(b'"')], 0..400)) {
            prop_assert_eq!(has_long_digit_run(&body), naive(&body));
        }
    }
}
