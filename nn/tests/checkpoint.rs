//! state_dict and safetensors checkpoints: round trips, typed errors for
//! every kind of bad input, atomic writes, and a fuzz test of the loaders.

mod tiny_model;

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use synann_nn::checkpoint::{
    load_safetensors, safetensors_from_bytes, safetensors_to_bytes, save_safetensors,
    CheckpointError, Metadata, TrainingCheckpoint,
};
use synann_nn::lr_scheduler::{Chain, LrScheduler, PiecewiseConstantLR, ReduceLROnPlateau};
use synann_nn::optim::{Adam, AdamConfig, Optimizer};
use synann_nn::state_dict::{load_state_dict, state_dict, StateDict, StateDictError};
use synann_nn::Module;
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
    load_state_dict(&fresh, &loaded, true).unwrap();
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

#[test]
fn unsupported_dtype_names_the_tensor() {
    let raw = 7i64.to_le_bytes();
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![], &raw).unwrap();
    let bytes = safetensors::serialize(vec![("bn.num_batches_tracked", view)], &None).unwrap();
    match safetensors_from_bytes::<f32>(&bytes) {
        Err(CheckpointError::StateDict(StateDictError::DtypeMismatch { name, found, .. })) => {
            assert_eq!(name, "bn.num_batches_tracked");
            assert_eq!(found, "I64");
        }
        other => panic!("expected a dtype error, got {other:?}"),
    }
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
        load_state_dict(&net, &missing, true),
        Err(StateDictError::Missing {
            name: "fc2.bias".into()
        })
    );
    missing.insert("extra.weight", Tensor::zeros(&[1]));
    let mut unexpected = good.clone();
    unexpected.insert("extra.weight", Tensor::zeros(&[1]));
    assert_eq!(
        load_state_dict(&net, &unexpected, true),
        Err(StateDictError::Unexpected {
            name: "extra.weight".into()
        })
    );
    let mut wrong = good.clone();
    wrong.insert("fc1.weight", Tensor::zeros(&[4, 3]));
    let err = load_state_dict(&net, &wrong, false).unwrap_err();
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
    load_state_dict(&net, &missing, false).unwrap();
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
    let ckpt = TrainingCheckpoint {
        model: state_dict(&net2),
        optimizer: opt2.state_dict(),
        scheduler: Some(sched2.state_dict()),
        epoch: 4,
        global_step: 8,
        rng: RngState::of(&rng2),
        best_metric: Some(best),
        metadata: BTreeMap::from([("run".into(), "resume-test".into())]),
    };
    ckpt.save(&path).unwrap();
    drop((net2, opt2, sched2, rng2));

    let back = TrainingCheckpoint::<f32>::load(&path).unwrap();
    assert_eq!(back, ckpt);
    let mut net3 = TinyNet::<f32>::new(9);
    load_state_dict(&net3, &back.model, true).unwrap();
    let mut opt3 = make_opt(&net3);
    opt3.load_state_dict(&back.optimizer).unwrap();
    let mut sched3 = scheduler();
    sched3
        .load_state_dict(back.scheduler.as_ref().unwrap())
        .unwrap();
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
