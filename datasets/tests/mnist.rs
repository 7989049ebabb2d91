//! The MNIST loader: the shipped copy, the dataset checks, and the search
//! for the data directory.

use crate::common;

use common::{write_tiny_mnist, Scratch};
use std::path::Path;
use std::sync::OnceLock;
use synann_datasets::idx::{write_idx, Gzip, IdxArray, IdxData};
use synann_datasets::{
    DataLoader, FashionMnist, IdxError, LoadOptions, Mnist, MNIST_MEAN, MNIST_STD,
};

fn shipped_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"))
}

/// The shipped MNIST, read once for all the tests of this binary.
fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::load(shipped_dir()).expect("the shipped MNIST loads"))
}

#[test]
fn shipped_mnist_has_the_published_sizes_and_first_labels() {
    let m = mnist();
    assert_eq!(m.train.len(), 60000);
    assert_eq!(m.test.len(), 10000);
    assert_eq!((m.train.rows(), m.train.cols()), (28, 28));
    assert_eq!(m.train.pixels().len(), 60000 * 784);
    assert_eq!(&m.train.labels()[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(&m.test.labels()[..5], &[7, 2, 1, 0, 4]);
}

#[test]
fn label_histograms_are_the_published_ones() {
    let m = mnist();
    let train = m.train.label_histogram();
    let test = m.test.label_histogram();
    assert_eq!(train.iter().sum::<usize>(), 60000);
    assert_eq!(test.iter().sum::<usize>(), 10000);
    // Class counts of MNIST (e.g. torchvision's documentation).
    assert_eq!(
        train,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        test,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn normalised_training_set_has_zero_mean_and_unit_std() {
    let m = mnist();
    let loader = DataLoader::new(&m.train, 1000).normalize(MNIST_MEAN, MNIST_STD);
    let (mut n, mut sum, mut sum_sq) = (0usize, 0.0f64, 0.0f64);
    for (images, labels) in loader.epoch(0) {
        assert_eq!(images.shape(), &[labels.len(), 1, 28, 28]);
        n += images.numel();
        for &v in images.data() {
            sum += f64::from(v);
            sum_sq += f64::from(v) * f64::from(v);
        }
    }
    let mean = sum / n as f64;
    let std = (sum_sq / n as f64 - mean * mean).sqrt();
    assert_eq!(n, 60000 * 784);
    assert!(mean.abs() < 1e-3, "mean {mean}");
    assert!((std - 1.0).abs() < 1e-3, "std {std}");
}

#[test]
fn pixels_scale_to_the_unit_interval() {
    let m = mnist();
    let t = {
        let mut first = m.test.clone();
        first.truncate(100);
        first.to_tensor()
    };
    assert_eq!(t.shape(), &[100, 1, 28, 28]);
    assert!(t.data().iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(t.data().iter().cloned().fold(0.0, f32::max), 1.0);
}

#[test]
fn limit_keeps_the_first_images() {
    let options = LoadOptions {
        dir: Some(shipped_dir().to_path_buf()),
        limit: Some(7),
    };
    let m = Mnist::load_with(&options).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (7, 7));
    assert_eq!(&m.train.labels()[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(m.train.image(6), mnist().train.image(6));
}

#[test]
fn raw_files_are_read_when_no_gzip_exists() {
    let s = Scratch::new("raw-mnist");
    write_tiny_mnist(s.path(), 3, |i| i as u8);
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"] {
        let gz = s.path().join(format!("{name}.gz"));
        let array = synann_datasets::idx::read_idx(&gz).unwrap();
        std::fs::remove_file(&gz).unwrap();
        write_idx(s.path().join(name), &array, Gzip::No).unwrap();
    }
    let m = Mnist::load(s.path()).unwrap();
    assert_eq!(m.train.labels(), &[0, 1, 2]);
    assert_eq!(m.train.image(2)[0], 2);
}

#[test]
fn image_and_label_counts_must_agree() {
    let s = Scratch::new("count-mismatch");
    write_tiny_mnist(s.path(), 4, |_| 1);
    let labels = IdxArray::new(vec![3], IdxData::U8(vec![1, 2, 3]));
    let path = s.path().join("t10k-labels-idx1-ubyte.gz");
    write_idx(&path, &labels, Gzip::Yes).unwrap();
    let err = Mnist::load(s.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            IdxError::CountMismatch {
                image_count: 4,
                label_count: 3,
                labels,
                ..
            } if *labels == path
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("t10k-images") && message.contains("t10k-labels"));
}

#[test]
fn labels_above_9_are_rejected() {
    let s = Scratch::new("label-range");
    write_tiny_mnist(s.path(), 5, |i| if i == 3 { 10 } else { 0 });
    let err = Mnist::load(s.path()).unwrap_err();
    assert!(
        matches!(
            err,
            IdxError::LabelOutOfRange {
                index: 3,
                label: 10,
                num_classes: 10,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("train-labels-idx1-ubyte.gz"));
}

#[test]
fn wrong_image_type_or_shape_is_rejected() {
    let s = Scratch::new("layout");
    write_tiny_mnist(s.path(), 2, |_| 0);
    let path = s.path().join("train-images-idx3-ubyte.gz");
    let wrong_shape = IdxArray::new(vec![2, 27, 29], IdxData::U8(vec![0; 2 * 27 * 29]));
    write_idx(&path, &wrong_shape, Gzip::Yes).unwrap();
    let err = Mnist::load(s.path()).unwrap_err();
    assert!(
        matches!(&err, IdxError::UnexpectedLayout { found, .. } if found == "u8 [2, 27, 29]"),
        "{err:?}"
    );
    let wrong_type = IdxArray::new(vec![2, 28, 28], IdxData::F32(vec![0.0; 2 * 784]));
    write_idx(&path, &wrong_type, Gzip::Yes).unwrap();
    let err = Mnist::load(s.path()).unwrap_err();
    assert!(
        matches!(&err, IdxError::UnexpectedLayout { found, .. } if found == "f32 [2, 28, 28]"),
        "{err:?}"
    );
}

#[test]
fn a_missing_label_file_is_an_io_error_naming_it() {
    let s = Scratch::new("missing-labels");
    write_tiny_mnist(s.path(), 2, |_| 0);
    std::fs::remove_file(s.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = FashionMnist::load(s.path()).unwrap_err();
    assert!(matches!(err, IdxError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"));
}

#[test]
fn an_explicit_directory_without_the_files_is_not_found() {
    let s = Scratch::new("not-found");
    let err = Mnist::load(s.path()).unwrap_err();
    match &err {
        IdxError::NotFound { dataset, tried } => {
            assert_eq!(*dataset, "MNIST");
            assert_eq!(tried, &[s.path().to_path_buf()]);
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(err.to_string().contains(&s.path().display().to_string()));
}

#[test]
fn fashion_mnist_reads_the_same_format() {
    let s = Scratch::new("fashion");
    write_tiny_mnist(s.path(), 6, |i| (9 - i) as u8);
    let f = FashionMnist::load(s.path()).unwrap();
    assert_eq!(f.test.labels(), &[9, 8, 7, 6, 5, 4]);
    assert_eq!(FashionMnist::CLASSES[f.test.labels()[0]], "Ankle boot");
}
