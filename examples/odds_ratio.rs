//! Odds ratios from a logistic regression and from a SynaNN model, side by
//! side, on the Breast Cancer Wisconsin (Diagnostic) data (or any binary
//! CSV).
//!
//! ```text
//! cargo run --release --example odds_ratio
//! cargo run --release --example odds_ratio -- --csv my.csv --label outcome --seed 3
//! ```
//!
//! The rows are split 60/20/20 (train/validation/test) by `--seed`,
//! standardised with the training rows' statistics, and two models are
//! trained with the same optimiser (Adam), loss (cross-entropy), batch size
//! and search grid, the learning rate and epoch count of each chosen on the
//! validation split:
//!
//! - a logistic regression, Linear(F, 2);
//! - SynaNN: sigmoid → Synapse(F) with B ∈ (0, 1), a ≥ 1 → Linear(F, 2).
//!
//! It then prints, per feature, the odds ratio of class 0 (malignant)
//! against class 1 (benign) for a one-standard-deviation increase: exp(w_j)
//! for the logistic regression, and the same quantity measured on the
//! SynaNN model (odds(p(x + e_j)) / odds(p(x)), geometric mean over the test
//! rows), with their Spearman rank correlation; then the synapse's learned
//! inhibitions B_ij among the leading features and its swap ratios
//! S(x_i, x_j)/S(x_j, x_i) at the mean test input of each class. The last
//! line is `test_accuracy=<fraction>` of the SynaNN model. A bad flag is a
//! one-line error and exit status 2; bad data, exit status 1.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use synann_datasets::tabular::{
    breast_cancer_path, read_csv, Standardizer, Tabular, BREAST_CANCER_CLASSES, BREAST_CANCER_LABEL,
};
use synann_examples::cli::{FAILURE_STATUS, USAGE_STATUS};
use synann_examples::odds_ratio::{
    choose_settings, evaluate, logistic_odds_ratios, odds, odds_ratios_per_std, spearman,
    swap_ratio, train, Choice, LogisticRegression, SynapseClassifier, TrainSettings,
};

/// The learning rates tried (Adam), for both models.
const LRS: [f64; 3] = [0.003, 0.01, 0.03];
/// The epoch counts tried, for both models.
const EPOCHS: [usize; 5] = [10, 25, 50, 100, 200];
/// Rows per step.
const BATCH_SIZE: usize = 32;

#[derive(Parser, Debug)]
#[command(
    about = "Odds ratios of a logistic regression and of a SynaNN model on binary tabular data"
)]
struct Args {
    /// The CSV file (header row; numeric features; integer label 0 or 1).
    /// Default: the shipped Breast Cancer Wisconsin (Diagnostic) data.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// The label column.
    #[arg(long, default_value = BREAST_CANCER_LABEL)]
    label: String,
    /// The seed of the split, of the initialisations and of the batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How many leading features the synapse tables show.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..))]
    top: u16,
}

type AnyError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message already starts with "error: ".
            let message = e.to_string();
            eprintln!(
                "{}",
                message.lines().next().unwrap_or("error: bad arguments")
            );
            return ExitCode::from(USAGE_STATUS);
        }
    };
    if let Some(path) = args.csv.as_ref().filter(|p| !p.is_file()) {
        eprintln!(
            "error: invalid value for --csv: {} is not a file",
            path.display()
        );
        return ExitCode::from(USAGE_STATUS);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(FAILURE_STATUS)
        }
    }
}

fn run(args: &Args) -> Result<(), AnyError> {
    let start = Instant::now();
    let shipped = args.csv.is_none();
    let path = match &args.csv {
        Some(path) => path.clone(),
        None => breast_cancer_path()?,
    };
    let data = read_csv(&path, &args.label)?;
    if data.num_classes() != 2 {
        return Err(format!(
            "odds ratios need two classes (labels 0 and 1); '{}' has {} classes",
            args.label,
            data.num_classes()
        )
        .into());
    }
    let class_names: [String; 2] = if shipped {
        BREAST_CANCER_CLASSES.map(String::from)
    } else {
        ["class 0".into(), "class 1".into()]
    };
    let counts = data.label_histogram();
    println!(
        "data {}: {} rows, {} features; 0 = {} ({}), 1 = {} ({})",
        path.display(),
        data.len(),
        data.num_features(),
        class_names[0],
        counts[0],
        class_names[1],
        counts[1]
    );

    let splits = data.train_val_test_split([0.6, 0.2, 0.2], args.seed)?;
    let scaler = Standardizer::fit(&splits.train)?;
    let train_set = scaler.transform(&splits.train)?;
    let validation = scaler.transform(&splits.validation)?;
    let test = scaler.transform(&splits.test)?;
    println!(
        "split 60/20/20 (seed {}): {} train, {} validation, {} test; standardised with the training rows' mean and std",
        args.seed,
        train_set.len(),
        validation.len(),
        test.len()
    );

    let (features, seed) = (data.num_features(), args.seed);
    let base = TrainSettings {
        lr: 0.0,
        epochs: 0,
        batch_size: BATCH_SIZE,
        seed,
    };
    println!(
        "Adam, cross-entropy, batch {BATCH_SIZE}; lr from {LRS:?} and epochs from {EPOCHS:?} by validation loss"
    );
    let logistic_choice = choose_settings(
        || LogisticRegression::new(features, 2, seed),
        &train_set,
        &validation,
        &LRS,
        &EPOCHS,
        base,
    )?
    .ok_or("no setting was tried")?;
    let synapse_choice = choose_settings(
        || SynapseClassifier::new(features, 2, seed),
        &train_set,
        &validation,
        &LRS,
        &EPOCHS,
        base,
    )?
    .ok_or("no setting was tried")?;

    // Retrain each with its chosen settings (the same run as during the
    // search, stopped at the chosen epoch).
    let mut logistic = LogisticRegression::new(features, 2, seed);
    train(
        &mut logistic,
        &train_set,
        &logistic_choice.settings,
        |_, _| {},
    )?;
    let mut syna = SynapseClassifier::new(features, 2, seed);
    train(&mut syna, &train_set, &synapse_choice.settings, |_, _| {})?;
    let (_, logistic_accuracy) = evaluate(&mut logistic, &test);
    let (_, syna_accuracy) = evaluate(&mut syna, &test);
    print_choice("logistic regression", &logistic_choice, logistic_accuracy);
    print_choice("SynaNN", &synapse_choice, syna_accuracy);

    // Odds ratios per standard deviation, feature by feature.
    let logistic_or = logistic_odds_ratios(&logistic);
    let syna_or = odds_ratios_per_std(&mut syna, &test);
    let names = data.feature_names();
    let mut order: Vec<usize> = (0..features).collect();
    order.sort_by(|&a, &b| {
        logistic_or[b]
            .ln()
            .abs()
            .total_cmp(&logistic_or[a].ln().abs())
    });
    println!();
    println!(
        "odds ratio of {} vs {} per +1 SD of a feature (logistic: exp(w_j); SynaNN: measured, \
         geometric mean over the test rows), by decreasing logistic |ln OR|",
        class_names[0], class_names[1]
    );
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "{:<width$}  {:>12}  {:>12}",
        "feature", "logistic", "SynaNN"
    );
    for &j in &order {
        println!(
            "{:<width$}  {:>12.3}  {:>12.3}",
            names[j], logistic_or[j], syna_or[j]
        );
    }
    let rho = spearman(&logistic_or, &syna_or);
    println!("Spearman rank correlation of the {features} pairs of odds ratios: {rho:.3}");

    let top: Vec<usize> = order.iter().copied().take(usize::from(args.top)).collect();
    print_synapse(&syna, &top, names, &test, &class_names);

    println!("(ran in {:.1}s)", start.elapsed().as_secs_f64());
    println!("logistic_test_accuracy={logistic_accuracy:.4}");
    println!("test_accuracy={syna_accuracy:.4}");
    Ok(())
}

fn print_choice(model: &str, choice: &Choice, test_accuracy: f64) {
    println!(
        "{model:<20} lr {:<6} epochs {:<4} validation loss {:.4} accuracy {:.4}  test accuracy {:.4}",
        choice.settings.lr,
        choice.settings.epochs,
        choice.val_loss,
        choice.val_accuracy,
        test_accuracy
    );
}

/// The learned inhibitions among the `top` features and the swap ratios
/// at each class's mean synapse input.
fn print_synapse(
    syna: &SynapseClassifier,
    top: &[usize],
    names: &[String],
    test: &Tabular,
    class_names: &[String; 2],
) {
    let b = syna.inhibition();
    let n = b.shape()[0];
    let beta = |i: usize, j: usize| f64::from(b.data()[i * n + j]);
    println!();
    println!(
        "synapse inhibition B_ij (row i inhibited by column j) among the {} leading features \
         (B starts near 1/(n+1) = {:.3}):",
        top.len(),
        1.0 / (n as f64 + 1.0)
    );
    print!("{:>4}", "");
    for c in 0..top.len() {
        print!("  {:>6}", format!("[{c}]"));
    }
    println!();
    for (r, &i) in top.iter().enumerate() {
        print!("{:>4}", format!("[{r}]"));
        for &j in top {
            print!("  {:>6.3}", beta(i, j));
        }
        println!("   {}", names[i]);
    }
    let all: Vec<f64> = b.data().iter().map(|&v| f64::from(v)).collect();
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    println!(
        "all {} entries of B: min {lo:.3}, mean {:.3}, max {hi:.3}",
        all.len(),
        all.iter().sum::<f64>() / all.len() as f64
    );

    // The synapse sees sigmoid(standardised feature); use each class's mean.
    let mean_input = |class: usize| -> Vec<f64> {
        let rows: Vec<usize> = (0..test.len())
            .filter(|&r| test.labels()[r] == class)
            .collect();
        (0..test.num_features())
            .map(|j| {
                let sum: f64 = rows
                    .iter()
                    .map(|&r| 1.0 / (1.0 + (-f64::from(test.row(r)[j])).exp()))
                    .sum();
                sum / rows.len().max(1) as f64
            })
            .collect()
    };
    println!();
    println!(
        "swap ratio S(x_i, x_j)/S(x_j, x_i) = x_i(1 − B_ij x_j)/(x_j(1 − B_ij x_i)) with the learned B_ij, \
         against its β = 1 value, the odds ratio odds(x_i)/odds(x_j), at the mean test input of each class:"
    );
    println!(
        "{:<9} {:>3} {:>3}  {:>7} {:>7}  {:>7}  {:>10}  {:>10}",
        "class", "i", "j", "x_i", "x_j", "B_ij", "swap ratio", "odds ratio"
    );
    for (class, name) in class_names.iter().enumerate() {
        let x = mean_input(class);
        for a in 0..top.len().min(3) {
            for c in a + 1..top.len().min(3) {
                let (i, j) = (top[a], top[c]);
                println!(
                    "{:<9} {:>3} {:>3}  {:>7.3} {:>7.3}  {:>7.3}  {:>10.3}  {:>10.3}",
                    truncate(name, 9),
                    format!("[{a}]"),
                    format!("[{c}]"),
                    x[i],
                    x[j],
                    beta(i, j),
                    swap_ratio(x[i], x[j], beta(i, j)),
                    odds(x[i]) / odds(x[j])
                );
            }
        }
    }
}

/// At most `n` characters of `s`.
fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
