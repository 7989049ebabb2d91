"""Reference values for synann-nn's optimizers, gradient clipping and
learning-rate schedulers, computed with PyTorch.

Run from the repository root (needs torch):

    /work/venv-torch/bin/python nn/tests/reference/gen_optim.py

It writes nn/tests/reference/optim.json, which the Rust tests in
nn/tests/optim_reference.rs and nn/tests/lr_scheduler_reference.rs read;
`cargo test` itself never needs Python. Everything is in float64 so the
comparison can be tight.
"""

import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")

SHAPES = [[3, 2], [4]]
STEPS = 6


def initial_params():
    """Deterministic starting values, away from zero."""
    params = []
    for i, shape in enumerate(SHAPES):
        n = math.prod(shape)
        values = [math.sin(1.1 * k + 0.3 * i) + 0.1 * (i + 1) for k in range(n)]
        params.append(torch.tensor(values).reshape(shape))
    return params


def gradient(step, i):
    """The gradient of parameter i at a step; parameter 1 has none at step 2,
    so the optimizers must skip it there."""
    if i == 1 and step == 2:
        return None
    n = math.prod(SHAPES[i])
    values = [math.cos(0.7 * step + 1.3 * k + i) * (1.0 + 0.5 * step) for k in range(n)]
    return torch.tensor(values).reshape(SHAPES[i])


def flat(t):
    return None if t is None else [float(v) for v in t.reshape(-1)]


def optimizer_case(name, kind, groups):
    """groups: list of (param indices, options dict incl. lr)."""
    params = [p.clone().requires_grad_(True) for p in initial_params()]
    torch_groups = [dict(params=[params[i] for i in idx], **opts) for idx, opts in groups]
    cls = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[kind]
    opt = cls(torch_groups)
    grads, after = [], []
    for step in range(STEPS):
        step_grads = []
        for i, p in enumerate(params):
            g = gradient(step, i)
            p.grad = None if g is None else g.clone()
            step_grads.append(flat(g))
        opt.step()
        grads.append(step_grads)
        after.append([flat(p.detach()) for p in params])
    return {
        "name": name,
        "kind": kind,
        "shapes": SHAPES,
        "initial": [flat(p) for p in initial_params()],
        "groups": [{"params": idx, **opts} for idx, opts in groups],
        "grads": grads,
        "after": after,
    }


def optimizer_cases():
    both = [0, 1]
    return [
        optimizer_case("sgd_plain", "SGD", [(both, dict(lr=0.1))]),
        optimizer_case("sgd_momentum", "SGD", [(both, dict(lr=0.1, momentum=0.9))]),
        optimizer_case(
            "sgd_dampening_wd",
            "SGD",
            [(both, dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01))],
        ),
        optimizer_case(
            "sgd_nesterov",
            "SGD",
            [(both, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001))],
        ),
        optimizer_case(
            "sgd_groups",
            "SGD",
            [([0], dict(lr=0.1, momentum=0.9)), ([1], dict(lr=0.01, momentum=0.5, nesterov=True))],
        ),
        optimizer_case("adam_default", "Adam", [(both, dict(lr=1e-2))]),
        optimizer_case(
            "adam_wd_amsgrad",
            "Adam",
            [(both, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True))],
        ),
        optimizer_case(
            "adam_groups",
            "Adam",
            [([0], dict(lr=1e-2)), ([1], dict(lr=3e-2, weight_decay=0.05, amsgrad=True))],
        ),
        optimizer_case("adamw_default", "AdamW", [(both, dict(lr=1e-2))]),
        optimizer_case(
            "adamw_amsgrad", "AdamW", [(both, dict(lr=2e-2, weight_decay=0.05, amsgrad=True))]
        ),
    ]


def clip_cases():
    cases = []
    for norm_type, max_norm in [(2.0, 1.0), (1.0, 2.0), (math.inf, 0.5), (3.0, 1.5), (2.0, 100.0)]:
        params = [p.clone().requires_grad_(True) for p in initial_params()]
        grads = [gradient(1, i) for i in range(len(params))]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        cases.append(
            {
                "kind": "norm",
                "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                "max_norm": max_norm,
                "shapes": SHAPES,
                "grads": [flat(g) for g in grads],
                "total_norm": float(total),
                "clipped": [flat(p.grad) for p in params],
            }
        )
    params = [p.clone().requires_grad_(True) for p in initial_params()]
    grads = [gradient(3, i) for i in range(len(params))]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, 0.7)
    cases.append(
        {
            "kind": "value",
            "clip_value": 0.7,
            "shapes": SHAPES,
            "grads": [flat(g) for g in grads],
            "clipped": [flat(p.grad) for p in params],
        }
    )
    return cases


def run_scheduler(make, base_lr, steps, metrics=None, momentum=False):
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=base_lr, momentum=0.9)
    sched = make(opt)
    lrs = [sched.get_last_lr()[0]]
    moms = [opt.param_groups[0]["momentum"]]
    for k in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    return lrs, moms if momentum else None


def scheduler_case(name, kind, options, base_lr, steps, make, metrics=None, momentum=False):
    lrs, moms = run_scheduler(make, base_lr, steps, metrics, momentum)
    case = {"name": name, "kind": kind, "options": options, "base_lr": base_lr, "lrs": lrs}
    if metrics is not None:
        case["metrics"] = metrics
    if moms is not None:
        case["momentum"] = moms
    return case


def scheduler_cases():
    S = torch.optim.lr_scheduler
    plateau_metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.89999, 0.85, 0.86, 0.87, 0.88, 0.89,
                       0.84, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    accuracy = [0.5, 0.6, 0.6, 0.6, 0.61, 0.605, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.71,
                0.71, 0.71, 0.71, 0.71, 0.71, 0.71]

    def piecewise(e):
        return 1.0 if e < 12 else (0.1 if e < 30 else 0.01)

    return [
        scheduler_case("step", "StepLR", dict(step_size=3, gamma=0.5), 0.1, 12,
                       lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        scheduler_case("multistep", "MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3), 0.1,
                       12, lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)),
        scheduler_case("exponential", "ExponentialLR", dict(gamma=0.9), 0.1, 15,
                       lambda o: S.ExponentialLR(o, gamma=0.9)),
        scheduler_case("lambda", "LambdaLR", {"lambda": "0.95^epoch"}, 0.1, 15,
                       lambda o: S.LambdaLR(o, lambda e: 0.95 ** e)),
        # Not a PyTorch scheduler: the Keras schedule of the original run,
        # expressed as a LambdaLR.
        scheduler_case("piecewise", "PiecewiseConstantLR",
                       dict(boundaries=[12, 30], values=[1e-3, 1e-4, 1e-5]), 1e-3, 35,
                       lambda o: S.LambdaLR(o, piecewise)),
        scheduler_case("cosine", "CosineAnnealingLR", dict(T_max=10, eta_min=0.001), 0.1, 25,
                       lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
        scheduler_case("onecycle", "OneCycleLR", dict(max_lr=0.1, total_steps=20), 0.1, 19,
                       lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20), momentum=True),
        scheduler_case("onecycle_three_linear", "OneCycleLR",
                       dict(max_lr=0.2, total_steps=30, three_phase=True, anneal_strategy="linear",
                            pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
                       0.2, 29,
                       lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=30, three_phase=True,
                                              anneal_strategy="linear", pct_start=0.25,
                                              div_factor=10.0, final_div_factor=100.0),
                       momentum=True),
        scheduler_case("plateau_min", "ReduceLROnPlateau", dict(mode="min", patience=2), 0.1,
                       len(plateau_metrics),
                       lambda o: S.ReduceLROnPlateau(o, mode="min", patience=2),
                       metrics=plateau_metrics),
        scheduler_case("plateau_max_abs_cooldown", "ReduceLROnPlateau",
                       dict(mode="max", patience=1, factor=0.5, threshold=0.005,
                            threshold_mode="abs", cooldown=2, min_lr=0.02),
                       0.1, len(accuracy),
                       lambda o: S.ReduceLROnPlateau(o, mode="max", patience=1, factor=0.5,
                                                     threshold=0.005, threshold_mode="abs",
                                                     cooldown=2, min_lr=0.02),
                       metrics=accuracy),
    ]


def main():
    data = {
        "torch_version": torch.__version__,
        "optimizers": optimizer_cases(),
        "clip": clip_cases(),
        "schedulers": scheduler_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
