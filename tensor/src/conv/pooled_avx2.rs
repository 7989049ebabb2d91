//! The f32 weight gradient of a convolution under a max pooling
//! ([`super::pooled`]) with AVX2 and FMA, for the winners whose window lies
//! inside the image.
//!
//! A window row of at most 8 taps (dilation 1 along it) is one 8-lane
//! register, loaded under a mask of its `kw` lanes (loading 8 lanes whole
//! where that stays inside the input made no difference we could
//! measure). For a block of window rows `r = (c, i)` of output channel
//! `o`, each row's sums stay in a register while the pass streams the
//! channel's winners:
//!
//! ```text
//! sums[r] += dL/dY[n, o, p] · X[corner(n, p) + offset(r) .. + kw]
//! offset(c, i) = c·H·W + i·dh·W
//! ```
//!
//! Two winners at a time, each with its own registers, so that the sums of
//! consecutive winners do not wait on one another (a multiply-add's
//! latency is four of its issue slots); the two are added at the end.
//! The order is fixed by the winners' order, not by the thread count.

use super::pooled::{Sizes, AT_THE_BORDER};
use std::arch::x86_64::{
    __m256, __m256i, _mm256_add_ps, _mm256_fmadd_ps, _mm256_loadu_si256, _mm256_maskload_ps,
    _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

/// f32 lanes of one AVX2 register: the longest window row served.
const LANES: usize = 8;

/// Window rows per pass: two winners' sums for six rows are twelve of the
/// sixteen registers.
const MAX_ROWS: usize = 6;

/// Whether this kernel serves the geometry on this CPU.
fn applies(s: &Sizes) -> bool {
    s.kernel.1 <= LANES
        && s.params.dilation.1 == 1
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
}

/// Adds to `gw_o` (output channel `o`'s `[C/groups, kh, kw]`) the terms of
/// its winners whose window lies inside the image (`corners`, from
/// [`Sizes::inside_corners`]), and returns true; or returns false, having
/// done nothing, where the kernel does not apply.
pub(super) fn weight_grad_channel(
    s: &Sizes,
    o: usize,
    (gy, indices): (&[f32], &[usize]),
    x: &[f32],
    corners: &[usize],
    gw_o: &mut [f32],
) -> bool {
    if !applies(s) {
        return false;
    }
    let (((kh, kw), (_, w)), hw) = ((s.kernel, s.input), s.hw());
    let first_channel = (o / s.og) * s.cg;
    // Sample n's winners: their gradients, their positions, and where the
    // sample's first input channel of o's group starts in x.
    let samples: Vec<Winners> = (0..s.n)
        .map(|n| {
            let plane = (n * s.o + o) * s.pooled..(n * s.o + o + 1) * s.pooled;
            Winners {
                gy: &gy[plane.clone()],
                indices: &indices[plane],
                start: (n * s.c + first_channel) * hw,
            }
        })
        .collect();
    let offsets: Vec<usize> = (0..s.cg)
        .flat_map(|c| (0..kh).map(move |i| c * hw + i * s.params.dilation.0 * w))
        .collect();
    // Every load reads x[start + corner + offset + l] for l < kw: in
    // bounds, since the window lies in its plane; asserted here for the
    // last sample, the largest corner and the largest offset.
    let far = corners.iter().filter(|&&c| c != AT_THE_BORDER).max();
    if let (Some(last), Some(&far), Some(&offset)) = (samples.last(), far, offsets.last()) {
        assert!(
            last.start + far + offset + kw <= x.len(),
            "conv2d_max_pool2d_backward_weight: a window past the input's {} elements",
            x.len()
        );
    }
    let mask: [i32; LANES] = std::array::from_fn(|l| if l < kw { -1 } else { 0 });
    let rows = offsets.chunks(MAX_ROWS).zip(gw_o.chunks_mut(MAX_ROWS * kw));
    for (block, sums) in rows {
        let args = &Block {
            samples: &samples,
            corners,
            offsets: block,
            x,
            mask: &mask,
        };
        // SAFETY: `applies` checked AVX2 and FMA; the loads are in bounds
        // (asserted above) and `sums` holds `block.len()` rows of `kw`.
        unsafe {
            match block.len() {
                1 => rows_block::<1>(args, sums),
                2 => rows_block::<2>(args, sums),
                3 => rows_block::<3>(args, sums),
                4 => rows_block::<4>(args, sums),
                5 => rows_block::<5>(args, sums),
                _ => rows_block::<MAX_ROWS>(args, sums),
            }
        }
    }
    true
}

/// One sample's winners of one output channel.
struct Winners<'a> {
    /// dL/d(pooled) of each.
    gy: &'a [f32],
    /// Each one's position in the convolution's output plane.
    indices: &'a [usize],
    /// Where the sample's first input channel of the group starts in x.
    start: usize,
}

/// What a pass over one block of window rows reads.
struct Block<'a> {
    /// Each sample's winners.
    samples: &'a [Winners<'a>],
    /// [`Sizes::inside_corners`].
    corners: &'a [usize],
    /// The block's window rows: their offsets from a window's corner.
    offsets: &'a [usize],
    /// The input, `[N, C, H, W]`.
    x: &'a [f32],
    /// −1 in the first `kw` lanes, 0 after.
    mask: &'a [i32; LANES],
}

/// Adds to `sums` (`R` window rows of `kw` taps) the terms of the winners
/// inside the image for the block's rows.
///
/// # Safety
/// The CPU has AVX2 and FMA; `b.offsets.len() == R`; for every sample's
/// `start`, every corner other than [`AT_THE_BORDER`] and every offset,
/// `x[start + corner + offset .. + kw]` is in bounds; `sums.len() == R·kw`
/// with `kw` the count of set lanes of `mask` (at most 8, the first ones).
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_block<const R: usize>(b: &Block<'_>, sums: &mut [f32]) {
    let kw = sums.len() / R;
    // SAFETY: `mask` holds 8 i32, one register's worth.
    let mask: __m256i = unsafe { _mm256_loadu_si256(b.mask.as_ptr().cast()) };
    let offsets: [usize; R] = std::array::from_fn(|r| b.offsets[r]);
    let (x, corners) = (b.x, b.corners);
    // Adds g times the window rows at `at` to `acc`.
    let add = |acc: &mut [__m256; R], g: f32, at: usize| {
        let g = _mm256_set1_ps(g);
        for (a, off) in acc.iter_mut().zip(offsets) {
            // SAFETY: the masked lanes are x[at + off .. + kw], in bounds
            // by the contract; the others are not read.
            let v = unsafe { _mm256_maskload_ps(x.as_ptr().add(at + off), mask) };
            *a = _mm256_fmadd_ps(g, v, *a);
        }
    };
    let mut even: [__m256; R] = [_mm256_setzero_ps(); R];
    let mut odd: [__m256; R] = [_mm256_setzero_ps(); R];
    for sample in b.samples {
        let pairs = sample
            .gy
            .chunks_exact(2)
            .zip(sample.indices.chunks_exact(2));
        for (g, q) in pairs {
            let (c0, c1) = (corners[q[0]], corners[q[1]]);
            if c0 != AT_THE_BORDER {
                add(&mut even, g[0], sample.start + c0);
            }
            if c1 != AT_THE_BORDER {
                add(&mut odd, g[1], sample.start + c1);
            }
        }
        if let (Some(&g), Some(&q)) = (
            sample.gy.chunks_exact(2).remainder().first(),
            sample.indices.chunks_exact(2).remainder().first(),
        ) {
            if corners[q] != AT_THE_BORDER {
                add(&mut even, g, sample.start + corners[q]);
            }
        }
    }
    for (r, row) in sums.chunks_exact_mut(kw).enumerate() {
        let mut lanes = [0.0f32; LANES];
        // SAFETY: `lanes` holds 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(even[r], odd[r])) };
        row.iter_mut().zip(lanes).for_each(|(s, l)| *s += l);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::super::pooled::Sizes;
    use super::weight_grad_channel;
    use crate::conv::Conv2dParams;

    /// A copy of some f32 that ends exactly where an unreadable page
    /// begins, so that a load past its end faults (the test process dies)
    /// instead of reading whatever follows.
    struct Guarded {
        base: *mut libc::c_void,
        total: usize,
        len: usize,
        data: *const f32,
    }

    impl Guarded {
        fn new(values: &[f32]) -> Self {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
            let pages = (4 * values.len()).div_ceil(page).max(1);
            let total = (pages + 1) * page;
            // SAFETY: a fresh anonymous private mapping; the result is
            // checked before use.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    total,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(base, libc::MAP_FAILED, "mmap failed");
            // SAFETY: the last page lies inside the mapping just made;
            // `data` starts `values.len()` f32 before it, inside the
            // writable pages (4·len ≤ pages·page), and is f32-aligned
            // (the page is, and 4 divides the distance).
            unsafe {
                let guard = base.cast::<u8>().add(pages * page);
                assert_eq!(libc::mprotect(guard.cast(), page, libc::PROT_NONE), 0);
                let data = guard.cast::<f32>().sub(values.len());
                std::ptr::copy_nonoverlapping(values.as_ptr(), data, values.len());
                Guarded {
                    base,
                    total,
                    len: values.len(),
                    data,
                }
            }
        }

        fn as_slice(&self) -> &[f32] {
            // SAFETY: `len` f32 were written at `data` and stay mapped
            // until `self` is dropped.
            unsafe { std::slice::from_raw_parts(self.data, self.len) }
        }
    }

    impl Drop for Guarded {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly the mapping `new` made.
            unsafe { libc::munmap(self.base, self.total) };
        }
    }

    /// Every window of a convolution (a 1×1 "pooling" whose winners are
    /// all of its outputs), the input ending at an unreadable page: the
    /// kernel's loads stay inside the input (an earlier version loaded 8
    /// lanes whole past a 3×3 image's end), and its sums are the plain
    /// ones.
    #[test]
    fn loads_stay_inside_an_input_that_ends_at_an_unreadable_page() {
        let shapes = [
            ((3, 3), (3, 3), 1),
            ((5, 7), (2, 7), 1),
            ((4, 4), (4, 1), 2),
            ((6, 5), (3, 5), 3),
        ];
        for ((h, w), (kh, kw), c) in shapes {
            let params = Conv2dParams::default();
            let (oh, ow) = (h - kh + 1, w - kw + 1);
            let values: Vec<f32> = (0..c * h * w).map(|v| (v % 7) as f32 - 3.0).collect();
            let x = Guarded::new(&values);
            let indices: Vec<usize> = (0..oh * ow).collect();
            let gy: Vec<f32> = (0..oh * ow).map(|v| 1.0 + v as f32).collect();
            let s = Sizes::new(
                "test",
                &[1, c, h, w],
                &[1, c, kh, kw],
                &[1, 1, oh, ow],
                &indices,
                &params,
            );
            let corners = s.inside_corners();
            let mut gw = vec![0.0f32; c * kh * kw];
            if !weight_grad_channel(&s, 0, (&gy, &indices), x.as_slice(), &corners, &mut gw) {
                return; // No AVX2 and FMA here: nothing to test.
            }
            for (tap, &got) in gw.iter().enumerate() {
                let (ci, i, j) = (tap / (kh * kw), tap / kw % kh, tap % kw);
                let want: f32 = (0..oh * ow)
                    .map(|q| gy[q] * values[ci * h * w + (q / ow + i) * w + q % ow + j])
                    .sum();
                assert!(
                    (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "tap {tap}: {got} against {want}"
                );
            }
        }
    }
}
