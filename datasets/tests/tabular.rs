//! The tabular pipeline end to end: a CSV file written here, read, split,
//! standardised on the training part and batched; and the shipped Breast
//! Cancer Wisconsin file.

use crate::common;

use common::Scratch;
use synann_datasets::tabular::{
    load_breast_cancer, read_csv, CsvErrorKind, Standardizer, TabularLoader, BREAST_CANCER_CLASSES,
};

/// Twelve rows: `dose` = row number, `weight` = 50 + 2·row, `site` constant
/// 7, and the label (`outcome`, in the middle) = row mod 2.
fn tiny_csv() -> String {
    let mut text = String::from("dose,outcome,weight,site\n");
    for i in 0..12 {
        text += &format!("{i},{},{},7\n", i % 2, 50 + 2 * i);
    }
    text
}

#[test]
fn csv_to_batches() {
    let scratch = Scratch::new("tabular-pipeline");
    let path = scratch.file("tiny.csv", tiny_csv().as_bytes());
    let data = read_csv(&path, "outcome").unwrap();
    assert_eq!(data.feature_names(), &["dose", "weight", "site"]);
    assert_eq!((data.len(), data.num_classes()), (12, 2));
    assert_eq!(data.row(3), &[3.0, 56.0, 7.0]);

    let splits = data.train_val_test_split([0.5, 0.25, 0.25], 42).unwrap();
    assert_eq!(
        (
            splits.train.len(),
            splits.validation.len(),
            splits.test.len()
        ),
        (6, 3, 3)
    );

    let scaler = Standardizer::fit(&splits.train).unwrap();
    // The statistics are the training rows' (dose = row number there).
    let train_doses: Vec<f64> = (0..6).map(|r| f64::from(splits.train.row(r)[0])).collect();
    let mean = train_doses.iter().sum::<f64>() / 6.0;
    assert!((f64::from(scaler.mean()[0]) - mean).abs() < 1e-5);
    assert_eq!(scaler.std()[2], 0.0, "the constant column");

    let train = scaler.transform(&splits.train).unwrap();
    let test = scaler.transform(&splits.test).unwrap();
    for r in 0..test.len() {
        // weight = 50 + 2·dose survives standardisation as the same line
        // in standard units, on the test rows too.
        let (dose, weight) = (test.row(r)[0], test.row(r)[1]);
        assert!((dose - weight).abs() < 1e-4, "row {r}: {dose} vs {weight}");
        assert_eq!(test.row(r)[2], 0.0);
    }

    let loader = TabularLoader::new(&train, 4).unwrap().shuffle(true).seed(9);
    let mut rows = 0;
    for epoch in 0..2 {
        for (x, labels) in loader.epoch(epoch) {
            assert_eq!(x.shape(), &[labels.len(), 3]);
            rows += labels.len();
        }
    }
    assert_eq!(rows, 12);
}

#[test]
fn a_bad_file_names_the_file_line_and_column() {
    let scratch = Scratch::new("tabular-bad");
    let text = tiny_csv().replace("7,1,64,7", "7,1,sixty-four,7");
    let path = scratch.file("bad.csv", text.as_bytes());
    let err = read_csv(&path, "outcome").unwrap_err();
    assert!(matches!(err.kind, CsvErrorKind::NonNumeric { line: 9, .. }));
    let message = err.to_string();
    assert!(message.contains("bad.csv: line 9, column 'weight': 'sixty-four' is not a number"));
}

#[test]
fn shipped_breast_cancer() {
    let data = load_breast_cancer().unwrap();
    assert_eq!(
        (data.len(), data.num_features(), data.num_classes()),
        (569, 30, 2)
    );
    assert_eq!(data.label_histogram(), vec![212, 357]);
    assert_eq!(BREAST_CANCER_CLASSES, ["malignant", "benign"]);
    assert_eq!(data.feature_names()[0], "mean radius");
    assert_eq!(data.feature_names()[29], "worst fractal dimension");
    assert_eq!(data.row(0)[0], 17.99);
}
