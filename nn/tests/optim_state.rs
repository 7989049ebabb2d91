//! Optimizer state round trips: N steps straight must equal N/2 steps,
//! save, rebuild model and optimizer, load, N/2 steps, bit for bit.

use crate::tiny_model;

use synann_nn::optim::{
    Adam, AdamConfig, AdamW, Optimizer, OptimizerState, OptimizerStateError, ParamGroup, SgdConfig,
    SGD,
};
use synann_nn::state_dict::{load_state_dict, state_dict, Strict};
use synann_nn::Module;
use synann_tensor::{Float, Tensor};
use tiny_model::{batch, TinyNet};

type MakeOpt<T> = fn(&TinyNet<T>) -> Box<dyn Optimizer<T>>;

fn train<T: Float>(net: &mut TinyNet<T>, opt: &mut dyn Optimizer<T>, steps: usize) {
    let x = batch::<T>();
    for _ in 0..steps {
        opt.zero_grad();
        net.loss(&x).backward();
        opt.step();
    }
}

fn params<T: Float>(net: &TinyNet<T>) -> Vec<Tensor<T>> {
    net.parameters().iter().map(|p| p.value().clone()).collect()
}

fn check_resume<T: Float>(name: &str, make: MakeOpt<T>) {
    const N: usize = 8;
    let mut straight = TinyNet::<T>::new(1);
    let mut opt = make(&straight);
    train(&mut straight, opt.as_mut(), N);

    let mut first = TinyNet::<T>::new(1);
    let mut opt = make(&first);
    train(&mut first, opt.as_mut(), N / 2);
    let model_state = state_dict(&first);
    let optim_state = opt.state_dict();
    drop((first, opt));

    let mut resumed = TinyNet::<T>::new(2); // different weights until loaded
    load_state_dict(&resumed, &model_state, Strict::Yes).unwrap();
    let mut opt = make(&resumed);
    opt.load_state_dict(&optim_state).unwrap();
    assert_eq!(
        opt.state_dict(),
        optim_state,
        "{name}: state differs after load"
    );
    train(&mut resumed, opt.as_mut(), N / 2);

    assert_eq!(
        params(&resumed),
        params(&straight),
        "{name}: resumed run differs"
    );
}

fn sgd_momentum<T: Float>(net: &TinyNet<T>) -> Box<dyn Optimizer<T>> {
    Box::new(SGD::new(net.parameters(), 0.1, SgdConfig::default().momentum(0.9)).unwrap())
}

fn sgd_nesterov_groups<T: Float>(net: &TinyNet<T>) -> Box<dyn Optimizer<T>> {
    let p = net.parameters();
    let config = SgdConfig::default().momentum(0.9).nesterov(true);
    Box::new(
        SGD::with_groups(vec![
            ParamGroup::new(p[..2].to_vec(), 0.05, config.weight_decay(1e-3)),
            ParamGroup::new(p[2..].to_vec(), 0.1, config),
        ])
        .unwrap(),
    )
}

fn adam<T: Float>(net: &TinyNet<T>) -> Box<dyn Optimizer<T>> {
    Box::new(Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap())
}

fn adam_amsgrad_wd<T: Float>(net: &TinyNet<T>) -> Box<dyn Optimizer<T>> {
    let config = AdamConfig::default().amsgrad(true).weight_decay(0.01);
    Box::new(Adam::new(net.parameters(), 1e-2, config).unwrap())
}

fn adamw<T: Float>(net: &TinyNet<T>) -> Box<dyn Optimizer<T>> {
    Box::new(AdamW::new(net.parameters(), 1e-2, AdamConfig::adamw().amsgrad(true)).unwrap())
}

#[test]
fn resumed_training_is_bitwise_identical() {
    check_resume::<f64>("SGD momentum f64", sgd_momentum);
    check_resume::<f32>("SGD momentum f32", sgd_momentum);
    check_resume::<f64>("SGD Nesterov, two groups", sgd_nesterov_groups);
    check_resume::<f64>("Adam f64", adam);
    check_resume::<f32>("Adam f32", adam);
    check_resume::<f64>("Adam AMSGrad + weight decay", adam_amsgrad_wd);
    check_resume::<f32>("AdamW AMSGrad", adamw);
}

#[test]
fn learning_rate_and_options_are_restored() {
    let net = TinyNet::<f64>::new(0);
    let mut opt = SGD::new(net.parameters(), 0.1, SgdConfig::default().momentum(0.9)).unwrap();
    opt.set_lr(0, 0.025);
    let saved = opt.state_dict();
    let mut other = SGD::new(net.parameters(), 0.5, SgdConfig::default().momentum(0.5)).unwrap();
    other.load_state_dict(&saved).unwrap();
    assert_eq!(other.lr(0), 0.025);
    assert_eq!(other.param_groups()[0].config.momentum, 0.9);
}

fn trained_state(make: MakeOpt<f64>) -> OptimizerState<f64> {
    let mut net = TinyNet::<f64>::new(3);
    let mut opt = make(&net);
    train(&mut net, opt.as_mut(), 2);
    opt.state_dict()
}

#[test]
fn mismatched_states_are_rejected_and_change_nothing() {
    let net = TinyNet::<f64>::new(0);
    let adam_state = trained_state(adam);

    let mut sgd = SGD::new(net.parameters(), 0.1, SgdConfig::default()).unwrap();
    assert_eq!(
        sgd.load_state_dict(&adam_state),
        Err(OptimizerStateError::KindMismatch {
            expected: "SGD".into(),
            found: "Adam".into()
        })
    );

    // Fewer parameters.
    let mut small = Adam::new(net.parameters()[..3].to_vec(), 1e-2, AdamConfig::default()).unwrap();
    assert!(matches!(
        small.load_state_dict(&adam_state),
        Err(OptimizerStateError::GroupSize {
            group: 0,
            expected: 3,
            found: 4
        })
    ));

    // A buffer of the wrong shape names the parameter and buffer.
    let mut bad = adam_state.clone();
    bad.state
        .get_mut(&2)
        .unwrap()
        .buffers
        .insert("exp_avg".into(), Tensor::zeros(&[5]));
    let mut opt = Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap();
    let before = opt.state_dict();
    let err = opt.load_state_dict(&bad).unwrap_err();
    assert_eq!(
        err,
        OptimizerStateError::ShapeMismatch {
            param: 2,
            name: "exp_avg".into(),
            expected: vec![2, 3],
            found: vec![5]
        }
    );
    assert!(err.to_string().contains("exp_avg"));
    assert_eq!(
        opt.state_dict(),
        before,
        "a failed load must change nothing"
    );

    // A missing buffer (AMSGrad needs max_exp_avg_sq).
    let mut ams = Adam::new(net.parameters(), 1e-2, AdamConfig::default()).unwrap();
    let mut state = adam_state.clone();
    state.groups[0].options["amsgrad"] = serde_json::Value::Bool(true);
    assert!(matches!(
        ams.load_state_dict(&state),
        Err(OptimizerStateError::MissingBuffer { param: 0, ref name }) if name == "max_exp_avg_sq"
    ));

    // Unreadable options.
    let mut state = adam_state;
    state.groups[0].options = serde_json::json!({"betas": "fast"});
    assert!(matches!(
        opt.load_state_dict(&state),
        Err(OptimizerStateError::BadOptions { group: 0, .. })
    ));
}
