//! The graph is freed after every backward: the number of live graph nodes
//! does not grow from one training step to the next. Alone in its test
//! binary, since `live_nodes` counts the nodes of the whole process.

/// The trainer's tiny model and MNIST slices, shared with synann-train's tests.
#[path = "../../train/tests/trainer/common.rs"]
#[allow(dead_code)]
mod common;

use common::mnist_slice;
use synann::zoo::{self, ZooOptions};
use synann_autograd::{live_nodes, Var};
use synann_datasets::{Dataset, Pass};
use synann_nn::Mode;
use synann_train::evaluate::batch_loss;
use synann_train::setup::build_optimizer;

/// Trains `name` for 20 steps and returns the live nodes after each.
fn live_nodes_per_step(name: &str) -> Vec<usize> {
    let (train, _) = mnist_slice(400, 1);
    let options = ZooOptions {
        width: 0.25,
        ..ZooOptions::default()
    };
    let zoo_model = zoo::build(name, &options).unwrap();
    let (mut model, recipe) = (zoo_model.model, zoo_model.recipe);
    let train = zoo_model.input.of(&train);
    let mut optimizer = build_optimizer(recipe.optimizer, model.parameters(), recipe.lr).unwrap();
    let mut counts = Vec::new();
    for (images, labels) in train.batches(20, Pass::Train { seed: 0 }, 0) {
        let output = model.forward(&Var::constant(images), Mode::Train);
        let loss = batch_loss(&output, &labels, &recipe);
        assert!(loss.value().item().is_finite());
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        drop((output, loss));
        counts.push(live_nodes());
    }
    counts
}

#[test]
fn live_nodes_do_not_grow_across_training_steps() {
    for name in ["seed-torch", "syna-cnn"] {
        let counts = live_nodes_per_step(name);
        assert_eq!(counts.len(), 20);
        assert!(
            counts.iter().all(|&c| c == counts[0]),
            "{name}: live nodes per step {counts:?}"
        );
    }
}
