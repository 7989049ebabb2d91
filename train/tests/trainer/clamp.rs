//! A Synapse layer whose factors leave the domain is clamped, and the
//! trainer says so: one warning per layer and epoch, naming the layer.

use synann::layers::{Synapse, SynapseConfig};
use synann_datasets::Tabular;
use synann_nn::layers::{Bias, Linear, Sequential};
use synann_nn::Module;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;
use synann_train::{OptimizerKind, Recipe, TrainOptions, Trainer};

#[test]
fn a_step_that_clamps_synapse_factors_is_reported_with_the_layer_path() {
    // 12 rows of 4 features in (0, 1): every factor 1 − B·x with B = 10²⁰
    // is far below 0, so each forward clamps all of them.
    let features = (0..48).map(|i| 0.1 + (i % 7) as f32 / 10.0).collect();
    let labels = (0..12).map(|i| i % 2).collect();
    let names = ["a", "b", "c", "d"].map(String::from).to_vec();
    let data = Tabular::new(names, features, labels, 2).unwrap();
    let mut rng = seeded(0);
    let synapse = Synapse::<f32>::new(4, SynapseConfig::default(), &mut rng);
    let (_, b) = synapse
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == "weight")
        .expect("the Synapse's B is its `weight`");
    b.set_value(Tensor::from_vec(vec![1e20; 16], &[4, 4]));
    let mut model = Sequential::new();
    model.push(synapse);
    model.push(Linear::new(4, 2, Bias::Yes, &mut rng));

    let recipe = Recipe {
        epochs: 2,
        ..Recipe::new(OptimizerKind::Adam, 1e-3, 4)
    };
    let options = TrainOptions {
        quiet: true,
        ..TrainOptions::new("clamping", 0)
    };
    let mut trainer = Trainer::new(recipe, options, Box::new(model), data.len()).unwrap();
    trainer.fit(&data, None, &data).unwrap();
    let warnings = trainer.warnings();
    assert_eq!(warnings.len(), 2, "once per layer and epoch: {warnings:?}");
    // The first batch: 4 samples × 4 × 4 factors.
    assert!(
        warnings[0].contains("layer `0` clamped 64 out-of-domain"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("epoch 1, batch 1"), "{}", warnings[0]);
    assert!(warnings[1].contains("epoch 2"), "{}", warnings[1]);
}

#[test]
fn a_step_inside_the_domain_warns_nothing() {
    let features = (0..48).map(|i| 0.1 + (i % 7) as f32 / 10.0).collect();
    let labels = (0..12).map(|i| i % 2).collect();
    let names = ["a", "b", "c", "d"].map(String::from).to_vec();
    let data = Tabular::new(names, features, labels, 2).unwrap();
    let mut rng = seeded(0);
    let mut model = Sequential::new();
    model.push(Synapse::<f32>::new(
        4,
        SynapseConfig::constrained(),
        &mut rng,
    ));
    model.push(Linear::new(4, 2, Bias::Yes, &mut rng));
    let options = TrainOptions {
        quiet: true,
        ..TrainOptions::new("in-domain", 0)
    };
    let recipe = Recipe {
        epochs: 1,
        ..Recipe::new(OptimizerKind::Adam, 1e-3, 4)
    };
    let mut trainer = Trainer::new(recipe, options, Box::new(model), data.len()).unwrap();
    trainer.fit(&data, None, &data).unwrap();
    assert!(trainer.warnings().is_empty(), "{:?}", trainer.warnings());
}
