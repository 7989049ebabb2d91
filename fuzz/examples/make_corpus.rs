//! Writes the seed corpus under `fuzz/corpus/<target>/`: small valid files
//! of every kind each parser reads, plus a few broken ones (truncated, with
//! trailing bytes, with a wrong dtype) so the fuzzer starts next to every
//! error path.
//!
//! ```text
//! cd fuzz && cargo run --example make_corpus
//! ```
//!
//! The values are fixed (fixed seeds) and safetensors headers are written
//! with sorted keys, so running it again rewrites the same bytes.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use synann_datasets::idx::{encode_idx, IdxArray, IdxData};
use synann_fuzz::gzip;
use synann_nn::checkpoint::{safetensors_to_bytes, Metadata, TrainingCheckpoint};
use synann_nn::lr_scheduler::SchedulerState;
use synann_nn::optim::{GroupState, OptimizerState, ParamState};
use synann_nn::state_dict::StateDict;
use synann_tensor::random::{seeded, RngState};
use synann_tensor::{Float, Tensor};

/// One target's corpus directory.
struct Corpus {
    dir: PathBuf,
}

impl Corpus {
    /// `fuzz/corpus/<target>/`, created if missing.
    fn new(target: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        std::fs::create_dir_all(&dir).expect("create corpus directory");
        Corpus { dir }
    }

    /// Writes one seed file.
    fn add(&self, name: &str, bytes: &[u8]) {
        assert!(bytes.len() < 20_000, "seed {name} is {} bytes", bytes.len());
        std::fs::write(self.dir.join(name), bytes).expect("write seed file");
    }
}

/// Small IDX arrays, one per element type, with values that exercise the
/// sign and byte order of each.
fn idx_arrays() -> Vec<(&'static str, IdxArray)> {
    vec![
        (
            "u8_2x3",
            IdxArray::new(vec![2, 3], IdxData::U8(vec![0, 1, 127, 128, 254, 255])),
        ),
        (
            "i8_4",
            IdxArray::new(vec![4], IdxData::I8(vec![-128, -1, 0, 127])),
        ),
        (
            "i16_2x2",
            IdxArray::new(vec![2, 2], IdxData::I16(vec![-32768, -2, 258, 32767])),
        ),
        (
            "i32_1x2x2",
            IdxArray::new(
                vec![1, 2, 2],
                IdxData::I32(vec![i32::MIN, -1, 0x0102_0304, i32::MAX]),
            ),
        ),
        (
            "f32_3",
            IdxArray::new(vec![3], IdxData::F32(vec![-1.5, 0.0, f32::INFINITY])),
        ),
        (
            "f64_2x1",
            IdxArray::new(vec![2, 1], IdxData::F64(vec![std::f64::consts::PI, -0.0])),
        ),
        ("u8_0x5", IdxArray::new(vec![0, 5], IdxData::U8(vec![]))),
        (
            "u8_mnist_like_3x4x4",
            IdxArray::new(
                vec![3, 4, 4],
                IdxData::U8((0..48).map(|i| (i * 37 % 256) as u8).collect()),
            ),
        ),
    ]
}

fn idx_bytes(array: &IdxArray) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_idx(array, &mut bytes).expect("writing to a Vec cannot fail");
    bytes
}

/// Seeds for `idx` (raw and gzipped) and `idx_gz` (raw only: that target
/// gzips its input itself).
fn write_idx_corpora() {
    let idx = Corpus::new("idx");
    let idx_gz = Corpus::new("idx_gz");
    for (name, array) in idx_arrays() {
        let raw = idx_bytes(&array);
        let gz = gzip(&raw);
        idx.add(&format!("{name}.idx"), &raw);
        idx.add(&format!("{name}.idx.gz"), &gz);
        idx_gz.add(&format!("{name}.idx"), &raw);
        // Truncated in the data, and with one trailing byte.
        idx.add(&format!("{name}.cut.idx"), &raw[..raw.len() - 1]);
        idx_gz.add(&format!("{name}.cut.idx"), &raw[..raw.len() - 1]);
        let mut long = raw.clone();
        long.push(0);
        idx.add(&format!("{name}.trailing.idx"), &long);
        idx_gz.add(&format!("{name}.trailing.idx"), &long);
        // A gzip stream cut short (the decoder's error path).
        idx.add(&format!("{name}.cut.idx.gz"), &gz[..gz.len() / 2]);
    }
    let (_, u8_array) = &idx_arrays()[0];
    let raw = idx_bytes(u8_array);
    // Truncated inside the magic and inside the dimensions.
    idx.add("cut_magic.idx", &raw[..3]);
    idx.add("cut_dims.idx", &raw[..6]);
    idx_gz.add("cut_dims.idx", &raw[..6]);
    // Two gzip members, which MultiGzDecoder reads as one stream.
    let mut two_members = gzip(&raw[..5]);
    two_members.extend_from_slice(&gzip(&raw[5..]));
    idx.add("two_members.idx.gz", &two_members);
    // A header claiming 2^32 - 1 rows of 2^32 - 1 bytes.
    let huge = [
        0, 0, 0x08, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    idx.add("huge_header.idx", &huge);
    idx.add("huge_header.idx.gz", &gzip(&huge));
    idx_gz.add("huge_header.idx", &huge);
}

/// Safetensors bytes with the header's JSON keys in sorted order.
///
/// The `safetensors` crate writes the header from `HashMap`s, so its key
/// order changes from run to run; sorting makes this program write the same
/// bytes every time. Tensor offsets count from the end of the header, so the
/// data is kept as it is.
fn sorted_header(bytes: Vec<u8>) -> Vec<u8> {
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    // serde_json's maps are sorted by key (no `preserve_order` feature).
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + len]).expect("valid header");
    let mut json = serde_json::to_vec(&header).expect("serialize");
    // Pad with spaces to a multiple of 8 bytes, as the crate does.
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[8 + len..]);
    out
}

/// A deterministic tensor of `shape` with values in (−1, 1).
fn tensor<T: Float>(shape: &[usize], seed: u64) -> Tensor<T> {
    let one = T::from_f64(1.0);
    Tensor::uniform(shape, -one, one, &mut seeded(seed))
}

/// A two-layer model's state dict with PyTorch's names.
fn model_dict<T: Float>() -> StateDict<T> {
    let mut dict = StateDict::new();
    dict.insert("fc1.weight", tensor(&[3, 4], 1));
    dict.insert("fc1.bias", tensor(&[3], 2));
    dict.insert("fc2.weight", tensor(&[2, 3], 3));
    dict.insert("fc2.bias", tensor(&[2], 4));
    dict.insert("norm.running_mean", tensor(&[3], 5));
    dict
}

/// Seeds for `safetensors_state_dict`.
fn write_state_dict_corpus() {
    let corpus = Corpus::new("safetensors_state_dict");
    let meta = Metadata::from([("epoch".to_string(), "7".to_string())]);
    let f32_bytes =
        sorted_header(safetensors_to_bytes(&model_dict::<f32>(), &meta).expect("encode"));
    corpus.add("model_f32.safetensors", &f32_bytes);
    let f64_bytes = sorted_header(
        safetensors_to_bytes(&model_dict::<f64>(), &Metadata::new()).expect("encode"),
    );
    corpus.add("model_f64.safetensors", &f64_bytes);
    // No tensors, one metadata entry. (With no metadata either, the
    // `safetensors` crate writes an unreadable header: that file is in
    // fuzz/regressions/safetensors_state_dict/, see fuzz/README.md.)
    corpus.add(
        "no_tensors.safetensors",
        &sorted_header(safetensors_to_bytes(&StateDict::<f32>::new(), &meta).expect("encode")),
    );
    let mut odd = StateDict::<f32>::new();
    odd.insert("scalar", Tensor::from_vec(vec![2.5], &[]));
    odd.insert("empty_rows", Tensor::from_vec(vec![], &[0, 3]));
    corpus.add(
        "scalar_and_empty.safetensors",
        &sorted_header(safetensors_to_bytes(&odd, &Metadata::new()).expect("encode")),
    );
    // A file as PyTorch's `save_file` writes it: no metadata, and a dtype we
    // do not load (I32), next to an F32 tensor.
    let ints: Vec<u8> = [1i32, -2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let floats: Vec<u8> = [0.5f32, -0.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let views = vec![
        (
            "ids".to_string(),
            TensorView::new(Dtype::I32, vec![3], &ints).expect("view"),
        ),
        (
            "w".to_string(),
            TensorView::new(Dtype::F32, vec![2], &floats).expect("view"),
        ),
    ];
    corpus.add(
        "i32_tensor.safetensors",
        &sorted_header(
            safetensors::serialize(views, &None::<HashMap<String, String>>).expect("encode"),
        ),
    );
    // An integer exact in f64 but not in f32 (2^24 + 1), and a BatchNorm
    // counter, which the writer stores as I64 like PyTorch.
    let big: Vec<u8> = [0u32, (1 << 24) + 1, 7]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let view = TensorView::new(Dtype::U32, vec![3], &big).expect("view");
    corpus.add(
        "u32_beyond_f32.safetensors",
        &sorted_header(
            safetensors::serialize([("counts", view)], &None::<HashMap<String, String>>)
                .expect("encode"),
        ),
    );
    let mut bn = StateDict::<f32>::new();
    bn.insert("bn.running_var", Tensor::from_vec(vec![1.0, 0.5], &[2]));
    bn.insert("bn.num_batches_tracked", Tensor::from_vec(vec![12.0], &[]));
    corpus.add(
        "num_batches_tracked.safetensors",
        &sorted_header(safetensors_to_bytes(&bn, &Metadata::new()).expect("encode")),
    );
    corpus.add("cut_header.safetensors", &f32_bytes[..20]);
    corpus.add("cut_data.safetensors", &f32_bytes[..f32_bytes.len() - 4]);
}

/// A checkpoint of [`model_dict`] with Adam's state, a plateau scheduler and
/// a best metric.
fn adam_checkpoint<T: Float>() -> TrainingCheckpoint<T> {
    let model = model_dict::<T>();
    let state = model
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, (_, t))| {
            let buffers = BTreeMap::from([
                ("exp_avg".to_string(), tensor(t.shape(), 10 + i as u64)),
                ("exp_avg_sq".to_string(), tensor(t.shape(), 20 + i as u64)),
            ]);
            let step = Some(3);
            (i, ParamState { step, buffers })
        })
        .collect();
    let options = serde_json::json!({
        "betas": [0.9, 0.999],
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": false,
    });
    TrainingCheckpoint {
        model,
        optimizer: OptimizerState {
            kind: "Adam".to_string(),
            groups: vec![GroupState {
                lr: 1e-3,
                options,
                params: vec![0, 1, 2, 3],
            }],
            state,
        },
        scheduler: Some(SchedulerState::Plateau {
            last_epoch: 4,
            lr: 1e-3,
            best: Some(0.125),
            num_bad_epochs: 1,
            cooldown_counter: 0,
        }),
        epoch: 4,
        global_step: 400,
        rng: RngState::of(&seeded(42)),
        best_metric: Some(0.125),
        metadata: BTreeMap::from([("run".to_string(), "seed".to_string())]),
    }
}

/// A checkpoint with plain SGD (no state), a chained epoch scheduler and no
/// best metric.
fn sgd_checkpoint<T: Float>() -> TrainingCheckpoint<T> {
    let mut model = StateDict::new();
    model.insert("w", tensor(&[2, 2], 7));
    TrainingCheckpoint {
        model,
        optimizer: OptimizerState {
            kind: "SGD".to_string(),
            groups: vec![GroupState {
                lr: 0.1,
                options: serde_json::json!({"momentum": 0.0, "nesterov": false}),
                params: vec![0],
            }],
            state: BTreeMap::new(),
        },
        scheduler: Some(SchedulerState::Chain(vec![
            SchedulerState::Epoch {
                kind: "LinearLR".to_string(),
                last_epoch: 2,
            },
            SchedulerState::Epoch {
                kind: "StepLR".to_string(),
                last_epoch: 2,
            },
        ])),
        epoch: 2,
        global_step: 20,
        rng: RngState::of(&seeded(0)),
        best_metric: None,
        metadata: BTreeMap::new(),
    }
}

/// Seeds for `training_checkpoint`.
fn write_checkpoint_corpus() {
    let corpus = Corpus::new("training_checkpoint");
    let adam = sorted_header(adam_checkpoint::<f32>().to_bytes().expect("encode"));
    corpus.add("adam_f32.safetensors", &adam);
    corpus.add(
        "adam_f64.safetensors",
        &sorted_header(adam_checkpoint::<f64>().to_bytes().expect("encode")),
    );
    corpus.add(
        "sgd_f32.safetensors",
        &sorted_header(sgd_checkpoint::<f32>().to_bytes().expect("encode")),
    );
    corpus.add("cut_data.safetensors", &adam[..adam.len() - 4]);
    // A plain state dict: valid safetensors, but no checkpoint metadata.
    corpus.add(
        "plain_state_dict.safetensors",
        &sorted_header(
            safetensors_to_bytes(&model_dict::<f32>(), &Metadata::new()).expect("encode"),
        ),
    );
}

fn main() {
    write_idx_corpora();
    write_state_dict_corpus();
    write_checkpoint_corpus();
    println!(
        "seed corpus written to {}",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .display()
    );
}
