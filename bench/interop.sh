#!/usr/bin/env bash
# PyTorch interop of checkpoints, both directions, on seed-torch (the
# original PyTorch Net). Not part of `cargo test`: it needs torch.
#
#   bench/interop.sh [OUT_DIR]        (default runs/interop)
#   PYTHON=/path/to/python bench/interop.sh   (default /work/venv-torch/bin/python)
#
# 1. synann -> PyTorch: `interop_export` writes our state dict
#    (model.safetensors: F32 tensors, I64 num_batches_tracked) and our
#    outputs on the first 64 MNIST test images (expected.safetensors);
#    interop.py loads the file into the PyTorch Net with
#    `load_state_dict(load_file(...))` (strict) and compares outputs.
# 2. PyTorch -> synann: interop.py saves a PyTorch Net with
#    `safetensors.torch.save_file(net.state_dict(), ...)` (int64
#    num_batches_tracked), runs `interop_export --import` on it and compares
#    synann's outputs with PyTorch's.
#
# Each direction runs on a fresh model and on one trained for one epoch on
# MNIST (about 10 s on 2 cores), whose outputs vary much more from image to
# image, so that the comparison is sharp. Every comparison prints
# "OK"/"FAIL" and the max |torch - synann|; the script stops at the first
# failure (max |diff| > 1e-4 + 1e-4 * |value|).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/interop}
PYTHON=${PYTHON:-/work/venv-torch/bin/python}
CHECK="$PYTHON nn/tests/reference/interop.py"
EXPORT=./target/release/examples/interop_export

cargo build --release -p synann-examples --example interop_export --example mnist
./target/release/examples/mnist --model seed-torch --epochs 1 \
    --limit-test 500 --seed 0 --out "$OUT/train" | tail -n 1

$CHECK --self-test

echo "== synann -> PyTorch, fresh model (seed 0)"
$EXPORT --out "$OUT/fresh" --seed 0
$CHECK "$OUT/fresh/model.safetensors" "$OUT/fresh/expected.safetensors"

echo "== synann -> PyTorch, trained model (state dict, then training checkpoint)"
$EXPORT --out "$OUT/trained" --checkpoint "$OUT/train/best.safetensors"
$CHECK "$OUT/trained/model.safetensors" "$OUT/trained/expected.safetensors"
$CHECK "$OUT/train/last.ckpt.safetensors" "$OUT/trained/expected.safetensors"

echo "== PyTorch -> synann, fresh PyTorch Net (torch.manual_seed(0))"
$CHECK --from-torch "$OUT/torch-fresh" --seed 0 --exporter "$EXPORT"

echo "== PyTorch -> synann, PyTorch Net holding the trained weights"
$CHECK --from-torch "$OUT/torch-trained" --init-from "$OUT/train/best.safetensors" \
    --exporter "$EXPORT"
