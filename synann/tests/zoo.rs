//! Tests of the model zoo: every model builds, has the documented names and
//! shapes, runs with every Synapse variant and learns a fixed batch of real
//! MNIST images; the recipes say what the originals used.

use synann::layers::Coupling;
use synann::ops::check_domain;
use synann::zoo::{
    build, ConvSynapseVariant, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind,
    Recipe, RecurrentCell, Schedule, SynapseInput, SynapseVariant, ZooError, ZooModel, ZooOptions,
    MODEL_NAMES,
};
use synann_autograd::Var;
use synann_datasets::{LoadOptions, Mnist};
use synann_nn::loss::{cross_entropy, nll_loss, Reduction};
use synann_nn::optim::{Adam, AdamConfig, Optimizer};
use synann_nn::{Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::Tensor;

const VARIANTS: [SynapseVariant; 6] = [
    SynapseVariant::Synapse(Coupling::PerSample),
    SynapseVariant::Synapse(Coupling::BatchCoupled),
    SynapseVariant::Identity,
    SynapseVariant::Linear,
    SynapseVariant::Constrained,
    SynapseVariant::Stacked,
];

/// The options the tests build `name` with: the width-scaled models narrow,
/// so the suite stays fast.
fn small(name: &str, variant: SynapseVariant) -> ZooOptions {
    let width = match name {
        "seed-keras" | "syna-cnn" => 0.25,
        _ => 1.0,
    };
    ZooOptions {
        seed: 7,
        width,
        variant,
        ..ZooOptions::default()
    }
}

fn build_small(name: &str, variant: SynapseVariant) -> ZooModel {
    build(name, &small(name, variant)).unwrap()
}

/// The first `n` MNIST training images (scaled to [0, 1], normalised if
/// the recipe says so, in its layout) and their labels.
fn mnist_batch(n: usize, input: &ImageInput) -> (Var<f32>, Vec<usize>) {
    let mnist = Mnist::load_with(&LoadOptions {
        limit: Some(n),
        ..Default::default()
    })
    .expect("the shipped MNIST copy loads");
    let mut data = mnist.train.to_tensor().data().to_vec();
    if let Normalization::MeanStd { mean, std } = input.normalization {
        for v in &mut data {
            *v = (*v - mean) / std;
        }
    }
    let shape: &[usize] = match input.layout {
        InputLayout::Image => &[n, 1, 28, 28],
        InputLayout::Flat => &[n, 784],
        InputLayout::Rows => &[n, 28, 28],
    };
    let x = Var::constant(Tensor::from_vec(data, shape));
    (x, mnist.train.labels().to_vec())
}

/// The recipe's loss of the model's output.
fn loss(out: &Var<f32>, labels: &[usize], recipe: &Recipe) -> Var<f32> {
    match recipe.loss {
        LossKind::Nll => nll_loss(out, labels, Reduction::Mean),
        LossKind::CrossEntropy => {
            cross_entropy(out, labels, Reduction::Mean, recipe.label_smoothing as f32)
        }
    }
}

fn assert_finite_logits(out: &Var<f32>, n: usize, what: &str) {
    assert_eq!(out.shape(), vec![n, 10], "{what}: output shape");
    assert!(
        out.value().data().iter().all(|v| v.is_finite()),
        "{what}: non-finite output"
    );
}

fn names(named: Vec<(String, Var<f32>)>) -> Vec<String> {
    named.into_iter().map(|(n, _)| n).collect()
}

fn shape_of(model: &dyn Module<f32>, name: &str) -> Option<Vec<usize>> {
    model
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.shape())
}

#[test]
fn build_rejects_unknown_names_listing_the_known_ones() {
    let err = build("resnet", &ZooOptions::default()).err().unwrap();
    assert_eq!(
        err,
        ZooError::UnknownModel {
            name: "resnet".into(),
            known: MODEL_NAMES.iter().map(|n| n.to_string()).collect(),
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("resnet"), "{msg}");
    for &name in MODEL_NAMES {
        assert!(msg.contains(name), "{msg} lacks {name}");
    }
}

#[test]
fn build_rejects_a_width_that_is_not_positive() {
    for width in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let opts = ZooOptions {
            width,
            ..Default::default()
        };
        assert!(matches!(
            build("seed-keras", &opts),
            Err(ZooError::InvalidWidth { .. })
        ));
    }
}

#[test]
fn seed_torch_has_the_original_names_and_shapes() {
    let zoo = build("seed-torch", &ZooOptions::default()).unwrap();
    assert_eq!(zoo.name, "seed-torch");
    let params = [
        ("conv1.weight", vec![10, 1, 5, 5]),
        ("conv1.bias", vec![10]),
        ("conv2.weight", vec![20, 10, 5, 5]),
        ("conv2.bias", vec![20]),
        ("fc1.weight", vec![64, 320]),
        ("fc1.bias", vec![64]),
        ("fcn.weight", vec![64, 64]),
        ("fcn.bias", vec![64]),
        ("fcb.weight", vec![64]),
        ("fcb.bias", vec![64]),
        ("fc2.weight", vec![10, 64]),
        ("fc2.bias", vec![10]),
    ];
    let got: Vec<(String, Vec<usize>)> = zoo
        .model
        .named_parameters()
        .into_iter()
        .map(|(n, v)| (n, v.shape()))
        .collect();
    let want: Vec<(String, Vec<usize>)> = params
        .iter()
        .map(|(n, s)| (n.to_string(), s.clone()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        names(zoo.model.named_buffers()),
        [
            "fcb.running_mean",
            "fcb.running_var",
            "fcb.num_batches_tracked"
        ]
    );
}

#[test]
fn seed_torch_unused_synapse_bias_gets_no_gradient() {
    let mut zoo = build("seed-torch", &ZooOptions::default()).unwrap();
    let (x, labels) = mnist_batch(4, &zoo.input);
    let out = zoo.model.forward(&x, Mode::Train);
    loss(&out, &labels, &zoo.recipe).backward();
    for (name, p) in zoo.model.named_parameters() {
        assert_eq!(p.grad().is_some(), name != "fcn.bias", "{name}");
    }
}

#[test]
fn every_model_learns_a_fixed_batch() {
    const N: usize = 16;
    const STEPS: usize = 10;
    for &name in MODEL_NAMES {
        let mut zoo = build_small(name, SynapseVariant::default());
        let (x, labels) = mnist_batch(N, &zoo.input);
        let mut opt = Adam::new(zoo.model.parameters(), 2e-3, AdamConfig::default()).unwrap();
        let mut losses = Vec::with_capacity(STEPS);
        for _ in 0..STEPS {
            opt.zero_grad();
            let out = zoo.model.forward(&x, Mode::Train);
            assert_finite_logits(&out, N, name);
            let l = loss(&out, &labels, &zoo.recipe);
            losses.push(l.value().data()[0]);
            l.backward();
            opt.step();
        }
        assert!(losses.iter().all(|l| l.is_finite()), "{name}: {losses:?}");
        println!("{name}: {losses:?}");
        let last3 = losses[STEPS - 3..].iter().sum::<f32>() / 3.0;
        assert!(
            last3 < losses[0],
            "{name}: loss did not decrease: {losses:?}"
        );
    }
}

#[test]
fn every_variant_builds_and_runs_forward() {
    const N: usize = 3;
    for &name in MODEL_NAMES {
        for variant in VARIANTS {
            let what = format!("{name} {variant:?}");
            let mut zoo = build_small(name, variant);
            let (x, _) = mnist_batch(N, &zoo.input);
            for mode in [Mode::Train, Mode::Eval] {
                assert_finite_logits(&zoo.model.forward(&x, mode), N, &what);
            }
            // The slot is named `fcn` in seed-torch and `synapse` elsewhere.
            let slot = if name == "seed-torch" {
                "fcn"
            } else {
                "synapse"
            };
            let weight = shape_of(zoo.model.as_ref(), &format!("{slot}.weight"));
            let bias = shape_of(zoo.model.as_ref(), &format!("{slot}.bias"));
            match variant {
                SynapseVariant::Identity => assert!(weight.is_none() && bias.is_none(), "{what}"),
                SynapseVariant::Linear => {
                    let w = weight.unwrap_or_else(|| panic!("{what}: no Linear weight"));
                    assert_eq!(w[0], w[1], "{what}: Linear(n, n)");
                    assert_eq!(bias, Some(vec![w[0]]), "{what}");
                }
                SynapseVariant::Synapse(_) => {
                    let w = weight.unwrap_or_else(|| panic!("{what}: no Synapse weight"));
                    assert_eq!(w[0], w[1], "{what}");
                    // Only the original PyTorch layer carries its unused bias.
                    assert_eq!(bias.is_some(), name == "seed-torch", "{what}");
                }
                SynapseVariant::Constrained => {
                    let w = weight.unwrap_or_else(|| panic!("{what}: no Synapse weight"));
                    let a = shape_of(zoo.model.as_ref(), &format!("{slot}.a_offset"));
                    assert_eq!(a, Some(vec![w[0]]), "{what}: a = 1 + softplus(a_offset)");
                }
                SynapseVariant::Stacked => {
                    let first = shape_of(zoo.model.as_ref(), &format!("{slot}.0.weight"));
                    let second = shape_of(zoo.model.as_ref(), &format!("{slot}.1.weight"));
                    assert!(
                        first.is_some() && first == second,
                        "{what}: two Synapse layers"
                    );
                }
            }
        }
    }
}

#[test]
fn batch_coupled_synapse_couples_the_samples_and_per_sample_does_not() {
    let input = build_small("syna-mlp", SynapseVariant::default()).input;
    let (x, _) = mnist_batch(2, &input);
    let first = Var::constant(Tensor::from_vec(
        x.value().data()[..784].to_vec(),
        &[1, 784],
    ));
    for (coupling, coupled) in [(Coupling::PerSample, false), (Coupling::BatchCoupled, true)] {
        let mut zoo = build_small("syna-mlp", SynapseVariant::Synapse(coupling));
        let both = zoo.model.forward(&x, Mode::Eval).value().clone();
        let alone = zoo.model.forward(&first, Mode::Eval).value().clone();
        let gap = (0..10)
            .map(|i| (both.data()[i] - alone.data()[i]).abs())
            .fold(0.0f32, f32::max);
        if coupled {
            assert!(gap > 1e-6, "{coupling:?}: sample 0 ignores sample 1");
        } else {
            assert!(
                gap < 1e-5,
                "{coupling:?}: sample 0 depends on sample 1 ({gap})"
            );
        }
    }
}

#[test]
fn seed_keras_width_scales_every_channel_count() {
    let zoo = build_small("seed-keras", SynapseVariant::default());
    let m = zoo.model.as_ref();
    assert_eq!(shape_of(m, "conv1.weight"), Some(vec![7, 1, 3, 3]));
    assert_eq!(shape_of(m, "conv2.weight"), Some(vec![14, 7, 3, 3]));
    assert_eq!(shape_of(m, "conv3.weight"), Some(vec![28, 14, 5, 5]));
    assert_eq!(shape_of(m, "conv4.weight"), Some(vec![196, 28, 7, 7]));
    assert_eq!(shape_of(m, "synapse.weight"), Some(vec![196, 196]));
    assert_eq!(shape_of(m, "fc.weight"), Some(vec![10, 196]));
    // Tiny widths keep at least one channel.
    let tiny = build(
        "seed-keras",
        &ZooOptions {
            width: 1e-3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        shape_of(tiny.model.as_ref(), "synapse.weight"),
        Some(vec![1, 1])
    );
}

/// The Keras Synapse's input (ReLU + global max-pool) is not bounded by 1.
/// On bright (scaled) images it leaves the domain 1 − B·x > 0, checked by
/// recomputing the convolutions from the parameters; the model still gives
/// finite logits and gradients, by the default clamping policy.
/// The input of seed-keras's Synapse (in evaluation, without dropout) for
/// the images `x`, and the Synapse's B.
fn seed_keras_synapse_input(model: &dyn Module<f32>, x: &Var<f32>) -> (Tensor<f32>, Tensor<f32>) {
    let params: std::collections::HashMap<String, Var<f32>> =
        model.named_parameters().into_iter().collect();
    let mut h = x.clone();
    for i in 1..=4 {
        let (w, b) = (
            &params[&format!("conv{i}.weight")],
            &params[&format!("conv{i}.bias")],
        );
        h = h.conv2d(w, Some(b), Conv2dParams::default()).relu();
    }
    let n = x.shape()[0];
    let features = h.global_max_pool2d().reshape(&[n, 196]);
    let b = params["synapse.weight"].value().clone();
    let features = features.value().clone();
    (features, b)
}

#[test]
fn seed_keras_stays_finite_outside_the_synapse_domain() {
    let mut zoo = build_small("seed-keras", SynapseVariant::default());
    let (x, labels) = mnist_batch(4, &zoo.input);
    let bright = Var::constant(x.value().mul_scalar(400.0));
    let (features, b) = seed_keras_synapse_input(&*zoo.model, &bright);
    assert!(
        check_domain(&features, &b, "synapse").is_err(),
        "the scaled input should leave the domain"
    );
    for input in [&x, &bright] {
        let out = zoo.model.forward(input, Mode::Train);
        assert_finite_logits(&out, 4, "seed-keras");
        loss(&out, &labels, &zoo.recipe).backward();
        for (name, p) in zoo.model.named_parameters() {
            let g = p.grad().unwrap_or_else(|| panic!("{name}: no gradient"));
            assert!(g.data().iter().all(|v| v.is_finite()), "{name}");
        }
        zoo.model.zero_grad();
    }
}

#[test]
fn seed_keras_reports_the_factors_its_synapse_clamped() {
    let mut zoo = build_small("seed-keras", SynapseVariant::default());
    let (x, _) = mnist_batch(4, &zoo.input);
    let bright = Var::constant(x.value().mul_scalar(400.0));
    let (features, b) = seed_keras_synapse_input(&*zoo.model, &bright);
    // The plain count: factors 1 − B[i, j]·x[k, j] below the floor.
    let n = b.shape()[1];
    let floor = synann::ops::FACTOR_FLOOR as f32;
    let mut expected = 0;
    for xrow in features.data().chunks(n) {
        for brow in b.data().chunks(n) {
            expected += xrow
                .iter()
                .zip(brow)
                .filter(|(&x, &b)| 1.0 - b * x < floor)
                .count() as u64;
        }
    }
    assert!(expected > 0, "the scaled input leaves the domain");
    zoo.model.forward(&bright, Mode::Eval);
    assert_eq!(
        zoo.model.named_clamp_counts(),
        [("synapse".to_string(), expected)]
    );
    zoo.model.forward(&x, Mode::Eval);
    assert_eq!(zoo.model.named_clamp_counts(), [("synapse".to_string(), 0)]);
}

#[test]
fn every_model_reports_its_synapse_layers_clamp_counts_by_path() {
    let expected_paths = |name: &str, variant: SynapseVariant| -> Vec<&'static str> {
        let head: &[&'static str] = match variant {
            SynapseVariant::Identity | SynapseVariant::Linear => &[],
            SynapseVariant::Stacked if name == "seed-torch" => &["fcn.0", "fcn.1"],
            SynapseVariant::Stacked => &["synapse.0", "synapse.1"],
            _ if name == "seed-torch" => &["fcn"],
            _ => &["synapse"],
        };
        let body: &[&'static str] = match name {
            "syna-cnn" => &["synapse_conv"],
            "syna-rnn" => &["rnn.cell"],
            _ => &[],
        };
        body.iter().chain(head).copied().collect()
    };
    for &name in MODEL_NAMES {
        for variant in [
            SynapseVariant::default(),
            SynapseVariant::Stacked,
            SynapseVariant::Linear,
        ] {
            let mut zoo = build_small(name, variant);
            let (x, _) = mnist_batch(2, &zoo.input);
            zoo.model.forward(&x, Mode::Train);
            let counts = zoo.model.named_clamp_counts();
            let paths: Vec<&str> = counts.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(paths, expected_paths(name, variant), "{name}, {variant:?}");
            // Real images keep every factor in the domain at initialisation.
            assert!(counts.iter().all(|&(_, c)| c == 0), "{name}: {counts:?}");
        }
    }
}

#[test]
fn a_zoo_synapse_that_clamps_reports_the_count_under_its_path() {
    // syna-mlp's Synapse (280 wide) after softmax: every input is positive,
    // so B = 10²⁰ clamps each factor it meets, B = 0 none. With 3 large
    // entries per row of B, each sample clamps 3·280 factors.
    let mut zoo = build_small("syna-mlp", SynapseVariant::default());
    let (x, _) = mnist_batch(2, &zoo.input);
    let (_, w) = zoo
        .model
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == "synapse.weight")
        .unwrap();
    let mut b = vec![0.0f32; 280 * 280];
    for i in 0..280 {
        for j in [i, (i + 1) % 280, (i + 7) % 280] {
            b[i * 280 + j] = 1e20;
        }
    }
    w.set_value(Tensor::from_vec(b, &[280, 280]));
    let out = zoo.model.forward(&x, Mode::Train);
    assert_finite_logits(&out, 2, "syna-mlp");
    assert_eq!(
        zoo.model.named_clamp_counts(),
        [("synapse".to_string(), 2 * 3 * 280)]
    );
}

#[test]
fn the_same_seed_gives_the_same_model() {
    for &name in MODEL_NAMES {
        let a = build_small(name, SynapseVariant::default());
        let b = build_small(name, SynapseVariant::default());
        let mut opts = small(name, SynapseVariant::default());
        opts.seed += 1;
        let c = build(name, &opts).unwrap();
        let values = |z: &ZooModel| -> Vec<Vec<f32>> {
            z.model
                .parameters()
                .iter()
                .map(|p| p.value().data().to_vec())
                .collect()
        };
        assert_eq!(values(&a), values(&b), "{name}");
        assert_ne!(values(&a), values(&c), "{name}");
    }
}

#[test]
fn recipes_follow_the_originals() {
    let recipe = |name: &str| build_small(name, SynapseVariant::default()).recipe;
    let input = |name: &str| build_small(name, SynapseVariant::default()).input;

    let torch = recipe("seed-torch");
    assert_eq!(torch.optimizer, OptimizerKind::Sgd { momentum: 0.5 });
    assert_eq!((torch.lr, torch.batch_size, torch.epochs), (0.012, 100, 10));
    assert_eq!(torch.loss, LossKind::Nll);
    assert_eq!(input("seed-torch").layout, InputLayout::Image);
    assert_eq!(input("seed-torch").normalization, Normalization::MNIST);

    let keras = recipe("seed-keras");
    assert_eq!(
        (keras.optimizer, keras.batch_size),
        (OptimizerKind::Adam, 64)
    );
    match keras.schedule {
        Schedule::PiecewisePlateau {
            boundaries,
            values,
            factor,
            patience,
            min_lr,
        } => {
            assert_eq!(boundaries, [12, 30]);
            assert_eq!(values, [1e-3, 1e-4, 1e-5]);
            assert_eq!((factor, patience, min_lr), (0.2, 5, 1e-5));
        }
        other => panic!("seed-keras schedule {other:?}"),
    }

    let mlp = recipe("syna-mlp");
    let mlp_input = input("syna-mlp");
    assert_eq!(
        (mlp_input.layout, mlp_input.normalization),
        (InputLayout::Flat, Normalization::Unit)
    );
    assert!(mlp.epochs * 60_000 / mlp.batch_size >= 10_000);
    assert_eq!(
        mlp.schedule,
        Schedule::ExpDecayPerStep {
            floor: 0.0001,
            amplitude: 0.003,
            decay_steps: 2000.0
        }
    );

    let cnn = recipe("syna-cnn");
    assert_eq!(
        (cnn.label_smoothing, cnn.schedule),
        (0.1, Schedule::OneCycle)
    );
    assert!(input("syna-cnn").augmentation.degrees > 0.0);

    let rnn = recipe("syna-rnn");
    let rnn_input = input("syna-rnn");
    assert_eq!(
        (rnn_input.layout, rnn_input.normalization),
        (InputLayout::Rows, Normalization::Unit)
    );
    assert_eq!(rnn.schedule, Schedule::Cosine);

    for &name in MODEL_NAMES {
        let (lo, hi) = input(name).augmentation.scale;
        assert!(
            0.0 < lo && lo <= 1.0 && 1.0 <= hi,
            "{name}: scale {lo}..{hi}"
        );
    }
}

/// The cost of one full-size training step (forward, backward, Adam) per
/// model at its recipe's batch size: run with
/// `cargo test --release -p synann --test zoo -- --ignored --nocapture`.
/// It prints the times (nothing is asserted about them).
#[test]
#[ignore = "a measurement for release builds"]
fn training_step_cost() {
    for &name in MODEL_NAMES {
        let mut zoo = build(name, &ZooOptions::default()).unwrap();
        let n = zoo.recipe.batch_size;
        let (x, labels) = mnist_batch(n, &zoo.input);
        let mut opt = Adam::new(zoo.model.parameters(), 1e-3, AdamConfig::default()).unwrap();
        let mut times = Vec::new();
        for _ in 0..4 {
            let start = std::time::Instant::now();
            opt.zero_grad();
            let out = zoo.model.forward(&x, Mode::Train);
            let l = loss(&out, &labels, &zoo.recipe);
            l.backward();
            opt.step();
            times.push(start.elapsed().as_secs_f64());
            assert!(l.value().data()[0].is_finite(), "{name}");
        }
        times.sort_by(f64::total_cmp);
        let step = times[times.len() / 2];
        println!(
            "{name}: batch {n}, median step {:.1} ms, epoch of 60000 ≈ {:.0} s",
            step * 1e3,
            step * 60_000.0 / n as f64
        );
    }
}

/// The parameter count of `model`.
fn parameters(model: &dyn Module<f32>) -> usize {
    model.num_parameters()
}

#[test]
fn every_synapse_layer_of_every_model_can_be_swapped() {
    const N: usize = 2;
    let opts = |name: &str| small(name, SynapseVariant::default());
    // syna-cnn's convolutional synapse: nothing, or a convolution of the
    // same parameter count.
    let with_conv = |v| ZooOptions {
        conv_variant: v,
        ..opts("syna-cnn")
    };
    let mut counts = Vec::new();
    for v in [
        ConvSynapseVariant::Synapse,
        ConvSynapseVariant::Identity,
        ConvSynapseVariant::Conv,
    ] {
        let mut zoo = build("syna-cnn", &with_conv(v)).unwrap();
        let (x, _) = mnist_batch(N, &zoo.input);
        assert_finite_logits(&zoo.model.forward(&x, Mode::Train), N, &format!("{v:?}"));
        let w = shape_of(zoo.model.as_ref(), "synapse_conv.weight");
        assert_eq!(w.is_some(), v != ConvSynapseVariant::Identity, "{v:?}");
        counts.push(parameters(zoo.model.as_ref()));
    }
    assert_eq!(
        counts[0], counts[2],
        "Conv2d(C, C, 3) has the synapse's parameter count"
    );
    assert!(counts[1] < counts[0]);
    // Both removed: the plain CNN.
    let plain = build(
        "syna-cnn",
        &ZooOptions {
            variant: SynapseVariant::Identity,
            ..with_conv(ConvSynapseVariant::Identity)
        },
    )
    .unwrap();
    assert!(plain
        .model
        .named_parameters()
        .iter()
        .all(|(n, _)| !n.starts_with("synapse")));

    // syna-rnn's cell: tanh and GRU cells with no more parameters than
    // the synapse cell (36,480), PyTorch's names.
    let cell_parameters = |cell| {
        let zoo = build(
            "syna-rnn",
            &ZooOptions {
                cell,
                ..opts("syna-rnn")
            },
        )
        .unwrap();
        let rnn: usize = zoo
            .model
            .named_parameters()
            .iter()
            .filter(|(n, _)| n.starts_with("rnn."))
            .map(|(_, p)| p.shape().iter().product::<usize>())
            .sum();
        (zoo, rnn)
    };
    let (_, synapse_cell) = cell_parameters(RecurrentCell::Synapse);
    assert_eq!(synapse_cell, 36_480);
    for (cell, hidden) in [(RecurrentCell::Tanh, 176), (RecurrentCell::Gru, 96)] {
        let (mut zoo, count) = cell_parameters(cell);
        assert!(
            count <= synapse_cell && count > synapse_cell * 99 / 100,
            "{cell:?}: {count}"
        );
        assert_eq!(
            shape_of(zoo.model.as_ref(), "rnn.weight_hh").unwrap()[1],
            hidden
        );
        assert_eq!(
            shape_of(zoo.model.as_ref(), "synapse.weight"),
            Some(vec![hidden, hidden])
        );
        let (x, _) = mnist_batch(N, &zoo.input);
        assert_finite_logits(&zoo.model.forward(&x, Mode::Train), N, &format!("{cell:?}"));
    }

    // The activation in front of the Synapse of syna-mlp and seed-torch.
    for name in ["syna-mlp", "seed-torch"] {
        let mut outputs = Vec::new();
        for input in [SynapseInput::Softmax, SynapseInput::Sigmoid] {
            let mut zoo = build(
                name,
                &ZooOptions {
                    synapse_input: input,
                    ..opts(name)
                },
            )
            .unwrap();
            let (x, _) = mnist_batch(N, &zoo.input);
            let y = zoo.model.forward(&x, Mode::Eval);
            assert_finite_logits(&y, N, &format!("{name} {input:?}"));
            outputs.push(y.value().clone());
        }
        assert_ne!(
            outputs[0].data(),
            outputs[1].data(),
            "{name}: the input activation is used"
        );
    }
}

#[test]
fn variant_names_round_trip() {
    for &name in SynapseVariant::NAMES {
        assert_eq!(SynapseVariant::from_name(name).unwrap().name(), name);
    }
    for &name in ConvSynapseVariant::NAMES {
        assert_eq!(ConvSynapseVariant::from_name(name).unwrap().name(), name);
    }
    for &name in RecurrentCell::NAMES {
        assert_eq!(RecurrentCell::from_name(name).unwrap().name(), name);
    }
    for &name in SynapseInput::NAMES {
        assert_eq!(SynapseInput::from_name(name).unwrap().name(), name);
    }
    assert!(SynapseVariant::from_name("linearish").is_none());
}
