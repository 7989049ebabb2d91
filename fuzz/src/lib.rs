//! The checks behind synann's fuzz targets, one function per target.
//!
//! Each target in `fuzz_targets/` is one line that hands libFuzzer's bytes
//! to a function here. A function returns normally for every input the
//! parser handles correctly (whether it accepts it or rejects it with an
//! error) and panics, which libFuzzer reports as a crash, when:
//!
//! - the parser itself panics (a bug: every malformed input must be an
//!   `Err`), or
//! - the parser accepts an input but what it returns does not survive a
//!   round trip through the matching writer (a parser that "succeeds" with
//!   the wrong values is as much a bug as one that panics).
//!
//! The functions live in a library so that they are read, documented and
//! linted like the rest of the project, and so `examples/make_corpus.rs`
//! can share the helpers.

#![warn(missing_docs)]

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use synann_datasets::idx::{encode_idx, parse_idx, IdxArray};
use synann_nn::checkpoint::{
    safetensors_from_bytes, safetensors_to_bytes, Metadata, TrainingCheckpoint,
};
use synann_nn::state_dict::StateDict;
use synann_tensor::Float;

/// The first two bytes of every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `bytes` compressed as one gzip member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// The IDX encoding of `array`.
fn encode(array: &IdxArray) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_idx(array, &mut bytes).expect("writing to a Vec cannot fail");
    bytes
}

/// Target `idx`: [`parse_idx`] on arbitrary bytes, raw or (when they start
/// with the gzip magic) gzipped.
///
/// A raw file the reader accepts holds exactly one encoding, so writing the
/// parsed array back must give the input bytes.
pub fn check_idx(bytes: &[u8]) {
    let Ok(array) = parse_idx(bytes, "fuzz-input") else {
        return;
    };
    if !bytes.starts_with(&GZIP_MAGIC) {
        assert!(
            encode(&array) == bytes,
            "parse_idx accepted {} bytes as {} but they do not re-encode to the input",
            bytes.len(),
            array.describe()
        );
    }
}

/// Target `idx_gz`: the input is gzipped, then parsed, so the reader's
/// decompressing path sees every header and data layout the fuzzer builds
/// (with raw input the fuzzer would first have to produce a valid deflate
/// stream).
///
/// The gzip path must agree with the raw path: both accept or both reject
/// the same IDX bytes, and an accepted input re-encodes to itself.
pub fn check_idx_gz(bytes: &[u8]) {
    let through_gzip = parse_idx(&gzip(bytes), "fuzz-input.gz");
    if bytes.starts_with(&GZIP_MAGIC) {
        // Decompressed, these bytes start with 1f 8b, not an IDX magic.
        assert!(
            through_gzip.is_err(),
            "a gzipped gzip stream parsed as IDX"
        );
        return;
    }
    let raw = parse_idx(bytes, "fuzz-input");
    match (&raw, &through_gzip) {
        (Ok(a), Ok(b)) => {
            let encoded = encode(b);
            assert!(
                encoded == bytes && encode(a) == encoded,
                "raw and gzipped parses disagree: {} vs {}",
                a.describe(),
                b.describe()
            );
        }
        (Err(_), Err(_)) => {}
        _ => panic!("raw parse {raw:?} but gzipped parse {through_gzip:?}"),
    }
}

/// Whether two state dicts hold the same names, shapes and values (a NaN
/// equals a NaN, so a dict holding NaNs still compares equal to its copy).
pub fn same_dicts<T: Float>(a: &StateDict<T>, b: &StateDict<T>) -> bool {
    a.len() == b.len()
        && a.iter().zip(b.iter()).all(|((na, ta), (nb, tb))| {
            na == nb
                && ta.shape() == tb.shape()
                && ta
                    .data()
                    .iter()
                    .zip(tb.data())
                    .all(|(x, y)| x == y || (x.to_f64().is_nan() && y.to_f64().is_nan()))
        })
}

/// Decodes `bytes` as a `T` state dict; if that succeeds, encodes the result
/// and decodes it again, which must give the same tensors and metadata.
/// Returns whether the first decode succeeded.
fn state_dict_round_trip<T: Float>(bytes: &[u8]) -> bool {
    let Ok((dict, meta)) = safetensors_from_bytes::<T>(bytes) else {
        return false;
    };
    let again = safetensors_to_bytes(&dict, &meta).unwrap_or_else(|e| {
        panic!("a state dict loaded as {} cannot be saved: {e}", T::DTYPE)
    });
    let (dict2, meta2): (StateDict<T>, Metadata) = safetensors_from_bytes(&again)
        .unwrap_or_else(|e| panic!("a re-saved {} state dict does not load: {e}", T::DTYPE));
    assert!(
        same_dicts(&dict, &dict2) && meta == meta2,
        "{} state dict changed in a save/load round trip",
        T::DTYPE
    );
    true
}

/// Target `safetensors_state_dict`: [`safetensors_from_bytes`] as `f32` and
/// as `f64`. Both widths read the same files (F32 and F64 tensors are
/// converted), so both must accept or both reject, and each accepted dict
/// must survive a save/load round trip.
pub fn check_state_dict(bytes: &[u8]) {
    let as_f32 = state_dict_round_trip::<f32>(bytes);
    let as_f64 = state_dict_round_trip::<f64>(bytes);
    assert_eq!(
        as_f32, as_f64,
        "safetensors_from_bytes: f32 accepted = {as_f32} but f64 accepted = {as_f64}"
    );
}

/// Target `training_checkpoint`: [`TrainingCheckpoint::from_bytes`] as `f32`.
/// An accepted checkpoint must save, and the saved bytes must load back into
/// the same tensors and metadata (compared at the safetensors level, where
/// NaNs can be matched).
pub fn check_training_checkpoint(bytes: &[u8]) {
    let Ok(ckpt) = TrainingCheckpoint::<f32>::from_bytes(bytes) else {
        return;
    };
    let saved = ckpt
        .to_bytes()
        .unwrap_or_else(|e| panic!("a loaded training checkpoint cannot be saved: {e}"));
    let back = TrainingCheckpoint::<f32>::from_bytes(&saved)
        .unwrap_or_else(|e| panic!("a re-saved training checkpoint does not load: {e}"));
    let resaved = back
        .to_bytes()
        .unwrap_or_else(|e| panic!("a reloaded training checkpoint cannot be saved: {e}"));
    let (d1, m1) = safetensors_from_bytes::<f32>(&saved).expect("loaded above");
    let (d2, m2) = safetensors_from_bytes::<f32>(&resaved).expect("loaded above");
    assert!(
        same_dicts(&d1, &d2) && m1 == m2,
        "training checkpoint changed in a save/load round trip"
    );
}
