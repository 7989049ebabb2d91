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

/// Calls `f(out_index, a_index, b_index)` for every element of the broadcast
/// shape `out`, where the indices are flat offsets into row-major buffers of
/// shapes `a` and `b`. The innermost axis is walked in a tight loop.
pub fn for_each_broadcast(
    a: &[usize],
    b: &[usize],
    out: &[usize],
    mut f: impl FnMut(usize, usize, usize),
) {
    let n = numel(out);
    if n == 0 {
        return;
    }
    let sa = broadcast_strides(a, out);
    let sb = broadcast_strides(b, out);
    let rank = out.len();
    if rank == 0 {
        f(0, 0, 0);
        return;
    }
    let inner = out[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let mut idx = vec![0usize; rank];
    let (mut oa, mut ob) = (0usize, 0usize);
    let mut o = 0;
    while o < n {
        for j in 0..inner {
            f(o + j, oa + j * ia, ob + j * ib);
        }
        o += inner;
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
