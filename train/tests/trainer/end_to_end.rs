//! End to end: a tiny model trained briefly on a slice of the shipped MNIST
//! passes 90% on 2,000 test images, and the files of the run are written.

use super::common::{mnist_slice, temp_dir, tiny_input, tiny_model, tiny_recipe};
use synann_train::metrics::CSV_HEADER;
use synann_train::trainer::{BEST_FILE, LAST_FILE};
use synann_train::{evaluate, load_weights, TrainError, TrainOptions, Trainer};

#[test]
fn tiny_model_learns_mnist_and_writes_its_outputs() {
    let (train, test) = mnist_slice(12000, 2000);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let out = temp_dir("e2e");
    let options = TrainOptions {
        quiet: true,
        out_dir: Some(out.clone()),
        ..TrainOptions::new("tiny", 1)
    };
    let mut trainer = Trainer::new(
        tiny_recipe(3, 50),
        options,
        tiny_model(128, None, 1),
        train.len(),
    )
    .unwrap();
    trainer.fit(&train, None, &test).unwrap();

    let history = trainer.history();
    assert_eq!(history.len(), 3);
    assert!(history[2].train_loss < history[0].train_loss);
    let acc = history[2].test_acc;
    assert!(acc >= 0.90, "test accuracy {acc} below 90%");

    // The best-only checkpoint holds the model of the best epoch.
    let best = trainer.best_accuracy().unwrap();
    assert_eq!(best, history.iter().map(|m| m.test_acc).fold(0.0, f64::max));
    let mut fresh = tiny_model(128, None, 99);
    load_weights(&*fresh, &out.join(BEST_FILE)).unwrap();
    let eval = evaluate(&mut *fresh, &test, trainer.recipe(), 1000).unwrap();
    assert_eq!(eval.accuracy, best);
    // The last checkpoint holds the last epoch's model.
    load_weights(&*fresh, &out.join(LAST_FILE)).unwrap();
    let eval = evaluate(&mut *fresh, &test, trainer.recipe(), 1000).unwrap();
    assert_eq!(eval.accuracy, history[2].test_acc);

    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().next(), Some(CSV_HEADER));
    assert_eq!(csv.lines().count(), 4);
    for file in ["curves.svg", "curves.png"] {
        assert!(
            std::fs::metadata(out.join(file)).unwrap().len() > 0,
            "{file}"
        );
    }
    std::fs::remove_dir_all(&out).unwrap();
}

/// The zoo's seed-torch through the same trainer (the main job's path):
/// 30,000 images, 2 epochs.
#[test]
fn zoo_seed_torch_learns_mnist() {
    use synann::zoo::{build, ZooOptions};
    let (train, test) = mnist_slice(30000, 2000);
    let zoo = build("seed-torch", &ZooOptions::default()).unwrap();
    let (train, test) = (zoo.input.of(&train), zoo.input.of(&test));
    let recipe = synann_train::Recipe {
        epochs: 2,
        ..zoo.recipe
    };
    let options = TrainOptions {
        quiet: true,
        ..TrainOptions::new("seed-torch", 0)
    };
    let mut trainer = Trainer::new(recipe, options, zoo.model, train.len()).unwrap();
    trainer.fit(&train, None, &test).unwrap();
    let acc = trainer.history()[1].test_acc;
    assert!(acc >= 0.90, "test accuracy {acc} below 90%");
}

#[test]
fn weights_of_another_model_name_the_model_they_are_for() {
    let (train, test) = mnist_slice(100, 100);
    let (train, test) = (tiny_input(0).of(&train), tiny_input(0).of(&test));
    let out = temp_dir("wrong-model");
    let options = TrainOptions {
        quiet: true,
        out_dir: Some(out.clone()),
        ..TrainOptions::new("tiny", 1)
    };
    let mut trainer =
        Trainer::new(tiny_recipe(1, 50), options, tiny_model(8, None, 1), 100).unwrap();
    trainer.fit(&train, None, &test).unwrap();
    let wider = tiny_model(16, None, 1);
    let err = load_weights(&*wider, &out.join(BEST_FILE)).unwrap_err();
    assert!(
        matches!(&err, TrainError::WrongModel { saved_from, .. } if saved_from == "tiny"),
        "{err}"
    );
    assert!(err.to_string().contains("`tiny`"), "{err}");
    std::fs::remove_dir_all(&out).unwrap();
}
