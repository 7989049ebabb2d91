//! `--detect-anomaly`: the first NaN or infinity produced by an op's
//! forward or backward stops training with an error naming the op, the
//! module it ran in (its dotted path and what it is) and the epoch and step
//! (added by the trainer), before the optimizer step and without a
//! checkpoint.

use crate::common;

use common::{mnist_slice, temp_dir, tiny_input, tiny_recipe};
use std::cell::Cell;
use std::rc::Rc;
use synann_autograd::anomaly::{current_module_path, describe_module, Phase};
use synann_autograd::Var;
use synann_examples::cli::parse_args;
use synann_nn::layers::{Bias, Linear};
use synann_nn::{forward_child, prefixed, Mode, Module};
use synann_tensor::random::seeded;
use synann_train::trainer::LAST_FILE;
use synann_train::{TrainError, TrainOptions, Trainer};

/// What the `Blowup` layer does once its fuse has burnt.
#[derive(Clone, Copy)]
enum Fault {
    /// exp of huge values: +∞ in the forward of `exp`.
    ForwardOverflow,
    /// sqrt of exact zeros: finite forward, +∞ in the backward of `sqrt`.
    BackwardPole,
}

/// The layer that fails once its fuse has burnt (after `fuse` training
/// forwards); a ReLU until then.
struct Blowup {
    fuse: Rc<Cell<usize>>,
    fault: Fault,
}

impl Module<f32> for Blowup {
    fn forward(&mut self, h: &Var<f32>, _mode: Mode) -> Var<f32> {
        let _scope = describe_module(|| "Blowup".to_string());
        self.fuse.set(self.fuse.get().saturating_sub(1));
        match (self.fuse.get(), self.fault) {
            (0, Fault::ForwardOverflow) => h.mul_scalar(1e30).exp(),
            (0, Fault::BackwardPole) => h.mul_scalar(0.0).sqrt(),
            _ => h.relu(),
        }
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        Vec::new()
    }
}

/// Linear(784, 8), then the `Blowup` layer `act`, then Linear(8, 10) and
/// log-softmax.
struct Exploding {
    fc1: Linear<f32>,
    act: Blowup,
    fc2: Linear<f32>,
}

impl Module<f32> for Exploding {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let h = forward_child("fc1", &mut self.fc1, x, mode);
        let h = forward_child("act", &mut self.act, &h, mode);
        forward_child("fc2", &mut self.fc2, &h, mode).log_softmax(1)
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        let mut p = prefixed("fc1", self.fc1.named_parameters());
        p.extend(prefixed("fc2", self.fc2.named_parameters()));
        p
    }
}

fn exploding(fuse: Rc<Cell<usize>>, fault: Fault) -> Box<Exploding> {
    let mut rng = seeded(0);
    Box::new(Exploding {
        fc1: Linear::new(784, 8, Bias::Yes, &mut rng),
        act: Blowup { fuse, fault },
        fc2: Linear::new(8, 10, Bias::Yes, &mut rng),
    })
}

/// Trains until the fuse burns at batch 3 of epoch 1; returns the error.
fn run_until_anomaly(fault: Fault, tag: &str) -> (TrainError, std::path::PathBuf) {
    let (train, test) = mnist_slice(100, 20);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let dir = temp_dir(tag);
    let options = TrainOptions {
        quiet: true,
        out_dir: Some(dir.clone()),
        detect_anomaly: true,
        ..TrainOptions::new("exploding", 0)
    };
    let mut trainer = Trainer::new(
        tiny_recipe(2, 20),
        options,
        exploding(Rc::new(Cell::new(3)), fault),
        100,
    )
    .unwrap();
    let err = trainer.fit(&train, None, &test).unwrap_err();
    assert_eq!(trainer.global_step(), 2, "stopped before the third step");
    (err, dir)
}

#[test]
fn a_forward_overflow_names_the_op_the_module_and_the_step() {
    let (err, dir) = run_until_anomaly(Fault::ForwardOverflow, "anomaly-forward");
    let TrainError::Anomaly {
        anomaly: a,
        epoch,
        step,
    } = &err
    else {
        panic!("expected an anomaly, got {err}");
    };
    assert_eq!(a.op, "exp");
    assert_eq!(a.phase, Phase::Forward);
    assert_eq!(a.module_path.as_deref(), Some("act"));
    assert_eq!(a.layer.as_deref(), Some("Blowup"));
    assert_eq!((*epoch, *step), (1, 3));
    let line = err.to_string();
    eprintln!("error: {line}");
    assert!(!line.contains('\n'), "{line}");
    for part in [
        "op `exp`",
        "forward",
        "(in act: Blowup)",
        "epoch 1, batch 3",
    ] {
        assert!(line.contains(part), "`{part}` missing from: {line}");
    }
    assert_eq!(current_module_path(), None, "every module scope was closed");
    assert!(
        !dir.join(LAST_FILE).exists(),
        "no checkpoint of a broken run"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_backward_pole_names_the_op_and_the_module_it_ran_in() {
    let (err, dir) = run_until_anomaly(Fault::BackwardPole, "anomaly-backward");
    let TrainError::Anomaly {
        anomaly: a,
        epoch,
        step,
    } = &err
    else {
        panic!("expected an anomaly, got {err}");
    };
    assert_eq!(a.op, "sqrt");
    assert_eq!(a.phase, Phase::Backward);
    // By backward time every module scope is closed; the op's own module,
    // recorded when it ran forward, is the one reported.
    assert_eq!(a.module_path.as_deref(), Some("act"));
    assert_eq!(a.layer.as_deref(), Some("Blowup"));
    assert_eq!((*epoch, *step), (1, 3));
    assert!(err.to_string().contains("in its backward"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_anomaly_detection_the_loss_check_still_stops_training() {
    let (train, test) = mnist_slice(100, 20);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let fuse = Rc::new(Cell::new(3));
    let options = TrainOptions {
        quiet: true,
        ..TrainOptions::new("exploding", 0)
    };
    let mut trainer = Trainer::new(
        tiny_recipe(1, 20),
        options,
        exploding(fuse, Fault::ForwardOverflow),
        100,
    )
    .unwrap();
    let err = trainer.fit(&train, None, &test).unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { step: 3, .. }),
        "{err}"
    );
}

#[test]
fn the_main_job_has_a_detect_anomaly_flag() {
    assert!(
        parse_args(["mnist", "--detect-anomaly"])
            .unwrap()
            .detect_anomaly
    );
    assert!(!parse_args(["mnist"]).unwrap().detect_anomaly);
    assert!(parse_args(["mnist", "--detect-anomaly=yes"]).is_err());
}
