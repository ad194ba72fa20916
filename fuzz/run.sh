#!/usr/bin/env bash
# Runs every cargo-fuzz target of this crate for SECONDS each (default 20) and exits
# non-zero if any target crashed. Usage: fuzz/run.sh [SECONDS]
#
# Needs a nightly toolchain (libFuzzer instrumentation); installs cargo-fuzz if missing.
# Crashing inputs are kept in fuzz/artifacts/<target>/ (reproduce with
# `cargo +nightly fuzz run <target> <file>`); the growing corpus in fuzz/corpus/<target>/.
set -euo pipefail

seconds="${1:-20}"
# FUZZ_SANITIZER=none skips AddressSanitizer (safe Rust has little for it to find): a much
# quicker first build, which is what CI uses; by hand the default (address) is better.
sanitizer="${FUZZ_SANITIZER:-address}"
cd "$(dirname "$0")"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: a nightly Rust toolchain is required (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build -s "$sanitizer"
failed=()
for target in $(cargo +nightly fuzz list); do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    if [ -d "seeds/$target" ]; then
        dirs+=("seeds/$target")
    fi
    echo "=== $target: ${seconds}s"
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a blow-up is a crash.
    if ! cargo +nightly fuzz run -s "$sanitizer" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/run.sh: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz/run.sh: no crash in ${seconds}s per target"
