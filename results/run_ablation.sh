#!/usr/bin/env bash
# Reproduces the synapse ablation of README's "Results" section: each model
# trained with its own recipe, once per seed and per variant of the synapse
# layer, one run after the other (each run uses --threads 2).
#
#   results/run_ablation.sh                 # the full study (24 runs)
#   MODELS=seed-torch SEEDS=1 results/run_ablation.sh
#   EPOCHS=5 results/run_ablation.sh        # fewer epochs, for every run
#   results/run_ablation.sh --summary       # only print the tables
#
# Settings (environment variables, all optional):
#   MODELS    zoo models to ablate      (default: "seed-torch syna-mlp")
#   SEEDS     seeds                     (default: "1 2 3")
#   VARIANTS  synapse variants          (default: "per-sample batch-coupled identity linear")
#   EPOCHS    epochs of every run       (default: each model's recipe)
#   THREADS   threads of each run       (default: 2)
#   OUT_ROOT  where the runs go         (default: runs/ablation)
#   MNIST_BIN the main job's binary     (default: built here with cargo)
#
# A run lands in $OUT_ROOT/<model>-<variant>-s<seed>/ (summary.json,
# metrics.csv, log.txt); a run whose summary.json exists is skipped, so an
# interrupted study continues where it stopped. At the end the script prints,
# per model and variant, the final test accuracy of each seed and their mean
# and sample standard deviation.
set -euo pipefail

cd "$(dirname "$0")/.."

MODELS=${MODELS:-"seed-torch syna-mlp"}
SEEDS=${SEEDS:-"1 2 3"}
VARIANTS=${VARIANTS:-"per-sample batch-coupled identity linear"}
EPOCHS=${EPOCHS:-}
THREADS=${THREADS:-2}
OUT_ROOT=${OUT_ROOT:-runs/ablation}

# The final test accuracy (a fraction) recorded in a run's summary.json.
final_accuracy() {
    sed -n 's/.*"final_test_accuracy": *\([0-9.eE+-]*\).*/\1/p' "$1/summary.json"
}

# One table per model: variant, per-seed accuracies, mean ± std (in %).
summary() {
    for model in $MODELS; do
        echo "== $model (final test accuracy, %)"
        for variant in $VARIANTS; do
            accs=""
            for seed in $SEEDS; do
                dir="$OUT_ROOT/$model-$variant-s$seed"
                if [[ -f "$dir/summary.json" ]]; then
                    accs="$accs $(final_accuracy "$dir")"
                fi
            done
            echo "$variant$accs" | awk '{
                n = NF - 1; s = 0; ss = 0; line = sprintf("%-14s", $1);
                for (i = 2; i <= NF; i++) { a = 100 * $i; s += a; ss += a * a;
                                            line = line sprintf(" %6.2f", a) }
                if (n == 0) { print line "  (no runs)"; next }
                m = s / n; v = (n > 1) ? (ss - n * m * m) / (n - 1) : 0;
                if (v < 0) v = 0;
                printf "%s   mean %6.2f ± %.2f (n = %d)\n", line, m, sqrt(v), n }'
        done
    done
}

if [[ "${1:-}" == "--summary" ]]; then
    summary
    exit 0
fi

if [[ -z "${MNIST_BIN:-}" ]]; then
    cargo build --release --example mnist
    MNIST_BIN=target/release/examples/mnist
fi

epoch_flag=()
if [[ -n "$EPOCHS" ]]; then
    epoch_flag=(--epochs "$EPOCHS")
fi

# Seeds outermost within a model: an interrupted study still has every
# variant for the seeds it finished.
for model in $MODELS; do
    for seed in $SEEDS; do
        for variant in $VARIANTS; do
            dir="$OUT_ROOT/$model-$variant-s$seed"
            if [[ -f "$dir/summary.json" ]]; then
                echo "skip $dir (done)"
                continue
            fi
            mkdir -p "$dir"
            echo "$(date -u +%H:%M:%S) run $dir"
            "$MNIST_BIN" --model "$model" "${epoch_flag[@]}" --seed "$seed" \
                --synapse "$variant" --threads "$THREADS" --quiet --out "$dir" \
                >"$dir/log.txt" 2>&1
            tail -n 1 "$dir/log.txt"
        done
    done
done

summary
