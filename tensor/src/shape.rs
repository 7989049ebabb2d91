//! Shape arithmetic: element counts, row-major strides and NumPy broadcasting.
//!
//! A tensor is always contiguous and row-major, so its strides follow from its
//! shape: the last axis has stride 1, and each earlier axis strides over the
//! product of the sizes after it.

/// Number of elements of a tensor with this shape (1 for a scalar `[]`).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides, in elements, of a contiguous tensor with this shape.
///
/// ```
/// assert_eq!(synann_tensor::shape::strides(&[2, 3, 4]), vec![12, 4, 1]);
/// ```
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of the element at row-major position `flat` in a tensor
/// of this shape (NumPy's `unravel_index`): the inverse of
/// `Σ index[a]·strides(shape)[a]`.
///
/// ```
/// use synann_tensor::shape::unravel_index;
/// assert_eq!(unravel_index(5, &[2, 3]), vec![1, 2]);
/// assert_eq!(unravel_index(13, &[2, 3, 4]), vec![1, 0, 1]);
/// ```
pub fn unravel_index(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        idx[a] = flat % shape[a];
        flat /= shape[a];
    }
    idx
}

/// The shape two shapes broadcast to under NumPy's rules (align on the right;
/// each pair of sizes must be equal or one of them 1), or `None`.
///
/// ```
/// use synann_tensor::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[4, 1, 3], &[5, 1]), Some(vec![4, 5, 3]));
/// assert_eq!(broadcast_shapes(&[2], &[3]), None);
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Strides that read a tensor of shape `from` as if it had the (broadcast)
/// shape `to`: axes that are broadcast get stride 0.
///
/// Panics if `from` does not broadcast to `to`.
pub fn broadcast_strides(from: &[usize], to: &[usize]) -> Vec<usize> {
    assert!(
        from.len() <= to.len(),
        "broadcast_to: cannot broadcast shape {from:?} to {to:?}"
    );
    let own = strides(from);
    let offset = to.len() - from.len();
    (0..to.len())
        .map(|i| {
            if i < offset {
                0
            } else {
                let (f, t) = (from[i - offset], to[i]);
                assert!(
                    f == t || f == 1,
                    "broadcast_to: cannot broadcast shape {from:?} to {to:?}"
                );
                if f == 1 && t != 1 {
                    0
                } else {
                    own[i - offset]
                }
            }
        })
        .collect()
}

/// Resolves a possibly negative axis (`-1` is the last) against a rank,
/// panicking with the op's name if it is out of range.
pub fn resolve_axis(op: &str, axis: isize, rank: usize) -> usize {
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    assert!(
        (0..r).contains(&a),
        "{op}: axis {axis} is out of range for a tensor of rank {rank}"
    );
    a as usize
}

/// The same walk over fewer, longer axes: neighbouring axes that both
/// operands step through as one (the outer stride is the inner stride times
/// the inner length, as in a contiguous tensor or along two broadcast axes)
/// are merged, and axes of length 1 are dropped. Broadcasting `[N, C, 1, 1]`
/// against `[N, C, H, W]` becomes `[N·C, H·W]` with strides `(1, 0)` and
/// `(H·W, 1)`, so the innermost loop runs over `H·W` elements instead of `W`.
fn merge_axes(out: &[usize], sa: &[usize], sb: &[usize]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let (mut dims, mut ma, mut mb): (Vec<usize>, Vec<usize>, Vec<usize>) = (vec![], vec![], vec![]);
    for ((&n, &a), &b) in out.iter().zip(sa).zip(sb) {
        if n == 1 {
            continue;
        }
        match (dims.last_mut(), ma.last_mut(), mb.last_mut()) {
            (Some(d), Some(pa), Some(pb)) if *pa == a * n && *pb == b * n => {
                *d *= n;
                (*pa, *pb) = (a, b);
            }
            _ => {
                dims.push(n);
                ma.push(a);
                mb.push(b);
            }
        }
    }
    (dims, ma, mb)
}

/// Calls `f(out_index, a_index, b_index)` for every element of the broadcast
/// shape `out`, where the indices are flat offsets into row-major buffers of
/// shapes `a` and `b`. The innermost axis is walked in a tight loop.
pub fn for_each_broadcast(
    a: &[usize],
    b: &[usize],
    out: &[usize],
    mut f: impl FnMut(usize, usize, usize),
) {
    for_each_broadcast_run(a, b, out, |r| {
        for j in 0..r.len {
            f(r.out + j, r.a + j * r.a_step, r.b + j * r.b_step);
        }
    });
}

/// A run of consecutive output elements along the innermost (merged) axis:
/// output `out + j` reads `a + j·a_step` and `b + j·b_step`, `j < len`.
/// A step is 1 for an operand read in order and 0 for one broadcast along
/// the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BroadcastRun {
    /// Flat offset of the run's first output element.
    pub out: usize,
    /// Offset of its first element of `a`.
    pub a: usize,
    /// Step through `a`.
    pub a_step: usize,
    /// Offset of its first element of `b`.
    pub b: usize,
    /// Step through `b`.
    pub b_step: usize,
    /// Elements in the run.
    pub len: usize,
}

/// [`for_each_broadcast`] a run at a time, so that a kernel can write each
/// run as a plain loop over slices (which the compiler vectorises) instead
/// of element by element. The runs cover the output in order.
///
/// ```
/// use synann_tensor::shape::{for_each_broadcast_run, BroadcastRun};
/// // [2, 3] against [2, 1]: one run per row, `b` broadcast along it.
/// let mut runs = Vec::new();
/// for_each_broadcast_run(&[2, 3], &[2, 1], &[2, 3], |r| runs.push(r));
/// assert_eq!(runs[1], BroadcastRun { out: 3, a: 3, a_step: 1, b: 1, b_step: 0, len: 3 });
/// ```
pub fn for_each_broadcast_run(
    a: &[usize],
    b: &[usize],
    out: &[usize],
    f: impl FnMut(BroadcastRun),
) {
    let merged = MergedAxes::new(a, b, out);
    let (count, _) = merged.runs();
    merged.walk(0..count, f);
}

/// The output's axes merged ([`merge_axes`]) with both operands' strides,
/// and the output's size: what the run walks below need, computed once.
struct MergedAxes {
    dims: Vec<usize>,
    sa: Vec<usize>,
    sb: Vec<usize>,
    numel: usize,
}

impl MergedAxes {
    fn new(a: &[usize], b: &[usize], out: &[usize]) -> Self {
        let (dims, sa, sb) =
            merge_axes(out, &broadcast_strides(a, out), &broadcast_strides(b, out));
        MergedAxes {
            dims,
            sa,
            sb,
            numel: numel(out),
        }
    }

    /// The number of runs and their common length ([`broadcast_runs`]).
    fn runs(&self) -> (usize, usize) {
        if self.numel == 0 {
            return (0, 0);
        }
        let len = self.dims.last().copied().unwrap_or(1);
        (self.numel / len, len)
    }

    /// Calls `f` on the runs numbered `runs`, in order (they exist).
    fn walk(&self, runs: std::ops::Range<usize>, mut f: impl FnMut(BroadcastRun)) {
        if runs.is_empty() {
            return;
        }
        let (out, sa, sb) = (&self.dims, &self.sa, &self.sb);
        let rank = out.len();
        if rank == 0 {
            f(BroadcastRun {
                out: 0,
                a: 0,
                a_step: 0,
                b: 0,
                b_step: 0,
                len: 1,
            });
            return;
        }
        let inner = out[rank - 1];
        let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
        // The multi-index over the outer axes of the first run, and its offsets.
        let mut idx = vec![0usize; rank];
        let (mut oa, mut ob) = (0usize, 0usize);
        let mut rest = runs.start;
        for ax in (0..rank - 1).rev() {
            idx[ax] = rest % out[ax];
            rest /= out[ax];
            oa += idx[ax] * sa[ax];
            ob += idx[ax] * sb[ax];
        }
        for run in runs {
            f(BroadcastRun {
                out: run * inner,
                a: oa,
                a_step: ia,
                b: ob,
                b_step: ib,
                len: inner,
            });
            // Advance the multi-index over the outer axes (odometer style).
            let mut ax = rank - 1;
            while ax > 0 {
                ax -= 1;
                idx[ax] += 1;
                oa += sa[ax];
                ob += sb[ax];
                if idx[ax] < out[ax] {
                    break;
                }
                oa -= sa[ax] * out[ax];
                ob -= sb[ax] * out[ax];
                idx[ax] = 0;
            }
        }
    }
}

/// How many runs [`for_each_broadcast_run`] gives for these shapes, and
/// their common length (every run has the same; `(0, 0)` for an empty
/// output).
///
/// ```
/// use synann_tensor::shape::broadcast_runs;
/// assert_eq!(broadcast_runs(&[2, 3], &[2, 1], &[2, 3]), (2, 3));
/// assert_eq!(broadcast_runs(&[2, 3], &[2, 3], &[2, 3]), (1, 6)); // merged
/// ```
pub fn broadcast_runs(a: &[usize], b: &[usize], out: &[usize]) -> (usize, usize) {
    MergedAxes::new(a, b, out).runs()
}

/// [`for_each_broadcast_run`] for the runs numbered `runs` only (in
/// output order, see [`broadcast_runs`]), so that blocks of runs can go to
/// different threads. Panics if `runs` goes past the last run.
///
/// ```
/// use synann_tensor::shape::{for_each_broadcast_run, for_each_broadcast_run_in};
/// let (mut all, mut tail) = (Vec::new(), Vec::new());
/// for_each_broadcast_run(&[2, 3, 4], &[3, 1], &[2, 3, 4], |r| all.push(r));
/// for_each_broadcast_run_in(&[2, 3, 4], &[3, 1], &[2, 3, 4], 2..6, |r| tail.push(r));
/// assert_eq!(&all[2..], &tail[..]);
/// ```
pub fn for_each_broadcast_run_in(
    a: &[usize],
    b: &[usize],
    out: &[usize],
    runs: std::ops::Range<usize>,
    f: impl FnMut(BroadcastRun),
) {
    let merged = MergedAxes::new(a, b, out);
    let (count, _) = merged.runs();
    assert!(
        runs.start <= runs.end && runs.end <= count,
        "broadcast runs {runs:?} of {count} for {a:?} and {b:?} into {out:?}"
    );
    merged.walk(runs, f);
}
