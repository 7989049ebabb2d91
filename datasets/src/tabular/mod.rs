//! Tabular data: rows of numeric features with one class label each, read
//! from CSV, split at random, standardised and batched.
//!
//! | item | what it does | after |
//! |---|---|---|
//! | [`read_csv`], [`read_csv_from_reader`] | a CSV with a header row into a [`Tabular`], or a [`CsvError`] naming the line and column | pandas' `read_csv` |
//! | [`load_breast_cancer`] | the shipped Breast Cancer Wisconsin (Diagnostic) set | scikit-learn's `load_breast_cancer` |
//! | [`Tabular::random_split`], [`Tabular::train_val_test_split`] | disjoint parts from a seeded permutation | PyTorch's `random_split` |
//! | [`Standardizer`] | (x − mean) / std per column, fitted on one split, applied to all | scikit-learn's `StandardScaler` |
//! | [`TabularLoader`] | `Tensor<f32>` batches `[B, F]` and labels, reshuffled each epoch | PyTorch's `DataLoader` |
//!
//! The whole pipeline, on a CSV held in memory:
//!
//! ```
//! use synann_datasets::tabular::{read_csv_from_reader, Standardizer, TabularLoader};
//!
//! let csv = "height,weight,label\n\
//!            1.0,10,0\n2.0,20,1\n3.0,30,0\n4.0,40,1\n5.0,50,0\n\
//!            6.0,60,1\n7.0,70,0\n8.0,80,1\n9.0,90,0\n10.0,100,1\n";
//! let data = read_csv_from_reader(csv.as_bytes(), "label")?;
//! assert_eq!((data.len(), data.num_features(), data.num_classes()), (10, 2, 2));
//!
//! let splits = data.train_val_test_split([0.6, 0.2, 0.2], 7)?;
//! assert_eq!((splits.train.len(), splits.validation.len(), splits.test.len()), (6, 2, 2));
//!
//! // Statistics of the training rows only, applied to every split.
//! let scaler = Standardizer::fit(&splits.train)?;
//! let train = scaler.transform(&splits.train)?;
//! let test = scaler.transform(&splits.test)?;
//! assert_eq!(test.num_features(), 2);
//!
//! let loader = TabularLoader::new(&train, 4)?.shuffle(true).seed(1);
//! for (features, labels) in loader.epoch(0) {
//!     assert_eq!(features.shape()[1], 2);
//!     assert_eq!(features.shape()[0], labels.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod loader;
mod read;
mod split;
mod standardize;

pub use loader::{TabularBatches, TabularLoader};
pub use read::{
    breast_cancer_path, load_breast_cancer, read_csv, read_csv_from_reader, CsvError, CsvErrorKind,
    BREAST_CANCER_CLASSES, BREAST_CANCER_DIR, BREAST_CANCER_FILE, BREAST_CANCER_LABEL, MAX_CLASSES,
};
pub use split::Splits;
pub use standardize::Standardizer;

use std::fmt;
use synann_tensor::Tensor;

/// What is wrong with tabular data or with a request on it (building a
/// [`Tabular`], splitting, standardising, batching). Reading a CSV has its
/// own error, [`CsvError`].
#[derive(Clone, Debug, PartialEq)]
pub enum TabularError {
    /// The features are not `rows × columns` values.
    ShapeMismatch {
        /// The number of feature values given.
        values: usize,
        /// The number of rows (labels).
        rows: usize,
        /// The number of feature columns (names).
        columns: usize,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// The row (0-based).
        row: usize,
        /// The label found.
        label: usize,
        /// The number of classes.
        num_classes: usize,
    },
    /// A feature value is NaN or infinite.
    NonFiniteFeature {
        /// The row (0-based).
        row: usize,
        /// The column's name.
        column: String,
    },
    /// The split fractions are not each in [0, 1] with a sum of 1.
    InvalidFractions {
        /// The fractions given.
        fractions: Vec<f64>,
    },
    /// A split part would have no rows.
    EmptySplit {
        /// Which part (0-based, in the order of the fractions).
        part: usize,
        /// Its fraction.
        fraction: f64,
        /// The rows of the whole set.
        rows: usize,
    },
    /// The operation needs at least one row.
    NoRows,
    /// The data has another number of features than expected (a
    /// [`Standardizer`] fitted on other columns).
    FeatureCountMismatch {
        /// The features expected.
        expected: usize,
        /// The features found.
        found: usize,
    },
    /// A [`TabularLoader`] was asked for batches of 0 rows.
    ZeroBatchSize,
}

impl fmt::Display for TabularError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TabularError::ShapeMismatch {
                values,
                rows,
                columns,
            } => write!(
                f,
                "{values} feature values cannot fill {rows} rows of {columns} columns \
                 ({} needed)",
                rows * columns
            ),
            TabularError::LabelOutOfRange {
                row,
                label,
                num_classes,
            } => write!(
                f,
                "row {row}: label {label} is not below the number of classes {num_classes}"
            ),
            TabularError::NonFiniteFeature { row, column } => {
                write!(
                    f,
                    "row {row}, column '{column}': the value is NaN or infinite"
                )
            }
            TabularError::InvalidFractions { fractions } => write!(
                f,
                "split fractions {fractions:?} must each be in [0, 1] and sum to 1"
            ),
            TabularError::EmptySplit {
                part,
                fraction,
                rows,
            } => write!(
                f,
                "split part {part} (fraction {fraction}) of {rows} rows would have no rows"
            ),
            TabularError::NoRows => write!(f, "the data has no rows"),
            TabularError::FeatureCountMismatch { expected, found } => {
                write!(f, "expected {expected} feature columns, found {found}")
            }
            TabularError::ZeroBatchSize => write!(f, "the batch size must be at least 1"),
        }
    }
}

impl std::error::Error for TabularError {}

/// A table of numeric features with one class label per row: f32 features
/// `[N, F]` stored row-major, `usize` labels below `num_classes`, and the
/// name of each feature column.
///
/// Every feature is finite and every label is below `num_classes` (checked
/// by [`Tabular::new`]).
///
/// ```
/// use synann_datasets::tabular::Tabular;
/// let names = vec!["age".to_string(), "dose".to_string()];
/// let data = Tabular::new(names, vec![30.0, 1.5, 40.0, 2.5, 50.0, 0.5], vec![0, 1, 1], 2)?;
/// assert_eq!((data.len(), data.num_features()), (3, 2));
/// assert_eq!(data.row(1), &[40.0, 2.5]);
/// assert_eq!(data.to_tensor().shape(), &[3, 2]);
/// assert_eq!(data.label_histogram(), vec![1, 2]);
/// # Ok::<(), synann_datasets::tabular::TabularError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Tabular {
    feature_names: Vec<String>,
    features: Vec<f32>,
    labels: Vec<usize>,
    num_classes: usize,
}

impl Tabular {
    /// A table of `labels.len()` rows whose features are `features`, row
    /// after row, one column per name of `feature_names`.
    ///
    /// Fails if the number of values is not rows × columns, if a value is
    /// NaN or infinite, or if a label is not below `num_classes`.
    pub fn new(
        feature_names: Vec<String>,
        features: Vec<f32>,
        labels: Vec<usize>,
        num_classes: usize,
    ) -> Result<Self, TabularError> {
        let columns = feature_names.len();
        if features.len() != labels.len() * columns {
            return Err(TabularError::ShapeMismatch {
                values: features.len(),
                rows: labels.len(),
                columns,
            });
        }
        if let Some(i) = features.iter().position(|v| !v.is_finite()) {
            return Err(TabularError::NonFiniteFeature {
                row: i / columns,
                column: feature_names[i % columns].clone(),
            });
        }
        if let Some((row, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= num_classes) {
            return Err(TabularError::LabelOutOfRange {
                row,
                label,
                num_classes,
            });
        }
        Ok(Tabular {
            feature_names,
            features,
            labels,
            num_classes,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of feature columns, F.
    pub fn num_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The number of classes; every label is below it.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The name of each feature column, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Every feature value, row after row (`[N, F]` row-major).
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// The label of every row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The features of row `i`; panics if `i` is not below [`Tabular::len`],
    /// like slice indexing.
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(
            i < self.len(),
            "Tabular::row: row {i} out of range for {} rows",
            self.len()
        );
        let f = self.num_features();
        &self.features[i * f..(i + 1) * f]
    }

    /// How many rows each class has (`histogram[c]` for class `c`).
    pub fn label_histogram(&self) -> Vec<usize> {
        let mut histogram = vec![0; self.num_classes];
        for &l in &self.labels {
            histogram[l] += 1;
        }
        histogram
    }

    /// All features as one tensor `[N, F]`.
    pub fn to_tensor(&self) -> Tensor<f32> {
        Tensor::from_vec(self.features.clone(), &[self.len(), self.num_features()])
    }

    /// The rows `indices` (each below [`Tabular::len`]), in that order.
    fn select(&self, indices: &[usize]) -> Tabular {
        let features = indices
            .iter()
            .flat_map(|&i| self.row(i).iter().copied())
            .collect();
        Tabular {
            feature_names: self.feature_names.clone(),
            features,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            num_classes: self.num_classes,
        }
    }

    /// The same rows and labels with other feature values (same length;
    /// the caller keeps them finite).
    fn with_features(&self, features: Vec<f32>) -> Tabular {
        debug_assert_eq!(features.len(), self.features.len());
        Tabular {
            feature_names: self.feature_names.clone(),
            features,
            labels: self.labels.clone(),
            num_classes: self.num_classes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    #[test]
    fn new_checks_shape_values_and_labels() {
        let err = Tabular::new(names(2), vec![1.0; 5], vec![0, 1, 0], 2).unwrap_err();
        assert_eq!(
            err,
            TabularError::ShapeMismatch {
                values: 5,
                rows: 3,
                columns: 2
            }
        );
        assert!(err.to_string().contains("(6 needed)"));

        let err = Tabular::new(names(2), vec![1.0, 2.0, f32::NAN, 4.0], vec![0, 1], 2).unwrap_err();
        assert_eq!(
            err,
            TabularError::NonFiniteFeature {
                row: 1,
                column: "f0".into()
            }
        );

        let err = Tabular::new(names(1), vec![1.0, 2.0], vec![0, 2], 2).unwrap_err();
        assert_eq!(
            err,
            TabularError::LabelOutOfRange {
                row: 1,
                label: 2,
                num_classes: 2
            }
        );
        assert!(err.to_string().contains("label 2 is not below"));
    }

    #[test]
    fn accessors_select_and_tensor() {
        let t = Tabular::new(names(2), vec![1., 2., 3., 4., 5., 6.], vec![2, 0, 2], 3).unwrap();
        assert_eq!(t.row(2), &[5.0, 6.0]);
        assert_eq!(t.label_histogram(), vec![1, 0, 2]);
        let s = t.select(&[2, 0]);
        assert_eq!(s.features(), &[5.0, 6.0, 1.0, 2.0]);
        assert_eq!(s.labels(), &[2, 2]);
        let x = t.to_tensor();
        assert_eq!(x.shape(), &[3, 2]);
        assert_eq!(x.data(), t.features());
    }
}
