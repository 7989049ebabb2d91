//! Direct convolution (no im2col) for layers with few input taps, such as
//! first layers, in f32 with AVX-512.
//!
//! im2col + GEMM is a poor fit for a first layer such as the seed
//! network's conv1 (1 input channel, 5×5, 10 outputs): the GEMM has
//! K = C·kh·kw = 25 and M = 10, so copying the image into columns and
//! packing the panels cost more than the products. Here there is no copy.
//!
//! **The wide grid.** With stride 1, no padding and no dilation, output
//! pixel (y, x) reads input pixel (y + ky, x + kx) for tap (ky, kx). Index
//! the output on the *input's* row width W instead of its own: position
//! q = y·W + x. Then tap (c, ky, kx) reads input element
//! c·H·W + ky·W + kx + q: for every tap, the outputs are one contiguous,
//! shifted slice of the input, and
//!
//! ```text
//! forward   Y_wide[o, q] = Σ_taps w[o, tap] · X[shift(tap) + q]
//! weight    dW[o, tap]   = Σ_q dY_wide[o, q] · X[shift(tap) + q]
//! ```
//!
//! over q in 0..L, L = (oh − 1)·W + ow (the last output), the positions with
//! x ≥ ow being padding: dropped from Y, and skipped (masked) in dW. The forward keeps the
//! outputs of a block of output channels for 16 positions in registers and
//! streams the taps; the weight gradient keeps the sums of a block of
//! output channels × two taps in registers and streams the positions, so
//! that each vector of the input it loads serves the whole block of
//! channels (a tap at a time for one channel, it loaded one input vector
//! per multiply-add).

use super::ConvGeometry;
use crate::simd::{block_len, lane_mask, load, load_masked_unchecked, store, with_block, LANES};
use std::arch::x86_64::{
    __m512, __mmask16, _mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps, _mm512_setzero_ps,
};

/// At most this many input taps (C·kh·kw) per output: beyond it the layer
/// has enough work per column for im2col + GEMM to win.
pub const MAX_TAPS: usize = 32;

/// Whether these kernels serve a convolution with this geometry and
/// `groups` on this CPU. With one group, `geom.channels` is all the input
/// channels. 1×1 kernels are left to conv2d's pointwise path, which reads
/// the input in place already.
pub(crate) fn applies(geom: &ConvGeometry, groups: usize) -> bool {
    let (kh, kw) = geom.kernel;
    groups == 1
        && (kh, kw) != (1, 1)
        && geom.stride == (1, 1)
        && geom.dilation == (1, 1)
        && geom.padding == (0, 0)
        && geom.channels * kh * kw <= MAX_TAPS
        && geom.output.0 > 0
        && geom.output.1 > 0
        && std::arch::is_x86_feature_detected!("avx512f")
}

/// The wide-grid sizes: (W, L, L rounded up to whole registers).
fn wide(geom: &ConvGeometry) -> (usize, usize, usize) {
    let (width, (oh, ow)) = (geom.input.1, geom.output);
    let l = (oh - 1) * width + ow;
    (width, l, l.div_ceil(LANES) * LANES)
}

/// Where each tap (c, ky, kx) starts reading in one image.
fn shifts(geom: &ConvGeometry) -> Vec<usize> {
    let ((h, w), (kh, kw)) = (geom.input, geom.kernel);
    let mut s = Vec::with_capacity(geom.channels * kh * kw);
    for c in 0..geom.channels {
        for ky in 0..kh {
            for kx in 0..kw {
                s.push(c * h * w + ky * w + kx);
            }
        }
    }
    s
}

/// The values `x[at..at + len]` (len ≤ 16) in a register, zeros after.
///
/// # Safety
/// `at + len <= x.len()`: the callers check it once for the whole loop.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_at(x: &[f32], at: usize, len: usize) -> __m512 {
    // SAFETY: the lanes of `lane_mask(len)` are in bounds by the contract.
    unsafe { load_masked_unchecked(x, at, lane_mask(len)) }
}

/// The output channels in register blocks: (first channel, length).
fn blocks(channels: usize) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut o0 = 0;
    while o0 < channels {
        let len = block_len(channels - o0);
        blocks.push((o0, len));
        o0 += len;
    }
    blocks
}

/// The weights [O, taps] regrouped by register block, tap-major inside a
/// block: block (o0, len) holds, for each tap t, w[o0..o0 + len, t], so
/// that the forward reads one tap's weights of the block together.
fn weights_by_block(w: &[f32], taps: usize, blocks: &[(usize, usize)]) -> Vec<f32> {
    let mut out = Vec::with_capacity(w.len());
    for &(o0, len) in blocks {
        for t in 0..taps {
            out.extend((o0..o0 + len).map(|o| w[o * taps + t]));
        }
    }
    out
}

/// Output channels o0..o0+OB of one image on the wide grid: `wide[r·lp + q]`,
/// from the block's weights `w` (tap-major: see [`weights_by_block`]).
#[inline]
#[target_feature(enable = "avx512f")]
fn forward_block<const OB: usize>(
    x: &[f32],
    w: &[f32],
    shifts: &[usize],
    o0: usize,
    (l, lp): (usize, usize),
    wide: &mut [f32],
) {
    // Every tap reads x[shift..shift + l]: checked once here.
    assert!(
        shifts.iter().all(|&shift| shift + l <= x.len()),
        "direct conv2d: input too short"
    );
    assert_eq!(w.len(), OB * shifts.len(), "direct conv2d: block weights");
    for q0 in (0..l).step_by(LANES) {
        let len = LANES.min(l - q0);
        let mut acc = [_mm512_setzero_ps(); OB];
        for (&shift, w_tap) in shifts.iter().zip(w.chunks_exact(OB)) {
            // SAFETY: shift + q0 + len ≤ shift + l ≤ x.len() (asserted).
            let src = unsafe { load_at(x, shift + q0, len) };
            for (a, &wv) in acc.iter_mut().zip(w_tap) {
                *a = _mm512_fmadd_ps(_mm512_set1_ps(wv), src, *a);
            }
        }
        for (r, &a) in acc.iter().enumerate() {
            store(&mut wide[(o0 + r) * lp + q0..][..LANES], a);
        }
    }
}

/// The forward of one image on the wide grid: `wide_buf` [O, lp] from `x`
/// [C, H, W], with the weights regrouped by [`weights_by_block`] for
/// `blocks`.
#[target_feature(enable = "avx512f")]
fn forward_image(
    geom: &ConvGeometry,
    (x, w): (&[f32], &[f32]),
    (shifts, blocks): (&[usize], &[(usize, usize)]),
    wide_buf: &mut [f32],
) {
    let (_, l, lp) = wide(geom);
    let taps = shifts.len();
    for &(o0, len) in blocks {
        let (w, dims) = (&w[o0 * taps..(o0 + len) * taps], (l, lp));
        with_block!(len, forward_block(x, w, shifts, o0, dims, wide_buf));
    }
}

/// Output channel `r`'s plane [oh, ow] of one image's wide grid: the
/// padding positions (x ≥ ow) dropped and the bias added.
fn plane_from_wide(geom: &ConvGeometry, wide_buf: &[f32], r: usize, b: f32, plane: &mut [f32]) {
    let (width, _, lp) = wide(geom);
    for (y, row) in plane.chunks_exact_mut(geom.output.1).enumerate() {
        let src = &wide_buf[r * lp + y * width..][..row.len()];
        row.iter_mut().zip(src).for_each(|(d, &s)| *d = s + b);
    }
}

/// What [`forward`] and [`forward_planes`] share: the checked sizes, the
/// tap shifts, the register blocks and the weights regrouped for them.
struct Plan {
    image: usize,
    o: usize,
    lp: usize,
    shifts: Vec<usize>,
    blocks: Vec<(usize, usize)>,
    w: Vec<f32>,
}

impl Plan {
    /// For `x` [S, C, H, W] and `w` [O, C·kh·kw] with `planes` output
    /// planes in all. Panics unless [`applies`] holds and the sizes agree.
    fn new(geom: &ConvGeometry, x: &[f32], w: &[f32], planes: usize) -> Self {
        assert!(
            applies(geom, 1),
            "direct conv2d: geometry {geom:?} not supported"
        );
        let image = geom.channels * geom.input.0 * geom.input.1;
        let taps = geom.channels * geom.kernel.0 * geom.kernel.1;
        let o = w.len() / taps;
        assert!(
            w.len() == o * taps && planes.is_multiple_of(o),
            "direct conv2d: weight of {} elements and {planes} output planes for {o} channels",
            w.len(),
        );
        assert_eq!(x.len(), planes / o * image, "direct conv2d: input length");
        let blocks = blocks(o);
        Plan {
            image,
            o,
            lp: wide(geom).2,
            shifts: shifts(geom),
            w: weights_by_block(w, taps, &blocks),
            blocks,
        }
    }

    /// Sample `s`'s output on the wide grid, into `wide_buf` [O, lp].
    fn wide_image(&self, geom: &ConvGeometry, x: &[f32], s: usize, wide_buf: &mut [f32]) {
        let x_s = &x[s * self.image..(s + 1) * self.image];
        let plan = (&self.shifts[..], &self.blocks[..]);
        // SAFETY: `Plan::new` checked (`applies`) that the CPU has AVX-512F.
        unsafe { forward_image(geom, (x_s, &self.w), plan, wide_buf) };
    }
}

/// The forward of whole images: `out` [S, O, oh, ow] from `x` [S, C, H, W]
/// and `w` [O, C·kh·kw]. Panics unless [`applies`] holds.
pub(crate) fn forward(
    geom: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let plane_len = geom.output.0 * geom.output.1;
    assert!(
        out.len().is_multiple_of(plane_len),
        "direct conv2d: output of {} elements for {plane_len}-element planes",
        out.len()
    );
    let plan = Plan::new(geom, x, w, out.len() / plane_len);
    let mut wide_buf = vec![0.0f32; plan.o * plan.lp];
    for (s, out_s) in out.chunks_exact_mut(plan.o * plane_len).enumerate() {
        plan.wide_image(geom, x, s, &mut wide_buf);
        for (r, plane) in out_s.chunks_exact_mut(plane_len).enumerate() {
            plane_from_wide(geom, &wide_buf, r, bias.map_or(0.0, |b| b[r]), plane);
        }
    }
}

/// The forward of whole images a plane at a time: for each sample `s` of
/// `x` [S, C, H, W] and output channel `r`, calls `each(s, r, plane)` with
/// the plane [oh, ow] (the bias added) in a scratch buffer the next call
/// overwrites, so that the whole output never exists (a max pooling of it,
/// `conv2d_max_pool2d`, reads each plane while it is in cache). Panics
/// unless [`applies`] holds.
pub(crate) fn forward_planes(
    geom: &ConvGeometry,
    (x, w, bias): (&[f32], &[f32], Option<&[f32]>),
    samples: usize,
    mut each: impl FnMut(usize, usize, &[f32]),
) {
    let o = w.len() / (geom.channels * geom.kernel.0 * geom.kernel.1).max(1);
    let plan = Plan::new(geom, x, w, samples * o);
    let mut wide_buf = vec![0.0f32; plan.o * plan.lp];
    let mut plane = vec![0.0f32; geom.output.0 * geom.output.1];
    for s in 0..samples {
        plan.wide_image(geom, x, s, &mut wide_buf);
        for r in 0..plan.o {
            plane_from_wide(geom, &wide_buf, r, bias.map_or(0.0, |b| b[r]), &mut plane);
            each(s, r, &plane);
        }
    }
}

/// For each register of positions q0..q0+16 of the wide grid, the lanes
/// that are real outputs (q < L and x = q mod W < ow). The weight gradient
/// reads the input only there: a padding position has dY = 0, but the input
/// pixel it would pair with may be infinite or NaN, and 0·∞ is NaN where
/// im2col + GEMM (and the definition) have no term at all.
fn valid_masks(geom: &ConvGeometry) -> Vec<__mmask16> {
    let (width, l, lp) = wide(geom);
    let ow = geom.output.1;
    (0..lp / LANES)
        .map(|chunk| {
            (0..LANES)
                .map(|lane| chunk * LANES + lane)
                .enumerate()
                .filter(|&(_, q)| q < l && q % width < ow)
                .fold(0u16, |m, (lane, _)| m | (1 << lane))
        })
        .collect()
}

/// `dst` = `src` (equal lengths), register by register: the rows are short
/// (24 values in the seed network), and a call to `memcpy` per row cost
/// more than the copy.
#[inline]
#[target_feature(enable = "avx512f")]
fn copy(src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "direct conv2d: copy lengths");
    for (d, s) in dst.chunks_mut(LANES).zip(src.chunks(LANES)) {
        store(d, load(s));
    }
}

/// The weight gradient of one image, added into `gw` [O, taps], by the
/// blocks of output channels `blocks` ([`blocks`]).
#[target_feature(enable = "avx512f")]
fn weight_image(
    geom: &ConvGeometry,
    (gy, x): (&[f32], &[f32]),
    (shifts, valid, blocks): (&[usize], &[__mmask16], &[(usize, usize)]),
    gw: &mut [f32],
    g_wide: &mut [f32],
) {
    let (width, l, lp) = wide(geom);
    let (oh, ow) = geom.output;
    let taps = shifts.len();
    // dY on the wide grid. Only the real positions are written: the
    // padding positions keep the zeros `g_wide` was created with.
    for (plane, wide_row) in gy.chunks_exact(oh * ow).zip(g_wide.chunks_exact_mut(lp)) {
        for (y, row) in plane.chunks_exact(ow).enumerate() {
            copy(row, &mut wide_row[y * width..y * width + ow]);
        }
    }
    for &(o0, len) in blocks {
        let rows = (
            &g_wide[o0 * lp..(o0 + len) * lp],
            &mut gw[o0 * taps..(o0 + len) * taps],
        );
        with_block!(len, weight_channels(rows, x, shifts, (l, lp, valid)));
    }
}

/// The weight gradient of one image for a block of OB output channels
/// (`g_rows`: their rows of dY on the wide grid; `gw_rows`: their rows of
/// dW), two taps at a time: each vector of the input loaded serves OB
/// channels, each vector of dY two taps.
#[inline]
#[target_feature(enable = "avx512f")]
fn weight_channels<const OB: usize>(
    (g_rows, gw_rows): (&[f32], &mut [f32]),
    x: &[f32],
    shifts: &[usize],
    (l, lp, valid): (usize, usize, &[__mmask16]),
) {
    for t0 in (0..shifts.len()).step_by(2) {
        let (rows, sizes) = ((g_rows, &mut *gw_rows), (l, lp, valid));
        match &shifts[t0..] {
            [_] => weight_tile::<OB, 1>(rows, x, &shifts[t0..], sizes, t0),
            _ => weight_tile::<OB, 2>(rows, x, &shifts[t0..t0 + 2], sizes, t0),
        }
    }
}

/// dW[r, t0 + t] += Σ_q dY_wide[r, q] · X[shift(t) + q] for OB channels r
/// and TB taps t of one image, over the real output positions.
///
/// One array of OB sums per tap, and not inlined: with the sums as one
/// `[[_; TB]; OB]` array (inlined into [`weight_image`] or not), LLVM kept
/// some of the sums of a 10 × 2 tile on the stack (a load and a store
/// around each of their multiply-adds) with registers to spare; with an
/// array per tap it keeps them in registers, and inlined that version
/// came out slower (`results/kernel-ab/`).
#[inline(never)]
#[target_feature(enable = "avx512f")]
fn weight_tile<const OB: usize, const TB: usize>(
    (g_rows, gw_rows): (&[f32], &mut [f32]),
    x: &[f32],
    shifts: &[usize],
    (l, lp, valid): (usize, usize, &[__mmask16]),
    t0: usize,
) {
    let taps = gw_rows.len() / OB;
    assert!(
        shifts.len() == TB && shifts.iter().all(|&shift| shift + l <= x.len()),
        "direct conv2d: input too short"
    );
    assert!(
        g_rows.len() == OB * lp && lp >= l.div_ceil(LANES) * LANES,
        "direct conv2d: gradient rows too short"
    );
    let mut acc = [[_mm512_setzero_ps(); OB]; TB];
    for (q0, &mask) in (0..l).step_by(LANES).zip(valid) {
        // SAFETY: the lanes of `mask` are positions q < l, and
        // shift + l ≤ x.len() (asserted).
        let xs: [__m512; TB] =
            std::array::from_fn(|t| unsafe { load_masked_unchecked(x, shifts[t] + q0, mask) });
        #[allow(clippy::needless_range_loop)]
        for r in 0..OB {
            // SAFETY: r·lp + q0 + 16 ≤ OB·lp (asserted: rows are padded).
            let g = unsafe { load_at(g_rows, r * lp + q0, LANES) };
            for t in 0..TB {
                acc[t][r] = _mm512_fmadd_ps(g, xs[t], acc[t][r]);
            }
        }
    }
    for (t, sums) in acc.iter().enumerate() {
        for (r, &a) in sums.iter().enumerate() {
            gw_rows[r * taps + t0 + t] += _mm512_reduce_add_ps(a);
        }
    }
}

/// Adds the weight gradient of whole images into `gw` [O, C·kh·kw]: `gy`
/// [S, O, oh, ow], `x` [S, C, H, W]. Panics unless [`applies`] holds.
pub(crate) fn weight_grad(geom: &ConvGeometry, gy: &[f32], x: &[f32], gw: &mut [f32]) {
    assert!(
        applies(geom, 1),
        "direct conv2d: geometry {geom:?} not supported"
    );
    let (oh, ow) = geom.output;
    let image = geom.channels * geom.input.0 * geom.input.1;
    let taps = geom.channels * geom.kernel.0 * geom.kernel.1;
    let o = gw.len() / taps;
    assert!(
        gw.len() == o * taps && gy.len().is_multiple_of(o * oh * ow),
        "direct conv2d: weight gradient of {} and output gradient of {} elements for {o} channels",
        gw.len(),
        gy.len()
    );
    assert_eq!(
        x.len(),
        gy.len() / (o * oh * ow) * image,
        "direct conv2d: input length"
    );
    let (_, _, lp) = wide(geom);
    let (shifts, valid, blocks) = (shifts(geom), valid_masks(geom), blocks(o));
    let mut g_wide = vec![0.0f32; o * lp];
    for (s, gy_s) in gy.chunks_exact(o * oh * ow).enumerate() {
        let x_s = &x[s * image..(s + 1) * image];
        let plan = (&shifts[..], &valid[..], &blocks[..]);
        // SAFETY: `applies` checked that the CPU has AVX-512F.
        unsafe { weight_image(geom, (gy_s, x_s), plan, gw, &mut g_wide) };
    }
}
