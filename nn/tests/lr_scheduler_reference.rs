//! Learning-rate schedulers against PyTorch's sequences
//! (`reference/optim.json`), state round trips and the `Chain` combinator.

use serde_json::Value;
use synann_nn::lr_scheduler::one_cycle_lr::OneCycleConfig;
use synann_nn::lr_scheduler::{
    AnnealStrategy, Chain, ClosedForm, CosineAnnealingLR, ExponentialLR, LambdaLR, LrScheduler,
    MultiStepLR, OneCycleLR, PiecewiseConstantLR, PlateauMode, ReduceLROnPlateau, SchedulerState,
    SchedulerStateError, StepLR, ThresholdMode,
};

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/optim.json")).expect("optim.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn f(o: &Value, key: &str, default: f64) -> f64 {
    o.get(key).and_then(Value::as_f64).unwrap_or(default)
}

fn u(o: &Value, key: &str) -> u64 {
    o[key].as_u64().unwrap()
}

/// Builds the scheduler a reference case describes.
fn build(case: &Value) -> Box<dyn LrScheduler> {
    let o = &case["options"];
    let base = case["base_lr"].as_f64().unwrap();
    match case["kind"].as_str().unwrap() {
        "StepLR" => Box::new(StepLR::new(base, u(o, "step_size"), f(o, "gamma", 0.1)).unwrap()),
        "MultiStepLR" => {
            let milestones = floats(&o["milestones"]).iter().map(|&m| m as u64).collect();
            Box::new(MultiStepLR::new(base, milestones, f(o, "gamma", 0.1)).unwrap())
        }
        "ExponentialLR" => Box::new(ExponentialLR::new(base, f(o, "gamma", 0.1))),
        "LambdaLR" => Box::new(LambdaLR::new(base, |e| 0.95f64.powf(e as f64))),
        "PiecewiseConstantLR" => {
            let b = floats(&o["boundaries"]).iter().map(|&m| m as u64).collect();
            Box::new(PiecewiseConstantLR::new(b, floats(&o["values"])).unwrap())
        }
        "CosineAnnealingLR" => {
            Box::new(CosineAnnealingLR::new(base, u(o, "T_max"), f(o, "eta_min", 0.0)).unwrap())
        }
        "OneCycleLR" => Box::new(one_cycle(case)),
        "ReduceLROnPlateau" => {
            let mode = match o["mode"].as_str().unwrap() {
                "min" => PlateauMode::Min,
                _ => PlateauMode::Max,
            };
            let threshold_mode = match o.get("threshold_mode").and_then(Value::as_str) {
                Some("abs") => ThresholdMode::Abs,
                _ => ThresholdMode::Rel,
            };
            let s = ReduceLROnPlateau::with_factor(base, f(o, "factor", 0.1))
                .unwrap()
                .mode(mode)
                .patience(u(o, "patience"))
                .threshold(f(o, "threshold", 1e-4), threshold_mode)
                .cooldown(o.get("cooldown").and_then(Value::as_u64).unwrap_or(0))
                .min_lr(f(o, "min_lr", 0.0));
            Box::new(s)
        }
        other => panic!("unknown scheduler {other}"),
    }
}

fn one_cycle(case: &Value) -> OneCycleLR {
    let o = &case["options"];
    let d = OneCycleConfig::default();
    let config = OneCycleConfig {
        pct_start: f(o, "pct_start", d.pct_start),
        anneal_strategy: match o.get("anneal_strategy").and_then(Value::as_str) {
            Some("linear") => AnnealStrategy::Linear,
            _ => AnnealStrategy::Cos,
        },
        div_factor: f(o, "div_factor", d.div_factor),
        final_div_factor: f(o, "final_div_factor", d.final_div_factor),
        three_phase: o
            .get("three_phase")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..d
    };
    OneCycleLR::with_config(f(o, "max_lr", 0.0), u(o, "total_steps"), config).unwrap()
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-15 + 1e-12 * want.abs(),
        "{what}: got {got}, PyTorch {want}"
    );
}

#[test]
fn every_scheduler_matches_pytorch() {
    let data = reference();
    let cases = data["schedulers"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let want = floats(&case["lrs"]);
        let metrics = case.get("metrics").map(floats);
        let mut s = build(case);
        assert_close(&format!("{name}: initial"), s.get_last_lr(), want[0]);
        for (k, &w) in want.iter().enumerate().skip(1) {
            let lr = match &metrics {
                Some(m) => s.step_with(m[k - 1]),
                None => s.step(),
            };
            assert_close(&format!("{name}: step {k}"), lr, w);
            assert_eq!(lr, s.get_last_lr());
        }
    }
}

#[test]
fn one_cycle_momentum_matches_pytorch() {
    let data = reference();
    for case in data["schedulers"].as_array().unwrap() {
        let Some(momentum) = case.get("momentum").map(floats) else {
            continue;
        };
        let mut s = one_cycle(case);
        for (k, &w) in momentum.iter().enumerate() {
            assert_close(&format!("momentum at {k}"), s.get_last_momentum(), w);
            if k + 1 < momentum.len() {
                s.step();
            }
        }
    }
}

#[test]
#[should_panic(expected = "more than total_steps")]
fn one_cycle_panics_past_its_end() {
    let mut s = OneCycleLR::new(0.1, 3).unwrap();
    for _ in 0..4 {
        s.step();
    }
}

#[test]
fn piecewise_schedule_of_the_original_run() {
    let s = PiecewiseConstantLR::new(vec![12, 30], vec![1e-3, 1e-4, 1e-5]).unwrap();
    let lrs: Vec<f64> = [0, 11, 12, 29, 30, 100]
        .iter()
        .map(|&e| s.lr_at(e))
        .collect();
    assert_eq!(lrs, [1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5]);
    assert!(PiecewiseConstantLR::new(vec![30, 12], vec![1.0, 2.0, 3.0]).is_err());
    assert!(PiecewiseConstantLR::new(vec![12], vec![1.0]).is_err());
}

/// Steps `s` with a fixed metric sequence from position `from` to `to`.
fn run(s: &mut dyn LrScheduler, metrics: &[f64]) -> Vec<f64> {
    metrics.iter().map(|&m| s.step_with(m)).collect()
}

#[test]
fn state_round_trip_resumes_every_scheduler() {
    let metrics: Vec<f64> = (0..24)
        .map(|k| 1.0 / (1.0 + (k / 3) as f64) + 0.01 * (k % 3) as f64)
        .collect();
    let makers: Vec<fn() -> Box<dyn LrScheduler>> = vec![
        || Box::new(StepLR::new(0.1, 3, 0.5).unwrap()),
        || Box::new(MultiStepLR::new(0.1, vec![2, 7], 0.3).unwrap()),
        || Box::new(ExponentialLR::new(0.1, 0.9)),
        || Box::new(LambdaLR::new(0.1, |e| 1.0 / (1.0 + e as f64))),
        || Box::new(PiecewiseConstantLR::new(vec![5, 15], vec![1e-3, 1e-4, 1e-5]).unwrap()),
        || Box::new(CosineAnnealingLR::new(0.1, 10, 0.0).unwrap()),
        || Box::new(OneCycleLR::new(0.1, 30).unwrap()),
        || Box::new(ReduceLROnPlateau::new(0.1).unwrap().patience(1).cooldown(1)),
        || {
            Box::new(Chain::new(vec![
                Box::new(PiecewiseConstantLR::new(vec![12, 30], vec![1e-3, 1e-4, 1e-5]).unwrap()),
                Box::new(ReduceLROnPlateau::new(1e-3).unwrap().patience(1)),
            ]))
        },
    ];
    for make in makers {
        let mut straight = make();
        let all = run(straight.as_mut(), &metrics);

        let mut first = make();
        let mut lrs = run(first.as_mut(), &metrics[..11]);
        let state = first.state_dict();
        // Through JSON, as a checkpoint stores it.
        let json = serde_json::to_string(&state).unwrap();
        let state: SchedulerState = serde_json::from_str(&json).unwrap();
        let mut resumed = make();
        resumed.load_state_dict(&state).unwrap();
        assert_eq!(resumed.get_last_lr(), first.get_last_lr());
        lrs.extend(run(resumed.as_mut(), &metrics[11..]));
        assert_eq!(lrs, all, "{} resumed differently", state.kind());
    }
}

#[test]
fn loading_another_schedulers_state_is_an_error() {
    let step = StepLR::new(0.1, 3, 0.5).unwrap();
    let mut cosine = CosineAnnealingLR::new(0.1, 10, 0.0).unwrap();
    let err = cosine.load_state_dict(&step.state_dict()).unwrap_err();
    assert_eq!(
        err,
        SchedulerStateError::KindMismatch {
            expected: "CosineAnnealingLR".into(),
            found: "StepLR".into()
        }
    );
    let mut plateau = ReduceLROnPlateau::new(0.1).unwrap();
    assert!(plateau.load_state_dict(&step.state_dict()).is_err());
    let mut chain = Chain::new(vec![Box::new(ExponentialLR::new(0.1, 0.5))]);
    let two = Chain::new(vec![
        Box::new(ExponentialLR::new(0.1, 0.5)),
        Box::new(ExponentialLR::new(0.1, 0.5)),
    ]);
    assert!(matches!(
        chain.load_state_dict(&two.state_dict()),
        Err(SchedulerStateError::ChainLength {
            expected: 1,
            found: 2
        })
    ));
}

#[test]
fn chain_takes_the_minimum_and_passes_the_metric() {
    let piecewise = PiecewiseConstantLR::new(vec![3], vec![1e-3, 1e-4]).unwrap();
    let plateau = ReduceLROnPlateau::new(1e-3).unwrap().patience(0);
    let mut chain = Chain::new(vec![Box::new(piecewise), Box::new(plateau)]);
    assert_eq!(chain.get_last_lr(), 1e-3);
    // Improving, then stalled: the plateau cuts to 1e-4 at the second step.
    let lrs = run(&mut chain, &[1.0, 1.0, 0.5, 0.4, 0.4]);
    let expected = [1e-3, 1e-4, 1e-4, 1e-4, 1e-5];
    for (g, w) in lrs.iter().zip(expected) {
        assert!((g - w).abs() < 1e-15, "{lrs:?}");
    }
}

#[test]
fn plateau_without_a_metric_only_counts_the_epoch() {
    let mut s = ReduceLROnPlateau::new(1.0).unwrap().patience(0);
    s.step_with(1.0);
    for _ in 0..5 {
        assert_eq!(s.step(), 1.0);
    }
    assert_eq!(s.best(), Some(1.0));
    // NaN never improves: it counts as a bad epoch.
    assert_eq!(s.step_with(f64::NAN), 0.1);
}
