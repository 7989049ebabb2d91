#!/usr/bin/env bash
# One sitting of the recurrent-epoch table of docs/PERFORMANCE.md: one
# epoch of syna-rnn (60,000 images, batch 100) with each recurrent cell,
# from several commits, run back to back on one machine.
#
#   results/run_recurrent_epoch.sh OUT BUILD...
#
# OUT    the sitting's folder (results/recurrent-epoch-<host>/, say)
# BUILD  a commit (run as one process with --threads 2), or COMMIT:ranks2
#        (the same commit's binary run with --ranks 2 --threads 1), oldest
#        first: the table gives each build's speed-up over the first
#
# Each commit is checked out in a worktree under $WORK (default
# /tmp/recurrent-epoch) and its `mnist` built there in release mode; then
# ROUNDS rounds (default 3), each running the cells synapse, gru, tanh for
# every build in the order given, write OUT/<cell>-<label>-r<N>/summary.json
# (label: the commit, or <commit>-ranks2). A run whose summary.json exists
# is skipped, so an interrupted sitting continues. OUT/provenance.json
# records the host's CPU, the time and the builds; `cargo run --example
# gen_docs` makes the table. Nothing else should run meanwhile.
set -euo pipefail

cd "$(dirname "$0")/.."
root="$(pwd)"
if [ $# -lt 3 ]; then
    echo "error: usage: results/run_recurrent_epoch.sh OUT BUILD BUILD... (at least two builds)" >&2
    exit 2
fi
out="$1"
shift
builds=("$@")
work="${WORK:-/tmp/recurrent-epoch}"
rounds="${ROUNDS:-3}"
mkdir -p "$out" "$work"

commit_of() { echo "${1%%:*}"; }
label_of() {
    case "$1" in
        *:ranks2) echo "$(commit_of "$1")-ranks2" ;;
        *:*) echo "error: unknown build '$1' (COMMIT or COMMIT:ranks2)" >&2; exit 2 ;;
        *) echo "$1" ;;
    esac
}

# Build every commit's `mnist` once.
for b in "${builds[@]}"; do
    label_of "$b" >/dev/null
    c="$(commit_of "$b")"
    git rev-parse --verify --quiet "$c^{commit}" >/dev/null \
        || { echo "error: '$c' is not a commit of this repository" >&2; exit 2; }
    bin="$work/bin/mnist-$c"
    [ -x "$bin" ] && continue
    tree="$work/tree-$c"
    [ -d "$tree" ] || git worktree add --detach "$tree" "$c" >/dev/null
    (cd "$tree" && cargo build --release --example mnist --quiet)
    mkdir -p "$work/bin"
    cp "$tree/target/release/examples/mnist" "$bin"
done

cpuinfo() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
if grep -qw avx512f /proc/cpuinfo; then isa="AVX-512"; else isa="AVX2, no AVX-512"; fi
start="$(date -u '+%F, %H:%M')"

for r in $(seq 1 "$rounds"); do
    for cell in synapse gru tanh; do
        for b in "${builds[@]}"; do
            c="$(commit_of "$b")"
            run="$out/$cell-$(label_of "$b")-r$r"
            [ -f "$run/summary.json" ] && continue
            case "$b" in
                *:ranks2) threads=(--ranks 2 --threads 1) ;;
                *) threads=(--threads 2) ;;
            esac
            echo "== round $r, $cell, $b"
            "$work/bin/mnist-$c" --model syna-rnn --rnn-cell "$cell" --epochs 1 \
                --limit-test 2000 --quiet "${threads[@]}" --out "$run" > "$run.log" 2>&1 \
                || { echo "error: the run $run failed (see $run.log)" >&2; exit 1; }
            # Only the summary is kept: the checkpoints are large and say
            # nothing about the time.
            find "$run" -type f ! -name summary.json -delete
            rm -f "$run.log"
        done
    done
done

builds_json="$(for b in "${builds[@]}"; do
    c="$(commit_of "$b")"
    case "$b" in
        *:ranks2) printf '    {"commit": "%s", "ranks": 2},\n' "$c" ;;
        *) printf '    "%s",\n' "$c" ;;
    esac
done | sed '$ s/,$//')"
cat > "$out/provenance.json" <<EOF
{
  "cpu": "$(cpuinfo 'model name') (family $(cpuinfo 'cpu family'), model $(cpuinfo model)), $(nproc) vCPUs, $isa",
  "date": "$start–$(date -u +%H:%M) UTC",
  "command": "results/run_recurrent_epoch.sh $out ${builds[*]}: mnist --model syna-rnn --rnn-cell <cell> --epochs 1 --limit-test 2000 --quiet, release builds of each commit in \`builds\`: with --threads 2 (one process), or, for a build with \`ranks\`, with --ranks 2 --threads 1 (the same binary as the commit's one-process runs); $rounds rounds, each running synapse, gru, tanh, every build in the order listed",
  "conditions": "${CONDITIONS:-nothing else running; one epoch of the 60,000 training images (600 steps of 100)}",
  "builds": [
$builds_json
  ]
}
EOF
echo "wrote $out (now: cargo run --example gen_docs)"
