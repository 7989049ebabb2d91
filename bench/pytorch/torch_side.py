#!/usr/bin/env python3
"""The PyTorch side of synann's benchmark harness.

Times the PyTorch counterparts of the cases of `cargo run --release --example
bench` (same case names, same shapes, float32, CPU) and writes one JSON object

    {case: {"median_ms", "min_ms", "max_ms", "reps", "peak_rss_mib", ...}, ...}

that the Rust side reads with `--torch-json` to print both columns side by side.

Protocol (the same as the Rust side): a few warm-up repetitions, then
repetitions until at least --reps-min of them AND --seconds of wall time
(heavy cases, marked below, use 1 warm-up and at least 3 repetitions). The
median is the headline figure. Peak RSS is the process's high-water mark
(VmHWM) while the case runs: it is reset before each case by writing 5 to
/proc/self/clear_refs, and it includes the ~0.7 GiB that `import torch` costs.

Usage:
    python torch_side.py [--threads 2] [--cases a,b] [--json out.json] [--list]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH_SYNAPSE = 128


# ----------------------------------------------------------------- memory ---

def _status_kib(field):
    """A `VmXXX:   N kB` line of /proc/self/status, in KiB (None if absent)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Resets VmHWM to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def mib(kib):
    return None if kib is None else round(kib / 1024.0, 1)


# ------------------------------------------------------------------ cases ---
# Each builder returns (step, info): step() runs one timed repetition; info
# may hold "flop" (floating-point operations per repetition) or "items"
# (images / samples per repetition) for the throughput column.

def matmul(n):
    def build():
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        c = torch.empty(n, n)

        def step():
            torch.mm(a, b, out=c)
        return step, {"flop": 2 * n ** 3}
    return build


def backward_step(forward, grad_out, params):
    """fwd+bwd of `forward()` with a fixed output gradient, grads cleared first."""
    def step():
        for p in params:
            p.grad = None
        forward().backward(grad_out)
    return step


def conv1_fb():
    # The seed Net's first convolution: the input is data (no input gradient).
    conv = nn.Conv2d(1, 10, 5)
    x = torch.randn(100, 1, 28, 28)
    g = torch.randn(100, 10, 24, 24)
    return backward_step(lambda: conv(x), g, list(conv.parameters())), {"items": 100}


def conv2_fb():
    # The second convolution: its input is an activation (input gradient too).
    conv = nn.Conv2d(10, 20, 5)
    x = torch.randn(100, 10, 12, 12, requires_grad=True)
    g = torch.randn(100, 20, 8, 8)
    return backward_step(lambda: conv(x), g, list(conv.parameters()) + [x]), {"items": 100}


def linear_fb(n):
    def build():
        lin = nn.Linear(n, n)
        x = torch.randn(128, n, requires_grad=True)
        g = torch.randn(128, n)
        flop = 3 * 2 * 128 * n * n  # forward, dX and dW: three GEMMs
        return backward_step(lambda: lin(x), g, list(lin.parameters()) + [x]), {"flop": flop}
    return build


def synapse_weight(n):
    """W [n, n] initialised like nn.Linear's weight: U(-1/sqrt(n), 1/sqrt(n))."""
    w = torch.empty(n, n)
    nn.init.kaiming_uniform_(w, a=5 ** 0.5)
    return w.requires_grad_()


def synapse(x, w):
    """Per-sample Synapse, fused in log space:
    y[k, i] = x[k, i] * prod_j (1 - W[i, j] x[k, j])."""
    return torch.exp(torch.log(x) + torch.log1p(-x[:, None, :] * w[None]).sum(-1))


def synapse_fb(n, batch=BATCH_SYNAPSE):
    def build():
        w = synapse_weight(n)
        x = torch.softmax(torch.randn(batch, n), dim=1).requires_grad_()
        g = torch.randn(batch, n)
        return backward_step(lambda: synapse(x, w), g, [w, x]), {"items": batch}
    return build


def synapse_fwd(n, batch=BATCH_SYNAPSE):
    def build():
        w = synapse_weight(n).detach()
        x = torch.softmax(torch.randn(batch, n), dim=1)

        def step():
            with torch.no_grad():
                synapse(x, w)
        return step, {"items": batch}
    return build


def rnn_sequence():
    """28 steps of 28 pixels at batch 100 (an MNIST image row by row) and
    the gradient of the last state [100, 128]."""
    return torch.rand(100, 28, 28), torch.randn(100, 128)


def recurrent_fb(kind):
    """nn.RNN (tanh) or nn.GRU 28 -> 128 over the sequence, last state,
    fwd+bwd: one fused call over all steps, as a PyTorch user writes it."""
    def build():
        layer = {"tanh": nn.RNN, "gru": nn.GRU}[kind](28, 128, batch_first=True)
        x, g = rnn_sequence()
        return backward_step(lambda: layer(x)[1][0], g, list(layer.parameters())), {"items": 100}
    return build


def synapse_rnn_step_fb():
    """Our SynapseRNN cell written in PyTorch, unrolled over the sequence:
    e = sigmoid(W_ih x + b + W_hh h), h' = e * exp(sum_j log1p(-B_ij h_j))
    with B = sigmoid(W_syn), materialising the [100, 128, 128] terms of
    each step like the Synapse cases."""
    def build():
        hidden, bound = 128, 128 ** -0.5
        def uniform(*shape, shift=0.0):
            return (torch.empty(*shape).uniform_(-bound, bound) + shift).requires_grad_()
        w_ih, w_hh, b = uniform(hidden, 28), uniform(hidden, hidden), uniform(hidden)
        w_syn = uniform(hidden, hidden, shift=-math.log(hidden))
        x, g = rnn_sequence()

        def forward():
            bmat = torch.sigmoid(w_syn)
            h = torch.zeros(100, hidden)
            for t in range(28):
                e = torch.sigmoid(F.linear(x[:, t], w_ih, b) + F.linear(h, w_hh))
                h = e * torch.exp(torch.log1p(-h[:, None, :] * bmat[None]).sum(-1))
            return h
        return backward_step(forward, g, [w_ih, w_hh, b, w_syn]), {"items": 100}
    return build


class Synapse(nn.Module):
    """The per-sample Synapse layer (the seed's unused bias is left out)."""

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(synapse_weight(n).detach())

    def forward(self, x):
        return synapse(x, self.weight)


class SeedNet(nn.Module):
    """The seed PyTorch Net, with the per-sample Synapse."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 64)
        self.syn = Synapse(64)
        self.bn = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        x = F.dropout(x, training=self.training)
        x = self.bn(self.syn(F.softmax(x, dim=1)))
        return F.log_softmax(self.fc2(x), dim=1)


def seed_torch_step():
    model = SeedNet().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.012, momentum=0.5)
    # Normalised-MNIST-like pixels: the timing does not depend on the values.
    x = (torch.rand(100, 1, 28, 28) - 0.1307) / 0.3081
    y = torch.randint(0, 10, (100,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.nll_loss(model(x), y).backward()
        opt.step()
    return step, {"items": 100}


class KerasNet(nn.Module):
    """The seed Keras CNN at full width, in PyTorch, with the per-sample
    Synapse: convolutions 28 3x3, 56 3x3, 112 5x5, 784 7x7 (ReLU), global
    max-pool, dropout 0.25, Synapse(784), dropout 0.25, Linear(784, 10)."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([
            nn.Conv2d(1, 28, 3), nn.Conv2d(28, 56, 3),
            nn.Conv2d(56, 112, 5), nn.Conv2d(112, 784, 7),
        ])
        self.syn = Synapse(784)
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        x = F.dropout(torch.amax(x, dim=(2, 3)), 0.25, self.training)
        x = F.dropout(self.syn(x), 0.25, self.training)
        return self.fc(x)


def seed_keras_step():
    model = KerasNet().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step, {"items": 64}


# name -> (builder, heavy)
CASES = {
    "matmul_256": (matmul(256), False),
    "matmul_512": (matmul(512), False),
    "matmul_1024": (matmul(1024), False),
    "conv1_fb": (conv1_fb, False),
    "conv2_fb": (conv2_fb, False),
    "linear64_fb": (linear_fb(64), False),
    "linear256_fb": (linear_fb(256), False),
    "linear784_fb": (linear_fb(784), False),
    "synapse_n64_fb": (synapse_fb(64), False),
    "synapse_n256_fb": (synapse_fb(256), False),
    "synapse_n784_fb": (synapse_fb(784), True),
    "synapse_n784_fwd": (synapse_fwd(784), False),
    "synapse_n784_b512_fb": (synapse_fb(784, 512), True),
    "synapse_rnn_step_fb": (synapse_rnn_step_fb(), False),
    "rnn_tanh_step_fb": (recurrent_fb("tanh"), False),
    "gru_step_fb": (recurrent_fb("gru"), False),
    "seed_torch_step": (seed_torch_step, False),
    "seed_keras_step": (seed_keras_step, True),
}
DEFAULT_CASES = list(CASES)


# ----------------------------------------------------------------- timing ---

def measure(step, warmup, reps_min, seconds):
    """Warm up, then repeat until >= reps_min reps and >= seconds; times in ms."""
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < reps_min or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def run_case(name, args):
    builder, heavy = CASES[name]
    torch.manual_seed(0)
    reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    step, info = builder()
    warmup, reps_min = (1, 3) if heavy else (args.warmup, args.reps_min)
    times = measure(step, warmup, reps_min, args.seconds)
    median = statistics.median(times)
    result = {
        "median_ms": round(median, 4),
        "min_ms": round(min(times), 4),
        "max_ms": round(max(times), 4),
        "reps": len(times),
        "peak_rss_mib": mib(_status_kib("VmHWM")),
        "rss_before_mib": mib(rss_before),
    }
    if "flop" in info:
        result["gflops"] = round(info["flop"] / (median * 1e-3) / 1e9, 2)
    if "items" in info:
        result["items_per_s"] = round(info["items"] / (median * 1e-3), 1)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--json", default="", help="write the results to this file")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps-min", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    args = ap.parse_args()

    if args.list:
        print("\n".join(CASES))
        return 0
    cases = [c for c in args.cases.split(",") if c] or DEFAULT_CASES
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print("torch_side.py: unknown case(s) %s; --list shows them" % ",".join(unknown), file=sys.stderr)
        return 2
    if args.threads < 1:
        print("torch_side.py: --threads must be at least 1", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    print("torch %s, %d threads, CPU capability %s" % (
        torch.__version__, torch.get_num_threads(), torch.backends.cpu.get_cpu_capability()), flush=True)
    results = {}
    for name in cases:
        r = run_case(name, args)
        results[name] = r
        rate = ""
        if "gflops" in r:
            rate = "%9.1f GFLOP/s" % r["gflops"]
        elif "items_per_s" in r:
            rate = "%9.0f img/s" % r["items_per_s"]
        print("%-22s median %10.3f ms  min %10.3f  reps %4d  peak RSS %7.1f MiB %s" % (
            name, r["median_ms"], r["min_ms"], r["reps"], r["peak_rss_mib"] or float("nan"), rate), flush=True)

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
        print("wrote " + args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
