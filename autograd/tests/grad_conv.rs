//! Gradient checks (f64, central differences) of conv2d and the pools.

use proptest::prelude::*;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::conv::Conv2dParams;
use synann_testing::strategies::{conv2d_case, pool2d_case, shape, tensor, Values};
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
