//! Reading IDX files: header checks, size checks before allocation, gzip.

use super::{checked_numel, IdxArray, IdxData, IdxError, IdxType, MAX_RANK};
use byteorder::{BigEndian, ByteOrder};
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most a gzipped file's data buffer is given before any byte arrives;
/// beyond this it grows only as decompressed bytes actually come in.
const GZIP_INITIAL_CAPACITY: usize = 1 << 20;

/// Reads an IDX file, raw or gzipped.
///
/// ```no_run
/// use synann_datasets::idx::{read_idx, IdxType};
/// let labels = read_idx("data/mnist/train-labels-idx1-ubyte.gz")?;
/// assert_eq!(labels.dims(), &[60000]);
/// assert_eq!(labels.dtype(), IdxType::U8);
/// # Ok::<(), synann_datasets::IdxError>(())
/// ```
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    read_file(path.as_ref(), None)
}

/// Reads only the first `max_items` entries along the first dimension of an
/// IDX file (all of them if there are fewer).
///
/// The header is checked as in [`read_idx`], and a raw file's length is
/// still checked against the full declared size; a gzipped file is only
/// decompressed as far as needed, so bytes after the part read (missing or in
/// excess) go unnoticed.
pub fn read_idx_head(path: impl AsRef<Path>, max_items: usize) -> Result<IdxArray, IdxError> {
    read_file(path.as_ref(), Some(max_items))
}

/// Parses an IDX file already in memory (raw or gzipped). `name` is only
/// used in error messages.
pub fn parse_idx(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxArray, IdxError> {
    decode(bytes, bytes.len() as u64, name.as_ref(), None)
}

fn read_file(path: &Path, limit: Option<usize>) -> Result<IdxArray, IdxError> {
    let io_error = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    decode(BufReader::new(file), len, path, limit)
}

/// Where the bytes come from: which file, and whether through gzip (which
/// decides how an I/O error is reported and whether the length is known).
struct Source<'a> {
    path: &'a Path,
    /// The length of the raw file; `None` when the stream is gzipped.
    raw_len: Option<u64>,
}

impl Source<'_> {
    fn path(&self) -> PathBuf {
        self.path.to_path_buf()
    }

    fn error(&self, source: io::Error) -> IdxError {
        match self.raw_len {
            Some(_) => IdxError::Io {
                path: self.path(),
                source,
            },
            None => IdxError::CorruptGzip {
                path: self.path(),
                source,
            },
        }
    }

    fn truncated(&self, section: &'static str, expected: u64, found: u64) -> IdxError {
        IdxError::Truncated {
            path: self.path(),
            section,
            expected,
            found,
        }
    }
}

fn decode(
    mut input: impl BufRead,
    len: u64,
    path: &Path,
    limit: Option<usize>,
) -> Result<IdxArray, IdxError> {
    let start = input.fill_buf().map_err(|source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if start.starts_with(&GZIP_MAGIC) {
        let source = Source {
            path,
            raw_len: None,
        };
        decode_stream(MultiGzDecoder::new(input), &source, limit)
    } else {
        let source = Source {
            path,
            raw_len: Some(len),
        };
        decode_stream(input, &source, limit)
    }
}

/// Reads header, dimensions and data from a raw or decompressed stream.
fn decode_stream(
    mut input: impl Read,
    source: &Source,
    limit: Option<usize>,
) -> Result<IdxArray, IdxError> {
    // Magic number: 0, 0, type code, rank.
    let mut magic = [0u8; 4];
    let n = read_full(&mut input, &mut magic).map_err(|e| source.error(e))?;
    if n < 4 {
        return Err(source.truncated("header", 4, n as u64));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic {
            path: source.path(),
            found: [magic[0], magic[1]],
        });
    }
    let dtype = IdxType::from_code(magic[2]).ok_or_else(|| IdxError::UnknownType {
        path: source.path(),
        code: magic[2],
    })?;
    let rank = magic[3];
    if rank == 0 || rank > MAX_RANK {
        return Err(IdxError::BadRank {
            path: source.path(),
            rank,
        });
    }

    // Dimensions: one big-endian u32 each.
    let mut dim_bytes = vec![0u8; 4 * rank as usize];
    let n = read_full(&mut input, &mut dim_bytes).map_err(|e| source.error(e))?;
    if n < dim_bytes.len() {
        return Err(source.truncated("dimensions", dim_bytes.len() as u64, n as u64));
    }
    let mut dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|c| BigEndian::read_u32(c) as usize)
        .collect();

    // Sizes, checked against the file before anything is allocated. Zero
    // dimensions do not excuse huge ones (see `checked_numel`): a header that
    // `IdxArray::new` would refuse is an error here, not a panic later.
    let too_large = || IdxError::TooLarge {
        path: source.path(),
        dims: dims.clone(),
    };
    let bytes_of = |dims: &[usize]| checked_numel(dims)?.checked_mul(dtype.size());
    let row_bytes = bytes_of(&dims[1..]).ok_or_else(too_large)?;
    let total_bytes = bytes_of(&dims)
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(too_large)? as u64;
    let header_bytes = 4 + 4 * u64::from(rank);
    if let Some(len) = source.raw_len {
        let available = len.saturating_sub(header_bytes);
        if available < total_bytes {
            return Err(source.truncated("data", total_bytes, available));
        }
        if available > total_bytes {
            return Err(IdxError::TrailingData {
                path: source.path(),
                dims,
                extra: available - total_bytes,
            });
        }
    }
    let items = limit.map_or(dims[0], |l| l.min(dims[0]));
    let data_bytes = row_bytes * items;

    // Data: exact size for a raw file (checked above), growing for gzip.
    let bytes = match source.raw_len {
        Some(_) => {
            let mut bytes = vec![0u8; data_bytes];
            let n = read_full(&mut input, &mut bytes).map_err(|e| source.error(e))?;
            if n < data_bytes {
                return Err(source.truncated("data", data_bytes as u64, n as u64));
            }
            bytes
        }
        None => {
            let mut bytes = Vec::with_capacity(data_bytes.min(GZIP_INITIAL_CAPACITY));
            (&mut input)
                .take(data_bytes as u64)
                .read_to_end(&mut bytes)
                .map_err(|e| source.error(e))?;
            if bytes.len() < data_bytes {
                return Err(source.truncated("data", data_bytes as u64, bytes.len() as u64));
            }
            if limit.is_none() {
                let extra = io::copy(&mut input, &mut io::sink()).map_err(|e| source.error(e))?;
                if extra > 0 {
                    return Err(IdxError::TrailingData {
                        path: source.path(),
                        dims,
                        extra,
                    });
                }
            }
            bytes
        }
    };
    dims[0] = items;
    Ok(IdxArray::new(dims, convert(dtype, bytes)))
}

/// Fills `buf` from `input` until it is full or the input ends; returns the
/// number of bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Turns big-endian bytes into elements of `dtype` (`bytes.len()` is a
/// multiple of the element size).
fn convert(dtype: IdxType, bytes: Vec<u8>) -> IdxData {
    let n = bytes.len() / dtype.size();
    match dtype {
        IdxType::U8 => IdxData::U8(bytes),
        IdxType::I8 => IdxData::I8(bytes.into_iter().map(|b| b as i8).collect()),
        IdxType::I16 => {
            let mut v = vec![0; n];
            BigEndian::read_i16_into(&bytes, &mut v);
            IdxData::I16(v)
        }
        IdxType::I32 => {
            let mut v = vec![0; n];
            BigEndian::read_i32_into(&bytes, &mut v);
            IdxData::I32(v)
        }
        IdxType::F32 => {
            let mut v = vec![0.0; n];
            BigEndian::read_f32_into(&bytes, &mut v);
            IdxData::F32(v)
        }
        IdxType::F64 => {
            let mut v = vec![0.0; n];
            BigEndian::read_f64_into(&bytes, &mut v);
            IdxData::F64(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_full_stops_at_end_of_input() {
        let mut buf = [0u8; 8];
        assert_eq!(read_full(&mut &[1u8, 2, 3][..], &mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], &[1, 2, 3]);
    }

    #[test]
    fn convert_reads_big_endian() {
        assert_eq!(
            convert(IdxType::I16, vec![0x01, 0x02, 0xff, 0xfe]),
            IdxData::I16(vec![0x0102, -2])
        );
        assert_eq!(
            convert(IdxType::F32, 1.5f32.to_be_bytes().to_vec()),
            IdxData::F32(vec![1.5])
        );
        assert_eq!(convert(IdxType::I8, vec![0xff]), IdxData::I8(vec![-1]));
    }
}
