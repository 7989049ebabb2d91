//! [`IdxError`]: everything that can go wrong reading an IDX file or a
//! dataset built from IDX files.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why an IDX file (or a dataset made of IDX files) could not be read.
///
/// Every variant names the file (or, for [`IdxError::NotFound`], the
/// directories) it is about, so the message alone tells the user what to
/// fix. The reader's checks, in the order it makes them:
///
/// | problem | variant |
/// |---|---|
/// | missing or unreadable file | [`Io`](IdxError::Io) |
/// | not gzip, first two bytes not zero | [`BadMagic`](IdxError::BadMagic) |
/// | unknown element type code | [`UnknownType`](IdxError::UnknownType) |
/// | zero or more than [`MAX_RANK`](crate::idx::MAX_RANK) dimensions | [`BadRank`](IdxError::BadRank) |
/// | sizes whose product overflows | [`TooLarge`](IdxError::TooLarge) |
/// | fewer bytes than the header declares | [`Truncated`](IdxError::Truncated) |
/// | more bytes than the header declares | [`TrailingData`](IdxError::TrailingData) |
/// | gzip stream that does not decompress | [`CorruptGzip`](IdxError::CorruptGzip) |
///
/// and the dataset loaders' checks: [`UnexpectedLayout`](IdxError::UnexpectedLayout),
/// [`CountMismatch`](IdxError::CountMismatch),
/// [`LabelOutOfRange`](IdxError::LabelOutOfRange) and
/// [`NotFound`](IdxError::NotFound).
#[derive(Debug)]
pub enum IdxError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The first two bytes are not zero: this is not an IDX file.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first two bytes found.
        found: [u8; 2],
    },
    /// The third byte is not one of the IDX element type codes.
    UnknownType {
        /// The file.
        path: PathBuf,
        /// The code found.
        code: u8,
    },
    /// The fourth byte (the number of dimensions) is zero or larger than
    /// [`MAX_RANK`](crate::idx::MAX_RANK).
    BadRank {
        /// The file.
        path: PathBuf,
        /// The number of dimensions found.
        rank: u8,
    },
    /// The declared sizes multiply to more bytes than a `usize` can index.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The dimensions declared by the header.
        dims: Vec<usize>,
    },
    /// The file ends before the header or the data it declares.
    ///
    /// For a raw file this is found from the file length before anything is
    /// allocated; for a gzipped file, while decompressing.
    Truncated {
        /// The file.
        path: PathBuf,
        /// What was being read: `"header"`, `"dimensions"` or `"data"`.
        section: &'static str,
        /// The bytes that section needs.
        expected: u64,
        /// The bytes that were there.
        found: u64,
    },
    /// The file holds more bytes than its header declares.
    TrailingData {
        /// The file.
        path: PathBuf,
        /// The dimensions declared by the header.
        dims: Vec<usize>,
        /// The number of bytes after the declared data.
        extra: u64,
    },
    /// The file starts like gzip but does not decompress.
    CorruptGzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: io::Error,
    },
    /// The file is valid IDX but not the type or shape the dataset needs.
    UnexpectedLayout {
        /// The file.
        path: PathBuf,
        /// What the dataset needs, e.g. `"u8 [N, 28, 28]"`.
        expected: String,
        /// What the file holds, e.g. `"i16 [3, 4]"`.
        found: String,
    },
    /// An image file and its label file hold different numbers of items.
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// The number of images.
        image_count: usize,
        /// The label file.
        labels: PathBuf,
        /// The number of labels.
        label_count: usize,
    },
    /// A label is not a valid class index.
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// The position of the bad label.
        index: usize,
        /// The label found.
        label: u8,
        /// The number of classes (valid labels are `0..num_classes`).
        num_classes: usize,
    },
    /// No directory holding the dataset was found.
    NotFound {
        /// The dataset, e.g. `"MNIST"`.
        dataset: &'static str,
        /// Every directory that was tried, in order.
        tried: Vec<PathBuf>,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use IdxError::*;
        match self {
            Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            BadMagic { path, found } => write!(
                f,
                "{}: not an IDX file: the first two bytes are {:#04x} {:#04x}, not 0 0",
                path.display(),
                found[0],
                found[1]
            ),
            UnknownType { path, code } => write!(
                f,
                "{}: unknown IDX element type code {code:#04x} \
                 (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)",
                path.display()
            ),
            BadRank { path, rank } => write!(
                f,
                "{}: the header declares {rank} dimensions (expected 1 to {})",
                path.display(),
                crate::idx::MAX_RANK
            ),
            TooLarge { path, dims } => write!(
                f,
                "{}: the header declares dimensions {dims:?}, too many bytes to address",
                path.display()
            ),
            Truncated {
                path,
                section,
                expected,
                found,
            } => write!(
                f,
                "{}: truncated {section}: the header needs {expected} bytes, the file has {found}",
                path.display()
            ),
            TrailingData { path, dims, extra } => write!(
                f,
                "{}: {extra} bytes after the data declared by the header (dimensions {dims:?})",
                path.display()
            ),
            CorruptGzip { path, source } => {
                write!(f, "{}: corrupt gzip stream: {source}", path.display())
            }
            UnexpectedLayout {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: expected {expected}, the file holds {found}",
                path.display()
            ),
            CountMismatch {
                images,
                image_count,
                labels,
                label_count,
            } => write!(
                f,
                "{} holds {image_count} images but {} holds {label_count} labels",
                images.display(),
                labels.display()
            ),
            LabelOutOfRange {
                path,
                index,
                label,
                num_classes,
            } => write!(
                f,
                "{}: label {label} at index {index} is not a class index (0 to {})",
                path.display(),
                num_classes.saturating_sub(1)
            ),
            NotFound { dataset, tried } => {
                write!(f, "{dataset} not found; looked in:")?;
                for dir in tried {
                    write!(f, " {};", dir.display())?;
                }
                write!(
                    f,
                    " pass a directory explicitly or set SYNANN_DATA to a directory \
                     holding the dataset's folder"
                )
            }
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { source, .. } | IdxError::CorruptGzip { source, .. } => Some(source),
            _ => None,
        }
    }
}
