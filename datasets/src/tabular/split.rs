//! Random splits of a [`Tabular`] into disjoint parts, from a seed.

use super::{Standardizer, Tabular, TabularError};
use rand::seq::SliceRandom;
use synann_tensor::random::seeded;

/// How far the split fractions may sum away from 1 (rounding in the
/// caller's arithmetic, e.g. 0.7 + 0.2 + 0.1).
const SUM_TOLERANCE: f64 = 1e-6;

/// The three parts of [`Tabular::train_val_test_split`].
#[derive(Clone, Debug, PartialEq)]
pub struct Splits {
    /// The rows to fit on (the model, and the [`Standardizer`](super::Standardizer)).
    pub train: Tabular,
    /// The rows to choose settings on (epochs, learning rate).
    pub validation: Tabular,
    /// The rows to report on, once.
    pub test: Tabular,
}

impl Splits {
    /// The three parts standardised with a [`Standardizer`] fitted on the
    /// training part only (so nothing about the validation or test rows
    /// leaks into the scaling), and that standardiser.
    ///
    /// ```
    /// use synann_datasets::tabular::Tabular;
    /// let data = Tabular::new(vec!["x".into()], (0..10).map(|i| i as f32).collect(), vec![0; 10], 1)?;
    /// let (splits, scaler) = data.train_val_test_split([0.6, 0.2, 0.2], 0)?.standardized()?;
    /// let mean: f32 = splits.train.features().iter().sum::<f32>() / 6.0;
    /// assert!(mean.abs() < 1e-6);
    /// assert_eq!(scaler.mean().len(), 1);
    /// # Ok::<(), synann_datasets::tabular::TabularError>(())
    /// ```
    pub fn standardized(&self) -> Result<(Splits, Standardizer), TabularError> {
        let scaler = Standardizer::fit(&self.train)?;
        let splits = Splits {
            train: scaler.transform(&self.train)?,
            validation: scaler.transform(&self.validation)?,
            test: scaler.transform(&self.test)?,
        };
        Ok((splits, scaler))
    }
}

impl Tabular {
    /// Splits the rows into disjoint parts of the given `fractions` of the
    /// rows, PyTorch's `random_split`: a permutation of the rows seeded by
    /// `seed` is cut into consecutive pieces, part k taking
    /// ⌊fraction_k · N⌋ rows, and the rows left over by the rounding go one
    /// each to parts 0, 1, … in turn. Rows keep the permuted order.
    ///
    /// The same seed always gives the same parts. Fails unless each
    /// fraction is in [0, 1], they sum to 1 (within 10⁻⁶) and every part
    /// gets at least one row.
    ///
    /// ```
    /// use synann_datasets::tabular::Tabular;
    /// let data = Tabular::new(vec!["x".into()], (0..10).map(|i| i as f32).collect(), vec![0; 10], 1)?;
    /// let parts = data.random_split(&[0.5, 0.25, 0.25], 3)?;
    /// let sizes: Vec<usize> = parts.iter().map(Tabular::len).collect();
    /// assert_eq!(sizes, [6, 2, 2]); // 5 + 2 + 2, and the one left over goes to part 0
    /// assert!(data.random_split(&[0.5, 0.6], 3).is_err());
    /// # Ok::<(), synann_datasets::tabular::TabularError>(())
    /// ```
    pub fn random_split(&self, fractions: &[f64], seed: u64) -> Result<Vec<Tabular>, TabularError> {
        let lengths = split_lengths(self.len(), fractions)?;
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut seeded(seed));
        let mut parts = Vec::with_capacity(lengths.len());
        let mut start = 0;
        for length in lengths {
            parts.push(self.select(&order[start..start + length]));
            start += length;
        }
        Ok(parts)
    }

    /// [`Tabular::random_split`] into training, validation and test parts
    /// with fractions `[train, validation, test]`.
    ///
    /// ```
    /// use synann_datasets::tabular::Tabular;
    /// let data = Tabular::new(vec!["x".into()], vec![0.0; 20], vec![0; 20], 1)?;
    /// let splits = data.train_val_test_split([0.6, 0.2, 0.2], 0)?;
    /// assert_eq!((splits.train.len(), splits.validation.len(), splits.test.len()), (12, 4, 4));
    /// # Ok::<(), synann_datasets::tabular::TabularError>(())
    /// ```
    pub fn train_val_test_split(
        &self,
        fractions: [f64; 3],
        seed: u64,
    ) -> Result<Splits, TabularError> {
        let mut parts = self.random_split(&fractions, seed)?.into_iter();
        let mut next = || {
            parts
                .next()
                .expect("random_split returns one part per fraction")
        };
        Ok(Splits {
            train: next(),
            validation: next(),
            test: next(),
        })
    }
}

/// The number of rows of each part when `rows` rows are split by
/// `fractions` (see [`Tabular::random_split`]).
fn split_lengths(rows: usize, fractions: &[f64]) -> Result<Vec<usize>, TabularError> {
    let valid = !fractions.is_empty()
        && fractions.iter().all(|f| (0.0..=1.0).contains(f))
        && (fractions.iter().sum::<f64>() - 1.0).abs() <= SUM_TOLERANCE;
    if !valid {
        return Err(TabularError::InvalidFractions {
            fractions: fractions.to_vec(),
        });
    }
    let mut lengths: Vec<usize> = fractions
        .iter()
        .map(|f| (f * rows as f64).floor() as usize)
        .collect();
    let assigned: usize = lengths.iter().sum();
    // The fractions sum to 1, so fewer rows than parts are left over.
    let parts = lengths.len();
    for i in 0..rows.saturating_sub(assigned) {
        lengths[i % parts] += 1;
    }
    if let Some(part) = lengths.iter().position(|&n| n == 0) {
        return Err(TabularError::EmptySplit {
            part,
            fraction: fractions[part],
            rows,
        });
    }
    Ok(lengths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Tabular {
        let features = (0..n).flat_map(|i| [i as f32, -(i as f32)]).collect();
        let labels = (0..n).map(|i| i % 3).collect();
        Tabular::new(vec!["i".into(), "minus_i".into()], features, labels, 3).unwrap()
    }

    #[test]
    fn lengths_follow_pytorch_rounding() {
        assert_eq!(
            split_lengths(569, &[0.6, 0.2, 0.2]).unwrap(),
            [342, 114, 113]
        );
        assert_eq!(split_lengths(10, &[0.7, 0.2, 0.1]).unwrap(), [7, 2, 1]);
        assert_eq!(split_lengths(3, &[1.0]).unwrap(), [3]);
    }

    #[test]
    fn bad_fractions_are_errors() {
        for bad in [
            &[][..],
            &[0.5, 0.6],
            &[0.5, 0.4],
            &[1.5, -0.5],
            &[f64::NAN, 1.0],
        ] {
            let err = split_lengths(10, bad).unwrap_err();
            assert!(
                matches!(err, TabularError::InvalidFractions { .. }),
                "{bad:?}: {err:?}"
            );
        }
        // ⌊3.6⌋ = 3, 0, 0 and the row left over goes to part 0: part 1 is empty.
        let err = split_lengths(4, &[0.9, 0.05, 0.05]).unwrap_err();
        assert_eq!(
            err,
            TabularError::EmptySplit {
                part: 1,
                fraction: 0.05,
                rows: 4
            }
        );
        assert!(err.to_string().contains("would have no rows"));
    }

    #[test]
    fn parts_are_a_seeded_partition_keeping_rows_whole() {
        let data = numbered(25);
        let splits = data.train_val_test_split([0.6, 0.2, 0.2], 11).unwrap();
        let mut seen = Vec::new();
        for part in [&splits.train, &splits.validation, &splits.test] {
            for r in 0..part.len() {
                let row = part.row(r);
                let i = row[0] as usize;
                assert_eq!(row[1], -(i as f32), "a row's features stay together");
                assert_eq!(part.labels()[r], i % 3, "a row keeps its label");
                seen.push(i);
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
        assert_eq!(
            data.train_val_test_split([0.6, 0.2, 0.2], 11).unwrap(),
            splits
        );
        assert_ne!(
            data.train_val_test_split([0.6, 0.2, 0.2], 12).unwrap(),
            splits
        );
    }
}
