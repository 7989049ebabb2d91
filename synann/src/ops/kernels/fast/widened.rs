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
//! multiplications overlap. The loop is plain Rust on fixed-size arrays,
//! compiled for each instruction set (baseline, AVX2, AVX-512) by
//! `#[target_feature]` and vectorised by LLVM; the three builds run the
//! same operations in the same order and give the same bits.
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

/// f64 lanes of one (k, i) pair.
pub const LANES: usize = 8;
/// Rows of X multiplied against one row of B together (a tile's last
/// group may be shorter: `forward_tile` handles 1 to 3 rows).
pub const ROWS: usize = 4;
/// Factors of a pair between two range checks.
pub const BLOCK: usize = LANES * 32;

/// A lane in [LO, HI] keeps multiplying; eight of them multiply into a
/// normal number.
const LO: f64 = 1.0 / (1u64 << 60) as f64;
const HI: f64 = (1u64 << 60) as f64;
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

/// Whether rows of B and X with these reaches are proven clamp-free: every
/// term |b·x| is below 1 − 2⁻²⁵, so no factor rounds to a product of 1 in
/// f32 and every factor is above 2⁻²⁵. False for a NaN or infinite reach.
pub(super) fn clamp_free(b_reach: f64, x_reach: f64) -> bool {
    b_reach * x_reach < SAFE_REACH
}

/// The exact path for one pair: Σ_j of ln max(1 − b·x, floor) with the f32
/// clamp rule (fl(b·x) ≥ 1), one `ln_1p` per term in f64, and the number
/// of clamped terms.
fn exact(b: &[f64], x: &[f64]) -> (f64, u64) {
    let ln_floor = f64::from(FACTOR_FLOOR as f32).ln();
    let mut clamped = 0;
    let sum = b
        .iter()
        .zip(x)
        .map(|(&bv, &xv)| {
            let z = bv * xv;
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
trait Watch: Copy {
    /// Nothing watched yet.
    const START: Self;
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
struct Pairs<W, const R: usize> {
    /// The lanes' running products.
    p: [[f64; LANES]; R],
    /// The logarithms flushed out of the lanes.
    acc: [f64; R],
    /// Whether the pair must take the exact path.
    exact: [bool; R],
    watch: [W; R],
}

/// Multiplies the factors of `b` (whole chunks of [`LANES`]) against each
/// row of `x` into the lanes. The state goes in and out by value, so that
/// it stays in registers.
#[inline(always)]
fn multiply<W: Watch, const R: usize>(
    mut p: [[f64; LANES]; R],
    mut watch: [W; R],
    b: &[f64],
    x: [&[f64]; R],
) -> ([[f64; LANES]; R], [W; R]) {
    let chunks = b.len() / LANES;
    for c in 0..chunks {
        let bs: &[f64; LANES] = b[c * LANES..][..LANES].try_into().expect("a chunk");
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

/// The range check after a block (see the module docs).
#[inline(always)]
fn check<W, const R: usize>(s: &mut Pairs<W, R>) {
    // Nearly always every lane of every pair is in range: one test of
    // all of them (a NaN fails it), then, if one is not, lane by lane.
    let mut all_in_range = true;
    for lanes in &s.p {
        for &v in lanes {
            all_in_range &= (LO..=HI).contains(&v);
        }
    }
    if all_in_range {
        return;
    }
    for (r, lanes) in s.p.iter_mut().enumerate() {
        for v in lanes.iter_mut() {
            if (LO..=HI).contains(v) {
                continue;
            }
            if *v >= SAFE_LO && *v <= SAFE_HI {
                s.acc[r] += v.ln();
            } else {
                s.exact[r] = true;
            }
            *v = 1.0;
        }
    }
}

/// What [`pairs`] returns for its `R` pairs.
struct Finished<const R: usize> {
    /// The product of each pair's lanes.
    product: [f64; R],
    /// The logarithms flushed out of its lanes.
    acc: [f64; R],
    /// Whether the pair must take the exact path instead.
    exact: [bool; R],
}

/// Runs `R` pairs: row `b` of B against the rows `x` of X.
#[inline(always)]
fn pairs<W: Watch, const R: usize>(b: &[f64], x: [&[f64]; R]) -> Finished<R> {
    let n = b.len();
    let mut s = Pairs {
        p: [[1.0; LANES]; R],
        acc: [0.0; R],
        exact: [false; R],
        watch: [W::START; R],
    };
    for j0 in (0..n).step_by(BLOCK) {
        let j1 = (j0 + BLOCK).min(n);
        let whole = j0 + (j1 - j0) / LANES * LANES;
        (s.p, s.watch) = multiply(s.p, s.watch, &b[j0..whole], x.map(|row| &row[j0..whole]));
        if whole < j1 {
            // The last partial chunk, padded with b = x = 0: factors of
            // exactly 1.
            let mut bs = [0.0; LANES];
            bs[..j1 - whole].copy_from_slice(&b[whole..j1]);
            let xs: [[f64; LANES]; R] = std::array::from_fn(|r| {
                let mut padded = [0.0; LANES];
                padded[..j1 - whole].copy_from_slice(&x[r][whole..j1]);
                padded
            });
            (s.p, s.watch) = multiply(s.p, s.watch, &bs, std::array::from_fn(|r| &xs[r][..]));
        }
        check(&mut s);
    }
    // Each pair's lanes multiplied pairwise, as a tree (lane l by lane
    // l + 4, then by l + 2, then by l + 1), while they are in registers.
    let mut half = LANES / 2;
    while half > 0 {
        for lanes in s.p.iter_mut() {
            for l in 0..half {
                lanes[l] *= lanes[l + half];
            }
        }
        half /= 2;
    }
    Finished {
        product: s.p.map(|lanes| lanes[0]),
        acc: s.acc,
        exact: std::array::from_fn(|r| s.exact[r] | s.watch[r].saw_small()),
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

/// Runs the `R` pairs of row `i` of B (`brow`, reach `b_reach`) against
/// rows `k0..k0 + R` of the tile `xs` (reaches `x_reach`) and writes their
/// results into `out`. Returns the number of factors clamped.
#[inline(always)]
fn group<const R: usize>(
    (n, m): (usize, usize),
    (i, brow, b_reach): (usize, &[f64], f64),
    (xs, x_reach): (&[f64], &[f64]),
    k0: usize,
    out: &mut TileSums,
) -> u64 {
    let x: [&[f64]; R] = std::array::from_fn(|r| &xs[(k0 + r) * n..(k0 + r + 1) * n]);
    let safe = (k0..k0 + R).all(|k| clamp_free(b_reach, x_reach[k]));
    let done = if safe {
        pairs::<Unguarded, R>(brow, x)
    } else {
        pairs::<Smallest, R>(brow, x)
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
/// f64) of X, with B widened (`b`) and the reach of each row of B. Returns
/// the number of factors clamped.
#[inline(always)]
fn forward_tile(
    n: usize,
    m: usize,
    xs: &[f64],
    (b, b_reach): (&[f64], &[f64]),
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
    for (i, brow) in b.chunks_exact(n).enumerate() {
        let row_of_b = (i, brow, b_reach[i]);
        let x = (xs, &x_reach[..]);
        for k0 in (0..whole).step_by(ROWS) {
            clamped += group::<ROWS>((n, m), row_of_b, x, k0, &mut out);
        }
        clamped += match rows - whole {
            0 => 0,
            1 => group::<1>((n, m), row_of_b, x, whole, &mut out),
            2 => group::<2>((n, m), row_of_b, x, whole, &mut out),
            _ => group::<3>((n, m), row_of_b, x, whole, &mut out),
        };
    }
    for ((y, &p), &sum) in out_rows.iter_mut().zip(&out.products).zip(&out.sums) {
        *y = (sum + ln_product(p)) as f32;
    }
    clamped
}

forward_per_isa!(
    /// [`forward_tile`] compiled for `isa`, which the caller has checked
    /// this CPU supports: `xs` are rows of X widened to f64, `b` is B
    /// widened and the reach of each of its rows. Returns the number of
    /// factors clamped.
    fn forward_tile_with(
        n: usize,
        m: usize,
        xs: &[f64],
        b: (&[f64], &[f64]),
        out_rows: &mut [f32],
    ) -> u64 = forward_tile
);

#[cfg(test)]
mod tests {
    use super::{clamp_free, ln_product, pairs, reach, Smallest, Unguarded, ROWS};

    #[test]
    fn guarded_and_unguarded_pairs_give_the_same_bits() {
        // Watching the factors changes which pairs take the exact path,
        // never the products: where no factor is small, both loops give
        // the same bits (n = 300: one full block, one partial, a partial
        // last chunk).
        let n = 300;
        let value = |s: usize| ((s * 7919) % 1000) as f64 / 1000.0;
        let b: Vec<f64> = (0..n).map(|j| value(j) - 0.5).collect();
        let xs: Vec<Vec<f64>> = (0..ROWS)
            .map(|r| (0..n).map(|j| value(r * n + j + 17)).collect())
            .collect();
        let x: [&[f64]; ROWS] = std::array::from_fn(|r| &xs[r][..]);
        let (plain, watched) = (
            pairs::<Unguarded, ROWS>(&b, x),
            pairs::<Smallest, ROWS>(&b, x),
        );
        for r in 0..ROWS {
            assert!(!watched.exact[r] && !plain.exact[r]);
            assert_eq!(plain.product[r].to_bits(), watched.product[r].to_bits());
            assert_eq!(plain.acc[r].to_bits(), watched.acc[r].to_bits());
        }
        // A factor below 2⁻²⁴ sends the watched pair to the exact path.
        let mut tiny = xs.clone();
        tiny[1][5] = (1.0 - 1e-9) / b[5];
        let x: [&[f64]; ROWS] = std::array::from_fn(|r| &tiny[r][..]);
        let watched = pairs::<Smallest, ROWS>(&b, x);
        assert_eq!(watched.exact, [false, true, false, false]);
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
}
