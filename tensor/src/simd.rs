//! AVX-512 helpers shared by the hand-vectorised f32 kernels (the direct
//! convolution here, the synapse kernels of `synann`): loads and stores of
//! up to 16 f32 between slices and registers, bounds-checked by the slice.
//!
//! Whole vectors go without a mask, since masked loads and stores are
//! slower on some CPUs (on our AMD machine a masked store cost a quarter
//! of a kernel's time); only a last, short piece uses one.

use std::arch::x86_64::{
    __m512, __mmask16, _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps,
    _mm512_storeu_ps,
};

/// f32 lanes of one AVX-512 register.
pub const LANES: usize = 16;

/// The register block for `remaining` rows (output channels, taps, rows of
/// a matrix): 12, 10, 8, 6, 4, 2 or 1. Kernels that keep one register per
/// row of a block are compiled once per length (`with_block!`), so that
/// the block stays in registers. Large blocks keep more independent
/// chains of fused multiply-adds going and load each vector they share for
/// more of them (the seed network's 10 channels are one block of 10: as
/// 8 + 2, the block of 2 waited on its two chains).
pub fn block_len(remaining: usize) -> usize {
    match remaining {
        12.. => 12,
        10..=11 => 10,
        8..=9 => 8,
        6..=7 => 6,
        4..=5 => 4,
        2..=3 => 2,
        _ => 1,
    }
}

/// Runs `$kernel::<B>(args…)` for the block length `$len` (one of
/// [`block_len`]'s).
macro_rules! with_block {
    ($len:expr, $kernel:ident($($arg:expr),*)) => {
        match $len {
            12 => $kernel::<12>($($arg),*),
            10 => $kernel::<10>($($arg),*),
            8 => $kernel::<8>($($arg),*),
            6 => $kernel::<6>($($arg),*),
            4 => $kernel::<4>($($arg),*),
            2 => $kernel::<2>($($arg),*),
            _ => $kernel::<1>($($arg),*),
        }
    };
}
pub(crate) use with_block;

/// The mask of the first `len` lanes (all 16 when `len` ≥ 16).
#[inline(always)]
pub fn lane_mask(len: usize) -> __mmask16 {
    if len >= LANES {
        u16::MAX
    } else {
        (1u16 << len) - 1
    }
}

/// The first values of `s` (at most 16) in the first lanes, zeros after.
///
/// # Safety
/// The CPU must support AVX-512F (callers inside a function compiled with
/// `avx512f` call it without `unsafe`).
#[inline]
#[target_feature(enable = "avx512f")]
pub fn load(s: &[f32]) -> __m512 {
    if s.len() >= LANES {
        // SAFETY: `s` holds at least the 16 values an unaligned load reads.
        unsafe { _mm512_loadu_ps(s.as_ptr()) }
    } else {
        // SAFETY: the masked load reads only the first `s.len()` lanes.
        unsafe { _mm512_maskz_loadu_ps(lane_mask(s.len()), s.as_ptr()) }
    }
}

/// The lanes of `mask` read from `x[at..]`, zeros in the others, with no
/// bounds check: for hot loops whose bounds the caller checked once.
/// Whole vectors (a full mask) load without a mask.
///
/// # Safety
/// The CPU must support AVX-512F, and `at + l < x.len()` for every lane
/// `l` set in `mask`.
#[inline]
#[target_feature(enable = "avx512f")]
pub unsafe fn load_masked_unchecked(x: &[f32], at: usize, mask: __mmask16) -> __m512 {
    debug_assert!((0..LANES).all(|l| mask & (1 << l) == 0 || at + l < x.len()));
    // SAFETY: every lane read is in bounds by the contract.
    unsafe {
        let p = x.as_ptr().add(at);
        if mask == u16::MAX {
            _mm512_loadu_ps(p)
        } else {
            _mm512_maskz_loadu_ps(mask, p)
        }
    }
}

/// Writes the first `s.len()` (at most 16) lanes of `v` into `s`.
///
/// # Safety
/// The CPU must support AVX-512F (callers inside a function compiled with
/// `avx512f` call it without `unsafe`).
#[inline]
#[target_feature(enable = "avx512f")]
pub fn store(s: &mut [f32], v: __m512) {
    if s.len() >= LANES {
        // SAFETY: `s` holds at least the 16 values an unaligned store writes.
        unsafe { _mm512_storeu_ps(s.as_mut_ptr(), v) }
    } else {
        // SAFETY: the masked store writes only the first `s.len()` lanes.
        unsafe { _mm512_mask_storeu_ps(s.as_mut_ptr(), lane_mask(s.len()), v) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_stores_whole_and_short_pieces() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let src: Vec<f32> = (0..20).map(|v| v as f32).collect();
        for len in [0, 1, 7, 15, 16, 20] {
            let mut dst = [-1.0f32; 20];
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe {
                let v = load(&src[..len]);
                store(&mut dst[..len.min(16)], v);
            }
            let n = len.min(16);
            assert_eq!(&dst[..n], &src[..n], "len {len}");
            assert!(
                dst[n..].iter().all(|&v| v == -1.0),
                "len {len}: wrote past the end"
            );
        }
        // SAFETY: AVX-512F (checked above); lanes 0, 2 and 19 − 16 = 3 of
        // x[16..] are in bounds.
        let v = unsafe { load_masked_unchecked(&src, 16, 0b1101) };
        let mut out = [0.0f32; 16];
        // SAFETY: as above.
        unsafe { store(&mut out, v) };
        assert_eq!(&out[..5], &[16.0, 0.0, 18.0, 19.0, 0.0]);
        assert_eq!(lane_mask(3), 0b111);
        assert_eq!(lane_mask(16), u16::MAX);
    }
}
