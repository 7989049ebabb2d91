"""Interop check: a model saved by synann (Rust) loads into PyTorch and
computes the same outputs.

Not part of `cargo test` (it needs torch). Run it from the repository root:

    /work/venv-torch/bin/python nn/tests/reference/interop.py \
        MODEL.safetensors EXPECTED.safetensors [--atol 1e-4] [--rtol 1e-4]

MODEL.safetensors   the model's state dict written by
                    `synann_nn::checkpoint::save_safetensors` (PyTorch names,
                    F32 or F64), or a `TrainingCheckpoint` file (its `model.*`
                    tensors are used).
EXPECTED.safetensors  two tensors written by the Rust side with the same
                    function: `input` [N, 1, 28, 28] and `output` [N, 10], the
                    Rust model's log-probabilities for `input` in eval mode.

    /work/venv-torch/bin/python nn/tests/reference/interop.py --self-test

checks the script itself: it saves a random PyTorch Net and its outputs in
the same formats (to a temporary directory) and compares them.

The network is the seed MNIST CNN: conv1 1->10 5x5, max-pool 2, ReLU; conv2
10->20 5x5, (Dropout2d), max-pool 2, ReLU; flatten to 320; fc1 320->64,
ReLU, (dropout); softmax; synapse 64->64; BatchNorm1d(64); fc2 64->10;
log-softmax. The synapse layer is optional and found by name: `syn.weight`
(or the seed's `fcn.weight`) [64, 64]; without it the softmax and synapse
are skipped. The batch norm is `bn.*` (or the seed's `fcb.*`). The synapse is
the per-sample form y = x * exp(sum_j log(1 - W[i, j] * x[j])).
BatchNorm's `num_batches_tracked` may be absent from the file; every other
tensor must match by name and shape (strict load otherwise).

Exit status: 0 when the outputs agree, 1 otherwise.
"""

import argparse
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file


class Synapse(nn.Module):
    """y_i = x_i * prod_j (1 - W[i, j] * x_j), in log space, per sample."""

    def __init__(self, n, with_bias):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, n).uniform_(-0.05, 0.05))
        if with_bias:  # the seed declares a bias it never uses
            self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        s = torch.log1p(-x[:, None, :] * self.weight[None, :, :]).sum(-1)
        return torch.exp(torch.log(x) + s)


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


def compare(model_path, expected_path, atol, rtol):
    state = read_state(model_path)
    net = build_for(state)
    dtype = next(iter(state.values())).dtype
    net = net.to(dtype)
    result = net.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        print(f"FAIL: missing {missing}, unexpected {result.unexpected_keys}")
        return 1
    net.eval()
    expected = load_file(expected_path)
    x, want = expected["input"].to(dtype), expected["output"].to(dtype)
    with torch.no_grad():
        got = net(x)
    diff = (got - want).abs().max().item()
    ok = torch.allclose(got, want, atol=atol, rtol=rtol)
    print(f"{'OK' if ok else 'FAIL'}: {len(state)} tensors ({dtype}), batch {x.shape[0]}, "
          f"max |torch - synann| = {diff:.3g}")
    return 0 if ok else 1


def self_test():
    torch.manual_seed(0)
    net = Net("syn", bn_name="bn")
    net.train()
    with torch.no_grad():  # give the batch norm some running statistics
        net(torch.rand(32, 1, 28, 28))
    net.eval()
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        out = net(x)
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    with tempfile.TemporaryDirectory() as d:
        model, expected = os.path.join(d, "model.safetensors"), os.path.join(d, "out.safetensors")
        save_file({k: v.contiguous() for k, v in state.items()}, model)
        save_file({"input": x, "output": out}, expected)
        return compare(model, expected, 1e-6, 1e-6)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", nargs="?")
    p.add_argument("expected", nargs="?")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    if not (a.model and a.expected):
        p.error("MODEL and EXPECTED are required (or --self-test)")
    return compare(a.model, a.expected, a.atol, a.rtol)


if __name__ == "__main__":
    sys.exit(main())
