#!/usr/bin/env bash
# Fuzzes every parser of outside input (issue #15): bank 91 result/request files, 総合振込 (21)
# return files, rule files and special measures, slip payment files, paper batches, upload type
# sniffing and the form edge's number/date parsing. Run by hand, never in CI:
#
#   scripts/fuzz.sh [RUNS] [TARGET…]     # RUNS executions per target (default 1,000,000)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The corpus grows in
# fuzz/corpus/<target>, seeded from the repository's own valid files; a crash leaves its input in
# fuzz/artifacts/<target> and stops the script with a non-zero status. The last line of each run
# ("Done N runs in S second(s)") is what docs/BENCHMARKS.md records.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1000000}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(zengin_debit zengin_transfer rule_files slip_payments form_values paper_batch upload_sniff)
fi

corpus=fuzz/corpus
for t in "${targets[@]}"; do mkdir -p "$corpus/$t"; done
# Seeds: real files the system writes or reads.
cp crates/kyosai-app/tests/golden/*.dat "$corpus/zengin_debit/" 2>/dev/null || true
cargo build -q --workspace --examples
target/debug/examples/fuzz_seeds "$corpus/zengin_transfer"
find rules -name '*.toml' -exec cp {} "$corpus/rule_files/" \;
for d in fuzz/seeds/*/; do
    t=$(basename "$d")
    [ -d "$corpus/$t" ] && cp "$d"* "$corpus/$t/"
done

cd fuzz
cargo +nightly fuzz build -O
for t in "${targets[@]}"; do
    echo "== $t"
    cargo +nightly fuzz run -O "$t" "corpus/$t" -- -runs="$runs" -max_len=65536 -print_final_stats=1 2>&1 \
        | grep -E '^(Done|stat::|==|SUMMARY|thread|panicked)' || true
    if [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
        echo "crash inputs in fuzz/artifacts/$t" >&2
        exit 1
    fi
done
