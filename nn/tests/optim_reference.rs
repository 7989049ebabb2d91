//! Optimizers and gradient clipping against PyTorch's numbers
//! (`reference/optim.json`, written by `reference/gen_optim.py`).

use serde_json::Value;
use synann_autograd::Var;
use synann_nn::optim::{
    clip_grad_norm_, clip_grad_value_, Adam, AdamConfig, AdamW, Optimizer, ParamGroup, SgdConfig,
    SGD,
};
use synann_tensor::Tensor;

fn reference() -> Value {
    let text = include_str!("reference/optim.json");
    serde_json::from_str(text).expect("optim.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    floats(v).into_iter().map(|x| x as usize).collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= atol + rtol * w.abs(),
            "{what}[{i}]: got {g}, PyTorch {w} (difference {})",
            (g - w).abs()
        );
    }
}

/// The tensors of one case: its parameter shapes and a list of flat values
/// (`null` for "no gradient").
fn tensors(shapes: &Value, values: &Value) -> Vec<Option<Tensor<f64>>> {
    shapes
        .as_array()
        .unwrap()
        .iter()
        .zip(values.as_array().unwrap())
        .map(|(s, v)| (!v.is_null()).then(|| Tensor::from_vec(floats(v), &shape(s))))
        .collect()
}

fn opt_f64(o: &Value, key: &str, default: f64) -> f64 {
    o.get(key).and_then(Value::as_f64).unwrap_or(default)
}

fn opt_bool(o: &Value, key: &str) -> bool {
    o.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn group_params(group: &Value, params: &[Var<f64>]) -> Vec<Var<f64>> {
    group["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| params[i.as_u64().unwrap() as usize].clone())
        .collect()
}

/// Builds the optimizer a case describes, over `params`.
fn build(case: &Value, params: &[Var<f64>]) -> Box<dyn Optimizer<f64>> {
    let kind = case["kind"].as_str().unwrap();
    let groups = case["groups"].as_array().unwrap();
    match kind {
        "SGD" => {
            let groups = groups
                .iter()
                .map(|g| {
                    let config = SgdConfig::default()
                        .momentum(opt_f64(g, "momentum", 0.0))
                        .dampening(opt_f64(g, "dampening", 0.0))
                        .nesterov(opt_bool(g, "nesterov"))
                        .weight_decay(opt_f64(g, "weight_decay", 0.0));
                    ParamGroup::new(group_params(g, params), g["lr"].as_f64().unwrap(), config)
                })
                .collect();
            Box::new(SGD::with_groups(groups).unwrap())
        }
        "Adam" | "AdamW" => {
            let groups = groups
                .iter()
                .map(|g| {
                    let defaults = if kind == "Adam" {
                        AdamConfig::default()
                    } else {
                        AdamConfig::adamw()
                    };
                    let betas = g.get("betas").map(floats).unwrap_or(vec![0.9, 0.999]);
                    let config = defaults
                        .betas(betas[0], betas[1])
                        .eps(opt_f64(g, "eps", 1e-8))
                        .weight_decay(opt_f64(g, "weight_decay", defaults.weight_decay))
                        .amsgrad(opt_bool(g, "amsgrad"));
                    ParamGroup::new(group_params(g, params), g["lr"].as_f64().unwrap(), config)
                })
                .collect();
            if kind == "Adam" {
                Box::new(Adam::with_groups(groups).unwrap())
            } else {
                Box::new(AdamW::with_groups(groups).unwrap())
            }
        }
        other => panic!("unknown optimizer {other}"),
    }
}

#[test]
fn optimizers_match_pytorch_step_by_step() {
    let data = reference();
    let cases = data["optimizers"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let shapes = &case["shapes"];
        let params: Vec<Var<f64>> = tensors(shapes, &case["initial"])
            .into_iter()
            .map(|t| Var::requiring_grad(t.unwrap()))
            .collect();
        let mut opt = build(case, &params);
        let steps = case["grads"].as_array().unwrap();
        for (step, (grads, after)) in steps
            .iter()
            .zip(case["after"].as_array().unwrap())
            .enumerate()
        {
            for (p, g) in params.iter().zip(tensors(shapes, grads)) {
                p.set_grad(g);
            }
            opt.step();
            for (i, (p, want)) in params.iter().zip(tensors(shapes, after)).enumerate() {
                let what = format!("{name}: step {step}, parameter {i}");
                assert_close(&what, p.value().data(), want.unwrap().data(), 1e-12, 1e-14);
            }
        }
    }
}

#[test]
fn clipping_matches_pytorch() {
    let data = reference();
    for (k, case) in data["clip"].as_array().unwrap().iter().enumerate() {
        let shapes = &case["shapes"];
        let params: Vec<Var<f64>> = tensors(shapes, &case["grads"])
            .into_iter()
            .map(|g| {
                let g = g.unwrap();
                let p = Var::requiring_grad(Tensor::zeros_like(&g));
                p.set_grad(Some(g));
                p
            })
            .collect();
        match case["kind"].as_str().unwrap() {
            "norm" => {
                let norm_type = match &case["norm_type"] {
                    Value::String(s) if s == "inf" => f64::INFINITY,
                    v => v.as_f64().unwrap(),
                };
                let max_norm = case["max_norm"].as_f64().unwrap();
                let total = clip_grad_norm_(&params, max_norm, norm_type);
                let want = case["total_norm"].as_f64().unwrap();
                assert_close(
                    &format!("clip case {k}: total norm"),
                    &[total],
                    &[want],
                    1e-12,
                    0.0,
                );
            }
            _ => clip_grad_value_(&params, case["clip_value"].as_f64().unwrap()),
        }
        for (p, want) in params.iter().zip(tensors(shapes, &case["clipped"])) {
            let got = p.grad().unwrap().clone();
            assert_close(
                &format!("clip case {k}"),
                got.data(),
                want.unwrap().data(),
                1e-12,
                1e-15,
            );
        }
    }
}

#[test]
fn non_finite_gradient_norm_is_reported() {
    let p = Var::requiring_grad(Tensor::<f64>::zeros(&[3]));
    let q = Var::requiring_grad(Tensor::<f64>::zeros(&[2]));
    p.set_grad(Some(Tensor::from_vec(vec![1.0, f64::INFINITY, 2.0], &[3])));
    q.set_grad(Some(Tensor::from_vec(vec![1.0, 1.0], &[2])));
    assert_eq!(
        clip_grad_norm_(&[p.clone(), q.clone()], 1.0, 2.0),
        f64::INFINITY
    );

    p.set_grad(Some(Tensor::from_vec(vec![1.0, f64::NAN, 2.0], &[3])));
    q.set_grad(Some(Tensor::from_vec(vec![1.0, 1.0], &[2])));
    let total = clip_grad_norm_(&[p.clone(), q.clone()], 1.0, 2.0);
    assert!(
        total.is_nan(),
        "a NaN gradient must give a NaN norm, got {total}"
    );
    // As in PyTorch the clipping coefficient is then NaN too: nothing looks
    // healthy afterwards.
    assert!(q.grad().unwrap().data().iter().all(|g| g.is_nan()));

    let r = Var::requiring_grad(Tensor::<f64>::zeros(&[2]));
    r.set_grad(Some(Tensor::from_vec(vec![f64::NAN, 5.0], &[2])));
    clip_grad_value_(std::slice::from_ref(&r), 1.0);
    let g = r.grad().unwrap().clone();
    assert!(
        g.data()[0].is_nan(),
        "clip_grad_value_ must keep NaN visible"
    );
    assert_eq!(g.data()[1], 1.0);
}

#[test]
fn clip_grad_norm_without_gradients_is_zero_and_skips_gradless_params() {
    let p = Var::requiring_grad(Tensor::<f32>::zeros(&[2]));
    assert_eq!(clip_grad_norm_(std::slice::from_ref(&p), 1.0, 2.0), 0.0);
    let q = Var::requiring_grad(Tensor::<f32>::zeros(&[2]));
    q.set_grad(Some(Tensor::from_vec(vec![6.0, 8.0], &[2])));
    assert_eq!(clip_grad_norm_(&[p.clone(), q.clone()], 5.0, 2.0), 10.0);
    assert!(p.grad().is_none());
    let g = q.grad().unwrap().clone();
    assert!((g.data()[0] - 3.0).abs() < 1e-5 && (g.data()[1] - 4.0).abs() < 1e-5);
}

#[test]
fn parameters_without_gradient_are_left_alone() {
    let a = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 2.0], &[2]));
    let b = Var::requiring_grad(Tensor::from_vec(vec![3.0f64], &[1]));
    let mut opt = Adam::new(vec![a.clone(), b.clone()], 0.1, AdamConfig::default()).unwrap();
    a.set_grad(Some(Tensor::from_vec(vec![1.0, -1.0], &[2])));
    opt.step();
    assert_eq!(b.value().data(), &[3.0]);
    // b received no gradient, so it has no state either (as in PyTorch).
    let state = opt.state_dict();
    assert_eq!(state.state.keys().copied().collect::<Vec<_>>(), vec![0]);
    assert_eq!(state.state[&0].step, Some(1));
}

#[test]
fn invalid_options_are_typed_errors() {
    let p = || vec![Var::requiring_grad(Tensor::<f64>::zeros(&[1]))];
    let err = SGD::new(p(), 0.1, SgdConfig::default().nesterov(true))
        .err()
        .unwrap();
    assert!(err.to_string().contains("nesterov"), "{err}");
    assert!(SGD::new(p(), -1.0, SgdConfig::default()).is_err());
    assert!(Adam::new(p(), 0.1, AdamConfig::default().betas(1.0, 0.999)).is_err());
    assert!(AdamW::new(p(), 0.1, AdamConfig::adamw().eps(-1.0)).is_err());

    // A parameter listed twice, or a non-leaf, is refused as in PyTorch.
    let w = Var::requiring_grad(Tensor::<f64>::zeros(&[1]));
    let twice = SGD::with_groups(vec![
        ParamGroup::new(vec![w.clone()], 0.1, SgdConfig::default()),
        ParamGroup::new(vec![w.clone()], 0.2, SgdConfig::default()),
    ]);
    let err = twice.err().unwrap();
    assert!(err.to_string().contains("more than once"), "{err}");
    let derived = w.mul(&w);
    assert!(Adam::new(vec![derived], 0.1, AdamConfig::default()).is_err());
}

#[test]
fn learning_rates_are_per_group() {
    let a = Var::requiring_grad(Tensor::from_vec(vec![1.0f64], &[1]));
    let b = Var::requiring_grad(Tensor::from_vec(vec![1.0f64], &[1]));
    let mut opt = SGD::with_groups(vec![
        ParamGroup::new(vec![a.clone()], 0.1, SgdConfig::default()),
        ParamGroup::new(vec![b.clone()], 0.01, SgdConfig::default()),
    ])
    .unwrap();
    opt.set_lr(1, 0.5);
    assert_eq!((opt.lr(0), opt.lr(1)), (0.1, 0.5));
    a.set_grad(Some(Tensor::from_vec(vec![1.0], &[1])));
    b.set_grad(Some(Tensor::from_vec(vec![1.0], &[1])));
    opt.step();
    assert_eq!(a.value().data(), &[0.9]);
    assert_eq!(b.value().data(), &[0.5]);
    opt.zero_grad();
    assert!(a.grad().is_none() && b.grad().is_none());
}
