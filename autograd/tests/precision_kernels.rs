//! f32 against f64 (`check_precision!`) for the ops with f32 fast paths:
//! conv2d and its two backward kernels (the f32 first-layer kernels where the
//! CPU has AVX-512 and the geometry allows, im2col and matmul otherwise),
//! matmul, and the pools.

use synann_autograd::{check_precision, PrecisionOptions};
use synann_tensor::conv::Conv2dParams;
use synann_testing::strategies::{uniform, Values};

fn check(result: Result<synann_autograd::PrecisionReport, synann_autograd::PrecisionError>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn conv2d_first_layer_geometry() {
    // groups 1, stride 1, no padding, not 1×1: the f32 first-layer kernels.
    let opts = PrecisionOptions::default();
    for (c, o, h, k) in [(1, 4, 12, 3), (3, 8, 16, 5), (16, 16, 10, 3)] {
        let inputs = [
            uniform(&[2, c, h, h], 1, -1.0, 1.0),
            uniform(&[o, c, k, k], 2, -1.0, 1.0),
            uniform(&[o], 3, -1.0, 1.0),
        ];
        let p = Conv2dParams::default();
        check(check_precision!(
            |v| v[0].conv2d(&v[1], Some(&v[2]), p),
            &inputs,
            &opts
        ));
    }
}

#[test]
fn conv2d_im2col_geometry() {
    let opts = PrecisionOptions::default();
    let p = Conv2dParams {
        stride: (2, 1),
        padding: (1, 1),
        dilation: (1, 2),
        groups: 2,
    };
    let inputs = [
        uniform(&[2, 4, 9, 9], 4, -1.0, 1.0),
        uniform(&[6, 2, 3, 3], 5, -1.0, 1.0),
    ];
    check(check_precision!(
        |v| v[0].conv2d(&v[1], None, p),
        &inputs,
        &opts
    ));
}

#[test]
fn matmul_and_linear() {
    let opts = PrecisionOptions::default();
    let inputs = [
        uniform(&[16, 300], 6, -1.0, 1.0),
        uniform(&[300, 20], 7, -1.0, 1.0),
    ];
    check(check_precision!(|v| v[0].matmul(&v[1]), &inputs, &opts));
}

#[test]
fn pools() {
    let opts = PrecisionOptions::default();
    let x = [Values::Distinct.fill(&[2, 3, 8, 8], 8)];
    check(check_precision!(
        |v| v[0].max_pool2d((2, 2), (2, 2), (0, 0)),
        &x,
        &opts
    ));
    check(check_precision!(
        |v| v[0].avg_pool2d((3, 3), (1, 1), (1, 1)),
        &x,
        &opts
    ));
    check(check_precision!(|v| v[0].global_avg_pool2d(), &x, &opts));
}
