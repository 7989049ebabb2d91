//! The IDX file format (the format MNIST is distributed in): reading and
//! writing n-d arrays of bytes, integers or floats.
//!
//! An IDX file is a 4-byte magic number, one big-endian `u32` per dimension,
//! then the elements in row-major order, big-endian:
//!
//! ```text
//! byte 0, 1   0x00 0x00
//! byte 2      element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//! byte 3      number of dimensions d
//! 4 · d bytes the size of each dimension (u32, big-endian)
//! the rest    the elements (big-endian)
//! ```
//!
//! Files may be gzipped (as MNIST is); [`read_idx`] recognises gzip by its
//! magic bytes `1f 8b`, whatever the file name.
//!
//! The reader trusts nothing in the file. The header's sizes are checked
//! against the file length before the data buffer is allocated, and a
//! gzipped stream is read into a buffer that grows only as bytes actually
//! arrive, so a header claiming 2⁴⁰ elements costs nothing. Each problem is
//! its own [`IdxError`] variant, naming the file.
//!
//! ```
//! use synann_datasets::idx::{encode_idx, parse_idx, IdxArray, IdxData};
//! let a = IdxArray::new(vec![2, 3], IdxData::I16(vec![1, -2, 3, -4, 5, -6]));
//! let mut bytes = Vec::new();
//! encode_idx(&a, &mut bytes).unwrap();
//! assert_eq!(&bytes[..4], &[0, 0, 0x0B, 2]);
//! assert_eq!(parse_idx(&bytes, "in-memory").unwrap(), a);
//! ```

mod error;
mod read;
mod write;

pub use error::IdxError;
pub use read::{parse_idx, read_idx, read_idx_head};
pub use write::{encode_idx, write_idx, Gzip};

/// The largest number of dimensions the reader accepts. The format allows
/// 255; no real dataset comes close, so more is treated as corruption.
pub const MAX_RANK: u8 = 16;

/// The number of elements of an array with dimensions `dims`, or `None` if
/// the non-zero dimensions multiply past `usize::MAX`.
///
/// Zero dimensions are left out of the product and then make the count 0.
/// Checking only the running product would make the answer depend on the
/// order: `[0, 2³², 2³²]` would pass and `[2³², 2³², 0]` overflow. This way
/// every product of some of the dimensions, in any order, fits in a `usize`.
pub(crate) fn checked_numel(dims: &[usize]) -> Option<usize> {
    let nonzero = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d))?;
    Some(if dims.contains(&0) { 0 } else { nonzero })
}

/// The element type of an IDX array, with its type code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxType {
    /// Unsigned byte, code `0x08`.
    U8,
    /// Signed byte, code `0x09`.
    I8,
    /// 16-bit signed integer, code `0x0B`.
    I16,
    /// 32-bit signed integer, code `0x0C`.
    I32,
    /// 32-bit float, code `0x0D`.
    F32,
    /// 64-bit float, code `0x0E`.
    F64,
}

impl IdxType {
    /// Every element type, in code order.
    pub const ALL: [IdxType; 6] = [
        IdxType::U8,
        IdxType::I8,
        IdxType::I16,
        IdxType::I32,
        IdxType::F32,
        IdxType::F64,
    ];

    /// The type code stored in byte 2 of the header.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// The type with this code, if any.
    pub fn from_code(code: u8) -> Option<IdxType> {
        IdxType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    /// The Rust name of the type (`"u8"`, `"f32"`, …).
    pub fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }
}

/// The elements of an IDX array, row-major, in their stored type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Type `0x08`.
    U8(Vec<u8>),
    /// Type `0x09`.
    I8(Vec<i8>),
    /// Type `0x0B`.
    I16(Vec<i16>),
    /// Type `0x0C`.
    I32(Vec<i32>),
    /// Type `0x0D`.
    F32(Vec<f32>),
    /// Type `0x0E`.
    F64(Vec<f64>),
}

impl IdxData {
    /// The element type.
    pub fn dtype(&self) -> IdxType {
        match self {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every element converted to `f64` (exact for every IDX type).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            IdxData::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            IdxData::F64(v) => v.clone(),
        }
    }
}

/// An n-d array read from (or to be written to) an IDX file: its dimensions
/// and its row-major elements.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: IdxData,
}

impl IdxArray {
    /// An array of shape `dims` holding `data`.
    ///
    /// Panics if the data does not fill the shape, if there are no dimensions
    /// or more than [`MAX_RANK`], if a dimension exceeds `u32::MAX` (the
    /// largest size the format can store), or if the non-zero dimensions
    /// multiply past `usize::MAX` (even when a zero dimension makes the array
    /// empty, so that no product of the dimensions can overflow).
    pub fn new(dims: Vec<usize>, data: IdxData) -> Self {
        assert!(
            (1..=MAX_RANK as usize).contains(&dims.len()),
            "IdxArray::new: {} dimensions {dims:?} (an IDX array has 1 to {MAX_RANK})",
            dims.len()
        );
        assert!(
            dims.iter().all(|&d| u32::try_from(d).is_ok()),
            "IdxArray::new: dimensions {dims:?} do not fit the format's u32 sizes"
        );
        assert_eq!(
            checked_numel(&dims),
            Some(data.len()),
            "IdxArray::new: {} {} elements do not fill dimensions {dims:?}",
            data.len(),
            data.dtype().name()
        );
        IdxArray { dims, data }
    }

    /// The size of each dimension.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements.
    pub fn data(&self) -> &IdxData {
        &self.data
    }

    /// The element type.
    pub fn dtype(&self) -> IdxType {
        self.data.dtype()
    }

    /// Splits the array into its dimensions and elements.
    pub fn into_parts(self) -> (Vec<usize>, IdxData) {
        (self.dims, self.data)
    }

    /// A short description such as `"u8 [60000, 28, 28]"`, used in errors.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.dtype().name(), self.dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_numel_does_not_depend_on_the_order_of_the_dimensions() {
        let big = u32::MAX as usize;
        assert_eq!(checked_numel(&[2, 3, 4]), Some(24));
        assert_eq!(checked_numel(&[2, 0, 4]), Some(0));
        assert_eq!(checked_numel(&[big, big]), Some(big * big));
        for dims in [[0, big, big, big], [big, 0, big, big], [big, big, big, 0]] {
            assert_eq!(checked_numel(&dims), None, "{dims:?}");
        }
    }

    #[test]
    #[should_panic(expected = "do not fill dimensions")]
    fn an_empty_array_with_overflowing_dimensions_is_refused() {
        let big = u32::MAX as usize;
        IdxArray::new(vec![0, big, big, big], IdxData::U8(vec![]));
    }
}
