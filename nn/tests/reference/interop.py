"""Interop check between synann (Rust) and PyTorch, in both directions, on
the seed MNIST CNN (`seed-torch` in the zoo, the original PyTorch `Net`).

Not part of `cargo test` (it needs torch). `bench/interop.sh` runs both
directions; by hand, from the repository root:

    cargo build --release --example interop_export
    # 1. synann -> PyTorch: our state dict loads into the PyTorch Net
    #    (load_state_dict(load_file(...)), strict) and gives our outputs.
    ./target/release/examples/interop_export --out runs/interop --seed 0
    /work/venv-torch/bin/python nn/tests/reference/interop.py \
        runs/interop/model.safetensors runs/interop/expected.safetensors
    # 2. PyTorch -> synann: a PyTorch Net's state dict (save_file), run by
    #    `interop_export --import`, gives PyTorch's outputs.
    /work/venv-torch/bin/python nn/tests/reference/interop.py \
        --from-torch runs/interop --seed 0 \
        --exporter ./target/release/examples/interop_export

Direction 1: MODEL.safetensors is the state dict written by
`synann_nn::checkpoint::save_safetensors` (PyTorch names; F32 or F64 floats,
I64 `num_batches_tracked`), or a `TrainingCheckpoint` file (its `model.*`
tensors are used). EXPECTED.safetensors holds `input` [N, 1, 28, 28] and
`output` [N, 10], the Rust model's log-probabilities for `input` in eval
mode. The file is loaded with `net.load_state_dict(state)`, strict: every
tensor must match by name, shape and dtype kind.

Direction 2 (`--from-torch DIR`): builds a PyTorch Net with `--seed`, gives
its batch norm running statistics with a few training-mode passes, saves
`DIR/torch_model.safetensors` with `safetensors.torch.save_file(
net.state_dict(), ...)` (so `num_batches_tracked` is int64), runs
`EXPORTER --out DIR --import DIR/torch_model.safetensors` (skipped with
`--no-run`, when DIR/imported.safetensors was made by hand) and compares
the `output` in `DIR/imported.safetensors` with PyTorch's for its `input`.

    /work/venv-torch/bin/python nn/tests/reference/interop.py --self-test

checks the script itself: it saves a random PyTorch Net and its outputs in
the same formats (to a temporary directory) and compares them.

The network: conv1 1->10 5x5, max-pool 2, ReLU; conv2 10->20 5x5,
(Dropout2d), max-pool 2, ReLU; flatten to 320; fc1 320->64, ReLU,
(dropout); softmax; synapse 64->64; BatchNorm1d(64); fc2 64->10;
log-softmax. The synapse layer is optional and found by name: `fcn.weight`
(the seed's; its unused `fcn.bias` is kept when present) or `syn.weight`
[64, 64]; without it the softmax and synapse are skipped. The batch norm is
`fcb.*` (the seed's) or `bn.*`. The synapse is synann's default, the
per-sample form y_i = x_i * exp(sum_j log1p(-W[i, j] * x_j)).

Exit status: 0 when the outputs agree (max |diff| within --atol + --rtol *
|expected|, default 1e-4 each), 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file


class Synapse(nn.Module):
    """y_i = x_i * prod_j (1 - W[i, j] * x_j), in log space, per sample:
    x_i * exp(sum_j log1p(-W[i, j] * x_j))."""

    def __init__(self, n, with_bias):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, n).uniform_(-0.05, 0.05))
        if with_bias:  # the seed declares a bias it never uses
            self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        s = torch.log1p(-x[:, None, :] * self.weight[None, :, :]).sum(-1)
        return x * torch.exp(s)


class Net(nn.Module):
    def __init__(self, syn_name=None, syn_bias=False, bn_name="bn"):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 64)
        self.syn_name, self.bn_name = syn_name, bn_name
        if syn_name:
            setattr(self, syn_name, Synapse(64, syn_bias))
        setattr(self, bn_name, nn.BatchNorm1d(64))
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = x.reshape(-1, 320)
        x = F.relu(self.fc1(x))
        if self.syn_name:
            x = getattr(self, self.syn_name)(F.softmax(x, dim=1))
        x = getattr(self, self.bn_name)(x)
        return F.log_softmax(self.fc2(x), dim=1)


def read_state(path):
    state = load_file(path)
    if state and all(k.startswith("model.") or k.startswith("optim.") for k in state):
        state = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    return state


def build_for(state):
    syn = next((n for n in ("syn", "fcn") if f"{n}.weight" in state), None)
    bn = "fcb" if "fcb.weight" in state else "bn"
    return Net(syn, syn_bias=syn is not None and f"{syn}.bias" in state, bn_name=bn)


def float_dtype(state):
    return next(v.dtype for v in state.values() if v.is_floating_point())


def check(got, want, atol, rtol, what):
    diff = (got - want).abs().max().item()
    # How much the outputs vary from image to image: a difference far below
    # it means the two agree on what distinguishes the images.
    spread = want.std(dim=0).mean().item()
    ok = torch.allclose(got, want, atol=atol, rtol=rtol)
    print(f"{'OK' if ok else 'FAIL'}: {what}, batch {want.shape[0]}, "
          f"max |torch - synann| = {diff:.3g} (outputs' spread over images {spread:.3g})")
    return 0 if ok else 1


def compare(model_path, expected_path, atol, rtol):
    """Direction 1: our state dict in the PyTorch Net gives our outputs."""
    state = read_state(model_path)
    dtype = float_dtype(state)
    net = build_for(state).to(dtype)
    net.load_state_dict(state)  # strict: raises on any missing or extra name
    net.eval()
    expected = load_file(expected_path)
    x, want = expected["input"].to(dtype), expected["output"].to(dtype)
    with torch.no_grad():
        got = net(x)
    dtypes = sorted({str(v.dtype).replace("torch.", "") for v in state.values()})
    return check(got, want, atol, rtol,
                 f"synann -> torch, {len(state)} tensors ({', '.join(dtypes)})")


def warm_batch_norm(net, batches=4, seed=1):
    """Training-mode passes on random images, averaged exactly into the
    running statistics (momentum None: a cumulative average), so that in
    eval mode the batch norm really normalises the synapse's small outputs
    and any difference upstream shows in the log-probabilities."""
    bn = getattr(net, net.bn_name)
    momentum, bn.momentum = bn.momentum, None
    g = torch.Generator().manual_seed(seed)
    net.train()
    with torch.no_grad():
        for _ in range(batches):
            net(torch.randn(32, 1, 28, 28, generator=g))
    net.eval()
    bn.momentum = momentum


def from_torch(out_dir, seed, init_from, exporter, run, atol, rtol):
    """Direction 2: a PyTorch state dict run by synann gives PyTorch's outputs."""
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    net = Net("fcn", syn_bias=True, bn_name="fcb")
    if init_from:  # e.g. trained weights, for outputs that vary more
        net.load_state_dict(read_state(init_from))
    else:
        with torch.no_grad():  # the seed's synapse init, kaiming a = sqrt(5)
            nn.init.kaiming_uniform_(net.fcn.weight, a=5 ** 0.5)
        warm_batch_norm(net)
    net.eval()
    model_path = os.path.join(out_dir, "torch_model.safetensors")
    save_file(net.state_dict(), model_path)
    if run:
        cmd = exporter.split() + ["--out", out_dir, "--import", model_path]
        print("running", " ".join(cmd))
        subprocess.run(cmd, check=True)
    imported = load_file(os.path.join(out_dir, "imported.safetensors"))
    x, got = imported["input"], imported["output"]
    with torch.no_grad():
        want = net(x)
    return check(got, want, atol, rtol,
                 f"torch -> synann, {len(net.state_dict())} tensors "
                 f"(num_batches_tracked = {int(net.fcb.num_batches_tracked)})")


def self_test():
    torch.manual_seed(0)
    net = Net("syn", bn_name="bn")
    warm_batch_norm(net)
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        out = net(x)
    with tempfile.TemporaryDirectory() as d:
        model, expected = os.path.join(d, "model.safetensors"), os.path.join(d, "out.safetensors")
        save_file(net.state_dict(), model)
        save_file({"input": x, "output": out}, expected)
        return compare(model, expected, 1e-6, 1e-6)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", nargs="?")
    p.add_argument("expected", nargs="?")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--self-test", action="store_true")
    p.add_argument("--from-torch", metavar="DIR",
                   help="direction 2: save a PyTorch Net to DIR and compare synann's outputs")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed for --from-torch")
    p.add_argument("--init-from", metavar="MODEL",
                   help="with --from-torch: start the PyTorch Net from this state dict")
    p.add_argument("--exporter", default="./target/release/examples/interop_export",
                   help="the interop_export program (a command line) for --from-torch")
    p.add_argument("--no-run", action="store_true",
                   help="with --from-torch: use DIR/imported.safetensors as it is")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    if a.from_torch:
        return from_torch(a.from_torch, a.seed, a.init_from, a.exporter, not a.no_run, a.atol, a.rtol)
    if not (a.model and a.expected):
        p.error("MODEL and EXPECTED are required (or --self-test)")
    return compare(a.model, a.expected, a.atol, a.rtol)


if __name__ == "__main__":
    sys.exit(main())
