//! Resuming is exact, and a diverging run stops without touching its last
//! checkpoint.

use super::common::{mnist_slice, temp_dir, tiny_input, tiny_model, tiny_recipe};
use std::cell::Cell;
use std::rc::Rc;
use synann_datasets::ImageInput;
use synann_nn::checkpoint::TrainingCheckpoint;
use synann_nn::state_dict::state_dict;
use synann_train::trainer::LAST_FILE;
use synann_train::{OptimizerKind, Recipe, Schedule, TrainError, TrainOptions, Trainer};

/// Every parameter's bits, by name.
fn bits(trainer: &mut Trainer) -> Vec<(String, Vec<u32>)> {
    state_dict(trainer.model())
        .iter()
        .map(|(n, t)| {
            (
                n.to_string(),
                t.data().iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

fn options(out: &std::path::Path, seed: u64) -> TrainOptions {
    TrainOptions {
        quiet: true,
        out_dir: Some(out.to_path_buf()),
        ..TrainOptions::new("tiny", seed)
    }
}

/// Trains `recipe` for 4 epochs straight, and for 2 epochs, then in a new
/// trainer resumed from the checkpoint for 2 more: the parameters must be
/// bitwise equal.
fn check_resume(recipe: Recipe, input: ImageInput, tag: &str) {
    let (train, test) = mnist_slice(600, 200);
    let (train, test) = (input.of(&train), input.of(&test));
    let straight_dir = temp_dir(&format!("straight-{tag}"));
    let mut straight = Trainer::new(
        recipe.clone(),
        options(&straight_dir, 7),
        tiny_model(16, None, 7),
        600,
    )
    .unwrap();
    straight.fit(&train, None, &test).unwrap();

    let split_dir = temp_dir(&format!("split-{tag}"));
    let first_half = Recipe {
        epochs: 2,
        ..recipe.clone()
    };
    let mut first = Trainer::new(
        first_half,
        options(&split_dir, 7),
        tiny_model(16, None, 7),
        600,
    )
    .unwrap();
    first.fit(&train, None, &test).unwrap();
    drop(first);
    let mut second =
        Trainer::new(recipe, options(&split_dir, 7), tiny_model(16, None, 7), 600).unwrap();
    second.resume(&split_dir.join(LAST_FILE)).unwrap();
    assert_eq!(second.epoch(), 2);
    second.fit(&train, None, &test).unwrap();

    assert_eq!(second.global_step(), straight.global_step());
    assert_eq!(second.history().len(), 4);
    assert_eq!(bits(&mut second), bits(&mut straight), "{tag}");
    for (a, b) in second.history().iter().zip(straight.history()) {
        assert_eq!(
            (a.lr, a.train_loss, a.test_acc),
            (b.lr, b.train_loss, b.test_acc)
        );
    }
    std::fs::remove_dir_all(&straight_dir).unwrap();
    std::fs::remove_dir_all(&split_dir).unwrap();
}

#[test]
fn resume_equals_straight_adam_exp_decay_with_shifts() {
    let recipe = Recipe {
        schedule: Schedule::ExpDecayPerStep {
            floor: 1e-4,
            amplitude: 1.9e-3,
            decay_steps: 20.0,
        },
        ..tiny_recipe(4, 50)
    };
    check_resume(recipe, tiny_input(2), "adam");
}

#[test]
fn resume_equals_straight_sgd_piecewise_plateau() {
    let recipe = Recipe {
        lr: 0.05,
        optimizer: OptimizerKind::Sgd { momentum: 0.5 },
        schedule: Schedule::PiecewisePlateau {
            boundaries: vec![3],
            values: vec![0.05, 0.01],
            factor: 0.5,
            patience: 0,
            min_lr: 1e-4,
        },
        ..tiny_recipe(4, 40)
    };
    check_resume(recipe, tiny_input(0), "sgd");
}

#[test]
fn resume_rejects_a_checkpoint_of_another_run() {
    let (train, test) = mnist_slice(100, 100);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let dir = temp_dir("mismatch");
    let mut first = Trainer::new(
        tiny_recipe(1, 50),
        options(&dir, 3),
        tiny_model(8, None, 3),
        100,
    )
    .unwrap();
    first.fit(&train, None, &test).unwrap();
    let mut other = Trainer::new(
        tiny_recipe(2, 50),
        options(&dir, 4),
        tiny_model(8, None, 4),
        100,
    )
    .unwrap();
    let err = other.resume(&dir.join(LAST_FILE)).unwrap_err();
    assert!(matches!(err, TrainError::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains("seed"), "{err}");
    let mut widened = options(&dir, 3);
    widened.settings.insert("width".into(), "0.5".into());
    let mut other = Trainer::new(tiny_recipe(2, 50), widened, tiny_model(8, None, 3), 100).unwrap();
    let err = other.resume(&dir.join(LAST_FILE)).unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_finite_loss_stops_with_an_error_and_keeps_the_last_checkpoint() {
    let (train, test) = mnist_slice(200, 100);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let dir = temp_dir("nan");
    // 4 batches per epoch: the 7th training forward (epoch 2, batch 3) is NaN.
    let poison = Rc::new(Cell::new(7));
    let mut trainer = Trainer::new(
        tiny_recipe(3, 50),
        options(&dir, 5),
        tiny_model(8, Some(poison), 5),
        200,
    )
    .unwrap();
    trainer.run_epoch(&train, None, &test).unwrap();
    let saved = std::fs::read(dir.join(LAST_FILE)).unwrap();

    let err = trainer.fit(&train, None, &test).unwrap_err();
    match &err {
        TrainError::NonFinite {
            what, epoch, step, ..
        } => assert_eq!((*what, *epoch, *step), ("loss", 2, 3)),
        other => panic!("expected NonFinite, got {other}"),
    }
    assert!(err.to_string().contains("epoch 2, batch 3"), "{err}");
    assert_eq!(std::fs::read(dir.join(LAST_FILE)).unwrap(), saved);
    let ckpt = TrainingCheckpoint::<f32>::load(dir.join(LAST_FILE)).unwrap();
    assert_eq!(ckpt.epoch, 1);
    assert!(ckpt.model.iter().all(|(_, t)| t.all_finite()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same with the zoo's seed-torch, which has Dropout2d, Dropout and
/// BatchNorm running statistics: 2 epochs straight equal 1 + resume + 1.
#[test]
fn resume_equals_straight_for_zoo_seed_torch() {
    use synann::zoo::{build, ZooOptions};
    let model = |seed: u64| {
        let opts = ZooOptions {
            seed,
            ..ZooOptions::default()
        };
        build("seed-torch", &opts).unwrap().model
    };
    let zoo = build("seed-torch", &ZooOptions::default()).unwrap();
    let recipe = Recipe {
        epochs: 2,
        ..zoo.recipe
    };
    let (train, test) = mnist_slice(400, 100);
    let (train, test) = (zoo.input.of(&train), zoo.input.of(&test));
    let straight_dir = temp_dir("zoo-straight");
    let mut straight =
        Trainer::new(recipe.clone(), options(&straight_dir, 11), model(11), 400).unwrap();
    straight.fit(&train, None, &test).unwrap();

    let split_dir = temp_dir("zoo-split");
    let first_half = Recipe {
        epochs: 1,
        ..recipe.clone()
    };
    let mut first = Trainer::new(first_half, options(&split_dir, 11), model(11), 400).unwrap();
    first.fit(&train, None, &test).unwrap();
    // A model built from another seed: every weight, buffer and generator
    // state must come from the checkpoint and the epoch.
    let mut second = Trainer::new(recipe, options(&split_dir, 11), model(99), 400).unwrap();
    second.resume(&split_dir.join(LAST_FILE)).unwrap();
    second.fit(&train, None, &test).unwrap();
    assert_eq!(bits(&mut second), bits(&mut straight));
    std::fs::remove_dir_all(&straight_dir).unwrap();
    std::fs::remove_dir_all(&split_dir).unwrap();
}

#[test]
fn resuming_from_a_state_dict_says_to_use_the_training_checkpoint() {
    let (train, test) = mnist_slice(100, 100);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let dir = temp_dir("resume-best");
    let mut first = Trainer::new(
        tiny_recipe(1, 50),
        options(&dir, 3),
        tiny_model(8, None, 3),
        100,
    )
    .unwrap();
    first.fit(&train, None, &test).unwrap();
    let mut other = Trainer::new(
        tiny_recipe(2, 50),
        options(&dir, 3),
        tiny_model(8, None, 3),
        100,
    )
    .unwrap();
    let err = other
        .resume(&dir.join(synann_train::trainer::BEST_FILE))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("model `tiny`"), "{text}");
    assert!(text.contains(LAST_FILE), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
