//! Writing IDX files (used to generate test files and to export arrays).

use super::{IdxArray, IdxData, IdxError};
use byteorder::{BigEndian, WriteBytesExt};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Whether [`write_idx`] compresses the file with gzip (MNIST's own
/// downloads are gzipped; [`read_idx`](super::read_idx) reads both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gzip {
    /// Gzip the file.
    Yes,
    /// Write the raw IDX bytes.
    No,
}

/// Writes `array` as an IDX file at `path`, gzipped or raw.
///
/// The file is written in place (not atomically); [`read_idx`](super::read_idx)
/// reads it back unchanged.
pub fn write_idx(path: impl AsRef<Path>, array: &IdxArray, gzip: Gzip) -> Result<(), IdxError> {
    let path = path.as_ref();
    let io_error = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = BufWriter::new(File::create(path).map_err(io_error)?);
    let result = if gzip == Gzip::Yes {
        let mut encoder = GzEncoder::new(file, Compression::default());
        encode_idx(array, &mut encoder)
            .and_then(|()| encoder.finish())
            .and_then(|mut file| file.flush())
    } else {
        let mut file = file;
        encode_idx(array, &mut file).and_then(|()| file.flush())
    };
    result.map_err(io_error)
}

/// Writes the raw (uncompressed) IDX encoding of `array` to `out`.
pub fn encode_idx(array: &IdxArray, out: &mut impl Write) -> io::Result<()> {
    let dims = array.dims();
    // IdxArray::new guarantees 1 ≤ rank ≤ MAX_RANK and u32 dimensions.
    out.write_all(&[0, 0, array.dtype().code(), dims.len() as u8])?;
    for &d in dims {
        out.write_u32::<BigEndian>(d as u32)?;
    }
    match array.data() {
        IdxData::U8(v) => out.write_all(v),
        IdxData::I8(v) => v.iter().try_for_each(|&x| out.write_i8(x)),
        IdxData::I16(v) => v.iter().try_for_each(|&x| out.write_i16::<BigEndian>(x)),
        IdxData::I32(v) => v.iter().try_for_each(|&x| out.write_i32::<BigEndian>(x)),
        IdxData::F32(v) => v.iter().try_for_each(|&x| out.write_f32::<BigEndian>(x)),
        IdxData::F64(v) => v.iter().try_for_each(|&x| out.write_f64::<BigEndian>(x)),
    }
}
