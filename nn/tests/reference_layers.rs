//! Forward values (and loss gradients) against PyTorch: the inputs,
//! parameters and outputs in reference/layers.json were produced by
//! reference/gen_layers.py (float64); this test sets the same parameters
//! and compares. No Python is needed to run it.

use serde_json::Value;
use synann_autograd::Var;
use synann_nn::layers::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BatchNormConfig, Bias, Conv2d,
    GlobalMaxPool2d, Linear, LogSoftmax, MaxPool2d, ReLU, Sigmoid, Softmax, Tanh,
};
use synann_nn::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss,
    Reduction,
};
use synann_nn::{Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn reference() -> Value {
    let text = include_str!("reference/layers.json");
    serde_json::from_str(text).expect("layers.json is valid JSON")
}

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|s| s.as_u64().expect("size") as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    Tensor::from_vec(data, &shape)
}

fn pair(v: &Value) -> (usize, usize) {
    (
        v[0].as_u64().unwrap() as usize,
        v[1].as_u64().unwrap() as usize,
    )
}

fn leaf(v: &Value) -> Var<f64> {
    Var::requiring_grad(tensor(v))
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor<f64>, expected: &Tensor<f64>) {
    assert_eq!(got.shape(), expected.shape(), "{what}: shapes differ");
    for (i, (g, e)) in got.data().iter().zip(expected.data()).enumerate() {
        assert!(
            (g - e).abs() <= 1e-9 + 1e-9 * e.abs(),
            "{what}: element {i}: got {g}, PyTorch {e}"
        );
    }
}

#[test]
fn linear_matches_pytorch() {
    for (i, case) in reference()["linear"].as_array().unwrap().iter().enumerate() {
        let w = tensor(&case["weight"]);
        let (out, inp) = (w.shape()[0], w.shape()[1]);
        let has_bias = !case["bias"].is_null();
        let bias = if has_bias { Bias::Yes } else { Bias::No };
        let mut layer = Linear::new(inp, out, bias, &mut seeded(0));
        layer.weight.set_value(w);
        if has_bias {
            layer
                .bias
                .as_ref()
                .unwrap()
                .set_value(tensor(&case["bias"]));
        }
        let y = layer.forward(&leaf(&case["x"]), Mode::Eval);
        assert_close(&format!("linear case {i}"), &y.value(), &tensor(&case["y"]));
    }
}

#[test]
fn conv2d_matches_pytorch() {
    for (i, case) in reference()["conv2d"].as_array().unwrap().iter().enumerate() {
        let params = Conv2dParams {
            stride: pair(&case["stride"]),
            padding: pair(&case["padding"]),
            dilation: pair(&case["dilation"]),
            groups: case["groups"].as_u64().unwrap() as usize,
        };
        let has_bias = !case["bias"].is_null();
        let bias = if has_bias { Bias::Yes } else { Bias::No };
        let mut conv = Conv2d::new(
            case["in_channels"].as_u64().unwrap() as usize,
            case["out_channels"].as_u64().unwrap() as usize,
            pair(&case["kernel"]),
            params,
            bias,
            &mut seeded(0),
        );
        conv.weight.set_value(tensor(&case["weight"]));
        if has_bias {
            conv.bias.as_ref().unwrap().set_value(tensor(&case["bias"]));
        }
        let y = conv.forward(&leaf(&case["x"]), Mode::Train);
        assert_close(&format!("conv2d case {i}"), &y.value(), &tensor(&case["y"]));
    }
}

#[test]
fn batch_norm_matches_pytorch_in_train_and_eval_with_running_stats() {
    for (i, case) in reference()["batch_norm"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let weight = tensor(&case["weight"]);
        let c = weight.shape()[0];
        let config = BatchNormConfig {
            momentum: case["momentum"].as_f64(),
            ..Default::default()
        };
        let mut layer: Box<dyn Module<f64>> = match case["kind"].as_str().unwrap() {
            "1d" => Box::new(BatchNorm1d::with_config(c, config)),
            _ => Box::new(BatchNorm2d::with_config(c, config)),
        };
        let params = layer.named_parameters();
        assert_eq!(params[0].0, "weight");
        params[0].1.set_value(weight);
        params[1].1.set_value(tensor(&case["bias"]));
        // The buffers are shared handles: read them after each step.
        let buffers = layer.named_buffers();
        let buffer = |name: &str| {
            let (_, v) = buffers.iter().find(|(n, _)| n == name).expect(name);
            let value = v.value().clone();
            value
        };
        for (s, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let what = format!("batch_norm case {i} step {s}");
            let y = layer.forward(&leaf(&step["x"]), Mode::Train);
            assert_close(&what, &y.value(), &tensor(&step["y"]));
            assert_close(
                &what,
                &buffer("running_mean"),
                &tensor(&step["running_mean"]),
            );
            assert_close(&what, &buffer("running_var"), &tensor(&step["running_var"]));
            let count = step["num_batches_tracked"].as_f64().unwrap();
            assert_eq!(buffer("num_batches_tracked").item(), count, "{what}");
        }
        let y = layer.forward(&leaf(&case["eval_x"]), Mode::Eval);
        assert_close(
            &format!("batch_norm case {i} eval"),
            &y.value(),
            &tensor(&case["eval_y"]),
        );
    }
}

#[test]
fn pools_match_pytorch() {
    for (i, case) in reference()["pool"].as_array().unwrap().iter().enumerate() {
        let mut layer: Box<dyn Module<f64>> = match case["kind"].as_str().unwrap() {
            "max" => Box::new(
                MaxPool2d::new(pair(&case["kernel"]))
                    .with_stride(pair(&case["stride"]))
                    .with_padding(pair(&case["padding"])),
            ),
            "avg" => Box::new(
                AvgPool2d::new(pair(&case["kernel"]))
                    .with_stride(pair(&case["stride"]))
                    .with_padding(pair(&case["padding"])),
            ),
            "global_max" => Box::new(GlobalMaxPool2d),
            _ => Box::new(AdaptiveAvgPool2d::new((1, 1))),
        };
        let y = layer.forward(&leaf(&case["x"]), Mode::Eval);
        assert_close(&format!("pool case {i}"), &y.value(), &tensor(&case["y"]));
    }
}

#[test]
fn activations_match_pytorch() {
    let r = &reference()["activations"];
    let x = leaf(&r["x"]);
    let mut layers: Vec<(&str, Box<dyn Module<f64>>)> = vec![
        ("relu", Box::new(ReLU)),
        ("sigmoid", Box::new(Sigmoid)),
        ("tanh", Box::new(Tanh)),
        ("softmax_dim1", Box::new(Softmax::new(1))),
        ("softmax_dim0", Box::new(Softmax::new(0))),
        ("log_softmax_dim1", Box::new(LogSoftmax::new(-1))),
    ];
    for (name, layer) in &mut layers {
        let y = layer.forward(&x, Mode::Eval);
        assert_close(name, &y.value(), &tensor(&r[*name]));
    }
}

fn reduction(name: &str) -> Reduction {
    match name {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        _ => Reduction::None,
    }
}

#[test]
fn losses_and_their_gradients_match_pytorch() {
    for (i, case) in reference()["losses"].as_array().unwrap().iter().enumerate() {
        let loss = case["loss"].as_str().unwrap();
        let r = reduction(case["reduction"].as_str().unwrap());
        let inputs: Vec<Var<f64>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(leaf)
            .collect();
        let targets: Vec<usize> = case["targets"]
            .as_array()
            .map(|t| t.iter().map(|v| v.as_u64().unwrap() as usize).collect())
            .unwrap_or_default();
        let out = match loss {
            "cross_entropy" => {
                let smoothing = case["label_smoothing"].as_f64().unwrap();
                cross_entropy(&inputs[0], &targets, r, smoothing)
            }
            "nll_loss" => nll_loss(&inputs[0], &targets, r),
            "mse_loss" => mse_loss(&inputs[0], &inputs[1], r),
            "binary_cross_entropy" => binary_cross_entropy(&inputs[0], &inputs[1], r),
            "binary_cross_entropy_with_logits" => {
                binary_cross_entropy_with_logits(&inputs[0], &inputs[1], r)
            }
            other => panic!("unknown loss {other} in layers.json"),
        };
        let what = format!("case {i}: {loss} ({:?})", r);
        assert_close(&what, &out.value(), &tensor(&case["out"]));
        out.sum_all().backward();
        for (k, expected) in case["grads"].as_array().unwrap().iter().enumerate() {
            let grad = inputs[k].grad().expect("gradient").clone();
            assert_close(&format!("{what}, gradient {k}"), &grad, &tensor(expected));
        }
    }
}
