//! Gradient checks (f64, central differences) of conv2d and the pools.

use proptest::prelude::*;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::conv::Conv2dParams;
use synann_testing::strategies::{conv2d_case, pool2d_case, shape, tensor, Conv2dCase, Values};
use synann_testing::{prop_gradcheck, strategies::uniform};

fn random(shape: &[usize], seed: u64) -> synann_tensor::Tensor<f64> {
    uniform(shape, seed, -1.0, 1.0)
}

/// Distinct values: no window has a tie (or a near-tie that a
/// finite-difference step could flip).
fn distinct(shape: &[usize], seed: u64) -> synann_tensor::Tensor<f64> {
    Values::Distinct.fill(shape, seed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// conv2d w.r.t. input, weight and bias, over strides, padding,
    /// dilation and groups.
    #[test]
    fn conv2d_gradients(case in conv2d_case(), seed: u64) {
        let params = case.params;
        let f = move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), params);
        prop_gradcheck(f, &case.tensors(seed))?;
    }

    /// conv2d under a max pooling as one op, w.r.t. input, weight and bias:
    /// against central differences, and against the two ops unfused (the
    /// same values, bit for bit, and the same gradients up to rounding).
    #[test]
    fn conv2d_max_pool2d_gradients((case, (k, s, p)) in conv_pool_case(), seed: u64) {
        let params = case.params;
        let fused = move |v: &[Var<f64>]| v[0].conv2d_max_pool2d(&v[1], v.get(2), params, k, s, p);
        let unfused = move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), params).max_pool2d(k, s, p);
        let inputs = case.tensors(seed);
        prop_gradcheck(fused, &inputs)?;
        same_as_unfused(fused, unfused, &inputs);
    }

    /// conv2d under a global max pooling as one op, over groups, padding
    /// and dilation, with output planes of at least 16 positions (the input
    /// gradient summed over the winners alone) and of fewer (through the
    /// unfused kernels).
    #[test]
    fn conv2d_global_max_pool2d_gradients_over_shapes(case in global_pool_case(), seed: u64) {
        let params = case.params;
        let fused = move |v: &[Var<f64>]| v[0].conv2d_global_max_pool2d(&v[1], v.get(2), params);
        let unfused = move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), params).global_max_pool2d();
        let inputs = case.tensors(seed);
        prop_gradcheck(fused, &inputs)?;
        same_as_unfused(fused, unfused, &inputs);
    }

    #[test]
    fn max_pool2d_gradient(case in pool2d_case(), seed: u64) {
        let f = move |v: &[Var<f64>]| v[0].max_pool2d(case.kernel, case.stride, case.padding);
        prop_gradcheck(f, &[distinct(&case.input, seed)])?;
    }

    #[test]
    fn avg_pool2d_gradient(case in pool2d_case(), seed: u64) {
        let f = move |v: &[Var<f64>]| v[0].avg_pool2d(case.kernel, case.stride, case.padding);
        prop_gradcheck(f, &[random(&case.input, seed)])?;
    }

    #[test]
    fn global_pool_gradients(x in tensor(shape(4, 4, 4), Values::Distinct)) {
        prop_gradcheck(|v: &[Var<f64>]| v[0].global_max_pool2d(), std::slice::from_ref(&x))?;
        prop_gradcheck(|v: &[Var<f64>]| v[0].global_avg_pool2d(), &[x])?;
    }
}

/// A pooling window: kernel, stride and padding, each `(h, w)`.
type Window = ((usize, usize), (usize, usize), (usize, usize));

/// A conv2d case and a max pooling (window and stride up to 2×2, padding
/// up to half the window) that fits its output.
fn conv_pool_case() -> impl Strategy<Value = (Conv2dCase, Window)> {
    (
        conv2d_case(),
        (
            1usize..3,
            1usize..3,
            1usize..3,
            1usize..3,
            0usize..2,
            0usize..2,
        ),
    )
        .prop_filter_map(
            "the pooling must fit the convolution's output",
            |(case, (kh, kw, sh, sw, ph, pw))| {
                let [_, _, h, w] = case.input;
                let (oh, ow) = case
                    .params
                    .output_size((h, w), (case.weight[2], case.weight[3]));
                let fits = |k: usize, p: usize, len: usize| 2 * p <= k && k <= len + 2 * p;
                (fits(kh, ph, oh) && fits(kw, pw, ow))
                    .then_some((case, ((kh, kw), (sh, sw), (ph, pw))))
            },
        )
}

/// A conv2d call on images of 4 to 8 rows and columns (kernels up to 3×3,
/// padding up to 1, dilation up to 2, 1–2 groups), so that its output
/// planes hold from one to 64 positions.
fn global_pool_case() -> impl Strategy<Value = Conv2dCase> {
    (
        (1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (1usize..4, 1usize..4, 0usize..2, 1usize..3),
        (4usize..9, 4usize..9),
        any::<bool>(),
    )
        .prop_filter(
            "the dilated kernel must fit",
            |(_, (kh, kw, pad, dil), (h, w), _)| {
                dil * (kh - 1) < h + 2 * pad && dil * (kw - 1) < w + 2 * pad
            },
        )
        .prop_map(
            |((n, groups, cg, og), (kh, kw, pad, dil), (h, w), bias)| Conv2dCase {
                input: [n, groups * cg, h, w],
                weight: [groups * og, cg, kh, kw],
                bias,
                params: Conv2dParams {
                    padding: (pad, pad),
                    dilation: (dil, dil),
                    groups,
                    ..Default::default()
                },
            },
        )
}

/// `fused` and `unfused` give the same output bits and gradients within
/// rounding, for every input.
fn same_as_unfused(
    fused: impl Fn(&[Var<f64>]) -> Var<f64>,
    unfused: impl Fn(&[Var<f64>]) -> Var<f64>,
    inputs: &[synann_tensor::Tensor<f64>],
) {
    let run = |f: &dyn Fn(&[Var<f64>]) -> Var<f64>| {
        let v: Vec<Var<f64>> = inputs.iter().cloned().map(Var::requiring_grad).collect();
        let y = f(&v);
        let out = y.value().clone();
        // A weighted sum, so that every output's gradient differs.
        let weights = uniform(out.shape(), 99, -1.0, 1.0);
        y.mul(&Var::constant(weights)).sum_all().backward();
        let grads: Vec<_> = v.iter().map(|v| v.grad().unwrap().clone()).collect();
        (out, grads)
    };
    let (y1, g1) = run(&fused);
    let (y2, g2) = run(&unfused);
    assert_eq!(y1.data(), y2.data(), "output");
    for (i, (a, b)) in g1.iter().zip(&g2).enumerate() {
        assert!(
            a.allclose(b, 1e-12, 1e-12),
            "gradient {i}: {a:?} against {b:?}"
        );
    }
}

/// conv2d under a global max pooling as one op: the input gradient, with
/// 25 positions per winner, is summed over the winners alone.
#[test]
fn conv2d_global_max_pool2d_gradients() {
    let params = Conv2dParams {
        groups: 2,
        padding: (1, 0),
        ..Default::default()
    };
    let inputs = vec![
        random(&[2, 4, 5, 7], 1),
        random(&[6, 2, 3, 3], 2),
        random(&[6], 3),
    ];
    let fused = move |v: &[Var<f64>]| v[0].conv2d_global_max_pool2d(&v[1], v.get(2), params);
    let unfused = move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), params).global_max_pool2d();
    gradcheck(fused, &inputs, &GradcheckOptions::default()).unwrap();
    same_as_unfused(fused, unfused, &inputs);
}

/// A small CNN chain, conv → max pool → conv → global average, checked end
/// to end (the ops compose and share gradients correctly).
#[test]
fn conv_pool_chain_gradient() {
    let inputs = vec![
        distinct(&[2, 2, 8, 8], 1),
        random(&[3, 2, 3, 3], 2),
        random(&[3], 3),
        random(&[4, 3, 2, 2], 4),
    ];
    let f = |v: &[Var<f64>]| {
        let p = Conv2dParams {
            padding: (1, 1),
            ..Default::default()
        };
        let y = v[0]
            .conv2d(&v[1], Some(&v[2]), p)
            .max_pool2d((2, 2), (2, 2), (0, 0));
        y.conv2d(
            &v[3],
            None,
            Conv2dParams {
                stride: (2, 2),
                ..Default::default()
            },
        )
        .global_avg_pool2d()
    };
    gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
}

/// Only the gradients asked for are computed: a constant input gets none,
/// while the weight and bias still do.
#[test]
fn conv2d_constant_input_gets_no_gradient() {
    let x = Var::constant(random(&[2, 1, 6, 6], 5));
    let w = Var::requiring_grad(random(&[3, 1, 3, 3], 6));
    let b = Var::requiring_grad(random(&[3], 7));
    x.conv2d(&w, Some(&b), Conv2dParams::default())
        .sum_all()
        .backward();
    assert!(x.grad().is_none());
    assert_eq!(w.grad().unwrap().shape(), &[3, 1, 3, 3]);
    assert_eq!(b.grad().unwrap().data(), &[32.0; 3]);
}
