#!/usr/bin/env bash
# Throughput on one machine: 1 rank × 2 threads against 2 ranks × 1 thread,
# one epoch of seed-torch and of seed-keras at width 0.25 (same seed, same
# global batch). Run it on a quiet machine; it writes
# results/distributed/scaling.json (images/s, accuracy after the epoch, the
# host's CPU, the date and each command) and keeps each run's summary.json
# and log under results/distributed/<model>-<ranks>x<threads>/.
#
#   results/distributed/run_scaling.sh
#   MNIST_BIN=/path/to/mnist results/distributed/run_scaling.sh   # a build with --features synann-examples/mpi
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${MNIST_BIN:-}" ]]; then
    cargo build --release --example mnist --features synann-examples/mpi
    MNIST_BIN=target/release/examples/mnist
fi
MPIRUN=${MPIRUN:-mpirun --allow-run-as-root --oversubscribe}
out=results/distributed
cpu_family=$(awk -F': ' '/^cpu family/ {print $2; exit}' /proc/cpuinfo)
cpu_model=$(awk -F': ' '/^model\t/ {print $2; exit}' /proc/cpuinfo)
cpu_name=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)

rows=()
for model in seed-torch seed-keras; do
    common="--model $model --epochs 1 --seed 0 --quiet"
    # seed-torch has no width; seed-keras at a quarter of its channels.
    [[ $model == seed-keras ]] && common="$common --width 0.25"
    for layout in 1x2 2x1; do
        ranks=${layout%x*}
        threads=${layout#*x}
        run=$out/$model-$layout
        rm -rf "$run"
        mkdir -p "$run"
        if [[ $ranks == 1 ]]; then
            cmd="$MNIST_BIN $common --threads $threads --out $run"
        else
            cmd="$MPIRUN -np $ranks $MNIST_BIN --distributed $common --threads $threads --out $run"
        fi
        echo "== $cmd"
        RAYON_NUM_THREADS=$threads $cmd | tee "$run/log.txt"
        rm -f "$run"/*.safetensors "$run"/curves.*
        ips=$(python3 -c "import json; print(json.load(open('$run/summary.json'))['samples_per_second'])")
        acc=$(python3 -c "import json; print(json.load(open('$run/summary.json'))['final_test_accuracy'])")
        rows+=("{\"model\": \"$model\", \"ranks\": $ranks, \"threads_per_rank\": $threads, \"images_per_second\": $ips, \"test_accuracy_after_1_epoch\": $acc, \"command\": \"$cmd\"}")
    done
done

{
    echo "{"
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"cpu\": {\"family\": $cpu_family, \"model\": $cpu_model, \"name\": \"$cpu_name\", \"cores\": $(nproc)},"
    echo "  \"runs\": ["
    for i in "${!rows[@]}"; do
        sep=","
        [[ $i == $((${#rows[@]} - 1)) ]] && sep=""
        echo "    ${rows[$i]}$sep"
    done
    echo "  ]"
    echo "}"
} > "$out/scaling.json"
cat "$out/scaling.json"
