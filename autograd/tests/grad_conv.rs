//! Gradient checks (f64, central differences) of conv2d and the pools.

use proptest::prelude::*;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -1.0, 1.0, &mut seeded(seed))
}

/// Distinct values, at least 0.05 apart, in random order: no window has a
/// tie (or a near-tie that a finite-difference step could flip).
fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let keys = random(&[n], seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys.data()[a].total_cmp(&keys.data()[b]));
    let mut v = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        v[i] = 0.05 * rank as f64 - 1.0;
    }
    Tensor::from_vec(v, shape)
}

fn fits(len: usize, k: usize, p: usize, d: usize) -> bool {
    d * (k - 1) < len + 2 * p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// conv2d w.r.t. input, weight and bias, over strides, padding,
    /// dilation and groups.
    #[test]
    fn conv2d_gradients(
        (n, groups, cg, og) in (1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (h, w, kh, kw) in (1usize..6, 1usize..6, 1usize..4, 1usize..4),
        (sh, sw, ph, pw, dh, dw) in (1usize..3, 1usize..3, 0usize..2, 0usize..2, 1usize..3, 1usize..3),
        bias in any::<bool>(),
        seed in any::<u64>(),
    ) {
        prop_assume!(fits(h, kh, ph, dh) && fits(w, kw, pw, dw));
        let params = Conv2dParams { stride: (sh, sw), padding: (ph, pw), dilation: (dh, dw), groups };
        let (c, o) = (groups * cg, groups * og);
        let mut inputs = vec![random(&[n, c, h, w], seed), random(&[o, cg, kh, kw], seed ^ 1)];
        if bias {
            inputs.push(random(&[o], seed ^ 2));
        }
        let f = move |v: &[Var<f64>]| v[0].conv2d(&v[1], v.get(2), params);
        gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn max_pool2d_gradient(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..7, 2usize..7),
        (kh, kw, sh, sw, ph, pw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3, 0usize..2, 0usize..2),
        seed in any::<u64>(),
    ) {
        prop_assume!(2 * ph <= kh && 2 * pw <= kw && kh <= h + 2 * ph && kw <= w + 2 * pw);
        let x = distinct(&[n, c, h, w], seed);
        let f = move |v: &[Var<f64>]| v[0].max_pool2d((kh, kw), (sh, sw), (ph, pw));
        gradcheck(f, &[x], &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn avg_pool2d_gradient(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..7, 2usize..7),
        (kh, kw, sh, sw, ph, pw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3, 0usize..2, 0usize..2),
        seed in any::<u64>(),
    ) {
        prop_assume!(2 * ph <= kh && 2 * pw <= kw && kh <= h + 2 * ph && kw <= w + 2 * pw);
        let x = random(&[n, c, h, w], seed);
        let f = move |v: &[Var<f64>]| v[0].avg_pool2d((kh, kw), (sh, sw), (ph, pw));
        gradcheck(f, &[x], &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn global_pool_gradients((n, c, h, w) in (1usize..3, 1usize..4, 1usize..6, 1usize..6), seed in any::<u64>()) {
        let x = distinct(&[n, c, h, w], seed);
        gradcheck(|v: &[Var<f64>]| v[0].global_max_pool2d(), std::slice::from_ref(&x), &GradcheckOptions::default()).unwrap();
        gradcheck(|v: &[Var<f64>]| v[0].global_avg_pool2d(), &[x], &GradcheckOptions::default()).unwrap();
    }
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
    let w = Var::leaf(random(&[3, 1, 3, 3], 6), true);
    let b = Var::leaf(random(&[3], 7), true);
    x.conv2d(&w, Some(&b), Conv2dParams::default())
        .sum_all()
        .backward();
    assert!(x.grad().is_none());
    assert_eq!(w.grad().unwrap().shape(), &[3, 1, 3, 3]);
    assert_eq!(b.grad().unwrap().data(), &[32.0; 3]);
}
