#!/usr/bin/env bash
# One benchmark sitting in one command: ours, then PyTorch, then ours again,
# on a machine that should be quiet (2 threads on both sides). Writes
#
#   bench/results/<date>-family<F>-model<M>/
#       ours-run1.json  torch.json  ours.json  provenance.json
#
# prints the ratio table (our second run against PyTorch), and leaves the
# generated tables to `cargo run --example gen_docs`.
#
# Usage: bash bench/compare.sh [--cases a,b,c] [--out DIR] [--conditions TEXT]
#   --cases       the cases of both sides (default: all)
#   --out         the sitting's folder (default: bench/results/<date>-family<F>-model<M>)
#   --conditions  what provenance.json says of the machine's load
#                 (default: the load average when the sitting started)
# VENV=/path/to/venv reuses a Python environment with torch (see bench/pytorch/run.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cases="" out="" conditions=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) cases="${2:?--cases needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        --conditions) conditions="${2:?--conditions needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

cpuinfo() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
family="$(cpuinfo 'cpu family')"
model="$(cpuinfo model)"
name="$(cpuinfo 'model name')"
if grep -qw avx512f /proc/cpuinfo; then isa="AVX-512"; else isa="AVX2, no AVX-512"; fi
cpu="$name (family $family, model $model), $(nproc) vCPUs, $isa"
out="${out:-bench/results/$(date -u +%F)-family$family-model$model}"
mkdir -p "$out"
conditions="${conditions:-load average $(cut -d' ' -f1-3 /proc/loadavg) when the sitting started}"

case_args=()
if [ -n "$cases" ]; then case_args=(--cases "$cases"); fi

cargo build --release --example bench
bench="$root/target/release/examples/bench"
start="$(date -u '+%F, %H:%M')"

echo "== ours, run 1"
"$bench" --threads 2 "${case_args[@]}" --json "$out/ours-run1.json" >/dev/null
echo "== PyTorch"
bash bench/pytorch/run.sh "${case_args[@]}" --json "$out/torch.json"
echo "== ours, run 2, with PyTorch's figures"
"$bench" --threads 2 "${case_args[@]}" --torch-json "$out/torch.json" --json "$out/ours.json"

end="$(date -u +%H:%M)"
venv="${VENV:-$root/bench-venv}"
pytorch="$("$venv/bin/python" -c 'import torch, numpy, platform; print("torch %s (CPU capability %s), numpy %s, Python %s" % (torch.__version__, torch.backends.cpu.get_cpu_capability(), numpy.__version__, platform.python_version()))')"
memory="$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r | cut -d- -f1)"
rust="$(rustc --version | cut -d' ' -f1-2), --release"
python3 - "$out/provenance.json" <<PY
import json, sys
json.dump({
    "cpu": """$cpu""",
    "memory": """$memory""",
    "os": """$os""",
    "rust": """$rust""",
    "pytorch": """$pytorch""",
    "date": """$start–$end UTC""",
    "command": "bench/compare.sh ${cases:+--cases $cases }(ours, ours-run1.json; bench/pytorch/run.sh, torch.json; ours, ours.json), 2 threads",
    "conditions": """$conditions""",
}, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
open(sys.argv[1], "a").write("\n")
PY
echo "wrote $out/{ours-run1,torch,ours,provenance}.json; now: cargo run --example gen_docs"
