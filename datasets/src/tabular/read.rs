//! Reading a CSV file into a [`Tabular`]; the format is described on
//! [`read_csv`].

use super::Tabular;
use crate::mnist::search_path;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder of the Breast Cancer data set, under `$SYNANN_DATA` or
/// `datasets/data/`.
pub const BREAST_CANCER_DIR: &str = "breast_cancer";
/// The file name of the Breast Cancer data set in its folder.
pub const BREAST_CANCER_FILE: &str = "breast_cancer.csv";
/// The label column of the Breast Cancer data set.
pub const BREAST_CANCER_LABEL: &str = "diagnosis";
/// The classes of the Breast Cancer data set, by label: 0 = malignant,
/// 1 = benign (scikit-learn's coding).
pub const BREAST_CANCER_CLASSES: [&str; 2] = ["malignant", "benign"];

/// Labels must be below this (65536): a larger one is far more likely a
/// wrong label column (an identifier, a count) than a class, and would make
/// per-class tables that large.
pub const MAX_CLASSES: usize = 1 << 16;

/// Why a CSV could not be read: the file (if it was read from one) and
/// what went wrong ([`CsvErrorKind`]).
#[derive(Debug)]
pub struct CsvError {
    /// The file read, `None` for [`read_csv_from_reader`].
    pub path: Option<PathBuf>,
    /// What went wrong, and where.
    pub kind: CsvErrorKind,
}

/// What went wrong reading a CSV. Lines count from 1, the header being
/// line 1; columns are named as in the header.
#[derive(Debug)]
pub enum CsvErrorKind {
    /// No candidate file exists (from [`load_breast_cancer`]).
    NotFound {
        /// Every file tried, in order.
        tried: Vec<PathBuf>,
    },
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The CSV parser failed (for instance on bytes that are not UTF-8).
    Malformed {
        /// The line, if the parser knows it.
        line: Option<u64>,
        /// The parser's message.
        message: String,
    },
    /// The file has no header row.
    EmptyFile,
    /// The file has a header but no data rows.
    NoRows,
    /// No column has the label column's name.
    MissingLabelColumn {
        /// The name looked for.
        label_column: String,
        /// The columns of the header.
        columns: Vec<String>,
    },
    /// Two header columns have the same name.
    DuplicateColumn {
        /// The repeated name.
        name: String,
    },
    /// The header has the label column only.
    NoFeatureColumns,
    /// A row does not have one field per header column.
    WrongColumnCount {
        /// The row's line.
        line: u64,
        /// The header's column count.
        expected: usize,
        /// The row's field count.
        found: usize,
    },
    /// A field is empty.
    MissingValue {
        /// The row's line.
        line: u64,
        /// The column's name.
        column: String,
    },
    /// A feature field is not a number.
    NonNumeric {
        /// The row's line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field as written.
        value: String,
    },
    /// A feature field is NaN or infinite.
    NonFinite {
        /// The row's line.
        line: u64,
        /// The column's name.
        column: String,
        /// The field as written.
        value: String,
    },
    /// A label field is not a non-negative integer below [`MAX_CLASSES`].
    LabelNotAClass {
        /// The row's line.
        line: u64,
        /// The label column's name.
        column: String,
        /// The field as written.
        value: String,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.kind),
            None => write!(f, "CSV: {}", self.kind),
        }
    }
}

impl fmt::Display for CsvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorKind::NotFound { tried } => {
                let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                write!(f, "not found; tried {}", tried.join(", "))
            }
            CsvErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            CsvErrorKind::Malformed {
                line: Some(line),
                message,
            } => write!(f, "line {line}: malformed CSV: {message}"),
            CsvErrorKind::Malformed {
                line: None,
                message,
            } => write!(f, "malformed CSV: {message}"),
            CsvErrorKind::EmptyFile => write!(f, "the file is empty (no header row)"),
            CsvErrorKind::NoRows => write!(f, "the file has a header but no data rows"),
            CsvErrorKind::MissingLabelColumn {
                label_column,
                columns,
            } => write!(
                f,
                "no label column '{label_column}' in the header (columns: {})",
                columns.join(", ")
            ),
            CsvErrorKind::DuplicateColumn { name } => {
                write!(f, "the header names column '{name}' twice")
            }
            CsvErrorKind::NoFeatureColumns => {
                write!(f, "the header has no feature column besides the label")
            }
            CsvErrorKind::WrongColumnCount {
                line,
                expected,
                found,
            } => write!(
                f,
                "line {line}: {found} fields, but the header has {expected} columns"
            ),
            CsvErrorKind::MissingValue { line, column } => {
                write!(f, "line {line}, column '{column}': the value is missing")
            }
            CsvErrorKind::NonNumeric {
                line,
                column,
                value,
            } => write!(
                f,
                "line {line}, column '{column}': '{value}' is not a number"
            ),
            CsvErrorKind::NonFinite {
                line,
                column,
                value,
            } => write!(
                f,
                "line {line}, column '{column}': '{value}' is not finite (NaN or infinite)"
            ),
            CsvErrorKind::LabelNotAClass {
                line,
                column,
                value,
            } => write!(
                f,
                "line {line}, label column '{column}': '{value}' is not a class \
                 (a non-negative integer below {MAX_CLASSES}, such as 0, 1, 2)"
            ),
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CsvErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads the CSV file at `path`, with the labels in the column named
/// `label_column` and every other column a feature.
///
/// The format: a header row of column names, then one row per sample, all
/// with as many fields as the header. The label column holds a
/// non-negative integer written as such (`0`, `1`, …; not `1.0`) below
/// [`MAX_CLASSES`]; every
/// other column is a feature, a finite number (anything Rust's `f32` parser
/// accepts, e.g. `3`, `-0.25`, `1e-3`). Spaces around fields are ignored;
/// blank lines are skipped. The number of classes is the largest label
/// plus one.
///
/// Anything else is a [`CsvError`] naming the file, the line (the header
/// is line 1) and the column.
///
/// ```no_run
/// use synann_datasets::tabular::read_csv;
/// let data = read_csv("datasets/data/breast_cancer/breast_cancer.csv", "diagnosis")?;
/// assert_eq!((data.len(), data.num_features()), (569, 30));
/// # Ok::<(), synann_datasets::tabular::CsvError>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>, label_column: &str) -> Result<Tabular, CsvError> {
    let path = path.as_ref();
    let in_file = |kind| CsvError {
        path: Some(path.to_path_buf()),
        kind,
    };
    let file = std::fs::File::open(path).map_err(|e| in_file(CsvErrorKind::Io(e)))?;
    parse(file, label_column).map_err(in_file)
}

/// Reads a CSV from any reader, as [`read_csv`] does from a file.
///
/// ```
/// use synann_datasets::tabular::{read_csv_from_reader, CsvErrorKind};
/// let data = read_csv_from_reader("x,y\n0.5,1\n1.5,0\n".as_bytes(), "y")?;
/// assert_eq!(data.features(), &[0.5, 1.5]);
/// assert_eq!(data.labels(), &[1, 0]);
///
/// let err = read_csv_from_reader("x,y\n0.5,1\nabc,0\n".as_bytes(), "y").unwrap_err();
/// assert!(matches!(err.kind, CsvErrorKind::NonNumeric { line: 3, .. }));
/// assert_eq!(err.to_string(), "CSV: line 3, column 'x': 'abc' is not a number");
/// # Ok::<(), synann_datasets::tabular::CsvError>(())
/// ```
pub fn read_csv_from_reader(reader: impl Read, label_column: &str) -> Result<Tabular, CsvError> {
    parse(reader, label_column).map_err(|kind| CsvError { path: None, kind })
}

/// Where [`load_breast_cancer`] reads from: `breast_cancer/breast_cancer.csv`
/// under `$SYNANN_DATA` if that file exists, else the copy shipped in the
/// source tree (`datasets/data/breast_cancer/`).
pub fn breast_cancer_path() -> Result<PathBuf, CsvError> {
    let tried: Vec<PathBuf> = search_path(BREAST_CANCER_DIR, None)
        .into_iter()
        .map(|dir| dir.join(BREAST_CANCER_FILE))
        .collect();
    match tried.iter().find(|p| p.is_file()) {
        Some(path) => Ok(path.clone()),
        None => Err(CsvError {
            path: None,
            kind: CsvErrorKind::NotFound { tried },
        }),
    }
}

/// The Breast Cancer Wisconsin (Diagnostic) data set (UCI; CC BY 4.0): 569
/// rows, 30 features, labels 0 = malignant and 1 = benign
/// ([`BREAST_CANCER_CLASSES`]), read from [`breast_cancer_path`]. See
/// `datasets/data/breast_cancer/README.md` for its source.
///
/// ```no_run
/// use synann_datasets::tabular::load_breast_cancer;
/// let data = load_breast_cancer()?;
/// assert_eq!((data.len(), data.num_features(), data.num_classes()), (569, 30, 2));
/// assert_eq!(data.label_histogram(), vec![212, 357]);
/// # Ok::<(), synann_datasets::tabular::CsvError>(())
/// ```
pub fn load_breast_cancer() -> Result<Tabular, CsvError> {
    read_csv(breast_cancer_path()?, BREAST_CANCER_LABEL)
}

/// Parses the whole CSV; errors carry no path yet.
fn parse(reader: impl Read, label_column: &str) -> Result<Tabular, CsvErrorKind> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        // Rows of the wrong length are reported by us, with their line.
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header: Vec<String> = csv
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() {
        return Err(CsvErrorKind::EmptyFile);
    }
    let label_index = header_layout(&header, label_column)?;
    let feature_names: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != label_index)
        .map(|(_, name)| name.clone())
        .collect();

    let mut features = Vec::new();
    let mut labels = Vec::new();
    for record in csv.records() {
        let record = record.map_err(malformed)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(CsvErrorKind::WrongColumnCount {
                line,
                expected: header.len(),
                found: record.len(),
            });
        }
        for (j, field) in record.iter().enumerate() {
            let column = || header[j].clone();
            if field.is_empty() {
                return Err(CsvErrorKind::MissingValue {
                    line,
                    column: column(),
                });
            }
            if j == label_index {
                match field.parse::<usize>() {
                    Ok(label) if label < MAX_CLASSES => labels.push(label),
                    _ => {
                        return Err(CsvErrorKind::LabelNotAClass {
                            line,
                            column: column(),
                            value: field.to_string(),
                        })
                    }
                }
            } else {
                features.push(parse_feature(field, line, column)?);
            }
        }
    }
    let Some(&largest) = labels.iter().max() else {
        return Err(CsvErrorKind::NoRows);
    };
    Ok(Tabular::new(feature_names, features, labels, largest + 1)
        .expect("every row was checked while it was read"))
}

/// Checks the header (no repeated name, the label present, at least one
/// feature) and returns the label's column index.
fn header_layout(header: &[String], label_column: &str) -> Result<usize, CsvErrorKind> {
    for (j, name) in header.iter().enumerate() {
        if header[..j].contains(name) {
            return Err(CsvErrorKind::DuplicateColumn { name: name.clone() });
        }
    }
    let label_index = header
        .iter()
        .position(|name| name == label_column)
        .ok_or_else(|| CsvErrorKind::MissingLabelColumn {
            label_column: label_column.to_string(),
            columns: header.to_vec(),
        })?;
    if header.len() == 1 {
        return Err(CsvErrorKind::NoFeatureColumns);
    }
    Ok(label_index)
}

/// A feature field as a finite `f32`.
fn parse_feature(field: &str, line: u64, column: impl Fn() -> String) -> Result<f32, CsvErrorKind> {
    let value = field.parse::<f32>().map_err(|_| CsvErrorKind::NonNumeric {
        line,
        column: column(),
        value: field.to_string(),
    })?;
    if !value.is_finite() {
        return Err(CsvErrorKind::NonFinite {
            line,
            column: column(),
            value: field.to_string(),
        });
    }
    Ok(value)
}

/// The csv crate's own error (bad UTF-8, an I/O failure while reading).
fn malformed(e: csv::Error) -> CsvErrorKind {
    let line = e.position().map(|p| p.line());
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => CsvErrorKind::Io(io),
        _ => CsvErrorKind::Malformed { line, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Tabular, CsvErrorKind> {
        read_csv_from_reader(text.as_bytes(), "y").map_err(|e| e.kind)
    }

    #[test]
    fn reads_features_labels_and_classes() {
        let t = read("a, y ,b\n1.5, 2, -3\n 4,0,5e-1\n\n7,1,8\n").unwrap();
        assert_eq!(t.feature_names(), &["a", "b"]);
        assert_eq!(t.features(), &[1.5, -3.0, 4.0, 0.5, 7.0, 8.0]);
        assert_eq!(t.labels(), &[2, 0, 1]);
        assert_eq!(t.num_classes(), 3);
    }

    #[test]
    fn empty_file_and_header_only() {
        assert!(matches!(read(""), Err(CsvErrorKind::EmptyFile)));
        assert!(matches!(read("a,y\n"), Err(CsvErrorKind::NoRows)));
        assert!(CsvErrorKind::NoRows.to_string().contains("no data rows"));
    }

    #[test]
    fn header_problems() {
        match read("a,b\n1,2\n") {
            Err(CsvErrorKind::MissingLabelColumn {
                label_column,
                columns,
            }) => {
                assert_eq!(label_column, "y");
                assert_eq!(columns, ["a", "b"]);
            }
            other => panic!("expected MissingLabelColumn, got {other:?}"),
        }
        match read("a,y,a\n1,0,2\n") {
            Err(CsvErrorKind::DuplicateColumn { name }) => assert_eq!(name, "a"),
            other => panic!("expected DuplicateColumn, got {other:?}"),
        }
        assert!(matches!(
            read("y\n1\n"),
            Err(CsvErrorKind::NoFeatureColumns)
        ));
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        match read("a,b,y\n1,2,0\n1,2\n") {
            Err(e @ CsvErrorKind::WrongColumnCount { .. }) => {
                assert_eq!(
                    e.to_string(),
                    "line 3: 2 fields, but the header has 3 columns"
                );
            }
            other => panic!("expected WrongColumnCount, got {other:?}"),
        }
        assert!(matches!(
            read("a,y\n1,0,9\n"),
            Err(CsvErrorKind::WrongColumnCount {
                line: 2,
                expected: 2,
                found: 3
            })
        ));
    }

    #[test]
    fn bad_values_name_line_and_column() {
        match read("a,b,y\n1,2,0\n1,x1,1\n") {
            Err(e @ CsvErrorKind::NonNumeric { .. }) => {
                assert_eq!(e.to_string(), "line 3, column 'b': 'x1' is not a number");
            }
            other => panic!("expected NonNumeric, got {other:?}"),
        }
        for bad in ["NaN", "inf", "-infinity"] {
            match read(&format!("a,y\n{bad},0\n")) {
                Err(CsvErrorKind::NonFinite {
                    line: 2,
                    column,
                    value,
                }) => {
                    assert_eq!((column.as_str(), value.as_str()), ("a", bad));
                }
                other => panic!("expected NonFinite for {bad}, got {other:?}"),
            }
        }
        match read("a,y\n1,\n") {
            Err(e @ CsvErrorKind::MissingValue { .. }) => {
                assert_eq!(e.to_string(), "line 2, column 'y': the value is missing");
            }
            other => panic!("expected MissingValue, got {other:?}"),
        }
        assert!(matches!(
            read("a,y\n,1\n"),
            Err(CsvErrorKind::MissingValue { line: 2, .. })
        ));
    }

    #[test]
    fn labels_must_be_integer_classes() {
        for bad in ["1.0", "-1", "yes", "0.5", "65536", "99999999999999999999"] {
            match read(&format!("a,y\n1,0\n2,{bad}\n")) {
                Err(CsvErrorKind::LabelNotAClass {
                    line: 3,
                    column,
                    value,
                }) => {
                    assert_eq!((column.as_str(), value.as_str()), ("y", bad));
                }
                other => panic!("expected LabelNotAClass for {bad}, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        let bytes = b"a,y\n1,0\n\xff\xfe,1\n";
        let err = read_csv_from_reader(&bytes[..], "y").unwrap_err();
        assert!(
            matches!(err.kind, CsvErrorKind::Malformed { line: Some(3), .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_file_is_an_io_error_with_its_path() {
        let path = std::env::temp_dir().join("synann-no-such-file-4f1c.csv");
        let err = read_csv(&path, "y").unwrap_err();
        assert!(matches!(err.kind, CsvErrorKind::Io(_)));
        assert_eq!(err.path.as_deref(), Some(path.as_path()));
        assert!(err.to_string().starts_with(&path.display().to_string()));
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn not_found_lists_the_files_tried() {
        let err = CsvError {
            path: None,
            kind: CsvErrorKind::NotFound {
                tried: vec!["/a/x.csv".into(), "/b/x.csv".into()],
            },
        };
        assert_eq!(err.to_string(), "CSV: not found; tried /a/x.csv, /b/x.csv");
    }
}
