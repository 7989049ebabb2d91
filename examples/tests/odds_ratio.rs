//! The odds-ratio pipeline of the `odds_ratio` example end to end on a
//! small CSV written here: read, split, standardise, choose settings on
//! validation, train a logistic regression and a SynaNN model, and measure
//! their odds ratios.

use synann_datasets::tabular::{read_csv, Standardizer};
use synann_examples::odds_ratio::{
    choose_settings, evaluate, logistic_odds_ratios, odds_ratios_per_std, spearman, train,
    LogisticRegression, SynapseClassifier, TrainSettings,
};

/// 60 rows: `risk` decides the label (class 0 when risk ≥ 30), `noise`
/// is unrelated to it, `site` is constant. The label column comes first.
fn csv_text() -> String {
    let mut text = String::from("label,risk,noise,site\n");
    for i in 0..60 {
        let risk = (i * 7) % 60;
        let noise = (i * 13) % 17;
        let label = usize::from(risk < 30);
        text += &format!("{label},{risk},{noise},4.5\n");
    }
    text
}

#[test]
fn tiny_csv_end_to_end() {
    let path = std::env::temp_dir().join(format!("synann-odds-ratio-{}.csv", std::process::id()));
    std::fs::write(&path, csv_text()).unwrap();
    let data = read_csv(&path, "label");
    let _ = std::fs::remove_file(&path);
    let data = data.unwrap();
    assert_eq!(data.feature_names(), &["risk", "noise", "site"]);
    assert_eq!(data.label_histogram(), vec![30, 30]);

    let splits = data.train_val_test_split([0.6, 0.2, 0.2], 1).unwrap();
    let scaler = Standardizer::fit(&splits.train).unwrap();
    let train_set = scaler.transform(&splits.train).unwrap();
    let validation = scaler.transform(&splits.validation).unwrap();
    let test = scaler.transform(&splits.test).unwrap();

    let base = TrainSettings {
        lr: 0.0,
        epochs: 0,
        batch_size: 8,
        seed: 1,
    };
    let choice = choose_settings(
        || LogisticRegression::new(3, 2, 1),
        &train_set,
        &validation,
        &[0.01, 0.05],
        &[20, 60],
        base,
    )
    .unwrap()
    .expect("a grid of four settings");
    assert!([0.01, 0.05].contains(&choice.settings.lr));
    assert!([20, 60].contains(&choice.settings.epochs));

    let settings = TrainSettings {
        lr: 0.05,
        epochs: 60,
        ..base
    };
    let mut logistic = LogisticRegression::new(3, 2, 1);
    train(&mut logistic, &train_set, &settings, |_, _| {}).unwrap();
    let mut syna = SynapseClassifier::new(3, 2, 1);
    train(&mut syna, &train_set, &settings, |_, _| {}).unwrap();
    let (_, logistic_accuracy) = evaluate(&mut logistic, &test);
    let (_, syna_accuracy) = evaluate(&mut syna, &test);
    assert!(logistic_accuracy >= 0.9, "logistic {logistic_accuracy}");
    assert!(syna_accuracy >= 0.9, "SynaNN {syna_accuracy}");

    // Measured on a logistic regression, the odds ratio is exp(w) exactly.
    let closed_form = logistic_odds_ratios(&logistic);
    let measured = odds_ratios_per_std(&mut logistic, &test);
    for (c, m) in closed_form.iter().zip(&measured) {
        assert!((c / m - 1.0).abs() < 1e-4, "{c} vs {m}");
    }
    // Both models learn that more risk means higher odds of class 0.
    let syna_or = odds_ratios_per_std(&mut syna, &test);
    assert!(
        closed_form[0] > 2.0,
        "logistic OR of risk {}",
        closed_form[0]
    );
    assert!(syna_or[0] > 2.0, "SynaNN OR of risk {}", syna_or[0]);
    assert!(syna_or.iter().all(|r| r.is_finite() && *r > 0.0));
    let rho = spearman(&closed_form, &syna_or);
    assert!((-1.0..=1.0).contains(&rho));

    // The synapse's B stays in (0, 1) under training.
    let b = syna.inhibition();
    assert!(b.data().iter().all(|&v| v > 0.0 && v < 1.0));
}
