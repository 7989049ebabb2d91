//! [`Standardizer`]: per-column (x − mean) / std, fitted on one split.

use super::{Tabular, TabularError};

/// Standardises each feature column to mean 0 and standard deviation 1
/// with statistics fitted on one set (the training split) and applied
/// unchanged to every split, scikit-learn's `StandardScaler`.
///
/// Fitting on the training rows only keeps the validation and test rows
/// out of every choice made before evaluation; after
/// [`transform`](Standardizer::transform) a change of 1 in a feature is a
/// change of one training standard deviation in the original units.
///
/// The standard deviation is the population one (divided by N, as
/// scikit-learn's). **A column whose values are all equal on the fitted
/// set** (std 0) is only centred: it is divided by 1 instead of 0, so it
/// becomes 0 on the fitted set and keeps its spread, shifted, elsewhere.
///
/// ```
/// use synann_datasets::tabular::{Standardizer, Tabular};
/// let names = vec!["x".to_string(), "constant".to_string()];
/// let train = Tabular::new(names.clone(), vec![1.0, 5.0, 3.0, 5.0], vec![0, 1], 2)?;
/// let test = Tabular::new(names, vec![5.0, 6.0], vec![1], 2)?;
/// let scaler = Standardizer::fit(&train)?;
/// assert_eq!((scaler.mean(), scaler.std()), (&[2.0, 5.0][..], &[1.0, 0.0][..]));
/// assert_eq!(scaler.transform(&train)?.features(), &[-1.0, 0.0, 1.0, 0.0]);
/// assert_eq!(scaler.transform(&test)?.features(), &[3.0, 1.0]); // the constant column is only centred
/// # Ok::<(), synann_datasets::tabular::TabularError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Standardizer {
    /// The mean and standard deviation of each column of `data` (computed
    /// in f64). Fails if `data` has no rows.
    pub fn fit(data: &Tabular) -> Result<Self, TabularError> {
        if data.is_empty() {
            return Err(TabularError::NoRows);
        }
        let n = data.len() as f64;
        let columns = data.num_features();
        let mut mean = Vec::with_capacity(columns);
        let mut std = Vec::with_capacity(columns);
        for j in 0..columns {
            let column = || (0..data.len()).map(|i| f64::from(data.row(i)[j]));
            let first = data.row(0)[j];
            if (0..data.len()).all(|i| data.row(i)[j] == first) {
                // Exactly constant: the mean is that value and the std 0
                // (a computed mean could round away from it).
                mean.push(first);
                std.push(0.0);
                continue;
            }
            let m = column().sum::<f64>() / n;
            let variance = column().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
            mean.push(m as f32);
            std.push(variance.sqrt() as f32);
        }
        Ok(Standardizer { mean, std })
    }

    /// The fitted mean of each column.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The fitted (population) standard deviation of each column; 0 for a
    /// column that was constant.
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// What column `j` is divided by: its std, or 1 where the std is 0.
    pub fn scale(&self, j: usize) -> f32 {
        if self.std[j] > 0.0 {
            self.std[j]
        } else {
            1.0
        }
    }

    /// `data` with each value x of column j replaced by
    /// (x − mean_j) / scale_j. Fails if `data` has another number of
    /// columns than the fitted set.
    pub fn transform(&self, data: &Tabular) -> Result<Tabular, TabularError> {
        let columns = self.mean.len();
        if data.num_features() != columns {
            return Err(TabularError::FeatureCountMismatch {
                expected: columns,
                found: data.num_features(),
            });
        }
        let scales: Vec<f32> = (0..columns).map(|j| self.scale(j)).collect();
        let features = data
            .features()
            .iter()
            .enumerate()
            .map(|(k, &x)| {
                let j = k % columns;
                (x - self.mean[j]) / scales[j]
            })
            .collect();
        Ok(data.with_features(features))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[f32; 2]]) -> Tabular {
        let features = rows.iter().flatten().copied().collect();
        Tabular::new(
            vec!["a".into(), "b".into()],
            features,
            vec![0; rows.len()],
            1,
        )
        .unwrap()
    }

    #[test]
    fn fitted_on_train_only_and_applied_to_all() {
        let train = table(&[[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]]);
        let test = table(&[[100.0, -5.0]]);
        let scaler = Standardizer::fit(&train).unwrap();
        assert_eq!(scaler.mean(), &[2.0, 20.0]);
        let sd = (8.0f32 / 3.0).sqrt();
        assert!((scaler.std()[0] - sd).abs() < 1e-6);
        assert!((scaler.std()[1] - 5.0 * sd).abs() < 1e-5);

        // The training split comes out with mean 0 and std 1 per column …
        let t = scaler.transform(&train).unwrap();
        let refit = Standardizer::fit(&t).unwrap();
        for j in 0..2 {
            assert!(refit.mean()[j].abs() < 1e-6);
            assert!((refit.std()[j] - 1.0).abs() < 1e-6);
        }
        // … and the test split with the training statistics, not its own.
        let s = scaler.transform(&test).unwrap();
        assert!((s.features()[0] - 98.0 / sd).abs() < 1e-3);
        assert!((s.features()[1] + 25.0 / (5.0 * sd)).abs() < 1e-4);
        assert_ne!(Standardizer::fit(&test), Ok(scaler));
    }

    #[test]
    fn constant_column_is_only_centred() {
        let train = table(&[[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]]);
        let scaler = Standardizer::fit(&train).unwrap();
        assert_eq!(
            (scaler.mean()[0], scaler.std()[0], scaler.scale(0)),
            (0.1, 0.0, 1.0)
        );
        let t = scaler.transform(&train).unwrap();
        assert_eq!([t.row(0)[0], t.row(1)[0], t.row(2)[0]], [0.0; 3]);
        let other = scaler.transform(&table(&[[0.6, 2.0]])).unwrap();
        assert!((other.row(0)[0] - 0.5).abs() < 1e-6);
        assert!(other.features().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn errors() {
        let empty = Tabular::new(vec!["a".into()], vec![], vec![], 1).unwrap();
        assert_eq!(Standardizer::fit(&empty), Err(TabularError::NoRows));
        let scaler = Standardizer::fit(&table(&[[1.0, 2.0]])).unwrap();
        let three = Tabular::new(
            vec!["a".into(), "b".into(), "c".into()],
            vec![0.0; 3],
            vec![0],
            1,
        )
        .unwrap();
        let err = scaler.transform(&three).unwrap_err();
        assert_eq!(
            err,
            TabularError::FeatureCountMismatch {
                expected: 2,
                found: 3
            }
        );
        assert_eq!(err.to_string(), "expected 2 feature columns, found 3");
    }
}
