//! The checkpoint fuzz targets' inputs, replayed by `cargo test` without
//! libFuzzer.
//!
//! Every seed in `fuzz/corpus/<target>/` and every minimised crash in
//! `fuzz/regressions/<target>/`, for the targets `safetensors_state_dict`
//! and `training_checkpoint`, is loaded here with the same checks as the
//! fuzz targets (`fuzz/src/lib.rs`): a loader may accept or reject a file
//! but never panic, and what it accepts must survive a save/load round trip.

use std::path::{Path, PathBuf};
use synann_nn::checkpoint::{
    safetensors_from_bytes, safetensors_to_bytes, CheckpointError, TrainingCheckpoint,
};
use synann_tensor::Float;

/// `fuzz/regressions/<target>/<name>`, read.
fn regression(target: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files in `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`,
/// sorted within each directory; a directory that does not exist adds none.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut all = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.expect("read fuzz directory entry").path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        all.extend(paths);
    }
    all
}

/// Loads `bytes` as a `T` state dict and, if that works, checks that saving
/// and loading again gives the same dict and metadata. Returns the first
/// load's error, if any.
fn state_dict_round_trip<T: Float>(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let (dict, meta) = safetensors_from_bytes::<T>(bytes)?;
    if dict.is_empty() && meta.is_empty() {
        // The known saving bug below (`an_empty_dict_without_metadata_...`).
        return Ok(());
    }
    let again = safetensors_to_bytes(&dict, &meta)
        .unwrap_or_else(|e| panic!("{}: cannot save what was loaded: {e}", path.display()));
    let (dict2, meta2) = safetensors_from_bytes::<T>(&again)
        .unwrap_or_else(|e| panic!("{}: the re-saved file does not load: {e}", path.display()));
    assert!(
        dict.equal_nan(&dict2) && meta == meta2,
        "{}: changed in a round trip",
        path.display()
    );
    Ok(())
}

#[test]
fn state_dict_seeds_and_regressions_load_without_panicking() {
    let paths = inputs("safetensors_state_dict");
    assert!(paths.len() >= 6, "only {} seed files", paths.len());
    let mut accepted = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let as_f32 = state_dict_round_trip::<f32>(path, &bytes);
        let as_f64 = state_dict_round_trip::<f64>(path, &bytes);
        // f64 holds every integer f32 does, and more.
        match (&as_f32, &as_f64) {
            (Ok(()), Err(e)) => panic!("{}: f32 accepts, f64 says {e}", path.display()),
            (Err(e), Ok(())) => assert!(
                matches!(e, CheckpointError::InexactInteger { .. }),
                "{}: f64 accepts, f32 says {e:?}",
                path.display()
            ),
            _ => {}
        }
        accepted += usize::from(as_f32.is_ok());
    }
    // Both valid and broken files are in the corpus.
    assert!(
        accepted >= 3 && accepted < paths.len(),
        "{accepted} of {} accepted",
        paths.len()
    );
}

#[test]
fn training_checkpoint_seeds_and_regressions_load_without_panicking() {
    let paths = inputs("training_checkpoint");
    assert!(paths.len() >= 4, "only {} seed files", paths.len());
    let mut accepted = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let Ok(ckpt) = TrainingCheckpoint::<f32>::from_bytes(&bytes) else {
            continue;
        };
        accepted += 1;
        let saved = ckpt.to_bytes().unwrap();
        let back = TrainingCheckpoint::<f32>::from_bytes(&saved).unwrap();
        // Compared as stored (tensors and metadata), where NaN can match NaN.
        let (d1, m1) = safetensors_from_bytes::<f32>(&saved).unwrap();
        let (d2, m2) = safetensors_from_bytes::<f32>(&back.to_bytes().unwrap()).unwrap();
        assert!(
            d1.equal_nan(&d2) && m1 == m2,
            "{}: changed in a round trip",
            path.display()
        );
    }
    assert!(
        accepted >= 2 && accepted < paths.len(),
        "{accepted} of {} accepted",
        paths.len()
    );
}

/// Found by the `safetensors_state_dict` fuzzer, in saving rather than
/// loading: `safetensors_to_bytes` of a dict with no tensors and no metadata
/// writes the header `{},"__metadata__":{}}`. (The `safetensors` crate, 0.4.5,
/// announces a JSON map of 0 entries, its tensors, so `serde_json` closes the
/// map at once, and then writes the metadata entry after it.) That file is
/// kept as a regression input: loading it must be an error, not a panic.
#[test]
fn the_unreadable_empty_dict_file_is_a_corrupt_header_error() {
    let bytes = regression("safetensors_state_dict", "empty_dict_as_saved.safetensors");
    assert_eq!(&bytes[8..], br#"{},"__metadata__":{}}   "#);
    let err = safetensors_from_bytes::<f32>(&bytes).unwrap_err();
    assert!(
        matches!(err, CheckpointError::CorruptHeader { .. }),
        "{err:?}"
    );
    let err = safetensors_from_bytes::<f64>(&bytes).unwrap_err();
    assert!(
        matches!(err, CheckpointError::CorruptHeader { .. }),
        "{err:?}"
    );
}

/// The same bug from the other side: the fuzzer's input loads as an empty
/// dict with no metadata, and saving that must give a loadable file (fixed:
/// `safetensors_to_bytes` writes no `__metadata__` map when it is empty).
#[test]
fn an_empty_dict_without_metadata_round_trips() {
    let bytes = regression(
        "safetensors_state_dict",
        "crash-3d145712a7edb84b3f2fd6a5d1e453c0e4a026ec",
    );
    let (dict, meta) = safetensors_from_bytes::<f32>(&bytes).unwrap();
    assert!(dict.is_empty() && meta.is_empty());
    let saved = safetensors_to_bytes(&dict, &meta).unwrap();
    let (back, meta_back) = safetensors_from_bytes::<f32>(&saved).unwrap();
    assert!(back.is_empty() && meta_back.is_empty());
}
