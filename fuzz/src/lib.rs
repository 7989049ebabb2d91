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
    safetensors_from_bytes, safetensors_to_bytes, CheckpointError, Metadata, TrainingCheckpoint,
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
        assert!(through_gzip.is_err(), "a gzipped gzip stream parsed as IDX");
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

/// Decodes `bytes` as a `T` state dict; if that succeeds, encodes the result
/// and decodes it again, which must give the same tensors and metadata.
/// Returns the first decode's error, if any.
fn state_dict_round_trip<T: Float>(bytes: &[u8]) -> Result<(), CheckpointError> {
    let (dict, meta) = safetensors_from_bytes::<T>(bytes)?;
    let again = safetensors_to_bytes(&dict, &meta)
        .unwrap_or_else(|e| panic!("a state dict loaded as {} cannot be saved: {e}", T::DTYPE));
    let (dict2, meta2): (StateDict<T>, Metadata) = safetensors_from_bytes(&again)
        .unwrap_or_else(|e| panic!("a re-saved {} state dict does not load: {e}", T::DTYPE));
    assert!(
        dict.equal_nan(&dict2) && meta == meta2,
        "{} state dict changed in a save/load round trip",
        T::DTYPE
    );
    Ok(())
}

/// Target `safetensors_state_dict`: [`safetensors_from_bytes`] as `f32` and
/// as `f64`, each accepted dict surviving a save/load round trip.
///
/// The widths read the same files, except that an integer tensor is exact
/// in `f64` up to 2^53 but in `f32` only up to 2^24: whatever `f32`
/// accepts, `f64` must accept, and `f64` may accept more only where `f32`
/// reports [`CheckpointError::InexactInteger`].
pub fn check_state_dict(bytes: &[u8]) {
    let as_f32 = state_dict_round_trip::<f32>(bytes);
    let as_f64 = state_dict_round_trip::<f64>(bytes);
    match (&as_f32, &as_f64) {
        (Ok(()), Err(e)) => panic!("accepted as f32 but rejected as f64: {e}"),
        (Err(e), Ok(())) => assert!(
            matches!(e, CheckpointError::InexactInteger { .. }),
            "accepted as f64 but rejected as f32 with {e:?}"
        ),
        _ => {}
    }
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
    let (d1, m1) = safetensors_from_bytes::<f32>(&saved).expect("loaded above as a checkpoint");
    let (d2, m2) = safetensors_from_bytes::<f32>(&resaved)
        .unwrap_or_else(|e| panic!("a twice-saved training checkpoint does not load: {e}"));
    assert!(
        d1.equal_nan(&d2) && m1 == m2,
        "training checkpoint changed in a save/load round trip"
    );
}

/// A structure-aware mutation for safetensors inputs, used by the two
/// checkpoint targets as libFuzzer's custom mutator.
///
/// A safetensors file starts with the little-endian `u64` length of its JSON
/// header. A plain byte mutation that inserts or deletes a byte in the JSON
/// breaks that length, so nearly every mutant is rejected before the JSON
/// is even read and the checkpoint's metadata parsing is rarely reached.
/// Three times in four, this mutates only the header (with `mutate`,
/// libFuzzer's own mutator) and then rewrites the length to match; the
/// fourth time, or when the input has no well-formed length prefix, it
/// mutates the whole input.
///
/// `data` holds the input in `data[..size]` and has room for `max_size`
/// bytes; the new length is returned, as libFuzzer's mutators do.
pub fn mutate_safetensors(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    mut mutate: impl FnMut(&mut [u8], usize, usize) -> usize,
) -> usize {
    let split = split_safetensors(&data[..size], max_size);
    let (header_len, room) = match split {
        Some(split) if !seed.is_multiple_of(4) => split,
        _ => return mutate(data, size, max_size),
    };
    let tensor_data = data[8 + header_len..size].to_vec();
    let mut header = data[8..8 + header_len].to_vec();
    header.resize(room, 0);
    let new_len = mutate(&mut header, header_len, room);
    let total = 8 + new_len + tensor_data.len();
    data[..8].copy_from_slice(&(new_len as u64).to_le_bytes());
    data[8..8 + new_len].copy_from_slice(&header[..new_len]);
    data[8 + new_len..total].copy_from_slice(&tensor_data);
    total
}

/// For an input whose length prefix fits inside it: the header length, and
/// the room a mutated header may fill so that the whole stays within
/// `max_size`. `None` if the prefix is broken or there is no room.
fn split_safetensors(input: &[u8], max_size: usize) -> Option<(usize, usize)> {
    let prefix: [u8; 8] = input.get(..8)?.try_into().ok()?;
    let header_len = usize::try_from(u64::from_le_bytes(prefix)).ok()?;
    let tensor_len = (input.len() - 8).checked_sub(header_len)?;
    let room = max_size.checked_sub(8 + tensor_len)?;
    (room >= header_len).then_some((header_len, room))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for libFuzzer's mutator: appends one byte if there is room.
    fn append_x(data: &mut [u8], size: usize, max_size: usize) -> usize {
        if size < max_size {
            data[size] = b'x';
            size + 1
        } else {
            size
        }
    }

    fn file(header: &[u8], tensor_data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(tensor_data);
        bytes
    }

    #[test]
    fn header_mutation_rewrites_the_length_and_keeps_the_data() {
        let input = file(b"{}", b"DATA");
        let mut data = input.clone();
        data.resize(64, 0);
        let n = mutate_safetensors(&mut data, input.len(), 64, 1, append_x);
        assert_eq!(&data[..n], file(b"{}x", b"DATA").as_slice());
    }

    #[test]
    fn broken_prefix_or_seed_multiple_of_4_mutates_the_whole_input() {
        let input = file(b"{}", b"DATA");
        let mut data = input.clone();
        data.resize(64, 0);
        let n = mutate_safetensors(&mut data, input.len(), 64, 4, append_x);
        assert_eq!(&data[..n], [input.as_slice(), b"x"].concat().as_slice());

        let mut short = vec![5, 0, 0];
        short.resize(8, 0);
        assert_eq!(mutate_safetensors(&mut short, 3, 8, 1, append_x), 4);
        assert_eq!(short[3], b'x');
    }

    #[test]
    fn no_room_for_the_header_mutates_the_whole_input() {
        let input = file(b"{}", b"DATA");
        let mut data = input.clone();
        // max_size smaller than the input: libFuzzer is shrinking it.
        let n = mutate_safetensors(&mut data, input.len(), 10, 1, |_, _, max| max);
        assert_eq!(n, 10);
    }

    #[test]
    fn seeds_round_trip_through_the_checks() {
        check_idx(&[0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9]);
        check_idx_gz(&[0, 0, 0x09, 1, 0, 0, 0, 1, 0xff]);
        check_idx_gz(&gzip(b"not idx"));
        check_state_dict(b"not safetensors");
        check_training_checkpoint(b"");
    }
}
