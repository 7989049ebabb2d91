//! Every `IdxError` the reader can return, each produced by a bad file
//! written here, and each message naming the file.

use crate::common;

use common::{gzip, header, idx_u8, Scratch};
use synann_datasets::idx::{parse_idx, read_idx, read_idx_head, IdxData, IdxType};
use synann_datasets::IdxError;

/// Reads `bytes` from a file called `name` and returns the error, checking
/// that its message names the file.
fn error_of(scratch: &Scratch, name: &str, bytes: &[u8]) -> IdxError {
    let path = scratch.file(name, bytes);
    let err = read_idx(&path).expect_err("the file is invalid");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "message {err} does not name {}",
        path.display()
    );
    err
}

#[test]
fn missing_file_is_an_io_error_with_the_path() {
    let scratch = Scratch::new("missing");
    let path = scratch.path().join("nope.idx");
    let err = read_idx(&path).unwrap_err();
    assert!(
        matches!(&err, IdxError::Io { path: p, .. } if *p == path),
        "{err:?}"
    );
    assert!(err.to_string().contains("nope.idx"));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn a_directory_is_an_io_error() {
    let scratch = Scratch::new("directory");
    let err = read_idx(scratch.path()).unwrap_err();
    assert!(matches!(err, IdxError::Io { .. }), "{err:?}");
}

#[test]
fn wrong_magic() {
    let s = Scratch::new("magic");
    let err = error_of(&s, "a.idx", &[0x01, 0x00, 0x08, 0x01, 0, 0, 0, 0]);
    assert!(
        matches!(err, IdxError::BadMagic { found: [1, 0], .. }),
        "{err:?}"
    );
}

#[test]
fn unknown_type_code() {
    let s = Scratch::new("type");
    let err = error_of(&s, "a.idx", &header(0x0A, &[0]));
    assert!(
        matches!(err, IdxError::UnknownType { code: 0x0A, .. }),
        "{err:?}"
    );
}

#[test]
fn zero_or_absurd_number_of_dimensions() {
    let s = Scratch::new("rank");
    let err = error_of(&s, "zero.idx", &[0, 0, 0x08, 0]);
    assert!(matches!(err, IdxError::BadRank { rank: 0, .. }), "{err:?}");
    let mut bytes = vec![0, 0, 0x08, 200];
    bytes.extend(std::iter::repeat_n(0, 800));
    let err = error_of(&s, "absurd.idx", &bytes);
    assert!(
        matches!(err, IdxError::BadRank { rank: 200, .. }),
        "{err:?}"
    );
}

#[test]
fn truncated_header_and_dimensions() {
    let s = Scratch::new("truncated-header");
    let err = error_of(&s, "empty.idx", &[]);
    assert!(
        matches!(
            err,
            IdxError::Truncated {
                section: "header",
                expected: 4,
                found: 0,
                ..
            }
        ),
        "{err:?}"
    );
    let err = error_of(&s, "dims.idx", &[0, 0, 0x08, 3, 0, 0, 0, 5, 0]);
    assert!(
        matches!(
            err,
            IdxError::Truncated {
                section: "dimensions",
                expected: 12,
                found: 5,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn truncated_data_raw_and_gzip() {
    let s = Scratch::new("truncated-data");
    let bytes = idx_u8(&[2, 3], &[1, 2, 3, 4]);
    let err = error_of(&s, "raw.idx", &bytes);
    assert!(
        matches!(
            err,
            IdxError::Truncated {
                section: "data",
                expected: 6,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let err = error_of(&s, "gz.idx.gz", &gzip(&bytes));
    assert!(
        matches!(
            err,
            IdxError::Truncated {
                section: "data",
                expected: 6,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
    // Multi-byte elements: 3 i32 need 12 bytes.
    let mut bytes = header(0x0C, &[3]);
    bytes.extend_from_slice(&[0; 10]);
    let err = error_of(&s, "i32.idx", &bytes);
    assert!(
        matches!(
            err,
            IdxError::Truncated {
                expected: 12,
                found: 10,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn trailing_data_raw_and_gzip() {
    let s = Scratch::new("trailing");
    let bytes = idx_u8(&[2, 2], &[1, 2, 3, 4, 5, 6, 7]);
    let err = error_of(&s, "raw.idx", &bytes);
    assert!(
        matches!(err, IdxError::TrailingData { extra: 3, .. }),
        "{err:?}"
    );
    let err = error_of(&s, "gz.idx.gz", &gzip(&bytes));
    assert!(
        matches!(err, IdxError::TrailingData { extra: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn sizes_beyond_addressable_memory() {
    let s = Scratch::new("too-large");
    let err = error_of(&s, "a.idx", &header(0x0E, &[u32::MAX, u32::MAX, u32::MAX]));
    assert!(matches!(err, IdxError::TooLarge { .. }), "{err:?}");
}

#[test]
fn corrupt_gzip() {
    let s = Scratch::new("gzip");
    // A gzip header followed by garbage.
    let err = error_of(
        &s,
        "garbage.gz",
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff],
    );
    assert!(matches!(err, IdxError::CorruptGzip { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    // A valid stream cut in half.
    let full = gzip(&idx_u8(&[100], &[7; 100]));
    let err = error_of(&s, "cut.gz", &full[..full.len() / 2]);
    assert!(matches!(err, IdxError::CorruptGzip { .. }), "{err:?}");
    // A valid stream followed by bytes that are not another gzip member.
    let mut extra = full.clone();
    extra.extend_from_slice(b"not gzip");
    let err = error_of(&s, "extra.gz", &extra);
    assert!(matches!(err, IdxError::CorruptGzip { .. }), "{err:?}");
    // A valid stream with a flipped byte in the deflate data or the CRC.
    let mut flipped = full.clone();
    let n = flipped.len();
    flipped[n - 6] ^= 0x55;
    let err = error_of(&s, "crc.gz", &flipped);
    assert!(matches!(err, IdxError::CorruptGzip { .. }), "{err:?}");
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let bytes = idx_u8(&[4], &[1, 2, 3, 4]);
    let mut two = gzip(&bytes[..6]);
    two.extend(gzip(&bytes[6..]));
    let a = parse_idx(&two, "two-members.gz").unwrap();
    assert_eq!(a.data(), &IdxData::U8(vec![1, 2, 3, 4]));
}

#[test]
fn head_reads_only_the_first_items() {
    let s = Scratch::new("head");
    let bytes = idx_u8(&[4, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
    for (name, file) in [("raw.idx", bytes.clone()), ("gz.idx.gz", gzip(&bytes))] {
        let path = s.file(name, &file);
        let a = read_idx_head(&path, 3).unwrap();
        assert_eq!(a.dims(), &[3, 2]);
        assert_eq!(a.data(), &IdxData::U8(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(read_idx_head(&path, 10).unwrap().dims(), &[4, 2]);
        assert_eq!(read_idx_head(&path, 0).unwrap().dims(), &[0, 2]);
    }
    // A raw file's length is still checked against the whole header.
    let path = s.file("short.idx", &bytes[..bytes.len() - 1]);
    assert!(matches!(
        read_idx_head(&path, 1),
        Err(IdxError::Truncated { .. })
    ));
}

#[test]
fn empty_arrays_are_valid() {
    let a = parse_idx(&header(0x0D, &[0, 5]), "empty").unwrap();
    assert_eq!(a.dims(), &[0, 5]);
    assert_eq!(a.dtype(), IdxType::F32);
    assert!(a.data().is_empty());
}
