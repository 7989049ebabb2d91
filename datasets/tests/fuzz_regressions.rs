//! The IDX fuzz targets' inputs, replayed by `cargo test` without libFuzzer.
//!
//! Every seed in `fuzz/corpus/{idx,idx_gz}/` and every minimised crash in
//! `fuzz/regressions/{idx,idx_gz}/` is parsed here with the same checks as
//! the fuzz targets (`fuzz/src/lib.rs`): the reader may accept or reject a
//! file but never panic, and a raw file it accepts must re-encode to the
//! same bytes. `idx_gz` inputs are gzipped first, as that target does.

use crate::common;

use common::gzip;
use std::path::{Path, PathBuf};
use synann_datasets::idx::{encode_idx, parse_idx, IdxArray};
use synann_datasets::IdxError;

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `fuzz/<dir>/<target>/`.
fn fuzz_dir(dir: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join(target)
}

/// The files in `fuzz/<dir>/<target>/`, sorted; none if it does not exist.
fn files(dir: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir(dir, target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("read fuzz directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
}

fn encode(array: &IdxArray) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_idx(array, &mut bytes).unwrap();
    bytes
}

/// Parses `bytes` (read from `path`) as the `idx` target does; returns
/// whether the reader accepted them.
fn check_raw_or_gzipped(path: &Path, bytes: &[u8]) -> bool {
    let Ok(array) = parse_idx(bytes, path) else {
        return false;
    };
    if !bytes.starts_with(&GZIP_MAGIC) {
        assert_eq!(
            encode(&array),
            bytes,
            "{} parsed as {} but does not re-encode to itself",
            path.display(),
            array.describe()
        );
    }
    true
}

/// Runs the `idx` checks on every seed and regression file; returns how many
/// were accepted and how many files there were.
fn replay_idx() -> (usize, usize) {
    let paths: Vec<PathBuf> = files("corpus", "idx")
        .into_iter()
        .chain(files("regressions", "idx"))
        .collect();
    let accepted = paths
        .iter()
        .filter(|p| check_raw_or_gzipped(p, &std::fs::read(p).unwrap()))
        .count();
    (accepted, paths.len())
}

#[test]
fn idx_seeds_and_regressions_parse_without_panicking() {
    let (accepted, total) = replay_idx();
    // The seed corpus holds valid and broken files of every element type:
    // make sure it was found and both outcomes occur.
    assert!(total >= 40, "only {total} files under fuzz/*/idx");
    assert!(
        accepted >= 6 && accepted < total,
        "{accepted} of {total} accepted"
    );
}

#[test]
fn idx_gz_seeds_and_regressions_agree_with_the_raw_reader() {
    let paths: Vec<PathBuf> = files("corpus", "idx_gz")
        .into_iter()
        .chain(files("regressions", "idx_gz"))
        .collect();
    assert!(
        paths.len() >= 20,
        "only {} files under fuzz/*/idx_gz",
        paths.len()
    );
    for path in &paths {
        let raw = std::fs::read(path).unwrap();
        let through_gzip = parse_idx(&gzip(&raw), path).map(|a| encode(&a));
        let direct = parse_idx(&raw, path).map(|a| encode(&a));
        assert_eq!(
            through_gzip.is_ok(),
            direct.is_ok(),
            "{}: gzipped {through_gzip:?} vs raw {direct:?}",
            path.display()
        );
        if let Ok(encoded) = through_gzip {
            assert_eq!(encoded, raw, "{}", path.display());
        }
    }
}

/// Found by the `idx` fuzzer: a zero dimension after dimensions whose
/// product overflows. The reader's size check multiplied in an order that
/// reached the zero first and accepted the header, then `IdxArray::new`
/// (multiplying in the other order) panicked. It is now `TooLarge`.
#[test]
fn zero_dimension_after_overflowing_dimensions_is_too_large() {
    for name in [
        "zero_dim_after_huge_dims.idx",
        "crash-a2a0f56ea778e89ac3d06b8bbd91f56c1e90a635",
    ] {
        let path = fuzz_dir("regressions", "idx").join(name);
        let bytes = std::fs::read(&path).unwrap();
        let err = parse_idx(&bytes, &path).unwrap_err();
        assert!(matches!(err, IdxError::TooLarge { .. }), "{name}: {err:?}");
        let err = parse_idx(&gzip(&bytes), &path).unwrap_err();
        assert!(
            matches!(err, IdxError::TooLarge { .. }),
            "{name}.gz: {err:?}"
        );
    }
}
