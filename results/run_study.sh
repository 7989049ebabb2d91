#!/usr/bin/env bash
# Runs one ablation study: every arm of results/ablation/<study>/ for every
# seed, one run after the other, each with --threads 2 (or $THREADS).
#
#   results/run_study.sh syna-cnn            # the study's seeds (seeds.txt)
#   SEEDS="4 5" results/run_study.sh syna-cnn
#   ARMS="shipped plain" results/run_study.sh syna-cnn
#
# A study folder holds:
#   study.txt   one line: the flags every run shares (model, shortened recipe)
#   arms.txt    one arm per line: its name, then its own flags
#   seeds.txt   the seeds, on one line
# A run lands in results/ablation/<study>/<arm>-s<seed>/ (summary.json,
# metrics.csv, log.txt); a run whose summary.json exists is skipped, so an
# interrupted study continues where it stopped. Checkpoints and curves are
# deleted after the run (they are not results). The tables are generated
# from the summary.json files by
#   cargo run --example gen_docs
set -euo pipefail
cd "$(dirname "$0")/.."

study=${1:?usage: results/run_study.sh STUDY}
dir=results/ablation/$study
[[ -f $dir/study.txt && -f $dir/arms.txt ]] || {
    echo "error: $dir has no study.txt and arms.txt" >&2
    exit 2
}
common=$(cat "$dir/study.txt")
SEEDS=${SEEDS:-$(cat "$dir/seeds.txt")}
THREADS=${THREADS:-2}
if [[ -z "${MNIST_BIN:-}" ]]; then
    cargo build --release --example mnist
    MNIST_BIN=target/release/examples/mnist
fi

# Seeds outermost: an interrupted study still has every arm for the seeds
# it finished.
for seed in $SEEDS; do
    while read -r arm flags; do
        [[ -z "$arm" || "$arm" == \#* ]] && continue
        [[ -n "${ARMS:-}" && " $ARMS " != *" $arm "* ]] && continue
        out="$dir/$arm-s$seed"
        if [[ -f "$out/summary.json" ]]; then
            echo "skip $out (done)"
            continue
        fi
        mkdir -p "$out"
        echo "$(date -u +%H:%M:%S) run $out"
        # shellcheck disable=SC2086 # the flags are words
        "$MNIST_BIN" $common $flags --seed "$seed" --threads "$THREADS" --quiet \
            --out "$out" >"$out/log.txt" 2>&1
        rm -f "$out"/*.safetensors "$out"/curves.svg "$out"/curves.png
        tail -n 1 "$out/log.txt"
    done <"$dir/arms.txt"
done
