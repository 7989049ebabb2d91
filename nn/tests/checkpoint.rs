//! state_dict and safetensors checkpoints: round trips, typed errors for
//! every kind of bad input, atomic writes, and a fuzz test of the loaders.

use crate::tiny_model;

use proptest::prelude::*;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::PathBuf;
use synann_autograd::Var;
use synann_nn::checkpoint::{
    load_safetensors, safetensors_from_bytes, safetensors_to_bytes, save_safetensors,
    CheckpointError, Metadata, TrainingCheckpoint,
};
use synann_nn::layers::BatchNorm1d;
use synann_nn::lr_scheduler::{Chain, LrScheduler, PiecewiseConstantLR, ReduceLROnPlateau};
use synann_nn::optim::{Adam, AdamConfig, Optimizer};
use synann_nn::state_dict::{load_state_dict, state_dict, StateDict, StateDictError, Strict};
use synann_nn::{Mode, Module};
use synann_tensor::random::{seeded, RngState};
use synann_tensor::{Float, Tensor};
use tiny_model::{batch, TinyNet};

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synann-ckpt-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn values<T: Float>(net: &TinyNet<T>) -> Vec<Tensor<T>> {
    net.parameters()
        .into_iter()
        .chain(std::iter::once(net.running_mean.clone()))
        .map(|p| p.value().clone())
        .collect()
}

#[test]
fn state_dict_has_pytorch_names_parameters_then_buffers() {
    let net = TinyNet::<f32>::new(0);
    let sd = state_dict(&net);
    let names: Vec<&str> = sd.keys().collect();
    assert_eq!(
        names,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "norm.running_mean"
        ]
    );
    assert_eq!(sd.get("fc2.weight").unwrap().shape(), &[2, 3]);
}

fn file_round_trip<T: Float>(test: &str) {
    let dir = scratch(test);
    let path = dir.join("model.safetensors");
    let net = TinyNet::<T>::new(5);
    let meta = Metadata::from([("epoch".to_string(), "7".to_string())]);
    save_safetensors(&path, &state_dict(&net), &meta).unwrap();
    assert!(!dir.join("model.safetensors.tmp").exists());

    let (loaded, meta_back) = load_safetensors::<T>(&path).unwrap();
    assert_eq!(meta_back, meta);
    let fresh = TinyNet::<T>::new(6);
    assert_ne!(values(&fresh), values(&net));
    load_state_dict(&fresh, &loaded, Strict::Yes).unwrap();
    assert_eq!(
        values(&fresh),
        values(&net),
        "tensors must come back bit for bit"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn save_load_state_dict_round_trip_is_exact() {
    file_round_trip::<f32>("rt32");
    file_round_trip::<f64>("rt64");
}

#[test]
fn f32_and_f64_files_convert_on_load() {
    let mut sd = StateDict::new();
    sd.insert("w", Tensor::from_vec(vec![0.1f32, -2.5, 3.0], &[3]));
    let bytes = safetensors_to_bytes(&sd, &Metadata::new()).unwrap();
    let (wide, _) = safetensors_from_bytes::<f64>(&bytes).unwrap();
    assert_eq!(wide.get("w").unwrap().data(), &[0.1f32 as f64, -2.5, 3.0]);

    let bytes = safetensors_to_bytes(&wide, &Metadata::new()).unwrap();
    let (narrow, _) = safetensors_from_bytes::<f32>(&bytes).unwrap();
    assert_eq!(narrow, sd);
}

#[test]
fn file_layout_is_what_pytorch_expects() {
    let mut sd = StateDict::new();
    sd.insert(
        "fc.weight",
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]),
    );
    let bytes = safetensors_to_bytes(&sd, &Metadata::new()).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    assert_eq!(header["fc.weight"]["dtype"], "F32");
    assert_eq!(header["fc.weight"]["shape"], serde_json::json!([2, 3]));
    let data = &bytes[8 + n..];
    assert_eq!(data.len(), 24);
    // Row-major, little-endian: element [1, 0] is the fourth.
    assert_eq!(f32::from_le_bytes(data[12..16].try_into().unwrap()), 4.0);
}

/// Safetensors bytes of one tensor `name` with the given dtype, shape and
/// raw little-endian data, as another program (PyTorch) would write them.
fn raw_file(name: &str, dtype: Dtype, shape: Vec<usize>, data: &[u8]) -> Vec<u8> {
    let view = TensorView::new(dtype, shape, data).unwrap();
    safetensors::serialize(vec![(name, view)], &None).unwrap()
}

/// The dtype recorded in the header of safetensors `bytes` for `name`.
fn header_dtype(bytes: &[u8], name: &str) -> String {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header[name]["dtype"].as_str().unwrap().to_string()
}

#[test]
fn pytorch_int64_num_batches_tracked_loads_as_float() {
    // PyTorch's BatchNorm1d(3).state_dict() after 7 training batches.
    let floats = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let weight = floats(&[1.0, 2.0, 3.0]);
    let bias = floats(&[0.0, 0.5, -0.5]);
    let mean = floats(&[0.25, 0.0, -1.0]);
    let var = floats(&[1.0, 4.0, 0.5]);
    let count = 7i64.to_le_bytes();
    let views = vec![
        (
            "bn.weight",
            TensorView::new(Dtype::F32, vec![3], &weight).unwrap(),
        ),
        (
            "bn.bias",
            TensorView::new(Dtype::F32, vec![3], &bias).unwrap(),
        ),
        (
            "bn.running_mean",
            TensorView::new(Dtype::F32, vec![3], &mean).unwrap(),
        ),
        (
            "bn.running_var",
            TensorView::new(Dtype::F32, vec![3], &var).unwrap(),
        ),
        (
            "bn.num_batches_tracked",
            TensorView::new(Dtype::I64, vec![], &count).unwrap(),
        ),
    ];
    let bytes = safetensors::serialize(views, &None).unwrap();
    assert_eq!(header_dtype(&bytes, "bn.num_batches_tracked"), "I64");

    let (dict, _) = safetensors_from_bytes::<f32>(&bytes).unwrap();
    let count = dict.get("bn.num_batches_tracked").unwrap();
    assert_eq!(count.shape(), &[] as &[usize]);
    assert_eq!(count.data(), &[7.0]);
    let (wide, _) = safetensors_from_bytes::<f64>(&bytes).unwrap();
    assert_eq!(wide.get("bn.num_batches_tracked").unwrap().data(), &[7.0]);

    // And it loads, strictly, into our BatchNorm1d under the same names.
    let bn = BatchNorm1d::<f32>::new(3);
    let own_names: StateDict<f32> = dict
        .iter()
        .map(|(n, t)| (n.trim_start_matches("bn.").to_string(), t.clone()))
        .collect();
    load_state_dict(&bn, &own_names, Strict::Yes).unwrap();
    let tracked = bn.named_buffers();
    let (_, n) = tracked
        .iter()
        .find(|(n, _)| n == "num_batches_tracked")
        .unwrap();
    assert_eq!(n.value().data(), &[7.0]);
}

#[test]
fn every_integer_dtype_converts_exactly() {
    let cases: Vec<(Dtype, Vec<u8>, Vec<f64>)> = vec![
        (Dtype::BOOL, vec![0, 1, 1], vec![0.0, 1.0, 1.0]),
        (Dtype::U8, vec![0, 7, 255], vec![0.0, 7.0, 255.0]),
        (Dtype::I8, vec![0x80, 0xff, 5], vec![-128.0, -1.0, 5.0]),
        (
            Dtype::I16,
            [-300i16, 0, 32767]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            vec![-300.0, 0.0, 32767.0],
        ),
        (
            Dtype::U16,
            [65535u16, 1, 2]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            vec![65535.0, 1.0, 2.0],
        ),
        (
            Dtype::I32,
            [-16_777_216i32, 3, 16_777_216]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            vec![-16_777_216.0, 3.0, 16_777_216.0],
        ),
        (
            Dtype::U32,
            [4u32, 0, 9].iter().flat_map(|v| v.to_le_bytes()).collect(),
            vec![4.0, 0.0, 9.0],
        ),
        (
            Dtype::I64,
            [-5i64, 0, 1 << 24]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            vec![-5.0, 0.0, 16_777_216.0],
        ),
        (
            Dtype::U64,
            [1u64, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect(),
            vec![1.0, 2.0, 3.0],
        ),
    ];
    for (dtype, data, want) in cases {
        let bytes = raw_file("t", dtype, vec![3], &data);
        let (narrow, _) = safetensors_from_bytes::<f32>(&bytes).unwrap();
        let want32: Vec<f32> = want.iter().map(|&v| v as f32).collect();
        assert_eq!(narrow.get("t").unwrap().data(), &want32[..], "{dtype:?}");
        let (wide, _) = safetensors_from_bytes::<f64>(&bytes).unwrap();
        assert_eq!(wide.get("t").unwrap().data(), &want[..], "{dtype:?}");
    }
}

#[test]
fn integers_too_large_to_be_exact_are_errors_naming_the_tensor() {
    // 2^24 + 1 is the first integer an f32 cannot hold; f64 holds it.
    let data: Vec<u8> = [1i64, (1 << 24) + 1]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bytes = raw_file("bn.num_batches_tracked", Dtype::I64, vec![2], &data);
    match safetensors_from_bytes::<f32>(&bytes) {
        Err(CheckpointError::InexactInteger { name, value, dtype }) => {
            assert_eq!(name, "bn.num_batches_tracked");
            assert_eq!(value, (1 << 24) + 1);
            assert_eq!(dtype, "F32");
        }
        other => panic!("expected an inexact-integer error, got {other:?}"),
    }
    let (wide, _) = safetensors_from_bytes::<f64>(&bytes).unwrap();
    assert_eq!(
        wide.get("bn.num_batches_tracked").unwrap().data(),
        &[1.0, 16_777_217.0]
    );
    // 2^53 + 1 is beyond f64 as well, and so is the largest u64.
    let data = ((1u64 << 53) + 1).to_le_bytes();
    let err = safetensors_from_bytes::<f64>(&raw_file("big", Dtype::U64, vec![], &data));
    assert!(
        matches!(&err, Err(CheckpointError::InexactInteger { name, .. }) if name == "big"),
        "{err:?}"
    );
    let err = safetensors_from_bytes::<f64>(&raw_file("max", Dtype::U64, vec![], &[0xff; 8]))
        .unwrap_err();
    assert!(err.to_string().contains("`max`"), "{err}");
    assert!(err.to_string().contains("18446744073709551615"), "{err}");
}

#[test]
fn half_precision_floats_convert_exactly() {
    // F16 1.0, −2.5, 65504 (largest); BF16 1.0, −5.0, 2^−126.
    let f16: Vec<u8> = [0x3c00u16, 0xc100, 0x7bff]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let (d, _) = safetensors_from_bytes::<f32>(&raw_file("h", Dtype::F16, vec![3], &f16)).unwrap();
    assert_eq!(d.get("h").unwrap().data(), &[1.0, -2.5, 65504.0]);
    let bf16: Vec<u8> = [0x3f80u16, 0xc0a0, 0x0080]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let (d, _) =
        safetensors_from_bytes::<f64>(&raw_file("b", Dtype::BF16, vec![3], &bf16)).unwrap();
    assert_eq!(
        d.get("b").unwrap().data(),
        &[1.0, -5.0, f64::from(f32::MIN_POSITIVE)]
    );
}

#[test]
fn unsupported_dtype_names_the_tensor() {
    let bytes = raw_file("q.weight", Dtype::F8_E4M3, vec![2], &[0x38, 0xb8]);
    match safetensors_from_bytes::<f32>(&bytes) {
        Err(CheckpointError::StateDict(StateDictError::DtypeMismatch { name, found, .. })) => {
            assert_eq!(name, "q.weight");
            assert_eq!(found, "F8_E4M3");
        }
        other => panic!("expected a dtype error, got {other:?}"),
    }
}

#[test]
fn saved_num_batches_tracked_is_int64_like_pytorch() {
    let mut bn = BatchNorm1d::<f32>::new(3);
    let x = Var::constant(Tensor::from_vec(
        vec![0.1, 0.2, 0.3, 0.5, -0.4, 0.9, -1.0, 0.0, 2.0],
        &[3, 3],
    ));
    for _ in 0..3 {
        bn.forward(&x, Mode::Train);
    }
    let dict = state_dict(&bn);
    assert_eq!(dict.get("num_batches_tracked").unwrap().data(), &[3.0]);
    let bytes = safetensors_to_bytes(&dict, &Metadata::new()).unwrap();
    assert_eq!(header_dtype(&bytes, "num_batches_tracked"), "I64");
    for name in ["weight", "bias", "running_mean", "running_var"] {
        assert_eq!(header_dtype(&bytes, name), "F32", "{name}");
    }
    let view = SafeTensors::deserialize(&bytes)
        .unwrap()
        .tensor("num_batches_tracked")
        .unwrap()
        .data()
        .to_vec();
    assert_eq!(view, 3i64.to_le_bytes());
    // It reads back to the same state, in either width.
    assert_eq!(safetensors_from_bytes::<f32>(&bytes).unwrap().0, dict);
    assert_eq!(
        safetensors_from_bytes::<f64>(&bytes).unwrap().0,
        dict.cast::<f64>()
    );

    // A training checkpoint's `model.<name>` copy is an integer buffer too.
    let mut prefixed = StateDict::new();
    prefixed.insert("model.fcb.num_batches_tracked", Tensor::scalar(3.0f64));
    let bytes = safetensors_to_bytes(&prefixed, &Metadata::new()).unwrap();
    assert_eq!(header_dtype(&bytes, "model.fcb.num_batches_tracked"), "I64");
    // A value that is not an exact integer stays a float rather than being
    // rounded.
    let mut odd = StateDict::new();
    odd.insert("num_batches_tracked", Tensor::scalar(2.5f32));
    let bytes = safetensors_to_bytes(&odd, &Metadata::new()).unwrap();
    assert_eq!(header_dtype(&bytes, "num_batches_tracked"), "F32");
    assert_eq!(safetensors_from_bytes::<f32>(&bytes).unwrap().0, odd);
}

#[test]
fn load_state_dict_errors_name_the_tensor_and_change_nothing() {
    let net = TinyNet::<f64>::new(0);
    let before = values(&net);
    let good = state_dict(&TinyNet::<f64>::new(1));

    let mut missing: StateDict<f64> = good
        .iter()
        .filter(|(n, _)| *n != "fc2.bias")
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    assert_eq!(
        load_state_dict(&net, &missing, Strict::Yes),
        Err(StateDictError::Missing {
            name: "fc2.bias".into()
        })
    );
    missing.insert("extra.weight", Tensor::zeros(&[1]));
    let mut unexpected = good.clone();
    unexpected.insert("extra.weight", Tensor::zeros(&[1]));
    assert_eq!(
        load_state_dict(&net, &unexpected, Strict::Yes),
        Err(StateDictError::Unexpected {
            name: "extra.weight".into()
        })
    );
    let mut wrong = good.clone();
    wrong.insert("fc1.weight", Tensor::zeros(&[4, 3]));
    let err = load_state_dict(&net, &wrong, Strict::No).unwrap_err();
    assert_eq!(
        err,
        StateDictError::ShapeMismatch {
            name: "fc1.weight".into(),
            expected: vec![3, 4],
            found: vec![4, 3]
        }
    );
    assert!(err.to_string().contains("fc1.weight") && err.to_string().contains("[4, 3]"));
    assert_eq!(
        values(&net),
        before,
        "failed loads must leave the model alone"
    );

    // Non-strict: load what matches, skip the rest.
    load_state_dict(&net, &missing, Strict::No).unwrap();
    assert_eq!(*net.fc1_weight.value(), *good.get("fc1.weight").unwrap());
    assert_eq!(*net.fc2_bias.value(), before[3]);
}

#[test]
fn truncated_and_corrupt_files_are_typed_errors() {
    let bytes =
        safetensors_to_bytes(&state_dict(&TinyNet::<f32>::new(0)), &Metadata::new()).unwrap();
    for len in 0..bytes.len() {
        match safetensors_from_bytes::<f32>(&bytes[..len]) {
            Err(CheckpointError::Truncated { .. }) | Err(CheckpointError::CorruptHeader { .. }) => {
            }
            other => panic!("prefix of {len} bytes: expected an error, got {other:?}"),
        }
    }
    assert!(matches!(
        safetensors_from_bytes::<f32>(&bytes[..bytes.len() - 1]),
        Err(CheckpointError::Truncated { .. })
    ));
    let mut corrupt = bytes.clone();
    corrupt[8] = b'[';
    assert!(matches!(
        safetensors_from_bytes::<f32>(&corrupt),
        Err(CheckpointError::CorruptHeader { .. })
    ));
    let dir = scratch("missing");
    let path = dir.join("absent.safetensors");
    match load_safetensors::<f32>(&path) {
        Err(CheckpointError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failed_write_leaves_the_old_file_intact() {
    let dir = scratch("atomic");
    let path = dir.join("model.safetensors");
    let old = state_dict(&TinyNet::<f32>::new(0));
    save_safetensors(&path, &old, &Metadata::new()).unwrap();
    let old_bytes = std::fs::read(&path).unwrap();

    // A directory squatting on the temporary name makes the write fail
    // before the rename (even for root, unlike a read-only directory).
    let tmp = dir.join("model.safetensors.tmp");
    std::fs::create_dir(&tmp).unwrap();
    let new = state_dict(&TinyNet::<f32>::new(1));
    match save_safetensors(&path, &new, &Metadata::new()) {
        Err(CheckpointError::Io { path: p, .. }) => assert_eq!(p, tmp),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        old_bytes,
        "old file must be untouched"
    );

    std::fs::remove_dir(&tmp).unwrap();
    save_safetensors(&path, &new, &Metadata::new()).unwrap();
    assert_eq!(load_safetensors::<f32>(&path).unwrap().0, new);
    assert!(!tmp.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

fn scheduler() -> Chain {
    Chain::new(vec![
        Box::new(PiecewiseConstantLR::new(vec![3, 6], vec![1e-2, 1e-3, 1e-4]).unwrap()),
        Box::new(ReduceLROnPlateau::new(1e-2).unwrap().patience(0)),
    ])
}

/// One "epoch": two Adam steps at the scheduler's rate, then a scheduler
/// step on the loss, and a draw from the RNG (as data shuffling would).
fn epoch(
    net: &mut TinyNet<f32>,
    opt: &mut Adam<f32>,
    sched: &mut Chain,
    rng: &mut synann_tensor::random::Rng,
) -> f32 {
    let x = batch::<f32>().add(&Tensor::uniform(&[5, 4], -0.1, 0.1, rng));
    let mut loss = 0.0;
    for _ in 0..2 {
        opt.zero_grad();
        let l = net.loss(&x);
        loss = l.value().item();
        l.backward();
        opt.step();
    }
    opt.set_lr_all(sched.step_with(loss as f64));
    loss
}

#[test]
fn training_checkpoint_resumes_exactly() {
    let dir = scratch("training");
    let path = dir.join("ckpt.safetensors");
    let make_opt = |net: &TinyNet<f32>| {
        Adam::new(net.parameters(), 1e-2, AdamConfig::default().amsgrad(true)).unwrap()
    };

    let mut net = TinyNet::<f32>::new(0);
    let mut opt = make_opt(&net);
    let mut sched = scheduler();
    let mut rng = seeded(42);
    let straight: Vec<f32> = (0..8)
        .map(|_| epoch(&mut net, &mut opt, &mut sched, &mut rng))
        .collect();

    let mut net2 = TinyNet::<f32>::new(0);
    let mut opt2 = make_opt(&net2);
    let mut sched2 = scheduler();
    let mut rng2 = seeded(42);
    let mut losses: Vec<f32> = (0..4)
        .map(|_| epoch(&mut net2, &mut opt2, &mut sched2, &mut rng2))
        .collect();
    let best = losses.iter().cloned().fold(f32::INFINITY, f32::min) as f64;
    let mut ckpt =
        TrainingCheckpoint::capture(&net2, &opt2, Some(&sched2), 4, 8, RngState::of(&rng2));
    ckpt.best_metric = Some(best);
    ckpt.metadata.insert("run".into(), "resume-test".into());
    ckpt.save(&path).unwrap();
    drop((net2, opt2, sched2, rng2));

    let back = TrainingCheckpoint::<f32>::load(&path).unwrap();
    assert_eq!(back, ckpt);
    let mut net3 = TinyNet::<f32>::new(9);
    let mut opt3 = make_opt(&net3);
    let mut sched3 = scheduler();
    back.restore(&net3, &mut opt3, Some(&mut sched3)).unwrap();
    let mut rng3 = back.rng.restore();
    losses.extend((0..4).map(|_| epoch(&mut net3, &mut opt3, &mut sched3, &mut rng3)));

    assert_eq!(losses, straight);
    assert_eq!(values(&net3), values(&net));
    assert_eq!(back.best_metric, Some(best));

    // The same file read into an f64 model converts every tensor.
    let wide = TrainingCheckpoint::<f64>::load(&path).unwrap();
    assert_eq!(wide.model, ckpt.model.cast::<f64>());
    assert_eq!(
        wide.optimizer.state[&0].buffers["exp_avg"],
        ckpt.optimizer.state[&0].buffers["exp_avg"].cast::<f64>()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A valid checkpoint's tensors and metadata, for tampering with.
fn checkpoint_parts() -> (StateDict<f32>, Metadata) {
    let net = TinyNet::<f32>::new(0);
    let mut opt = Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap();
    let mut net_mut = TinyNet::<f32>::new(0);
    for (p, q) in net.parameters().iter().zip(net_mut.parameters()) {
        q.set_value(p.value().clone());
    }
    net_mut.loss(&batch()).backward();
    for (p, q) in net.parameters().iter().zip(net_mut.parameters()) {
        p.set_grad(q.grad().map(|g| g.clone()));
    }
    opt.step();
    let ckpt = TrainingCheckpoint {
        model: state_dict(&net),
        optimizer: opt.state_dict(),
        scheduler: None,
        epoch: 1,
        global_step: 1,
        rng: RngState::of(&seeded(0)),
        best_metric: None,
        metadata: BTreeMap::new(),
    };
    safetensors_from_bytes::<f32>(&ckpt.to_bytes().unwrap()).unwrap()
}

fn decode(
    tensors: &StateDict<f32>,
    meta: &Metadata,
) -> Result<TrainingCheckpoint<f32>, CheckpointError> {
    TrainingCheckpoint::from_bytes(&safetensors_to_bytes(tensors, meta).unwrap())
}

#[test]
fn bad_checkpoint_metadata_and_missing_tensors_are_named() {
    let (tensors, meta) = checkpoint_parts();
    assert!(decode(&tensors, &meta).is_ok());
    assert!(tensors.contains("optim.state.3.exp_avg_sq"));
    assert!(tensors.contains("model.fc1.weight"));

    let mut m = meta.clone();
    m.remove("epoch");
    assert!(
        matches!(decode(&tensors, &m), Err(CheckpointError::MissingKey { key }) if key == "epoch")
    );

    let mut m = meta.clone();
    m.insert("optimizer".into(), "{not json".into());
    assert!(
        matches!(decode(&tensors, &m), Err(CheckpointError::BadMetadata { key, .. }) if key == "optimizer")
    );

    let mut m = meta.clone();
    m.insert("rng_state".into(), "zz".into());
    assert!(
        matches!(decode(&tensors, &m), Err(CheckpointError::BadMetadata { key, .. }) if key == "rng_state")
    );

    let mut m = meta.clone();
    m.insert("format".into(), "something else".into());
    assert!(
        matches!(decode(&tensors, &m), Err(CheckpointError::BadMetadata { key, .. }) if key == "format")
    );

    let partial: StateDict<f32> = tensors
        .iter()
        .filter(|(n, _)| *n != "optim.state.2.exp_avg")
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    match decode(&partial, &meta) {
        Err(CheckpointError::MissingKey { key }) => assert_eq!(key, "optim.state.2.exp_avg"),
        other => panic!("expected a missing tensor, got {other:?}"),
    }
    // A plain model file is not a training checkpoint.
    assert!(matches!(
        decode(&tensors, &Metadata::new()),
        Err(CheckpointError::MissingKey { key }) if key == "format"
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn loaders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = safetensors_from_bytes::<f32>(&bytes);
        let _ = TrainingCheckpoint::<f64>::from_bytes(&bytes);
    }

    #[test]
    fn loaders_never_panic_on_damaged_checkpoints(
        cut in 0usize..4000,
        flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..4),
    ) {
        let (tensors, meta) = checkpoint_parts();
        let mut bytes = safetensors_to_bytes(&tensors, &meta).unwrap();
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        let cut = cut % (bytes.len() + 1);
        let result = TrainingCheckpoint::<f32>::from_bytes(&bytes[..cut]);
        if cut < bytes.len() {
            prop_assert!(result.is_err());
        }
        let _ = safetensors_from_bytes::<f64>(&bytes[..cut]);
    }
}

#[test]
fn restore_reports_what_does_not_fit() {
    let net = TinyNet::<f64>::new(0);
    let opt = Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap();
    let ckpt = TrainingCheckpoint::capture(&net, &opt, None, 0, 0, RngState::of(&seeded(1)));

    let mut sched = scheduler();
    let mut opt2 = Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap();
    assert!(matches!(
        ckpt.restore(&net, &mut opt2, Some(&mut sched)),
        Err(CheckpointError::MissingKey { key }) if key == "scheduler"
    ));
    let mut sgd = synann_nn::optim::SGD::new(
        net.parameters(),
        0.1,
        synann_nn::optim::SgdConfig::default(),
    )
    .unwrap();
    let err = ckpt.restore(&net, &mut sgd, None).unwrap_err();
    assert!(matches!(err, CheckpointError::Optimizer(_)), "{err}");
    let other = TinyNet::<f64>::new(1);
    let mut smaller = StateDict::new();
    smaller.insert("fc1.weight", Tensor::zeros(&[3, 4]));
    let partial = TrainingCheckpoint {
        model: smaller,
        ..ckpt
    };
    let err = partial.restore(&other, &mut opt2, None).unwrap_err();
    assert!(err.to_string().contains("fc1.bias"), "{err}");
}
