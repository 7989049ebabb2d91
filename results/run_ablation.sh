#!/usr/bin/env bash
# Reproduces the synapse ablation of README's "Results" section: each model
# trained with its own recipe, once per seed and per variant of the synapse
# layer, one run after the other (each run uses --threads 2).
#
#   results/run_ablation.sh                 # the full study (24 runs)
#   MODELS=seed-torch SEEDS=1 results/run_ablation.sh
#   EPOCHS=5 results/run_ablation.sh        # fewer epochs, for every run
#   results/run_ablation.sh --summary       # only print the tables
#   results/run_ablation.sh --eval-by-100   # re-evaluate batch-coupled runs
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
# interrupted study continues where it stopped. Then the batch-coupled runs
# are evaluated in batches of 100 (see below), and the script prints,
# per model and variant, the final test accuracy of each seed and their mean
# and sample standard deviation.
#
# The main job evaluates in batches of 1000, but a batch-coupled Synapse's
# output depends on the batch size (it was trained on batches of 100), so
# --eval-by-100 evaluates each batch-coupled run's final weights once more,
# on the 100 consecutive slices of 100 test images (one batch each), and
# writes the mean accuracy to the run's eval_by_100.txt.
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

# One table row: a label, then accuracies (fractions) printed in % with
# their mean and sample standard deviation.
line() {
    echo "$1" | awk '{
        n = NF - 1; s = 0; ss = 0; line = sprintf("%-17s", $1);
        for (i = 2; i <= NF; i++) { a = 100 * $i; s += a; ss += a * a;
                                    line = line sprintf(" %6.2f", a) }
        if (n == 0) { print line "  (no runs)"; next }
        m = s / n; v = (n > 1) ? (ss - n * m * m) / (n - 1) : 0;
        if (v < 0) v = 0;
        printf "%s   mean %6.2f ± %.2f (n = %d)\n", line, m, sqrt(v), n }'
}

# One table per model: variant, per-seed accuracies, mean ± std (in %);
# batch-coupled@100 is the batch-coupled runs evaluated in batches of 100.
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
            line "$variant$accs"
            if [[ "$variant" == batch-coupled ]]; then
                by100=""
                for seed in $SEEDS; do
                    f="$OUT_ROOT/$model-$variant-s$seed/eval_by_100.txt"
                    [[ -f "$f" ]] && by100="$by100 $(cat "$f")"
                done
                [[ -n "$by100" ]] && line "batch-coupled@100$by100"
            fi
        done
    done
}

# Prints `count` bytes of file $1 from byte offset $2.
slice() {
    dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
}

# Splits the raw test set into $OUT_ROOT/test-slices/<k>/ (k = 0..99), each a
# data directory whose test set is images 100k..100k+99 (the training files
# are links to the shipped ones).
make_test_slices() {
    local src=datasets/data/mnist root="$OUT_ROOT/test-slices"
    [[ -f "$root/99/t10k-labels-idx1-ubyte" ]] && return
    local images labels
    images=$(mktemp) labels=$(mktemp)
    gzip -dc "$src/t10k-images-idx3-ubyte.gz" >"$images"
    gzip -dc "$src/t10k-labels-idx1-ubyte.gz" >"$labels"
    for k in $(seq 0 99); do
        local dir="$root/$k"
        mkdir -p "$dir"
        ln -sf "$PWD/$src/train-images-idx3-ubyte.gz" "$PWD/$src/train-labels-idx1-ubyte.gz" "$dir/"
        # IDX headers (big-endian): magic, count 100, then 28 × 28.
        { printf '\x00\x00\x08\x03\x00\x00\x00\x64\x00\x00\x00\x1c\x00\x00\x00\x1c'
          slice "$images" $((16 + k * 78400)) 78400; } >"$dir/t10k-images-idx3-ubyte"
        { printf '\x00\x00\x08\x01\x00\x00\x00\x64'
          slice "$labels" $((8 + k * 100)) 100; } >"$dir/t10k-labels-idx1-ubyte"
    done
    rm -f "$images" "$labels"
}

# The accuracy of every batch-coupled run, evaluated in batches of 100.
eval_by_100() {
    make_test_slices
    for model in $MODELS; do
        for seed in $SEEDS; do
            dir="$OUT_ROOT/$model-batch-coupled-s$seed"
            [[ -f "$dir/last.ckpt.safetensors" ]] || continue
            for k in $(seq 0 99); do
                "$MNIST_BIN" --model "$model" --synapse batch-coupled --eval-only \
                    --checkpoint "$dir/last.ckpt.safetensors" --threads 1 \
                    --data-dir "$OUT_ROOT/test-slices/$k" --limit-test 100 | tail -n 1
            done | awk -F= '{ s += $2; n++ } END { printf "%.4f\n", s / n }' >"$dir/eval_by_100.txt"
            echo "$dir: accuracy in batches of 100 = $(cat "$dir/eval_by_100.txt")"
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

if [[ "${1:-}" == "--eval-by-100" ]]; then
    eval_by_100
    exit 0
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

if [[ " $VARIANTS " == *" batch-coupled "* ]]; then
    eval_by_100
fi
summary
