//! The f32 forward, computed in f64: plain products of exact factors.
//!
//! **Why f64.** The product of two f32 values has at most 48 significant
//! bits, so in f64 the term z = b·x is *exact*, and the factor
//! f = 1 − z is rounded once, by at most 2⁻⁵³ relative (when z ≥ ½,
//! Sterbenz's lemma makes the subtraction exact). A running product of
//! such factors rounds by 2⁻⁵³ per multiplication, so after n factors the
//! logarithm of the product is off by at most about 2n·2⁻⁵³ (2·10⁻¹³ at
//! n = 784) — far below the half unit in the last place of the f32 result
//! (2⁻²⁵·|y|) for every |y| above about 10⁻⁵. The f32 kernel therefore
//! needs neither the compensated products of the f64 kernel
//! ([`portable`](super::portable)) nor a logarithm per term (PyTorch's
//! way), and its result is nearly always the f32 rounding of the exact one.
//! It costs two vector operations per factor (one fused multiply-add for
//! 1 − b·x, which gives the same bits as a multiplication and a subtraction
//! since b·x is exact, and one multiplication into the product), on half as
//! many lanes per register as f32: on our AVX2 machine it is faster than
//! the compensated f32 loop it replaced (`synapse_n784_fwd` in the bench
//! tables of `docs/PERFORMANCE.md`).
//!
//! **Lanes and tiles.** Each (k, i) pair keeps [`LANES`] running products
//! (lane l takes every j ≡ l mod LANES: one AVX-512 register of f64, two
//! AVX2 ones), and [`ROWS`] rows of X go down a row of B together, so that
//! every value of B loaded serves four pairs and four chains of
//! multiplications overlap; each group of rows goes down the whole of B
//! while its rows stay in L1 cache. X is widened to f64 once per task; B
//! stays f32 in memory (half the bytes to stream) and each value is
//! widened as it is loaded, exactly. The loop ([`PairLoop`]) is plain Rust
//! on fixed-size arrays ([`Portable`]), compiled for the baseline and AVX2
//! by `#[target_feature]` and vectorised by LLVM; the AVX-512 build states
//! the same loop with intrinsics (`avx512::Zmm`), because LLVM vectorised
//! the plain one badly there. All builds run the same operations in the
//! same order and give the same bits.
//!
//! **Range.** After every block of [`BLOCK`] factors (32 per lane) each
//! lane is checked: one outside [2⁻⁶⁰, 2⁶⁰] is *flushed* (its logarithm
//! added to the pair's sum, the lane reset to 1), so the eight lanes
//! multiply at the end into a normal f64 in [2⁻⁴⁸⁰, 2⁴⁸⁰]. A lane that left
//! [2⁻¹⁰⁰⁰, 2¹⁰⁰⁰] (a factor near 0, a huge one, or a NaN) sends the pair to
//! the exact path. (A lane that dips into the subnormals inside a block and
//! climbs back above 2⁻¹⁰⁰⁰ would lose digits silently: that takes factors
//! beyond 10⁹ in size, far outside a synapse's domain.)
//!
//! **Clamping, and the exact path.** The f32 kernels clamp a factor where
//! the f32 product fl(b·x) is at least 1 (then 1 − fl(b·x) ≤ 0 is below
//! [`FACTOR_FLOOR`]; below 1 it is at least 2⁻²⁴, far above the floor).
//! Most pairs cannot clamp, and we know it before multiplying: with
//! r_B = max_j |B[i, j]| and r_X = max_j |X[k, j]| (their *reach*, computed
//! once per row), every |b·x| ≤ r_B·r_X, so if r_B·r_X < 1 − 2⁻²⁵ no
//! factor of the pair rounds to a product of 1, and every factor is above
//! 2⁻²⁵. Such pairs (in `SynapseRNN`, where B and the state are in
//! (0, 1), all of them unless a sigmoid saturates to 1 in f32) run the
//! loop with nothing else to check. Otherwise (a reach
//! of 1 or more, an infinity or a NaN) the loop also keeps the smallest
//! factor of each lane, and a pair with a factor below 2⁻²⁴ goes to the
//! exact path: one `ln_1p` per term in f64, the clamp rule applied term by
//! term, the clamped terms counted. That is the reference formula, so a
//! clamped or NaN-carrying pair gets the reference's answer.
//!
//! **The last logarithm.** Each pair ends with one logarithm of its
//! product. Rather than a library call per pair, the products of a whole
//! task are taken at once by [`ln_product`], a branch-free polynomial that
//! the compiler vectorises (about 2⁻³⁴ relative, enough for an f32 result).

use super::Isa;
use crate::ops::FACTOR_FLOOR;
use std::ops::Range;

/// f64 lanes of one (k, i) pair.
pub const LANES: usize = 8;
/// Rows of X multiplied against one row of B together (a tile's last
/// group may be shorter: `forward_tile` handles 1 to 3 rows).
pub const ROWS: usize = 4;
/// Factors of a pair between two range checks.
pub const BLOCK: usize = LANES * 32;

/// A lane in [LO, HI] keeps multiplying; eight of them multiply into a
/// normal number.
pub(super) const LO: f64 = 1.0 / (1u64 << 60) as f64;
pub(super) const HI: f64 = (1u64 << 60) as f64;
/// A lane in [SAFE_LO, SAFE_HI] but outside [LO, HI] is flushed; outside,
/// the pair goes to the exact path.
const SAFE_LO: f64 = 9.332636185032189e-302; // 2⁻¹⁰⁰⁰
const SAFE_HI: f64 = 1.0715086071862673e301; // 2¹⁰⁰⁰
/// A pair whose reach product is below this cannot clamp (1 − 2⁻²⁵).
const SAFE_REACH: f64 = 1.0 - 1.0 / (1u64 << 25) as f64;
/// A guarded pair with a factor below this takes the exact path (2⁻²⁴).
const SMALL_FACTOR: f64 = 1.0 / (1u64 << 24) as f64;

/// The reach of a row, max_j |v_j|: the bound on the terms b·x that decides
/// whether a pair can clamp. A NaN gives +∞ (such a row is always guarded).
///
/// Eight running maxima, one per lane, and a separate flag for NaN, so
/// that the loop has no chain of dependent comparisons and vectorises:
/// every call scans all rows of B and X, and a scalar fold through
/// `f64::max` (a compare, a NaN test and a select per element, each
/// waiting for the last) showed in the profile of small calls (n = 128).
#[inline(always)]
pub(super) fn reach<T: Copy + Into<f64>>(row: &[T]) -> f64 {
    const W: usize = 8;
    let mut most = [0.0f64; W];
    let mut nan = false;
    let mut take = |l: usize, v: T| {
        let a = v.into().abs();
        nan |= a.is_nan();
        // (A NaN compares false and leaves the lane as it was.)
        most[l] = if a > most[l] { a } else { most[l] };
    };
    let mut chunks = row.chunks_exact(W);
    for chunk in &mut chunks {
        for (l, &v) in chunk.iter().enumerate() {
            take(l, v);
        }
    }
    for (l, &v) in chunks.remainder().iter().enumerate() {
        take(l, v);
    }
    if nan {
        f64::INFINITY
    } else {
        most.iter().fold(0.0, |r, &a| if a > r { a } else { r })
    }
}

/// The reaches of single columns of a row-major matrix with `n` columns:
/// max_i |v[i, j]| for each column j of `cols`, +∞ for a column holding a
/// NaN. Groups of columns take their reach from these ([`max_reach`]).
///
/// Computed on the bits: for numbers, |v|'s bits (the sign cleared) order
/// as |v| does, and a NaN's lie above +∞'s, so one running integer maximum
/// per column (a loop that vectorises) finds both.
pub(super) fn column_reaches(v: &[f32], n: usize, cols: Range<usize>) -> Vec<f32> {
    const ABS: u32 = 0x7fff_ffff;
    let infinity = f32::INFINITY.to_bits();
    let mut most = vec![0u32; cols.len()];
    for row in v.chunks_exact(n) {
        for (acc, &a) in most.iter_mut().zip(&row[cols.clone()]) {
            *acc = (*acc).max(a.to_bits() & ABS);
        }
    }
    most.iter()
        .map(|&bits| f32::from_bits(bits.min(infinity)))
        .collect()
}

/// The reach of a group of columns from [`column_reaches`].
pub(super) fn max_reach(columns: &[f32]) -> f64 {
    f64::from(columns.iter().fold(0.0f32, |r, &a| r.max(a)))
}

/// Whether rows of B and X with these reaches are proven clamp-free: every
/// term |b·x| is below 1 − 2⁻²⁵, so no factor rounds to a product of 1 in
/// f32 and every factor is above 2⁻²⁵. False for a NaN or infinite reach.
pub(super) fn clamp_free(b_reach: f64, x_reach: f64) -> bool {
    b_reach * x_reach < SAFE_REACH
}

/// The exact path for one pair: Σ_j of ln max(1 − b·x, floor) with the f32
/// clamp rule (fl(b·x) ≥ 1), one `ln_1p` per term in f64, and the number
/// of clamped terms.
fn exact(b: &[f32], x: &[f64]) -> (f64, u64) {
    let ln_floor = f64::from(FACTOR_FLOOR as f32).ln();
    let mut clamped = 0;
    let sum = b
        .iter()
        .zip(x)
        .map(|(&bv, &xv)| {
            let z = f64::from(bv) * xv;
            if z as f32 >= 1.0 {
                clamped += 1;
                ln_floor
            } else {
                (-z).ln_1p()
            }
        })
        .sum();
    (sum, clamped)
}

/// What the loop watches besides the products.
pub(super) trait Watch: Copy {
    /// Nothing watched yet.
    const START: Self;
    /// Whether [`Watch::see`] does anything (a loop may skip preparing
    /// its argument otherwise).
    const WATCHES: bool;
    /// Takes note of the factors of one chunk.
    fn see(&mut self, f: &[f64; LANES]);
    /// Whether a factor seen was small enough to need the exact path.
    fn saw_small(&self) -> bool;
}

/// For pairs whose reach proves that no factor is small: nothing.
#[derive(Clone, Copy)]
struct Unguarded;

impl Watch for Unguarded {
    const START: Self = Unguarded;
    const WATCHES: bool = false;
    #[inline(always)]
    fn see(&mut self, _f: &[f64; LANES]) {}
    #[inline(always)]
    fn saw_small(&self) -> bool {
        false
    }
}

/// For the other pairs: the smallest factor of each lane (a NaN is not
/// taken: it reaches the exact path through the range check).
#[derive(Clone, Copy)]
struct Smallest([f64; LANES]);

impl Watch for Smallest {
    const START: Self = Smallest([1.0; LANES]);
    const WATCHES: bool = true;
    #[inline(always)]
    fn see(&mut self, f: &[f64; LANES]) {
        for (low, &v) in self.0.iter_mut().zip(f) {
            *low = if v < *low { v } else { *low };
        }
    }
    #[inline(always)]
    fn saw_small(&self) -> bool {
        !self.0.iter().fold(true, |ok, &v| ok & (v >= SMALL_FACTOR))
    }
}

/// The running state of `R` pairs (a group of [`ROWS`], or the last,
/// shorter group of a tile).
#[derive(Clone, Copy)]
pub(super) struct Pairs<W, const R: usize> {
    /// The lanes' running products.
    pub(super) p: [[f64; LANES]; R],
    /// The logarithms flushed out of the lanes.
    acc: [f64; R],
    /// Whether the pair must take the exact path.
    exact: [bool; R],
    /// What the loop watches.
    pub(super) watch: [W; R],
}

impl<W: Watch, const R: usize> Pairs<W, R> {
    /// Empty products, nothing flushed or seen.
    pub(super) fn new() -> Self {
        Pairs {
            p: [[1.0; LANES]; R],
            acc: [0.0; R],
            exact: [false; R],
            watch: [W::START; R],
        }
    }

    /// The range check after a block (see the module docs).
    #[inline(always)]
    pub(super) fn check(&mut self) {
        // Nearly always every lane of every pair is in range: one test of
        // all of them (a NaN fails it), then, if one is not, lane by lane.
        let mut all_in_range = true;
        for lanes in &self.p {
            for &v in lanes {
                all_in_range &= (LO..=HI).contains(&v);
            }
        }
        if all_in_range {
            return;
        }
        for (r, lanes) in self.p.iter_mut().enumerate() {
            for v in lanes.iter_mut() {
                if (LO..=HI).contains(v) {
                    continue;
                }
                if *v >= SAFE_LO && *v <= SAFE_HI {
                    self.acc[r] += v.ln();
                } else {
                    self.exact[r] = true;
                }
                *v = 1.0;
            }
        }
    }

    /// Each pair's lanes multiplied pairwise, as a tree (lane l by lane
    /// l + 4, then by l + 2, then by l + 1), and what the watch saw.
    #[inline(always)]
    pub(super) fn finish(mut self) -> Finished<R> {
        let mut half = LANES / 2;
        while half > 0 {
            for lanes in self.p.iter_mut() {
                for l in 0..half {
                    lanes[l] *= lanes[l + half];
                }
            }
            half /= 2;
        }
        Finished {
            product: self.p.map(|lanes| lanes[0]),
            acc: self.acc,
            exact: std::array::from_fn(|r| self.exact[r] | self.watch[r].saw_small()),
        }
    }
}

/// What [`PairLoop::pairs`] returns for its `R` pairs.
pub(super) struct Finished<const R: usize> {
    /// The product of each pair's lanes.
    product: [f64; R],
    /// The logarithms flushed out of its lanes.
    acc: [f64; R],
    /// Whether the pair must take the exact path instead.
    exact: [bool; R],
}

/// How a build runs `R` pairs. [`Portable`] is plain Rust that LLVM
/// vectorises; the AVX-512 build uses intrinsics instead (`avx512::Zmm`):
/// LLVM's vectoriser turned the plain loop into shuffles there (in some
/// builds of the same source, not in others), and the intrinsics keep the
/// lanes in registers across the range checks. Both run the same
/// operations in the same order: the same bits.
pub(super) trait PairLoop {
    /// Runs `R` pairs: row `b` of B against the rows `x` of X (each as
    /// long as `b`), lane l of a pair taking the factors 1 − b·x of the
    /// terms j ≡ l mod [`LANES`], with a range check ([`Pairs::check`])
    /// after each [`BLOCK`] of terms, and the last partial chunk padded
    /// with b = x = 0 (factors of exactly 1).
    ///
    /// # Safety
    /// The CPU must support the instructions of the implementation.
    unsafe fn pairs<W: Watch, const R: usize>(b: &[f32], x: [&[f64]; R]) -> Finished<R>;
}

/// [`PairLoop`] in plain Rust, for any instruction set.
pub(super) struct Portable;

impl Portable {
    /// Multiplies the factors of `b` (whole chunks of [`LANES`]) against
    /// each row of `x` into the lanes. The state goes in and out by value,
    /// so that it stays in registers.
    #[inline(always)]
    fn multiply<W: Watch, const R: usize>(
        mut p: [[f64; LANES]; R],
        mut watch: [W; R],
        b: &[f32],
        x: [&[f64]; R],
    ) -> ([[f64; LANES]; R], [W; R]) {
        let chunks = b.len() / LANES;
        for c in 0..chunks {
            let bs: &[f32; LANES] = b[c * LANES..][..LANES].try_into().expect("a chunk");
            let bs = bs.map(f64::from);
            for r in 0..R {
                let xs: &[f64; LANES] = x[r][c * LANES..][..LANES].try_into().expect("a chunk");
                let f: [f64; LANES] = std::array::from_fn(|l| (-bs[l]).mul_add(xs[l], 1.0));
                for l in 0..LANES {
                    p[r][l] *= f[l];
                }
                watch[r].see(&f);
            }
        }
        (p, watch)
    }
}

impl PairLoop for Portable {
    #[inline(always)]
    unsafe fn pairs<W: Watch, const R: usize>(b: &[f32], x: [&[f64]; R]) -> Finished<R> {
        let n = b.len();
        let mut s = Pairs::<W, R>::new();
        for j0 in (0..n).step_by(BLOCK) {
            let j1 = (j0 + BLOCK).min(n);
            let whole = j0 + (j1 - j0) / LANES * LANES;
            let xs = x.map(|row| &row[j0..whole]);
            (s.p, s.watch) = Self::multiply(s.p, s.watch, &b[j0..whole], xs);
            if whole < j1 {
                let mut bs = [0.0f32; LANES];
                bs[..j1 - whole].copy_from_slice(&b[whole..j1]);
                let xs: [[f64; LANES]; R] = std::array::from_fn(|r| {
                    let mut padded = [0.0; LANES];
                    padded[..j1 - whole].copy_from_slice(&x[r][whole..j1]);
                    padded
                });
                let xs = std::array::from_fn(|r| &xs[r][..]);
                (s.p, s.watch) = Self::multiply(s.p, s.watch, &bs, xs);
            }
            s.check();
        }
        s.finish()
    }
}

/// ln p for a positive normal f64, to about 2⁻³⁴ relative: with
/// p = 2ᵉ·m, m in [√½, √2), ln p = e·ln 2 + 2·atanh(s), s = (m − 1)/(m + 1),
/// |s| ≤ 0.172, and atanh(s) = s + s³/3 + … + s¹¹/11 + O(s¹³), the rest
/// below 2⁻³⁴·|atanh(s)|. Branch-free, so the compiler vectorises a loop of
/// it.
#[inline(always)]
fn ln_product(p: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = p.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    // m in [1, 2), then halved when above √2.
    let m = f64::from_bits((bits & MANTISSA) | (1023 << 52));
    let big = m > std::f64::consts::SQRT_2;
    let (m, e) = (if big { m * 0.5 } else { m }, e + i64::from(big));
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0
        + s2 * (1.0 / 3.0
            + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0)))));
    e as f64 * std::f64::consts::LN_2 + 2.0 * s * series
}

/// Where [`group`] writes: per output of a tile, the product of its lanes
/// and the logarithms flushed, or (product 1) the exact sum.
struct TileSums {
    products: Vec<f64>,
    sums: Vec<f64>,
}

/// Runs (with `M`) the `R` pairs of row `i` of B (`brow`, reach `b_reach`) against
/// rows `k0..k0 + R` of the tile `xs` (reaches `x_reach`) and writes their
/// results into `out`. Returns the number of factors clamped.
///
/// # Safety
/// The CPU must support `M`'s instructions.
#[inline(always)]
unsafe fn group<M: PairLoop, const R: usize>(
    (n, m): (usize, usize),
    (i, brow, b_reach): (usize, &[f32], f64),
    (xs, x_reach): (&[f64], &[f64]),
    k0: usize,
    out: &mut TileSums,
) -> u64 {
    let x: [&[f64]; R] = std::array::from_fn(|r| &xs[(k0 + r) * n..(k0 + r + 1) * n]);
    let safe = (k0..k0 + R).all(|k| clamp_free(b_reach, x_reach[k]));
    // SAFETY: the CPU supports `M` (contract).
    let done = unsafe {
        if safe {
            M::pairs::<Unguarded, R>(brow, x)
        } else {
            M::pairs::<Smallest, R>(brow, x)
        }
    };
    let mut clamped = 0;
    for (r, &xr) in x.iter().enumerate() {
        let o = (k0 + r) * m + i;
        if done.exact[r] {
            let (sum, count) = exact(brow, xr);
            out.sums[o] = sum;
            clamped += count;
        } else {
            out.products[o] = done.product[r];
            out.sums[o] = done.acc[r];
        }
    }
    clamped
}

/// One task of the forward: `out_rows[r, i]` for the rows `xs` (widened to
/// f64) of X, with B (`b`, f32) and the reach of each row of B,
/// multiplying with `M`. Returns the number of factors clamped.
///
/// # Safety
/// The CPU must support `M`'s instructions.
#[inline(always)]
pub(super) unsafe fn forward_tile<M: PairLoop>(
    n: usize,
    m: usize,
    xs: &[f64],
    (b, b_reach): (&[f32], &[f64]),
    out_rows: &mut [f32],
) -> u64 {
    let rows = xs.len() / n;
    let x_reach: Vec<f64> = xs.chunks_exact(n).map(reach::<f64>).collect();
    let mut out = TileSums {
        products: vec![1.0f64; rows * m],
        sums: vec![0.0f64; rows * m],
    };
    let mut clamped = 0;
    // Groups of ROWS rows, then the rest of the tile as one shorter group.
    const _: () = assert!(ROWS == 4, "the last group below takes 1 to 3 rows");
    let whole = rows / ROWS * ROWS;
    let x = (xs, &x_reach[..]);
    // Each group of rows goes down all of B, so that its rows of X stay in
    // L1 cache while B streams past (a task's 8 rows of 784 f64 would not
    // fit: going down B once per task, with the groups inside, was slower
    // on a Zen 4 host, `synapse_n784_fwd`).
    // SAFETY (each group): the CPU supports `M` (contract).
    for k0 in (0..whole).step_by(ROWS) {
        for (i, brow) in b.chunks_exact(n).enumerate() {
            let row_of_b = (i, brow, b_reach[i]);
            clamped += unsafe { group::<M, ROWS>((n, m), row_of_b, x, k0, &mut out) };
        }
    }
    if whole < rows {
        for (i, brow) in b.chunks_exact(n).enumerate() {
            let row_of_b = (i, brow, b_reach[i]);
            clamped += unsafe {
                match rows - whole {
                    1 => group::<M, 1>((n, m), row_of_b, x, whole, &mut out),
                    2 => group::<M, 2>((n, m), row_of_b, x, whole, &mut out),
                    _ => group::<M, 3>((n, m), row_of_b, x, whole, &mut out),
                }
            };
        }
    }
    for ((y, &p), &sum) in out_rows.iter_mut().zip(&out.products).zip(&out.sums) {
        *y = (sum + ln_product(p)) as f32;
    }
    clamped
}

/// [`forward_tile`] with the plain loop ([`Portable`]), which is safe code
/// whatever the build.
#[inline(always)]
fn portable_tile(n: usize, m: usize, xs: &[f64], b: (&[f32], &[f64]), out_rows: &mut [f32]) -> u64 {
    // SAFETY: `Portable` uses no instruction the build lacks.
    unsafe { forward_tile::<Portable>(n, m, xs, b, out_rows) }
}

#[cfg(target_arch = "x86_64")]
use super::avx512::forward_tile as avx512_tile;

forward_per_isa!(
    /// [`forward_tile`] compiled for `isa`, which the caller has checked
    /// this CPU supports: `xs` are rows of X widened to f64, `b` is B (f32)
    /// and the reach of each of its rows. Returns the number of
    /// factors clamped. The baseline and AVX2 builds run the plain loop
    /// ([`Portable`]), the AVX-512 build its intrinsics (`avx512::Zmm`).
    fn forward_tile_with(
        n: usize,
        m: usize,
        xs: &[f64],
        b: (&[f32], &[f64]),
        out_rows: &mut [f32],
    ) -> u64 = portable_tile, avx512 = avx512_tile
);

#[cfg(test)]
mod tests {
    use super::{
        clamp_free, column_reaches, ln_product, max_reach, reach, PairLoop, Portable, Smallest,
        Unguarded, ROWS,
    };

    #[test]
    fn guarded_and_unguarded_pairs_give_the_same_bits() {
        // Watching the factors changes which pairs take the exact path,
        // never the products: where no factor is small, both loops give
        // the same bits (n = 300: one full block, one partial, a partial
        // last chunk).
        let n = 300;
        let value = |s: usize| ((s * 7919) % 1000) as f64 / 1000.0;
        let b: Vec<f32> = (0..n).map(|j| (value(j) - 0.5) as f32).collect();
        let xs: Vec<Vec<f64>> = (0..ROWS)
            .map(|r| (0..n).map(|j| value(r * n + j + 17)).collect())
            .collect();
        let x: [&[f64]; ROWS] = std::array::from_fn(|r| &xs[r][..]);
        // SAFETY (each call below): `Portable` is plain Rust.
        let (plain, watched) = unsafe {
            (
                Portable::pairs::<Unguarded, ROWS>(&b, x),
                Portable::pairs::<Smallest, ROWS>(&b, x),
            )
        };
        for r in 0..ROWS {
            assert!(!watched.exact[r] && !plain.exact[r]);
            assert_eq!(plain.product[r].to_bits(), watched.product[r].to_bits());
            assert_eq!(plain.acc[r].to_bits(), watched.acc[r].to_bits());
        }
        // A factor below 2⁻²⁴ sends the watched pair to the exact path.
        let mut tiny = xs.clone();
        tiny[1][5] = (1.0 - 1e-9) / f64::from(b[5]);
        let x: [&[f64]; ROWS] = std::array::from_fn(|r| &tiny[r][..]);
        let watched = unsafe { Portable::pairs::<Smallest, ROWS>(&b, x) };
        assert_eq!(watched.exact, [false, true, false, false]);
    }

    /// Runs `R` pairs with `M` for each watch, and returns what they found.
    ///
    /// # Safety
    /// The CPU must support `M`'s instructions.
    unsafe fn both_watches<M: PairLoop, const R: usize>(
        b: &[f32],
        x: [&[f64]; R],
    ) -> [(Vec<u64>, Vec<u64>, Vec<bool>); 2] {
        let bits = |f: super::Finished<R>| {
            (
                f.product.map(f64::to_bits).to_vec(),
                f.acc.map(f64::to_bits).to_vec(),
                f.exact.to_vec(),
            )
        };
        // SAFETY: the CPU supports `M` (contract).
        unsafe {
            [
                bits(M::pairs::<Unguarded, R>(b, x)),
                bits(M::pairs::<Smallest, R>(b, x)),
            ]
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx512_pair_loop_gives_the_portable_bits() {
        use super::super::avx512::Zmm;
        /// `both_watches` with `Zmm`, inside a function compiled for AVX-512.
        ///
        /// # Safety
        /// The CPU must support AVX-512F, AVX2 and FMA.
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn zmm<const R: usize>(
            b: &[f32],
            x: [&[f64]; R],
        ) -> [(Vec<u64>, Vec<u64>, Vec<bool>); 2] {
            // SAFETY: this function runs only on AVX-512 (contract).
            unsafe { both_watches::<Zmm, R>(b, x) }
        }
        /// Both loops on `R` rows of `xs`, compared; whether some lane
        /// was flushed, and whether some pair took the exact path.
        fn compare<const R: usize>(b: &[f32], xs: &[Vec<f64>], what: &str) -> (bool, bool) {
            let x: [&[f64]; R] = std::array::from_fn(|r| &xs[r][..]);
            // SAFETY: `Portable` is plain Rust; AVX-512 was detected.
            let (plain, wide) = unsafe { (both_watches::<Portable, R>(b, x), zmm::<R>(b, x)) };
            assert_eq!(plain, wide, "{what}, n = {}, {R} rows", b.len());
            let flushed = plain.iter().any(|(_, acc, _)| acc.iter().any(|&a| a != 0));
            let exact = plain.iter().any(|(_, _, exact)| exact.contains(&true));
            (flushed, exact)
        }
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let value = |s: usize| ((s * 7919) % 1000) as f64 / 1000.0;
        // Whole and partial chunks and blocks; factors near 1; factors up
        // to 3.5 (lanes flushed above 2⁶⁰); a tiny factor (the exact path
        // when watched); a NaN (the exact path).
        let (mut seen_flush, mut seen_exact) = (false, false);
        for n in [1, 7, 8, 9, 255, 256, 257, 300, 784] {
            let cases: [(&str, f32, f64); 3] = [
                ("small terms", 0.01, 0.0),
                ("large factors", -2.5, 0.0),
                ("tiny factor", 0.9, 1.0),
            ];
            for (what, scale, tiny) in cases {
                let b: Vec<f32> = (0..n)
                    .map(|j| (value(j) * f64::from(scale)) as f32)
                    .collect();
                let mut xs: Vec<Vec<f64>> = (0..ROWS)
                    .map(|r| (0..n).map(|j| value(r * n + j + 17)).collect())
                    .collect();
                if tiny > 0.0 && b[n / 2] != 0.0 {
                    xs[1][n / 2] = (1.0 - 1e-9) / f64::from(b[n / 2]);
                    xs[2][n - 1] = f64::NAN;
                }
                for (flushed, exact) in [
                    compare::<1>(&b, &xs, what),
                    compare::<2>(&b, &xs, what),
                    compare::<3>(&b, &xs, what),
                    compare::<4>(&b, &xs, what),
                ] {
                    seen_flush |= flushed;
                    seen_exact |= exact;
                }
            }
        }
        assert!(
            seen_flush && seen_exact,
            "the cases reach the flush and the exact path"
        );
    }

    #[test]
    fn ln_product_is_accurate_over_the_lanes_range() {
        // Products of eight lanes in [2⁻⁶⁰, 2⁶⁰], around every power of two
        // and √2 (where the reduction switches), and near 1.
        let mut worst = 0.0f64;
        for e in -480..=480 {
            let root2 = std::f64::consts::SQRT_2;
            for m in [
                1.0,
                1.0 + 1e-12,
                1.2,
                root2 * (1.0 - 1e-9),
                root2 * (1.0 + 1e-9),
                1.7,
                2.0 - 1e-9,
            ] {
                let p = m * 2f64.powi(e);
                let exact = p.ln();
                let err = (ln_product(p) - exact).abs() / exact.abs().max(1e-300);
                worst = worst.max(err);
            }
        }
        for d in [1e-15, 1e-9, 1e-4, 0.1, -1e-15, -1e-9, -1e-4, -0.1] {
            let p = 1.0 + d;
            let err = (ln_product(p) - p.ln()).abs() / p.ln().abs();
            worst = worst.max(err);
        }
        assert!(
            worst < 2f64.powi(-34),
            "ln_product off by {worst:e} relative"
        );
        assert_eq!(ln_product(1.0), 0.0);
    }

    #[test]
    fn reach_is_the_largest_magnitude_a_nan_is_infinite_and_unproven() {
        assert_eq!(reach(&[0.5, -2.0, 1.0]), 2.0);
        assert_eq!(reach::<f32>(&[]), 0.0);
        assert_eq!(reach(&[0.25f32, -3.0]), 3.0);
        assert_eq!(reach(&[0.1, f64::NAN, 0.2]), f64::INFINITY);
        assert_eq!(reach(&[f64::NEG_INFINITY]), f64::INFINITY);
        assert!(clamp_free(0.5, 1.9) && !clamp_free(1.0, 1.0));
        // ∞·0 is NaN: not proven.
        assert!(!clamp_free(f64::INFINITY, 0.0));
    }

    #[test]
    fn column_reaches_are_per_column_and_agree_with_reach() {
        // Three rows of four columns; the reaches of columns 1..4.
        let v = [
            0.5f32,
            -2.0,
            0.0,
            1.0, //
            -7.0,
            1.5,
            f32::NAN,
            -0.0, //
            0.25,
            0.5,
            1.0,
            f32::NEG_INFINITY,
        ];
        let cols = column_reaches(&v, 4, 1..4);
        assert_eq!(cols, vec![2.0, f32::INFINITY, f32::INFINITY]);
        assert_eq!(max_reach(&cols[..1]), 2.0);
        assert_eq!(max_reach(&[]), 0.0);
        // Any group of columns: the same as `reach` over its elements.
        let mut rng = synann_tensor::random::seeded(3);
        let w = synann_tensor::Tensor::<f32>::uniform(&[9, 40], -3.0, 3.0, &mut rng).into_vec();
        let cols = column_reaches(&w, 40, 0..40);
        for (j0, j1) in [(0, 40), (3, 11), (16, 32), (39, 40)] {
            let direct = w
                .chunks_exact(40)
                .map(|row| reach(&row[j0..j1]))
                .fold(0.0, f64::max);
            assert_eq!(max_reach(&cols[j0..j1]), direct, "columns {j0}..{j1}");
        }
    }
}
