"""Reference values from PyTorch for synann-nn's layer and loss tests.

Run from the repository root with a Python that has torch:

    python nn/tests/reference/gen_layers.py

It writes nn/tests/reference/layers.json, read by nn/tests/reference_layers.rs
(so `cargo test` never needs Python). Everything is float64; inputs and
parameters are drawn here and stored, so the Rust side sets the same values.
Each tensor is stored as {"shape": [...], "data": [... row-major ...]}.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def t(x):
    x = x.detach().contiguous()
    return {"shape": list(x.shape), "data": x.reshape(-1).tolist()}


def randn(*shape):
    return torch.randn(*shape)


def linear_cases():
    cases = []
    for n, i, o, bias in [(3, 4, 2, True), (1, 5, 3, False), (4, 1, 1, True)]:
        layer = torch.nn.Linear(i, o, bias=bias)
        x = randn(n, i)
        case = {"x": t(x), "weight": t(layer.weight), "y": t(layer(x))}
        if bias:
            case["bias"] = t(layer.bias)
        cases.append(case)
    return cases


def conv_cases():
    cases = []
    configs = [
        # (n, cin, cout, (kh, kw), stride, padding, dilation, groups, bias, (h, w))
        (2, 3, 4, (3, 3), (1, 1), (0, 0), (1, 1), 1, True, (6, 5)),
        (1, 2, 3, (3, 2), (2, 1), (1, 2), (1, 1), 1, False, (7, 6)),
        (2, 4, 6, (2, 3), (1, 2), (1, 0), (2, 1), 2, True, (6, 7)),
        (1, 1, 10, (5, 5), (1, 1), (0, 0), (1, 1), 1, True, (9, 9)),
    ]
    for n, cin, cout, k, stride, padding, dilation, groups, bias, (h, w) in configs:
        conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=padding,
                               dilation=dilation, groups=groups, bias=bias)
        x = randn(n, cin, h, w)
        case = {
            "in_channels": cin, "out_channels": cout, "kernel": list(k),
            "stride": list(stride), "padding": list(padding),
            "dilation": list(dilation), "groups": groups,
            "x": t(x), "weight": t(conv.weight), "y": t(conv(x)),
        }
        if bias:
            case["bias"] = t(conv.bias)
        cases.append(case)
    return cases


def batch_norm_cases():
    cases = []
    for kind, shape, momentum in [
        ("1d", (4, 3), 0.1),
        ("1d", (3, 2, 5), 0.1),
        ("2d", (2, 3, 4, 3), 0.1),
        ("2d", (3, 2, 2, 2), None),
    ]:
        c = shape[1]
        layer = (torch.nn.BatchNorm1d if kind == "1d" else torch.nn.BatchNorm2d)(c, momentum=momentum)
        with torch.no_grad():
            layer.weight.copy_(torch.rand(c) + 0.5)
            layer.bias.copy_(randn(c))
        case = {"kind": kind, "momentum": momentum, "weight": t(layer.weight),
                "bias": t(layer.bias), "steps": []}
        layer.train()
        for _ in range(2):
            x = randn(*shape) * 2.0 + 1.0
            y = layer(x)
            case["steps"].append({
                "x": t(x), "y": t(y),
                "running_mean": t(layer.running_mean),
                "running_var": t(layer.running_var),
                "num_batches_tracked": int(layer.num_batches_tracked),
            })
        layer.eval()
        x = randn(*shape)
        case["eval_x"] = t(x)
        case["eval_y"] = t(layer(x))
        cases.append(case)
    return cases


def pool_cases():
    cases = []
    for kind, k, stride, padding, shape in [
        ("max", (2, 2), (2, 2), (0, 0), (2, 2, 4, 4)),
        ("max", (3, 2), (1, 2), (1, 1), (1, 2, 5, 6)),
        ("avg", (2, 2), (2, 2), (0, 0), (2, 2, 4, 5)),
        ("avg", (3, 3), (2, 1), (1, 1), (1, 3, 5, 4)),
    ]:
        x = randn(*shape)
        fn = F.max_pool2d if kind == "max" else F.avg_pool2d
        y = fn(x, k, stride=stride, padding=padding)
        cases.append({"kind": kind, "kernel": list(k), "stride": list(stride),
                      "padding": list(padding), "x": t(x), "y": t(y)})
    x = randn(2, 3, 4, 5)
    cases.append({"kind": "global_max", "x": t(x), "y": t(F.adaptive_max_pool2d(x, 1))})
    cases.append({"kind": "adaptive_avg", "x": t(x), "y": t(F.adaptive_avg_pool2d(x, 1))})
    return cases


def activation_cases():
    x = randn(3, 4)
    return {
        "x": t(x),
        "relu": t(torch.relu(x)),
        "sigmoid": t(torch.sigmoid(x)),
        "tanh": t(torch.tanh(x)),
        "softmax_dim1": t(torch.softmax(x, 1)),
        "softmax_dim0": t(torch.softmax(x, 0)),
        "log_softmax_dim1": t(torch.log_softmax(x, 1)),
    }


def loss_value_and_grads(fn, inputs):
    """fn's output and the gradient of its sum w.r.t. each input."""
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    out.sum().backward()
    return t(out), [t(x.grad) for x in leaves]


def loss_cases():
    cases = []
    logits = randn(5, 4) * 2.0
    targets = torch.tensor([0, 3, 1, 1, 2])
    log_probs = torch.log_softmax(randn(5, 4), 1)
    a, b = randn(3, 4), randn(3, 4)
    probs = torch.rand(6) * 0.98 + 0.01
    probs_edge = torch.tensor([0.0, 1.0, 0.5, 1e-50])
    bin_targets = torch.rand(6)
    bin_targets_edge = torch.tensor([1.0, 0.0, 1.0, 0.3])
    bin_logits = randn(2, 3) * 5.0
    bin_logit_targets = torch.rand(2, 3)
    for reduction in ["mean", "sum", "none"]:
        for smoothing in [0.0, 0.1, 0.35]:
            out, grads = loss_value_and_grads(
                lambda z: F.cross_entropy(z, targets, reduction=reduction, label_smoothing=smoothing),
                [logits])
            cases.append({"loss": "cross_entropy", "reduction": reduction, "label_smoothing": smoothing,
                          "inputs": [t(logits)], "targets": targets.tolist(), "out": out, "grads": grads})
        out, grads = loss_value_and_grads(lambda lp: F.nll_loss(lp, targets, reduction=reduction), [log_probs])
        cases.append({"loss": "nll_loss", "reduction": reduction, "inputs": [t(log_probs)],
                      "targets": targets.tolist(), "out": out, "grads": grads})
        out, grads = loss_value_and_grads(lambda x, y: F.mse_loss(x, y, reduction=reduction), [a, b])
        cases.append({"loss": "mse_loss", "reduction": reduction, "inputs": [t(a), t(b)],
                      "out": out, "grads": grads})
        for p, y in [(probs, bin_targets), (probs_edge, bin_targets_edge)]:
            # The gradient w.r.t. the target is not compared (not all
            # PyTorch versions implement it); keep the target constant.
            out, grads = loss_value_and_grads(
                lambda q: F.binary_cross_entropy(q, y, reduction=reduction), [p])
            cases.append({"loss": "binary_cross_entropy", "reduction": reduction,
                          "inputs": [t(p), t(y)], "out": out, "grads": grads})
        out, grads = loss_value_and_grads(
            lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
            [bin_logits, bin_logit_targets])
        cases.append({"loss": "binary_cross_entropy_with_logits", "reduction": reduction,
                      "inputs": [t(bin_logits), t(bin_logit_targets)], "out": out, "grads": grads})
    return cases


def main():
    ref = {
        "torch_version": torch.__version__,
        "linear": linear_cases(),
        "conv2d": conv_cases(),
        "batch_norm": batch_norm_cases(),
        "pool": pool_cases(),
        "activations": activation_cases(),
        "losses": loss_cases(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
    with open(path, "w") as f:
        json.dump(ref, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
