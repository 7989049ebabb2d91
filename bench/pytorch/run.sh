#!/usr/bin/env bash
# The PyTorch side of the benchmark: makes a virtual environment with torch
# and numpy if there is none, then times the PyTorch counterparts of the
# cases of `cargo run --release --example bench` at 2 threads.
#
# Run from anywhere:  bash bench/pytorch/run.sh [extra torch_side.py flags]
# VENV=/path/to/venv  reuses an existing environment (default: bench-venv/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${VENV:-$root/bench-venv}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv (pip install torch numpy: the default wheel is ~4 GB)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --upgrade pip
    "$venv/bin/pip" install torch numpy
fi

mkdir -p "$root/bench/results"
exec "$venv/bin/python" "$root/bench/pytorch/torch_side.py" \
    --threads 2 --json "$root/bench/results/torch.json" "$@"
