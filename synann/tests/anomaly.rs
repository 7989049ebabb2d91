//! Anomaly reports name the module an op ran in by its dotted path: an op
//! inside a Synapse layer is reported in that layer (not in the Linear
//! before it), nested children form dotted paths, and the outer path is
//! back once a child's scope is dropped.

use synann::layers::{Synapse, SynapseConfig};
use synann::zoo::{build, SynapseVariant, ZooOptions};
use synann_autograd::anomaly::{catch_anomaly, current_module_path, detect_anomaly, Phase};
use synann_autograd::Var;
use synann_nn::layers::{Bias, Linear, Sequential, Softmax};
use synann_nn::{forward_child, Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Puts a NaN in the first element of the parameter called `name`.
fn poison(model: &dyn Module<f32>, name: &str) {
    let (_, p) = model
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no parameter {name}"));
    p.value_mut().data_mut()[0] = f32::NAN;
}

#[test]
fn a_nan_inside_seed_torchs_synapse_is_reported_in_fcn_not_in_fc1() {
    let mut zoo = build("seed-torch", &ZooOptions::default()).unwrap();
    poison(&*zoo.model, "fcn.weight");
    let x = Var::constant(Tensor::full(&[2, 1, 28, 28], 0.5));
    let err = catch_anomaly(|| zoo.model.forward(&x, Mode::Train)).unwrap_err();
    assert_eq!(
        (err.op.as_str(), err.phase),
        ("synapse_logsum", Phase::Forward)
    );
    assert_eq!(err.module_path.as_deref(), Some("fcn"));
    assert_eq!(err.layer.as_deref(), Some("Synapse(64)"));
    let message = err.to_string();
    assert!(message.ends_with("(in fcn: Synapse(64))"), "{message}");
    assert!(!message.contains("Linear"), "{message}");
    assert_eq!(current_module_path(), None, "the model's scopes are closed");
}

#[test]
fn stacked_synapses_are_reported_by_their_dotted_path() {
    let options = ZooOptions {
        variant: SynapseVariant::Stacked,
        ..ZooOptions::default()
    };
    let mut zoo = build("seed-torch", &options).unwrap();
    poison(&*zoo.model, "fcn.1.weight");
    let x = Var::constant(Tensor::full(&[2, 1, 28, 28], 0.5));
    let err = catch_anomaly(|| zoo.model.forward(&x, Mode::Train)).unwrap_err();
    assert_eq!(err.module_path.as_deref(), Some("fcn.1"));
    assert_eq!(err.layer.as_deref(), Some("Synapse(64)"));
}

#[test]
fn the_recurrent_synapse_cell_is_reported_as_rnn_cell() {
    let mut zoo = build("syna-rnn", &ZooOptions::default()).unwrap();
    poison(&*zoo.model, "rnn.synapse_weight");
    let x = Var::constant(Tensor::full(&[2, 28, 28], 0.5));
    let err = catch_anomaly(|| zoo.model.forward(&x, Mode::Train)).unwrap_err();
    // B = sigmoid(W_syn) is the first op to see the NaN.
    assert_eq!(err.op, "sigmoid");
    assert_eq!(err.module_path.as_deref(), Some("rnn.cell"));
    assert_eq!(err.layer.as_deref(), Some("SynapseRNNCell(28, 128)"));
}

/// Linear → softmax → Synapse → Linear, like seed-torch's head, named
/// `head` inside an outer model.
fn head() -> Sequential<f32> {
    let mut rng = seeded(3);
    let mut net = Sequential::new();
    net.push(Linear::new(6, 4, Bias::Yes, &mut rng))
        .push(Softmax::new(1))
        .push(Synapse::new(4, SynapseConfig::default(), &mut rng))
        .push(Linear::new(4, 2, Bias::Yes, &mut rng));
    net
}

#[test]
fn a_sequential_names_its_synapse_by_position_under_the_outer_path() {
    let mut net = head();
    poison(&net, "2.weight");
    let x = Var::constant(Tensor::full(&[3, 6], 0.5));
    let err = catch_anomaly(|| forward_child("head", &mut net, &x, Mode::Train)).unwrap_err();
    assert_eq!(err.op, "synapse_logsum");
    assert_eq!(err.module_path.as_deref(), Some("head.2"));
    assert_eq!(err.layer.as_deref(), Some("Synapse(4)"));
}

#[test]
fn after_a_panicking_anomaly_the_outer_path_is_restored() {
    let mut net = head();
    poison(&net, "2.weight");
    let x = Var::constant(Tensor::full(&[3, 6], 0.5));
    let _outer = synann_autograd::anomaly::enter_module("model");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        detect_anomaly(|| forward_child("head", &mut net, &x, Mode::Train))
    }));
    let message = panicked.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.ends_with("(in model.head.2: Synapse(4))"),
        "{message}"
    );
    assert_eq!(current_module_path().as_deref(), Some("model"));
}
