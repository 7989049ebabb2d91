//! conv2d and pooling kernels against naive loops written straight from the
//! definitions (PyTorch's `F.conv2d`, `F.max_pool2d`, `F.avg_pool2d`).

use proptest::prelude::*;
use synann_tensor::conv::{
    avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward_bias, conv2d_backward_input,
    conv2d_backward_weight, conv2d_global_max_pool2d, conv2d_max_pool2d,
    conv2d_max_pool2d_backward_input, conv2d_max_pool2d_backward_weight, global_avg_pool2d,
    global_avg_pool2d_backward, global_max_pool2d, max_pool2d, max_pool2d_backward, Conv2dParams,
};
use synann_tensor::random::seeded;
use synann_tensor::{Float, Tensor};

/// One random convolution problem.
#[derive(Clone, Debug)]
struct Case {
    n: usize,
    groups: usize,
    c: usize,
    o: usize,
    input: (usize, usize),
    kernel: (usize, usize),
    params: Conv2dParams,
}

impl Case {
    fn weight_shape(&self) -> [usize; 4] {
        [self.o, self.c / self.groups, self.kernel.0, self.kernel.1]
    }
    fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.input.0, self.input.1]
    }
    fn output(&self) -> (usize, usize) {
        self.params.output_size(self.input, self.kernel)
    }
}

fn fits(len: usize, k: usize, p: usize, d: usize) -> bool {
    d * (k - 1) < len + 2 * p
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1usize..10, 1usize..3, 1usize..3, 1usize..3),
        (1usize..8, 1usize..8, 1usize..4, 1usize..4),
        (
            1usize..3,
            1usize..3,
            0usize..3,
            0usize..3,
            1usize..3,
            1usize..3,
        ),
    )
        .prop_filter(
            "kernel must fit",
            |(_, (h, w, kh, kw), (_, _, ph, pw, dh, dw))| {
                fits(*h, *kh, *ph, *dh) && fits(*w, *kw, *pw, *dw)
            },
        )
        .prop_map(
            |((n, groups, cg, og), (h, w, kh, kw), (sh, sw, ph, pw, dh, dw))| Case {
                n,
                groups,
                c: groups * cg,
                o: groups * og,
                input: (h, w),
                kernel: (kh, kw),
                params: Conv2dParams {
                    stride: (sh, sw),
                    padding: (ph, pw),
                    dilation: (dh, dw),
                    groups,
                },
            },
        )
}

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -1.0, 1.0, &mut seeded(seed))
}

/// Calls `f(n, o, ci, y, x, i, j, iy, ix)` for every output pixel, kernel tap
/// and the in-image input pixel it reads: the seven loops of a convolution
/// (plus the group of `o`), in one place for forward and both backwards.
fn for_each_tap(cs: &Case, mut f: impl FnMut([usize; 9])) {
    let (oh, ow) = cs.output();
    let (cg, og) = (cs.c / cs.groups, cs.o / cs.groups);
    let p = &cs.params;
    for n in 0..cs.n {
        for o in 0..cs.o {
            let g = o / og;
            for y in 0..oh {
                for x in 0..ow {
                    for ci in 0..cg {
                        for i in 0..cs.kernel.0 {
                            for j in 0..cs.kernel.1 {
                                let iy = (y * p.stride.0 + i * p.dilation.0) as isize
                                    - p.padding.0 as isize;
                                let ix = (x * p.stride.1 + j * p.dilation.1) as isize
                                    - p.padding.1 as isize;
                                if iy >= 0
                                    && ix >= 0
                                    && (iy as usize) < cs.input.0
                                    && (ix as usize) < cs.input.1
                                {
                                    f([n, o, g * cg + ci, y, x, i, j, iy as usize, ix as usize]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn naive_conv(cs: &Case, x: &Tensor<f64>, w: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
    let (oh, ow) = cs.output();
    let mut y = Tensor::zeros(&[cs.n, cs.o, oh, ow]);
    for n in 0..cs.n {
        for o in 0..cs.o {
            for yy in 0..oh {
                for xx in 0..ow {
                    y.set(&[n, o, yy, xx], b.get(&[o]));
                }
            }
        }
    }
    let cg = cs.c / cs.groups;
    for_each_tap(cs, |[n, o, c, yy, xx, i, j, iy, ix]| {
        let v = y.get(&[n, o, yy, xx]) + w.get(&[o, c % cg, i, j]) * x.get(&[n, c, iy, ix]);
        y.set(&[n, o, yy, xx], v);
    });
    y
}

fn naive_grad_input(cs: &Case, gy: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    let mut gx = Tensor::zeros(&cs.input_shape());
    let cg = cs.c / cs.groups;
    for_each_tap(cs, |[n, o, c, yy, xx, i, j, iy, ix]| {
        let v = gx.get(&[n, c, iy, ix]) + w.get(&[o, c % cg, i, j]) * gy.get(&[n, o, yy, xx]);
        gx.set(&[n, c, iy, ix], v);
    });
    gx
}

fn naive_grad_weight(cs: &Case, gy: &Tensor<f64>, x: &Tensor<f64>) -> Tensor<f64> {
    let mut gw = Tensor::zeros(&cs.weight_shape());
    let cg = cs.c / cs.groups;
    for_each_tap(cs, |[n, o, c, yy, xx, i, j, iy, ix]| {
        let v = gw.get(&[o, c % cg, i, j]) + x.get(&[n, c, iy, ix]) * gy.get(&[n, o, yy, xx]);
        gw.set(&[o, c % cg, i, j], v);
    });
    gw
}

fn assert_close(got: &Tensor<f64>, want: &Tensor<f64>, what: &str) {
    assert!(
        got.allclose(want, 1e-10, 1e-10),
        "{what}: got {got:?}, want {want:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn conv2d_matches_naive(cs in case(), seed in any::<u64>()) {
        let x = random(&cs.input_shape(), seed);
        let w = random(&cs.weight_shape(), seed ^ 1);
        let b = random(&[cs.o], seed ^ 2);
        assert_close(&conv2d(&x, &w, Some(&b), &cs.params), &naive_conv(&cs, &x, &w, &b), "forward");
        // Without bias: the same as a zero bias.
        let zero = Tensor::zeros(&[cs.o]);
        assert_close(&conv2d(&x, &w, None, &cs.params), &naive_conv(&cs, &x, &w, &zero), "forward, no bias");
    }

    #[test]
    fn conv2d_backward_matches_naive(cs in case(), seed in any::<u64>()) {
        let x = random(&cs.input_shape(), seed);
        let w = random(&cs.weight_shape(), seed ^ 1);
        let (oh, ow) = cs.output();
        let gy = random(&[cs.n, cs.o, oh, ow], seed ^ 3);
        let gx = conv2d_backward_input(&gy, &w, &cs.input_shape(), &cs.params);
        assert_close(&gx, &naive_grad_input(&cs, &gy, &w), "input gradient");
        let gw = conv2d_backward_weight(&gy, &x, &cs.weight_shape(), &cs.params);
        assert_close(&gw, &naive_grad_weight(&cs, &gy, &x), "weight gradient");
        let gb = conv2d_backward_bias(&gy);
        let want: Vec<f64> = (0..cs.o)
            .map(|o| (0..cs.n).flat_map(|n| (0..oh * ow).map(move |p| (n, p))).map(|(n, p)| gy.data()[(n * cs.o + o) * oh * ow + p]).sum())
            .collect();
        assert_close(&gb, &Tensor::from_vec(want, &[cs.o]), "bias gradient");
    }

    /// The 1×1 / stride-1 / no-padding fast path (GEMM on the input itself)
    /// against the general im2col path: the same kernel with padding 1 gives
    /// the same values inside the border.
    #[test]
    fn conv2d_1x1_fast_path_matches_general(
        (n, groups, cg, og, h, w) in (1usize..4, 1usize..3, 1usize..4, 1usize..4, 1usize..7, 1usize..7),
        seed in any::<u64>(),
    ) {
        let (c, o) = (groups * cg, groups * og);
        let x = random(&[n, c, h, w], seed);
        let wt = random(&[o, cg, 1, 1], seed ^ 1);
        let fast = Conv2dParams { groups, ..Default::default() };
        let padded = Conv2dParams { padding: (1, 1), ..fast };
        let y_fast = conv2d(&x, &wt, None, &fast);
        let y_pad = conv2d(&x, &wt, None, &padded);
        let crop = |t: &Tensor<f64>| {
            let mut v = Vec::new();
            for (k, &e) in t.data().iter().enumerate() {
                let (yy, xx) = ((k / (w + 2)) % (h + 2), k % (w + 2));
                if (1..=h).contains(&yy) && (1..=w).contains(&xx) {
                    v.push(e);
                }
            }
            Tensor::from_vec(v, &[n, o, h, w])
        };
        assert_close(&y_fast, &crop(&y_pad), "1×1 forward");
        // Backward: a gradient that is zero on the border of the padded
        // output gives the same input and weight gradients.
        let gy = random(&[n, o, h, w], seed ^ 2);
        let mut gy_pad = Tensor::zeros(&[n, o, h + 2, w + 2]);
        for (k, &g) in gy.data().iter().enumerate() {
            let (plane, yy, xx) = (k / (h * w), (k / w) % h, k % w);
            gy_pad.data_mut()[plane * (h + 2) * (w + 2) + (yy + 1) * (w + 2) + xx + 1] = g;
        }
        assert_close(
            &conv2d_backward_input(&gy, &wt, x.shape(), &fast),
            &conv2d_backward_input(&gy_pad, &wt, x.shape(), &padded),
            "1×1 input gradient",
        );
        assert_close(
            &conv2d_backward_weight(&gy, &x, wt.shape(), &fast),
            &conv2d_backward_weight(&gy_pad, &x, wt.shape(), &padded),
            "1×1 weight gradient",
        );
    }
}

/// The batch is big enough to run in parallel blocks; f32 against the f64
/// reference at the seed network's second convolution (fewer samples).
#[test]
fn conv2d_f32_parallel_matches_naive() {
    let cs = Case {
        n: 8,
        groups: 1,
        c: 10,
        o: 20,
        input: (12, 12),
        kernel: (5, 5),
        params: Conv2dParams::default(),
    };
    let x = random(&cs.input_shape(), 7);
    let w = random(&cs.weight_shape(), 8);
    let b = random(&[20], 9);
    let gy = random(&[8, 20, 8, 8], 10);
    let close = |got: Tensor<f32>, want: Tensor<f64>, what: &str| {
        assert!(
            got.cast::<f64>().allclose(&want, 1e-4, 1e-4),
            "{what}: got {got:?}, want {want:?}"
        );
    };
    let (xf, wf, bf, gyf) = (
        x.cast::<f32>(),
        w.cast::<f32>(),
        b.cast::<f32>(),
        gy.cast::<f32>(),
    );
    close(
        conv2d(&xf, &wf, Some(&bf), &cs.params),
        naive_conv(&cs, &x, &w, &b),
        "forward",
    );
    close(
        conv2d_backward_input(&gyf, &wf, xf.shape(), &cs.params),
        naive_grad_input(&cs, &gy, &w),
        "input gradient",
    );
    close(
        conv2d_backward_weight(&gyf, &xf, wf.shape(), &cs.params),
        naive_grad_weight(&cs, &gy, &x),
        "weight gradient",
    );
}

#[test]
#[should_panic(expected = "conv2d: input [1, 3, 5, 5] and weight [2, 2, 3, 3]")]
fn conv2d_channel_mismatch_panics() {
    let _ = conv2d(
        &Tensor::<f32>::zeros(&[1, 3, 5, 5]),
        &Tensor::zeros(&[2, 2, 3, 3]),
        None,
        &Conv2dParams::default(),
    );
}

#[test]
#[should_panic(expected = "does not fit an input of 2")]
fn conv2d_kernel_too_large_panics() {
    let _ = conv2d(
        &Tensor::<f32>::zeros(&[1, 1, 2, 2]),
        &Tensor::zeros(&[1, 1, 3, 3]),
        None,
        &Conv2dParams::default(),
    );
}

/// `(height, width)` of a window, stride or padding.
type Pair = (usize, usize);

/// One random pooling problem: input shape, kernel, stride, padding.
fn pool_case() -> impl Strategy<Value = ([usize; 4], Pair, Pair, Pair)> {
    (
        (1usize..3, 1usize..3, 1usize..8, 1usize..8),
        (
            1usize..4,
            1usize..4,
            1usize..3,
            1usize..3,
            0usize..2,
            0usize..2,
        ),
    )
        .prop_filter(
            "window must fit",
            |((_, _, h, w), (kh, kw, _, _, ph, pw))| {
                2 * ph <= *kh && 2 * pw <= *kw && kh <= &(h + 2 * ph) && kw <= &(w + 2 * pw)
            },
        )
        .prop_map(|((n, c, h, w), (kh, kw, sh, sw, ph, pw))| {
            ([n, c, h, w], (kh, kw), (sh, sw), (ph, pw))
        })
}

/// [`random`] in f32.
fn random_f32(shape: &[usize], seed: u64) -> Tensor<f32> {
    Tensor::uniform(shape, -1.0, 1.0, &mut seeded(seed))
}

/// Random f32 values from the five levels −2, −1, 0, 1, 2, so that
/// pooling windows often tie.
fn f32_levels(shape: &[usize], seed: u64) -> Tensor<f32> {
    random_f32(shape, seed).map(|v| (v * 2.0).round())
}

/// Max pooling by its definition: each window's first maximum in
/// row-major order (a NaN beats any number; the first NaN stays), and the
/// gradient that adds each output's dY at its maximum. Returns (Y, dX).
fn naive_max_pool<T: Float>(
    x: &Tensor<T>,
    gy: &Tensor<T>,
    k: Pair,
    s: Pair,
    p: Pair,
) -> (Tensor<T>, Tensor<T>) {
    let shape: [usize; 4] = x.shape().try_into().unwrap();
    let (oh, ow) = pooled_size(&shape, k, s, p);
    let mut y = Tensor::zeros(&[shape[0], shape[1], oh, ow]);
    let mut gx = Tensor::zeros(&shape);
    for n in 0..shape[0] {
        for c in 0..shape[1] {
            for yo in 0..oh {
                for xo in 0..ow {
                    let mut best: Option<(T, usize, usize)> = None;
                    for (r, col) in window(&shape, yo, xo, k, s, p) {
                        let v = x.get(&[n, c, r, col]);
                        let wins = match best {
                            None => true,
                            Some((b, _, _)) => v > b || (v.is_nan() && !b.is_nan()),
                        };
                        if wins {
                            best = Some((v, r, col));
                        }
                    }
                    let (v, r, col) = best.unwrap();
                    y.set(&[n, c, yo, xo], v);
                    let g = gx.get(&[n, c, r, col]) + gy.get(&[n, c, yo, xo]);
                    gx.set(&[n, c, r, col], g);
                }
            }
        }
    }
    (y, gx)
}

/// The in-image pixels `(r, c)` of window `(y, x)`.
fn window(
    shape: &[usize; 4],
    y: usize,
    x: usize,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for i in 0..k.0 {
        for j in 0..k.1 {
            let (r, c) = (
                (y * s.0 + i) as isize - p.0 as isize,
                (x * s.1 + j) as isize - p.1 as isize,
            );
            if r >= 0 && c >= 0 && (r as usize) < shape[2] && (c as usize) < shape[3] {
                v.push((r as usize, c as usize));
            }
        }
    }
    v
}

fn pooled_size(
    shape: &[usize; 4],
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
) -> (usize, usize) {
    (
        (shape[2] + 2 * p.0 - k.0) / s.0 + 1,
        (shape[3] + 2 * p.1 - k.1) / s.1 + 1,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn max_pool2d_matches_naive((shape, k, s, p) in pool_case(), seed in any::<u64>()) {
        let x = random(&shape, seed);
        let (oh, ow) = pooled_size(&shape, k, s, p);
        let gy = random(&[shape[0], shape[1], oh, ow], seed ^ 1);
        let r = max_pool2d(&x, k, s, p);
        let (want, want_gx) = naive_max_pool(&x, &gy, k, s, p);
        assert_close(&r.output, &want, "max_pool2d");
        assert_close(&max_pool2d_backward(&gy, &r.indices, &shape), &want_gx, "max_pool2d backward");
    }

    #[test]
    fn max_pool2d_f32_matches_naive((shape, k, s, p) in pool_case(), seed in any::<u64>()) {
        // The f32 kernels against the definition, exactly: values from
        // five levels, so that windows tie.
        let x = f32_levels(&shape, seed);
        let (oh, ow) = pooled_size(&shape, k, s, p);
        let gy = random_f32(&[shape[0], shape[1], oh, ow], seed ^ 1);
        let r = max_pool2d(&x, k, s, p);
        let gx = max_pool2d_backward(&gy, &r.indices, &shape);
        let (want, want_gx) = naive_max_pool(&x, &gy, k, s, p);
        prop_assert_eq!(r.output.data(), want.data());
        prop_assert_eq!(gx.data(), want_gx.data());
    }

    #[test]
    fn max_pool2d_2x2_f32_matches_naive(
        n in 1usize..3,
        c in 1usize..3,
        h in 2usize..30,
        w in 2usize..40,
        nan_at in proptest::option::of(any::<usize>()),
        seed in any::<u64>(),
    ) {
        // The 2×2 path: rows of up to 19 windows, odd sizes (a last row or
        // column in no window), ties, and a NaN (which wins its window).
        let shape = [n, c, h, w];
        let mut x = f32_levels(&shape, seed).into_vec();
        if let Some(at) = nan_at {
            let len = x.len();
            x[at % len] = f32::NAN;
        }
        let x = Tensor::from_vec(x, &shape);
        let gy = random_f32(&[n, c, h / 2, w / 2], seed ^ 1);
        let r = max_pool2d(&x, (2, 2), (2, 2), (0, 0));
        let gx = max_pool2d_backward(&gy, &r.indices, &shape);
        let (want, want_gx) = naive_max_pool(&x, &gy, (2, 2), (2, 2), (0, 0));
        let bits = |t: &Tensor<f32>| t.data().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
        prop_assert_eq!(bits(&r.output), bits(&want));
        prop_assert_eq!(gx.data(), want_gx.data());
    }

    #[test]
    fn avg_pool2d_matches_naive((shape, k, s, p) in pool_case(), seed in any::<u64>()) {
        let x = random(&shape, seed);
        let (oh, ow) = pooled_size(&shape, k, s, p);
        let gy = random(&[shape[0], shape[1], oh, ow], seed ^ 1);
        let area = (k.0 * k.1) as f64;
        let mut want = Tensor::zeros(&[shape[0], shape[1], oh, ow]);
        let mut want_gx = Tensor::zeros(&shape);
        for n in 0..shape[0] {
            for c in 0..shape[1] {
                for y in 0..oh {
                    for xo in 0..ow {
                        let win = window(&shape, y, xo, k, s, p);
                        let sum: f64 = win.iter().map(|&(r, cc)| x.get(&[n, c, r, cc])).sum();
                        want.set(&[n, c, y, xo], sum / area);
                        for (r, cc) in win {
                            let g = want_gx.get(&[n, c, r, cc]) + gy.get(&[n, c, y, xo]) / area;
                            want_gx.set(&[n, c, r, cc], g);
                        }
                    }
                }
            }
        }
        assert_close(&avg_pool2d(&x, k, s, p), &want, "avg_pool2d");
        assert_close(&avg_pool2d_backward(&gy, &shape, k, s, p), &want_gx, "avg_pool2d backward");
    }

    #[test]
    fn global_pools_match_naive((n, c, h, w) in (1usize..3, 1usize..4, 1usize..6, 1usize..6), seed in any::<u64>()) {
        let x = random(&[n, c, h, w], seed);
        let gy = random(&[n, c, 1, 1], seed ^ 1);
        let planes: Vec<&[f64]> = x.data().chunks(h * w).collect();
        let argmax: Vec<usize> = planes
            .iter()
            .map(|pl| (0..pl.len()).fold(0, |b, i| if pl[i] > pl[b] { i } else { b }))
            .collect();
        let r = global_max_pool2d(&x);
        let maxes: Vec<f64> = planes.iter().zip(&argmax).map(|(pl, &i)| pl[i]).collect();
        assert_close(&r.output, &Tensor::from_vec(maxes, &[n, c, 1, 1]), "global_max_pool2d");
        prop_assert_eq!(&r.indices, &argmax);
        let mut gx = vec![0.0; n * c * h * w];
        for (q, &i) in argmax.iter().enumerate() {
            gx[q * h * w + i] = gy.data()[q];
        }
        assert_close(&max_pool2d_backward(&gy, &r.indices, x.shape()), &Tensor::from_vec(gx, x.shape()), "global max backward");

        let means: Vec<f64> = planes.iter().map(|pl| pl.iter().sum::<f64>() / (h * w) as f64).collect();
        assert_close(&global_avg_pool2d(&x), &Tensor::from_vec(means, &[n, c, 1, 1]), "global_avg_pool2d");
        let gx: Vec<f64> = (0..n * c * h * w).map(|k| gy.data()[k / (h * w)] / (h * w) as f64).collect();
        assert_close(&global_avg_pool2d_backward(&gy, x.shape()), &Tensor::from_vec(gx, x.shape()), "global avg backward");
    }
}

/// Padding never wins a max, even when every real value is negative.
#[test]
fn max_pool2d_padding_is_minus_infinity() {
    let x = Tensor::from_vec(vec![-3.0f32, -1.0, -2.0, -4.0], &[1, 1, 2, 2]);
    let r = max_pool2d(&x, (2, 2), (1, 1), (1, 1));
    assert_eq!(
        r.output.data(),
        &[-3.0, -1.0, -1.0, -2.0, -1.0, -1.0, -2.0, -2.0, -4.0]
    );
}

/// Large enough to run over planes in parallel; compares with the serial
/// result of each plane computed alone.
#[test]
fn pools_parallel_match_per_plane() {
    let x = Tensor::<f32>::uniform(&[64, 8, 12, 12], -1.0, 1.0, &mut seeded(3));
    let r = max_pool2d(&x, (2, 2), (2, 2), (0, 0));
    let a = avg_pool2d(&x, (3, 3), (2, 2), (1, 1));
    for (q, plane) in x.data().chunks(144).enumerate().step_by(37) {
        let one = Tensor::from_vec(plane.to_vec(), &[1, 1, 12, 12]);
        assert_eq!(
            max_pool2d(&one, (2, 2), (2, 2), (0, 0)).output.data(),
            &r.output.data()[q * 36..(q + 1) * 36]
        );
        assert_eq!(
            avg_pool2d(&one, (3, 3), (2, 2), (1, 1)).data(),
            &a.data()[q * 36..(q + 1) * 36]
        );
    }
}

/// Ties go to the first maximum in row-major order and a NaN beats any
/// number, with and without padding (the row-at-a-time scan must keep the
/// window's reading order).
#[test]
fn max_pool2d_ties_and_nan() {
    let x = Tensor::from_vec(
        vec![1.0f32, 2.0, 2.0, 0.0, 2.0, 2.0, f32::NAN, 5.0, 3.0],
        &[1, 1, 3, 3],
    );
    let r = max_pool2d(&x, (2, 2), (1, 1), (0, 0));
    // The image is [1 2 2; 0 2 2; NaN 5 3]. Windows: {1,2,0,2} → the
    // first 2, at 1; {2,2,2,2} → at 1; {0,2,NaN,5} → the NaN at 6;
    // {2,2,5,3} → 5 at 7.
    assert_eq!(r.indices, vec![1, 1, 6, 7]);
    let r = max_pool2d(&x, (2, 2), (2, 2), (1, 1));
    // Padded windows: {1} → 0; {2,2} → the first, 1; {0,NaN} → 6;
    // {2,2,5,3} → 7.
    assert_eq!(r.indices, vec![0, 1, 6, 7]);
    assert!(r.output.data()[2].is_nan());
    // The 2×2 / stride-2 fast path on [7 7 1 NaN; 7 7 NaN 2; -0 0 5 5; 0 -0 4 5]:
    // a four-way tie → the first; two NaNs → the first; ±0 ties → the
    // first, keeping its sign; 5, 5, 5 → the first.
    let x = Tensor::from_vec(
        vec![
            7.0f32,
            7.0,
            1.0,
            f32::NAN,
            7.0,
            7.0,
            f32::NAN,
            2.0,
            -0.0,
            0.0,
            5.0,
            5.0,
            0.0,
            -0.0,
            4.0,
            5.0,
        ],
        &[1, 1, 4, 4],
    );
    let r = max_pool2d(&x, (2, 2), (2, 2), (0, 0));
    assert_eq!(r.indices, vec![0, 3, 8, 10]);
    let v = r.output.data();
    assert_eq!((v[0], v[3]), (7.0, 5.0));
    assert!(v[1].is_nan());
    assert!(v[2] == 0.0 && v[2].is_sign_negative());
}

/// A row-major scan of each window, the definition the fast paths must
/// reproduce: the first maximum wins ties, the first NaN wins outright.
fn naive_max_pool_indices(x: &Tensor<f64>, k: Pair, s: Pair, p: Pair) -> Vec<usize> {
    let shape: [usize; 4] = x.shape().try_into().unwrap();
    let (oh, ow) = pooled_size(&shape, k, s, p);
    let mut idx = Vec::new();
    for plane in x.data().chunks(shape[2] * shape[3]) {
        for y in 0..oh {
            for xo in 0..ow {
                let mut best: Option<(f64, usize)> = None;
                for (r, c) in window(&shape, y, xo, k, s, p) {
                    let i = r * shape[3] + c;
                    let v = plane[i];
                    best = match best {
                        Some(b) if !(v > b.0 || (v.is_nan() && !b.0.is_nan())) => Some(b),
                        _ => Some((v, i)),
                    };
                }
                idx.push(best.unwrap().1);
            }
        }
    }
    idx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Data full of ties, zeros of both signs and NaNs, through every max
    /// pooling path: the 2×2 / stride-2 one, the general unpadded one and
    /// the padded one.
    #[test]
    fn max_pool2d_ties_match_naive(
        (n, c, h, w) in (1usize..3, 1usize..3, 2usize..9, 2usize..9),
        values in proptest::collection::vec(0usize..6, 2 * 2 * 8 * 8),
        (k, s, p) in prop_oneof![
            Just(((2, 2), (2, 2), (0, 0))),
            Just(((2, 2), (1, 1), (0, 0))),
            Just(((3, 2), (2, 1), (0, 0))),
            Just(((2, 2), (2, 2), (1, 1))),
        ],
    ) {
        prop_assume!(k.0 <= h + 2 * p.0 && k.1 <= w + 2 * p.1);
        let pick = [-1.0, 0.0, -0.0, 2.0, 2.0, f64::NAN];
        let x = Tensor::from_vec(
            values[..n * c * h * w].iter().map(|&v| pick[v]).collect(),
            &[n, c, h, w],
        );
        let r = max_pool2d(&x, k, s, p);
        let want = naive_max_pool_indices(&x, k, s, p);
        prop_assert_eq!(&r.indices, &want);
        // The values are the winners themselves (a −0 stays −0).
        for (q, (&v, &i)) in r.output.data().iter().zip(&want).enumerate() {
            let plane = q / (r.output.shape()[2] * r.output.shape()[3]);
            let src = x.data()[plane * h * w + i];
            prop_assert!(v.to_bits() == src.to_bits() || (v.is_nan() && src.is_nan()));
        }
    }
}

/// The first convolution of the seed network: chunks of 576 pixels and
/// more, long enough for the weight gradient to go through the row-dot
/// kernel (`gemm_abt`) instead of the packing GEMM.
#[test]
fn conv2d_weight_gradient_long_rows_matches_naive() {
    let cs = Case {
        n: 6,
        groups: 1,
        c: 1,
        o: 10,
        input: (28, 28),
        kernel: (5, 5),
        params: Conv2dParams::default(),
    };
    let x = random(&cs.input_shape(), 11);
    let gy = random(&[6, 10, 24, 24], 12);
    assert_close(
        &conv2d_backward_weight(&gy, &x, &cs.weight_shape(), &cs.params),
        &naive_grad_weight(&cs, &gy, &x),
        "weight gradient",
    );
}

/// A convolution with one group, stride 1, and no padding or dilation.
fn unpadded(
    n: usize,
    (c, o): (usize, usize),
    input: (usize, usize),
    kernel: (usize, usize),
) -> Case {
    Case {
        n,
        groups: 1,
        c,
        o,
        input,
        kernel,
        params: Conv2dParams::default(),
    }
}

/// Whether the f32 forward of `cs` (random inputs from `seed`) agrees with
/// the f64 definition.
fn f32_forward_matches(cs: &Case, seed: u64) -> bool {
    let x = random(&cs.input_shape(), seed);
    let w = random(&cs.weight_shape(), seed ^ 1);
    let b = random(&[cs.o], seed ^ 2);
    let y = conv2d(
        &x.cast::<f32>(),
        &w.cast::<f32>(),
        Some(&b.cast::<f32>()),
        &cs.params,
    );
    y.cast::<f64>()
        .allclose(&naive_conv(cs, &x, &w, &b), 1e-5, 1e-5)
}

/// Whether the f32 weight gradient of `cs` (random inputs from `seed`)
/// agrees with the f64 definition.
fn f32_weight_gradient_matches(cs: &Case, seed: u64) -> bool {
    let (oh, ow) = cs.output();
    let x = random(&cs.input_shape(), seed);
    let gy = random(&[cs.n, cs.o, oh, ow], seed ^ 3);
    let gw = conv2d_backward_weight(
        &gy.cast::<f32>(),
        &x.cast::<f32>(),
        &cs.weight_shape(),
        &cs.params,
    );
    gw.cast::<f64>()
        .allclose(&naive_grad_weight(cs, &gy, &x), 1e-4, 1e-4)
}

/// Shapes the f32 first-layer kernels (`first_layer_avx512`) serve (one group, stride 1, no
/// padding or dilation, C·kh·kw ≤ 32), on a CPU with AVX-512: output rows
/// shorter and longer than a register, output-channel counts that split
/// into register blocks of 12, 10, 8, 6, 4, 2 and 1, odd and even tap
/// counts (the weight gradient takes taps two at a time).
fn first_layer_case() -> impl Strategy<Value = Case> {
    (
        1usize..4,
        1usize..3,
        1usize..20,
        1usize..4,
        1usize..6,
        0usize..6,
        0usize..20,
    )
        .prop_map(|(n, c, o, kh, kw, dh, dw)| {
            unpadded(
                n,
                (c, o),
                (kh + dh, kw + dw),
                (kh, kw.min(32 / (c * kh)).max(1)),
            )
        })
}

/// Shapes whose weight gradient, in f32 on AVX-512, multiplies by the
/// patches written as rows (`patch_rows_avx512`: stride 1, no padding or
/// dilation, kernel rows of at most 8; here more than the first-layer
/// kernels' 32 taps, and at most 24 output channels), several samples per
/// chunk so that one image's last copy spills into the next one's rows.
fn patch_rows_case() -> impl Strategy<Value = Case> {
    (
        1usize..6,
        3usize..11,
        1usize..25,
        2usize..6,
        3usize..9,
        0usize..4,
        0usize..9,
    )
        .prop_map(|(n, c, o, kh, kw, dh, dw)| unpadded(n, (c, o), (kh + dh, kw + dw), (kh, kw)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// In f32 these shapes take the first-layer kernels where the CPU has
    /// AVX-512 (im2col + GEMM elsewhere): forward and weight gradient
    /// against the f64 definitions.
    #[test]
    fn conv2d_f32_first_layer_path_matches_naive(cs in first_layer_case(), seed in any::<u64>()) {
        prop_assert!(f32_forward_matches(&cs, seed), "forward {:?}", cs);
        prop_assert!(f32_weight_gradient_matches(&cs, seed), "weight gradient {:?}", cs);
    }

    /// The weight gradient of these shapes in f32 (the patch rows and the
    /// GEMM without packing where the CPU has AVX-512, im2col and the
    /// packing GEMM elsewhere) against the f64 definition.
    #[test]
    fn conv2d_f32_weight_gradient_by_patch_rows_matches_naive(cs in patch_rows_case(), seed in any::<u64>()) {
        prop_assert!(f32_weight_gradient_matches(&cs, seed), "{:?}", cs);
    }
}

/// The seed network's conv1 (1 → 10, 5×5 on 28×28) and conv2 (10 → 20,
/// 5×5 on 12×12) at a batch that runs in parallel blocks: in f32 on
/// AVX-512, conv1 takes the first-layer kernels, conv2's weight gradient
/// the patch rows; against the f64 definitions.
#[test]
fn conv2d_f32_seed_layers_match_naive() {
    let conv1 = unpadded(12, (1, 10), (28, 28), (5, 5));
    assert!(f32_forward_matches(&conv1, 21));
    assert!(f32_weight_gradient_matches(&conv1, 21));
    let conv2 = unpadded(12, (10, 20), (12, 12), (5, 5));
    assert!(f32_weight_gradient_matches(&conv2, 31));
}

/// An infinite input pixel at (3, 11), in the last column, is read only by
/// the taps with kx = 4 and ky ≤ 3: every other tap's weight gradient
/// stays finite, on every
/// path (the first-layer kernel skips the padding positions of its wide grid,
/// where 0·∞ would make NaN).
#[test]
fn conv2d_f32_weight_gradient_with_an_infinite_pixel() {
    let cs = Case {
        n: 2,
        groups: 1,
        c: 1,
        o: 3,
        input: (12, 12),
        kernel: (5, 5),
        params: Conv2dParams::default(),
    };
    let mut x = random(&cs.input_shape(), 31);
    x.data_mut()[3 * 12 + 11] = f64::INFINITY; // sample 0, pixel (3, 11)
    let gy = random(&[2, 3, 8, 8], 32);
    let want = naive_grad_weight(&cs, &gy, &x);
    let got = conv2d_backward_weight(
        &gy.cast::<f32>(),
        &x.cast::<f32>(),
        &cs.weight_shape(),
        &cs.params,
    );
    for (i, (&g, &w)) in got.data().iter().zip(want.data()).enumerate() {
        let (ky, kx) = ((i / 5) % 5, i % 5);
        assert_eq!(g.is_finite(), w.is_finite(), "tap {i}: {g} vs {w}");
        assert_eq!(g.is_finite(), !(kx == 4 && ky <= 3), "tap {i}");
        if w.is_finite() {
            assert!(
                (g as f64 - w).abs() < 1e-4 * (1.0 + w.abs()),
                "tap {i}: {g} vs {w}"
            );
        }
    }
}

/// The global max pool is max pooling with the whole plane as its window:
/// the same maxima and positions, ties, NaNs and planes of −∞ included,
/// in f32 and f64.
#[test]
fn global_max_pool_is_max_pool_with_the_whole_plane() {
    fn check<T: Float>(shape: [usize; 4]) {
        let (h, w) = (shape[2], shape[3]);
        let plane = h * w;
        let values: Vec<T> = (0..shape.iter().product::<usize>())
            .map(|k| match (k / plane) % 4 {
                // Ties: three equal maxima.
                0 => T::from_f64(((k % plane) % 3) as f64),
                // A NaN after the maximum.
                1 if k % plane == plane / 2 => T::from_f64(f64::NAN),
                // All −∞.
                2 => T::NEG_INFINITY,
                _ => T::from_f64(((k * 37) % 11) as f64 - 5.0),
            })
            .collect();
        let x = Tensor::from_vec(values, &shape);
        let got = global_max_pool2d(&x);
        let want = max_pool2d(&x, (h, w), (1, 1), (0, 0));
        assert_eq!(got.indices, want.indices, "{shape:?}");
        let bits = |t: &Tensor<T>| {
            t.data()
                .iter()
                .map(|v| v.to_f64().to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&got.output), bits(&want.output), "{shape:?}");
        assert_eq!(got.output.shape(), want.output.shape());
    }
    for shape in [[2, 4, 3, 5], [3, 8, 14, 14], [1, 5, 1, 1]] {
        check::<f32>(shape);
        check::<f64>(shape);
    }
}

#[test]
#[should_panic(expected = "empty planes")]
fn global_max_pool_of_empty_planes_is_refused() {
    global_max_pool2d(&Tensor::<f32>::zeros(&[2, 3, 0, 4]));
}

// ---- A convolution under a max pooling: gradients from the winners alone ----

/// A convolution case and a max pooling of its output: kernel, stride and
/// padding (at most half the kernel), each `(h, w)`, fitting the output.
fn conv_pool_case() -> impl Strategy<Value = (Case, Pair, Pair, Pair)> {
    (
        case(),
        (
            1usize..4,
            1usize..4,
            1usize..3,
            1usize..3,
            0usize..2,
            0usize..2,
        ),
    )
        .prop_filter_map("the pooling must fit", |(cs, (kh, kw, sh, sw, ph, pw))| {
            let (oh, ow) = cs.output();
            let fits = |k: usize, p: usize, len: usize| 2 * p <= k && k <= len + 2 * p;
            (fits(kh, ph, oh) && fits(kw, pw, ow)).then_some((cs, (kh, kw), (sh, sw), (ph, pw)))
        })
}

/// The fused gradients of `cs` under the pooling `(k, s, p)` against the
/// unfused definition (the pooling's gradient of the convolution's
/// output, then the naive convolution gradients), in f64 and in f32.
fn pooled_gradients_match(cs: &Case, (k, s, p): (Pair, Pair, Pair), seed: u64) {
    let x = random(&cs.input_shape(), seed);
    let w = random(&cs.weight_shape(), seed ^ 1);
    let b = random(&[cs.o], seed ^ 2);
    let z = conv2d(&x, &w, Some(&b), &cs.params);
    let pooled = max_pool2d(&z, k, s, p);
    let g = random(pooled.output.shape(), seed ^ 3);
    let dz = max_pool2d_backward(&g, &pooled.indices, z.shape());
    let (want_w, want_x) = (
        naive_grad_weight(cs, &dz, &x),
        naive_grad_input(cs, &dz, &w),
    );
    let (idx, params) = (&pooled.indices, &cs.params);
    let shape_w = cs.weight_shape();
    let gw = conv2d_max_pool2d_backward_weight(&g, idx, &x, &shape_w, params);
    assert_close(&gw, &want_w, "weight gradient (f64)");
    let gx = conv2d_max_pool2d_backward_input(&g, idx, &w, &cs.input_shape(), params);
    assert_close(&gx, &want_x, "input gradient (f64)");
    // f32 (where the CPU has AVX2 and FMA, the vector kernel for the
    // windows inside the image), with the f64 run's winners.
    let (g32, x32, w32) = (g.cast::<f32>(), x.cast::<f32>(), w.cast::<f32>());
    let gw = conv2d_max_pool2d_backward_weight(&g32, idx, &x32, &shape_w, params);
    assert!(
        gw.cast::<f64>().allclose(&want_w, 1e-4, 1e-4),
        "weight gradient (f32) of {cs:?}: got {gw:?}, want {want_w:?}"
    );
    let gx = conv2d_max_pool2d_backward_input(&g32, idx, &w32, &cs.input_shape(), params);
    assert!(
        gx.cast::<f64>().allclose(&want_x, 1e-4, 1e-4),
        "input gradient (f32) of {cs:?}: got {gx:?}, want {want_x:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Over strides, padding, dilation and groups of the convolution and
    /// windows, strides and padding of the pooling.
    #[test]
    fn conv2d_max_pool2d_gradients_match_unfused(
        (cs, k, s, p) in conv_pool_case(),
        seed in any::<u64>(),
    ) {
        pooled_gradients_match(&cs, (k, s, p), seed);
    }
}

/// Shapes where the f32 weight gradient's vector kernel takes several
/// blocks of window rows (3 channels × 5 rows = 15: blocks of 6, 6 and 3),
/// rows of 1 to 8 taps, an odd count of winners, padding that puts some
/// windows across the border, and the seed network's conv1 with its 2×2
/// pooling at a batch that runs in parallel.
#[test]
fn conv2d_max_pool2d_gradients_vector_kernel_shapes() {
    for kw in 1..=8 {
        let mut cs = unpadded(3, (3, 4), (9, 12), (5, kw));
        pooled_gradients_match(&cs, ((2, 2), (2, 2), (0, 0)), kw as u64);
        cs.params.padding = (2, 1);
        pooled_gradients_match(&cs, ((3, 3), (2, 2), (1, 1)), 10 + kw as u64);
    }
    let conv1 = unpadded(12, (1, 10), (28, 28), (5, 5));
    pooled_gradients_match(&conv1, ((2, 2), (2, 2), (0, 0)), 7);
}

/// Global pooling (one winner per plane), as `conv2d_global_max_pool2d`
/// uses it, is the window covering the whole output.
#[test]
fn conv2d_global_max_pool2d_gradients_match_unfused() {
    let mut cs = unpadded(4, (6, 8), (9, 9), (3, 3));
    cs.groups = 2;
    cs.params.groups = 2;
    pooled_gradients_match(&cs, ((7, 7), (7, 7), (0, 0)), 3);
}

/// A winner's index outside the convolution's output plane is refused,
/// naming it.
#[test]
#[should_panic(
    expected = "index 9 (sample 0, channel 0) is outside the convolution's (3, 3) output plane"
)]
fn conv2d_max_pool2d_backward_weight_refuses_a_bad_index() {
    let x = Tensor::<f64>::zeros(&[1, 1, 4, 4]);
    let g = Tensor::<f64>::ones(&[1, 1, 1, 1]);
    conv2d_max_pool2d_backward_weight(&g, &[9], &x, &[1, 1, 2, 2], &Conv2dParams::default());
}

/// The input gradient refuses a bad index too, naming the plane.
#[test]
#[should_panic(
    expected = "index 4 (sample 1, channel 0) is outside the convolution's (2, 2) output plane"
)]
fn conv2d_max_pool2d_backward_input_refuses_a_bad_index() {
    let w = Tensor::<f64>::zeros(&[1, 1, 2, 2]);
    let g = Tensor::<f64>::ones(&[2, 1, 1, 1]);
    conv2d_max_pool2d_backward_input(&g, &[0, 4], &w, &[2, 1, 3, 3], &Conv2dParams::default());
}

/// A window whose last row ends within 8 values of the input's end (a
/// 3×3 kernel over a 3×3 image): the f32 kernel loads the rows under a
/// mask, not 8 values whole past the end (an earlier version did). Here
/// the values; `pooled_avx2`'s unit test puts such inputs against an
/// unreadable page, where a read past the end faults.
#[test]
fn conv2d_max_pool2d_backward_weight_at_the_end_of_the_input() {
    let x = Tensor::from_vec((1..=9).map(|v| v as f32).collect(), &[1, 1, 3, 3]);
    let g = Tensor::from_vec(vec![2.0f32], &[1, 1, 1, 1]);
    let gw =
        conv2d_max_pool2d_backward_weight(&g, &[0], &x, &[1, 1, 3, 3], &Conv2dParams::default());
    let want: Vec<f32> = (1..=9).map(|v| 2.0 * v as f32).collect();
    assert_eq!(gw.data(), &want[..]);
}

/// No samples: the fused forward and both gradients give empty results.
#[test]
fn conv2d_max_pool2d_with_no_samples() {
    let p = Conv2dParams::default();
    let x = Tensor::<f32>::zeros(&[0, 1, 28, 28]);
    let w = Tensor::<f32>::ones(&[10, 1, 5, 5]);
    let pooled = conv2d_max_pool2d(&x, &w, None, &p, (2, 2), (2, 2), (0, 0));
    assert_eq!(pooled.output.shape(), &[0, 10, 12, 12]);
    let g = Tensor::<f32>::zeros(&[0, 10, 12, 12]);
    let gw = conv2d_max_pool2d_backward_weight(&g, &pooled.indices, &x, &[10, 1, 5, 5], &p);
    assert_eq!(gw.data(), &[0.0; 250]);
    let gx = conv2d_max_pool2d_backward_input(&g, &pooled.indices, &w, &[0, 1, 28, 28], &p);
    assert_eq!(gx.shape(), &[0, 1, 28, 28]);
}

/// A pooled gradient whose samples or channels do not match the
/// convolution is refused, naming the shapes.
#[test]
#[should_panic(expected = "grad_output [1, 2, 1, 1] is not [N, O, …]")]
fn conv2d_max_pool2d_backward_input_refuses_a_bad_gradient() {
    let w = Tensor::<f64>::zeros(&[1, 1, 2, 2]);
    let g = Tensor::<f64>::ones(&[1, 2, 1, 1]);
    conv2d_max_pool2d_backward_input(&g, &[0, 0], &w, &[1, 1, 4, 4], &Conv2dParams::default());
}

/// The weight gradient's bits do not depend on the thread count (each
/// channel is summed by one thread, in the winners' order).
#[test]
fn conv2d_max_pool2d_backward_weight_same_bits_on_one_and_two_threads() {
    let cs = unpadded(40, (2, 10), (28, 28), (5, 5));
    let x = random(&cs.input_shape(), 5).cast::<f32>();
    let w = random(&cs.weight_shape(), 6).cast::<f32>();
    let pooled = max_pool2d(&conv2d(&x, &w, None, &cs.params), (2, 2), (2, 2), (0, 0));
    let g = random(pooled.output.shape(), 7).cast::<f32>();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let shape = cs.weight_shape();
            conv2d_max_pool2d_backward_weight(&g, &pooled.indices, &x, &shape, &cs.params)
        })
    };
    assert_eq!(run(1).data(), run(2).data());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The fused forward is the two calls, bit for bit: in f32 on the
    /// first-layer shapes (pooled a plane at a time where the CPU has
    /// AVX-512), with a bias, under pooling windows with and without
    /// padding, including the 2×2 one.
    #[test]
    fn conv2d_max_pool2d_is_conv2d_then_max_pool2d(
        cs in first_layer_case(),
        (kh, kw, sh, sw, ph, pw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3, 0usize..2, 0usize..2),
        two_by_two: bool,
        seed in any::<u64>(),
    ) {
        let (oh, ow) = cs.output();
        let (k, s, p) = if two_by_two { ((2, 2), (2, 2), (0, 0)) } else { ((kh, kw), (sh, sw), (ph, pw)) };
        let fits = |k: usize, p: usize, len: usize| 2 * p <= k && k <= len + 2 * p;
        prop_assume!(fits(k.0, p.0, oh) && fits(k.1, p.1, ow));
        let x = random_f32(&cs.input_shape(), seed);
        let w = random_f32(&cs.weight_shape(), seed ^ 1);
        let b = random_f32(&[cs.o], seed ^ 2);
        let fused = conv2d_max_pool2d(&x, &w, Some(&b), &cs.params, k, s, p);
        let unfused = max_pool2d(&conv2d(&x, &w, Some(&b), &cs.params), k, s, p);
        prop_assert_eq!(fused.output.shape(), unfused.output.shape());
        let bits = |t: &Tensor<f32>| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&fused.output), bits(&unfused.output));
        prop_assert_eq!(fused.indices, unfused.indices);
    }
}

/// The seed network's conv1 and its 2×2 pooling at a batch that runs in
/// parallel blocks, and a shape the first-layer kernels do not serve (the
/// two calls then run as they are): the fused forward is the two calls.
#[test]
fn conv2d_max_pool2d_seed_conv1_and_general_shapes() {
    let conv1 = unpadded(12, (1, 10), (28, 28), (5, 5));
    let mut strided = unpadded(3, (4, 6), (11, 9), (3, 3));
    strided.params.stride = (2, 1);
    for cs in [conv1, strided] {
        let x = random_f32(&cs.input_shape(), 3);
        let w = random_f32(&cs.weight_shape(), 4);
        let fused = conv2d_max_pool2d(&x, &w, None, &cs.params, (2, 2), (2, 2), (0, 0));
        let unfused = max_pool2d(&conv2d(&x, &w, None, &cs.params), (2, 2), (2, 2), (0, 0));
        assert_eq!(fused, unfused, "{cs:?}");
    }
}

/// The fused global forward is the two calls, bit for bit: in f32 on a
/// shape that takes the spectral path (a 9×9 kernel over 20×20 images, its
/// 64 output channels made in two chunks: `spectral.rs` asserts both), with
/// a bias, and in f64 (the direct sums) on the same shape.
#[test]
fn conv2d_global_max_pool2d_is_conv2d_then_global_max_pool2d() {
    let cs = unpadded(16, (16, 64), (20, 20), (9, 9));
    let x = random(&cs.input_shape(), 41);
    let w = random(&cs.weight_shape(), 42);
    let b = random(&[cs.o], 43);
    let (x32, w32, b32) = (x.cast::<f32>(), w.cast::<f32>(), b.cast::<f32>());
    let fused = conv2d_global_max_pool2d(&x32, &w32, Some(&b32), &cs.params);
    let unfused = global_max_pool2d(&conv2d(&x32, &w32, Some(&b32), &cs.params));
    let bits = |t: &Tensor<f32>| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fused.output), bits(&unfused.output));
    assert_eq!(fused.indices, unfused.indices);
    let fused = conv2d_global_max_pool2d(&x, &w, None, &cs.params);
    assert_eq!(fused, global_max_pool2d(&conv2d(&x, &w, None, &cs.params)));
}
