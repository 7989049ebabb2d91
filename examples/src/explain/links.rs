//! The strongest links of an inhibition matrix, and the text table that
//! shows them.
//!
//! A Synapse computes yᵢ = xᵢ · Πⱼ (1 − B[i, j] · xⱼ), so B[i, j] says how
//! strongly input j inhibits output i:
//!
//! - B[i, j] > 0: the factor 1 − B·x is below 1, input j **inhibits**
//!   output i, the more the larger B[i, j];
//! - B[i, j] < 0: the factor is above 1, input j **disinhibits** output i
//!   (it acts as an excitation), the more the more negative B[i, j].
//!
//! ```
//! use synann_examples::explain::links::{strongest_disinhibitory, strongest_inhibitory, Matrix};
//! let b = Matrix::new(2, 2, vec![0.5, -0.25, 0.0, 0.75]);
//! let top = strongest_inhibitory(&b, 10);
//! assert_eq!((top[0].output, top[0].input, top[0].value), (1, 1, 0.75));
//! assert_eq!(top.len(), 2); // only positive entries inhibit
//! assert_eq!(strongest_disinhibitory(&b, 10)[0].input, 1);
//! ```

use std::fmt::Write as _;

/// A dense row-major matrix of `f64`: row i is output i, column j input j.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Number of rows (outputs).
    pub rows: usize,
    /// Number of columns (inputs).
    pub cols: usize,
    /// The `rows · cols` entries, row after row.
    pub values: Vec<f64>,
}

impl Matrix {
    /// A `rows × cols` matrix holding `values` row after row.
    ///
    /// Panics if `values` does not have `rows · cols` entries.
    pub fn new(rows: usize, cols: usize, values: Vec<f64>) -> Self {
        assert_eq!(
            values.len(),
            rows * cols,
            "Matrix::new: {} values for a {rows}×{cols} matrix",
            values.len()
        );
        Matrix { rows, cols, values }
    }

    /// The entry of row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.cols + j]
    }

    /// The smallest entry (+∞ for an empty matrix).
    pub fn min(&self) -> f64 {
        self.values.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The largest entry (−∞ for an empty matrix).
    pub fn max(&self) -> f64 {
        self.values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// One entry of an inhibition matrix: input `input` acting on output
/// `output` with strength `value` = B[output, input].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// The output (row) i.
    pub output: usize,
    /// The input (column) j.
    pub input: usize,
    /// B[i, j].
    pub value: f64,
}

/// All links of `m` for which `keep` holds, sorted by `key` (descending),
/// ties by (output, input); at most `k` of them.
fn top_links(m: &Matrix, k: usize, keep: fn(f64) -> bool, key: fn(f64) -> f64) -> Vec<Link> {
    let mut links: Vec<Link> = m
        .values
        .iter()
        .enumerate()
        .filter(|(_, &v)| keep(v))
        .map(|(n, &value)| Link {
            output: n / m.cols,
            input: n % m.cols,
            value,
        })
        .collect();
    links.sort_by(|a, b| {
        key(b.value)
            .total_cmp(&key(a.value))
            .then((a.output, a.input).cmp(&(b.output, b.input)))
    });
    links.truncate(k);
    links
}

/// The `k` largest positive entries of `m` (the strongest inhibitions),
/// largest first; fewer if `m` has fewer positive entries.
pub fn strongest_inhibitory(m: &Matrix, k: usize) -> Vec<Link> {
    top_links(m, k, |v| v > 0.0, |v| v)
}

/// The `k` most negative entries of `m` (the strongest disinhibitions,
/// where 1 − B·x > 1), most negative first; fewer if `m` has fewer
/// negative entries.
pub fn strongest_disinhibitory(m: &Matrix, k: usize) -> Vec<Link> {
    top_links(m, k, |v| v < 0.0, |v| -v)
}

/// `links` as an aligned text table under the heading `title`: one line
/// per link with its rank, output i, input j and value, or `(none)`.
pub fn links_table(title: &str, links: &[Link]) -> String {
    let mut out = format!("  {title}\n");
    if links.is_empty() {
        out.push_str("    (none)\n");
        return out;
    }
    let _ = writeln!(
        out,
        "    {:>4}  {:>8}  {:>7}  {:>12}",
        "rank", "output i", "input j", "B[i, j]"
    );
    for (rank, l) in links.iter().enumerate() {
        let _ = writeln!(
            out,
            "    {:>4}  {:>8}  {:>7}  {:>12.6}",
            rank + 1,
            l.output,
            l.input,
            l.value
        );
    }
    out
}
