//! The main job's command line: defaults, overrides, and one-line errors
//! for every bad flag, value or path.

use synann::layers::Coupling;
use synann::zoo::{OptimizerKind, SynapseVariant};
use synann_examples::cli::{
    parse_args, CliError, OptimizerChoice, Task, DEFAULT_EPOCHS, DEFAULT_MODEL,
};

fn parse(args: &[&str]) -> Result<synann_examples::cli::Config, CliError> {
    parse_args(std::iter::once("mnist").chain(args.iter().copied()))
}

fn error_line(args: &[&str]) -> String {
    let e = parse(args).expect_err("the command line must be rejected");
    assert!(!matches!(e, CliError::Help(_)));
    let line = e.to_string();
    assert_eq!(line.lines().count(), 1, "not one line: {line:?}");
    line
}

#[test]
fn defaults() {
    let c = parse(&[]).unwrap();
    assert_eq!(c.model, DEFAULT_MODEL);
    assert_eq!(c.task, Task::Train);
    assert_eq!(
        c.out,
        std::path::PathBuf::from(format!("runs/mnist-{DEFAULT_MODEL}"))
    );
    assert_eq!((c.seed, c.threads, c.width), (0, 2, 1.0));
    assert_eq!(c.synapse, SynapseVariant::Synapse(Coupling::PerSample));
    assert_eq!(c.epochs, Some(DEFAULT_EPOCHS));
    assert_eq!((c.batch_size, c.lr, c.optimizer), (None, None, None));
    // With --model, the recipe decides the epochs unless --epochs is given.
    assert_eq!(parse(&["--model", DEFAULT_MODEL]).unwrap().epochs, None);
    assert_eq!(parse(&["--epochs", "2"]).unwrap().epochs, Some(2));
}

#[test]
fn every_flag_is_read() {
    let dir = std::env::temp_dir();
    let c = parse(&[
        "--model",
        "syna-rnn",
        "--epochs",
        "3",
        "--batch-size",
        "32",
        "--lr",
        "0.01",
        "--optimizer",
        "adamw",
        "--seed",
        "9",
        "--threads",
        "1",
        "--width",
        "0.5",
        "--synapse",
        "batch-coupled",
        "--data-dir",
        dir.to_str().unwrap(),
        "--out",
        "x",
        "--limit-train",
        "100",
        "--limit-test",
        "50",
        "--quiet",
        "--clip-grad-norm",
        "1",
    ])
    .unwrap();
    assert_eq!(c.model, "syna-rnn");
    assert_eq!(
        (c.epochs, c.batch_size, c.lr),
        (Some(3), Some(32), Some(0.01))
    );
    assert_eq!(c.optimizer, Some(OptimizerChoice::AdamW));
    assert_eq!((c.seed, c.threads, c.width), (9, 1, 0.5));
    assert_eq!(c.synapse, SynapseVariant::Synapse(Coupling::BatchCoupled));
    assert_eq!((c.limit_train, c.limit_test), (Some(100), Some(50)));
    assert_eq!(c.clip_grad_norm, Some(1.0));
    assert!(c.quiet);
    assert_eq!(c.out, std::path::PathBuf::from("x"));
}

#[test]
fn evaluation_and_prediction_need_an_existing_checkpoint() {
    let file = std::env::temp_dir().join(format!("synann-cli-{}.bin", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(
        parse(&["--eval-only", "--checkpoint", path]).unwrap().task,
        Task::Evaluate
    );
    assert_eq!(
        parse(&["--predict", "5", "--checkpoint", path])
            .unwrap()
            .task,
        Task::Predict(5)
    );
    assert!(error_line(&["--eval-only"]).contains("--checkpoint"));
    assert!(error_line(&["--predict", "3"]).contains("--checkpoint"));
    assert!(error_line(&["--checkpoint", path]).contains("--eval-only"));
    assert!(error_line(&["--eval-only", "--checkpoint", "/no/such/file"]).contains("no such file"));
    assert!(error_line(&["--resume", "/no/such/ckpt"]).contains("--resume"));
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn bad_flags_and_values_are_one_line_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus"], "--bogus"),
        (&["--model", "resnet"], "known models"),
        (&["--batch-size", "0"], "batch-size"),
        (&["--batch-size", "many"], "many"),
        (&["--epochs", "0"], "epochs"),
        (&["--epochs", "-1"], "-1"),
        (&["--lr", "-0.1"], "lr"),
        (&["--lr", "nan"], "lr"),
        (&["--threads", "0"], "threads"),
        (&["--width", "0"], "width"),
        (&["--optimizer", "rmsprop"], "sgd, adam or adamw"),
        (&["--synapse", "dense"], "per-sample"),
        (&["--data-dir", "/no/such/dir"], "not a directory"),
        (&["--predict", "0", "--checkpoint", "x"], "predict"),
        (&["--limit-train", "0"], "limit-train"),
        (&["--seed"], "--seed"),
    ];
    for (args, needle) in cases {
        let line = error_line(args);
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

#[test]
fn help_is_not_an_error() {
    match parse(&["--help"]) {
        Err(CliError::Help(text)) => assert!(text.contains("--model")),
        other => panic!("expected help, got {other:?}"),
    }
}

#[test]
fn optimizer_choice_keeps_the_recipe_settings_of_its_kind() {
    let sgd = OptimizerKind::Sgd { momentum: 0.5 };
    assert_eq!(OptimizerChoice::Sgd.resolve(sgd), sgd);
    assert_eq!(
        OptimizerChoice::Sgd.resolve(OptimizerKind::Adam),
        OptimizerKind::Sgd { momentum: 0.9 }
    );
    assert_eq!(OptimizerChoice::Adam.resolve(sgd), OptimizerKind::Adam);
    assert_eq!(
        OptimizerChoice::AdamW.resolve(sgd),
        OptimizerKind::AdamW { weight_decay: 0.01 }
    );
}
