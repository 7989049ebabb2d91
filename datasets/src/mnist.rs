//! MNIST and Fashion-MNIST: finding the files, reading and checking them.
//!
//! Both datasets are four IDX files with the same names and layout:
//!
//! | file | contents |
//! |---|---|
//! | `train-images-idx3-ubyte` | `u8 [60000, 28, 28]` |
//! | `train-labels-idx1-ubyte` | `u8 [60000]`, classes 0 to 9 |
//! | `t10k-images-idx3-ubyte` | `u8 [10000, 28, 28]` |
//! | `t10k-labels-idx1-ubyte` | `u8 [10000]`, classes 0 to 9 |
//!
//! each either gzipped (name + `.gz`, preferred when both exist) or raw.
//!
//! Each split is an [`ImageSet`]: the pixels stay `u8` (a quarter of the
//! memory of `f32`); [`ImageSet::to_tensor`] gives the whole split as a
//! `Tensor<f32>` `[N, 1, 28, 28]` scaled to [0, 1], and the
//! [`DataLoader`](crate::DataLoader) converts batch by batch. Labels are
//! `usize`, checked to be below 10 when loading.
//!
//! # Where the data is looked for
//!
//! [`Mnist::load`] reads the directory it is given and nothing else.
//! [`Mnist::load_default`] (and [`Mnist::load_with`] without a `dir`) tries,
//! in order:
//!
//! 1. `$SYNANN_DATA/mnist/` (`$SYNANN_DATA/fashion-mnist/` for
//!    Fashion-MNIST), if the `SYNANN_DATA` environment variable is set;
//! 2. the copy in the source tree, `datasets/data/mnist/` (found through the
//!    crate's `CARGO_MANIFEST_DIR` at build time; only MNIST is shipped).
//!
//! A directory counts when it holds the training images. If none does, the
//! error ([`IdxError::NotFound`]) lists every directory tried.

use crate::idx::{read_idx, read_idx_head, IdxArray, IdxData, IdxError};
use crate::image_set::ImageSet;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// The environment variable naming a directory that holds dataset folders.
pub const DATA_ENV: &str = "SYNANN_DATA";

const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
const SIDE: usize = 28;
const NUM_CLASSES: usize = 10;

/// How to load a dataset: where from and how much of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The directory holding the four files; `None` searches as described in
    /// the [module documentation](self).
    pub dir: Option<PathBuf>,
    /// Keep only the first `limit` images and labels of each split. Only
    /// that much is decompressed, so with a limit the checks (image/label
    /// counts, labels in range, nothing after the data) cover only the part
    /// read. `None` keeps everything.
    pub limit: Option<usize>,
}

/// Which dataset in MNIST's format a [`MnistFormat`] holds: its name in
/// error messages and its folder under `$SYNANN_DATA`.
pub trait MnistKind {
    /// The dataset's name, as error messages spell it.
    const NAME: &'static str;
    /// The folder name looked for under `$SYNANN_DATA`.
    const DIR_NAME: &'static str;
}

/// [`MnistKind`] of the handwritten digits ([`Mnist`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digits;

impl MnistKind for Digits {
    const NAME: &'static str = "MNIST";
    const DIR_NAME: &'static str = "mnist";
}

/// [`MnistKind`] of the Zalando clothing images ([`FashionMnist`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fashion;

impl MnistKind for Fashion {
    const NAME: &'static str = "Fashion-MNIST";
    const DIR_NAME: &'static str = "fashion-mnist";
}

/// A dataset stored as MNIST is (the four files of the [module
/// documentation](self)): its training and test splits. `K` says which one
/// ([`Mnist`] or [`FashionMnist`]); both load the same way.
#[derive(Clone, Debug)]
pub struct MnistFormat<K> {
    /// The training split.
    pub train: ImageSet,
    /// The test split.
    pub test: ImageSet,
    kind: PhantomData<K>,
}

/// The MNIST handwritten digits: 60000 training and 10000 test images of
/// 28 × 28 pixels, classes 0 to 9.
///
/// ```no_run
/// use synann_datasets::Mnist;
/// let mnist = Mnist::load_default()?;
/// assert_eq!(mnist.train.len(), 60000);
/// assert_eq!(&mnist.test.labels()[..3], &[7, 2, 1]);
/// # Ok::<(), synann_datasets::IdxError>(())
/// ```
pub type Mnist = MnistFormat<Digits>;

/// Fashion-MNIST (Zalando Research): 28 × 28 images of clothing in 10
/// classes, a drop-in replacement for MNIST with the same files and sizes.
/// It is not shipped with the source; put it in `$SYNANN_DATA/fashion-mnist/`
/// or pass its directory.
pub type FashionMnist = MnistFormat<Fashion>;

impl<K: MnistKind> MnistFormat<K> {
    /// The folder name looked for under `$SYNANN_DATA`.
    pub const DIR_NAME: &'static str = K::DIR_NAME;

    /// Loads the four files from `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, IdxError> {
        Self::load_with(&LoadOptions {
            dir: Some(dir.as_ref().to_path_buf()),
            limit: None,
        })
    }

    /// Loads from the first place that holds the dataset (see the
    /// [module documentation](self)).
    pub fn load_default() -> Result<Self, IdxError> {
        Self::load_with(&LoadOptions::default())
    }

    /// Loads with explicit options.
    pub fn load_with(options: &LoadOptions) -> Result<Self, IdxError> {
        let dir = find_dir(K::NAME, K::DIR_NAME, options.dir.as_deref())?;
        let (train, test) = load_splits(&dir, options.limit)?;
        Ok(MnistFormat {
            train,
            test,
            kind: PhantomData,
        })
    }
}

impl FashionMnist {
    /// The class names, indexed by label.
    pub const CLASSES: [&'static str; 10] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ];
}

/// The directories searched for a dataset folder named `dir_name`, in order:
/// `explicit` alone if given, else `$SYNANN_DATA/<dir_name>` and the copy in
/// the source tree.
pub fn search_path(dir_name: &str, explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = explicit {
        return vec![dir.to_path_buf()];
    }
    let mut dirs = Vec::new();
    if let Some(root) = std::env::var_os(DATA_ENV) {
        dirs.push(PathBuf::from(root).join(dir_name));
    }
    dirs.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(dir_name),
    );
    dirs
}

fn find_dir(
    dataset: &'static str,
    dir_name: &str,
    explicit: Option<&Path>,
) -> Result<PathBuf, IdxError> {
    let tried = search_path(dir_name, explicit);
    match tried.iter().find(|d| file_in(d, TRAIN_IMAGES).is_some()) {
        Some(dir) => Ok(dir.clone()),
        None => Err(IdxError::NotFound { dataset, tried }),
    }
}

/// The gzipped file `name.gz` in `dir` if it exists, else the raw `name`.
fn file_in(dir: &Path, name: &str) -> Option<PathBuf> {
    [format!("{name}.gz"), name.to_string()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// `file_in`, or the path of the missing gzipped file (so that reading it
/// reports "cannot read" with a sensible name).
fn path_in(dir: &Path, name: &str) -> PathBuf {
    file_in(dir, name).unwrap_or_else(|| dir.join(format!("{name}.gz")))
}

fn load_splits(dir: &Path, limit: Option<usize>) -> Result<(ImageSet, ImageSet), IdxError> {
    let train = load_split(
        &path_in(dir, TRAIN_IMAGES),
        &path_in(dir, TRAIN_LABELS),
        limit,
    )?;
    let test = load_split(
        &path_in(dir, TEST_IMAGES),
        &path_in(dir, TEST_LABELS),
        limit,
    )?;
    Ok((train, test))
}

/// Reads one image file and its label file and checks that they agree.
pub(crate) fn load_split(
    images_path: &Path,
    labels_path: &Path,
    limit: Option<usize>,
) -> Result<ImageSet, IdxError> {
    let read = |path| match limit {
        Some(n) => read_idx_head(path, n),
        None => read_idx(path),
    };
    let images = read(images_path)?;
    let labels = read(labels_path)?;
    let images_ok = matches!(images.dims(), [_, SIDE, SIDE]);
    let pixels = u8_elements(images, images_path, "u8 [N, 28, 28]", images_ok)?;
    let labels_ok = labels.dims().len() == 1;
    let labels_u8 = u8_elements(labels, labels_path, "u8 [N]", labels_ok)?;
    let image_count = pixels.len() / (SIDE * SIDE);
    if image_count != labels_u8.len() {
        return Err(IdxError::CountMismatch {
            images: images_path.to_path_buf(),
            image_count,
            labels: labels_path.to_path_buf(),
            label_count: labels_u8.len(),
        });
    }
    if let Some((index, &label)) = labels_u8
        .iter()
        .enumerate()
        .find(|(_, &l)| usize::from(l) >= NUM_CLASSES)
    {
        return Err(IdxError::LabelOutOfRange {
            path: labels_path.to_path_buf(),
            index,
            label,
            num_classes: NUM_CLASSES,
        });
    }
    let labels = labels_u8.into_iter().map(usize::from).collect();
    Ok(ImageSet::new(pixels, labels, SIDE, SIDE, NUM_CLASSES))
}

/// The bytes of `array` if it is `u8` and `shape_ok`, else the error saying
/// what was `expected`.
fn u8_elements(
    array: IdxArray,
    path: &Path,
    expected: &str,
    shape_ok: bool,
) -> Result<Vec<u8>, IdxError> {
    let found = array.describe();
    match array.into_parts() {
        (_, IdxData::U8(bytes)) if shape_ok => Ok(bytes),
        _ => Err(IdxError::UnexpectedLayout {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        }),
    }
}
