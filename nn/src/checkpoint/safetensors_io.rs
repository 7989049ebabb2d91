//! Reading and writing a [`StateDict`] as a safetensors file.
//!
//! The format: an 8-byte little-endian header length N, N bytes of JSON
//! (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, …,
//! "__metadata__": {string: string}}`), then the raw little-endian tensor
//! data. The `safetensors` crate checks the header; this file converts
//! between its byte views and our tensors, with the dtype conversions of
//! [`dtype`](super::dtype).

use super::atomic::write_atomic;
use super::dtype::{decode, encode};
use super::error::{io_at, CheckpointError};
use crate::state_dict::StateDict;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use synann_tensor::Float;

/// Free-form string metadata stored in the file header (`__metadata__`).
pub type Metadata = BTreeMap<String, String>;

/// Maps the `safetensors` crate's parse errors to ours.
fn parse_error(e: SafeTensorError) -> CheckpointError {
    match e {
        SafeTensorError::HeaderTooSmall
        | SafeTensorError::InvalidHeaderLength
        | SafeTensorError::MetadataIncompleteBuffer => CheckpointError::Truncated {
            detail: format!("{e:?}"),
        },
        other => CheckpointError::CorruptHeader {
            detail: format!("{other:?}"),
        },
    }
}

/// Encodes `dict` and `metadata` as safetensors bytes.
pub fn safetensors_to_bytes<T: Float>(
    dict: &StateDict<T>,
    metadata: &Metadata,
) -> Result<Vec<u8>, CheckpointError> {
    let encoded: Vec<(&str, Vec<usize>, Dtype, Vec<u8>)> = dict
        .iter()
        .map(|(name, t)| {
            let (dtype, bytes) = encode(name, t);
            (name, t.shape().to_vec(), dtype, bytes)
        })
        .collect();
    let views = encoded
        .iter()
        .map(|(name, shape, dtype, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|v| (name.to_string(), v))
                .map_err(|e| CheckpointError::Encode {
                    detail: format!("tensor `{name}`: {e:?}"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // No `__metadata__` entry at all when there is none: the safetensors
    // crate mis-writes an empty header map with an empty metadata map (found
    // by fuzzing; see fuzz/README.md).
    let header: Option<HashMap<String, String>> =
        (!metadata.is_empty()).then(|| metadata.clone().into_iter().collect());
    safetensors::serialize(views, &header).map_err(|e| CheckpointError::Encode {
        detail: format!("{e:?}"),
    })
}

/// Decodes safetensors bytes into a state dict (sorted by name) of element
/// type `T` and the header metadata. Never panics: malformed input is an
/// error.
pub fn safetensors_from_bytes<T: Float>(
    bytes: &[u8],
) -> Result<(StateDict<T>, Metadata), CheckpointError> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(parse_error)?;
    let file = SafeTensors::deserialize(bytes).map_err(parse_error)?;
    let mut views = file.tensors();
    views.sort_by(|a, b| a.0.cmp(&b.0));
    let mut dict = StateDict::new();
    for (name, view) in &views {
        dict.insert(name.clone(), decode(name, view)?);
    }
    let metadata = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok((dict, metadata))
}

/// Writes `dict` with `metadata` to `path` as safetensors, atomically (see
/// [`write_atomic`]). Tensor names are kept as they are, so a state dict
/// with PyTorch's names loads into the PyTorch model; tensors are written
/// as `T`'s dtype, except `num_batches_tracked` buffers, written as `I64`
/// like PyTorch's (see [`dtype`](super::dtype)).
///
/// ```
/// use synann_nn::checkpoint::{load_safetensors, save_safetensors, Metadata};
/// use synann_nn::state_dict::StateDict;
/// use synann_tensor::Tensor;
///
/// let mut dict = StateDict::new();
/// dict.insert("fc.weight", Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]));
/// let path = std::env::temp_dir().join(format!("synann-doc-{}.safetensors", std::process::id()));
/// save_safetensors(&path, &dict, &Metadata::new()).unwrap();
/// let (back, _) = load_safetensors::<f64>(&path).unwrap(); // F32 → f64
/// assert_eq!(back.get("fc.weight").unwrap().data(), &[1.0, 2.0]);
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_safetensors<T: Float>(
    path: impl AsRef<Path>,
    dict: &StateDict<T>,
    metadata: &Metadata,
) -> Result<(), CheckpointError> {
    write_atomic(path, &safetensors_to_bytes(dict, metadata)?)
}

/// Reads a safetensors file into a state dict of element type `T` and its
/// metadata. Float and integer tensors are converted to `T` exactly (see
/// [`dtype`](super::dtype)), so a PyTorch `state_dict` saved with
/// `safetensors.torch.save_file` loads, `int64` `num_batches_tracked`
/// included.
pub fn load_safetensors<T: Float>(
    path: impl AsRef<Path>,
) -> Result<(StateDict<T>, Metadata), CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(io_at(path))?;
    safetensors_from_bytes(&bytes)
}
