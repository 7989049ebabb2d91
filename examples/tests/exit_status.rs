//! One exit-status convention for every program of `examples/`
//! (`synann_examples::cli`): 2 and a one-line error for a wrong command
//! line (a bad flag, a path that does not exist or does not hold what it
//! should), 1 and a one-line error for a failure while running.
//!
//! The programs are the examples `cargo test` builds beside this test
//! binary (`target/<profile>/examples/`). `interop_export` is built as a
//! test harness instead (its `test = true`), so its unit tests check its
//! statuses.

use std::path::{Path, PathBuf};
use std::process::Command;
use synann_examples::cli::{FAILURE_STATUS, USAGE_STATUS};

/// Every program of `examples/`.
const PROGRAMS: &[&str] = &[
    "mnist",
    "bench",
    "explain",
    "memory_soak",
    "odds_ratio",
    "step_profile",
    "gen_docs",
];

/// The example `name`, built by `cargo test` next to this test binary.
fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/main-<hash> → target/<profile>/examples/<name>
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lies in target/<profile>/deps")
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run the tests with `cargo test` (which builds the examples)",
        path.display()
    );
    path
}

/// Runs `name` with `args` in `dir`; returns its exit status and stderr.
fn run(name: &str, args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(program(name))
        .args(args)
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("the program starts");
    let status = out.status.code().expect("the program exits, not killed");
    (status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Asserts `status` and a one-line `error: …` naming `needle`.
fn assert_error(name: &str, (status, stderr): (i32, String), expected: u8, needle: &str) {
    assert_eq!(
        status,
        i32::from(expected),
        "{name}: exit status (stderr: {stderr:?})"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{name}: not one line: {stderr:?}");
    assert!(
        lines[0].starts_with("error") && lines[0].contains(needle),
        "{name}: {:?} does not name `{needle}`",
        lines[0]
    );
}

/// A fresh empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synann-exit-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_unknown_flag_is_status_2_for_every_program() {
    let dir = scratch("flag");
    for name in PROGRAMS {
        let result = run(name, &["--no-such-flag"], &dir);
        assert_error(name, result, USAGE_STATUS, "no-such-flag");
    }
}

#[test]
fn a_path_that_does_not_exist_is_status_2() {
    let dir = scratch("missing");
    let cases: &[(&str, &[&str])] = &[
        (
            "mnist",
            &["--eval-only", "--checkpoint", "missing.safetensors"],
        ),
        ("explain", &["--checkpoint", "missing.safetensors"]),
        ("odds_ratio", &["--csv", "missing.csv"]),
        ("memory_soak", &["--data-dir", "missing"]),
    ];
    for (name, args) in cases {
        assert_error(name, run(name, args, &dir), USAGE_STATUS, "missing");
    }
}

#[test]
fn a_data_directory_without_mnist_is_status_2() {
    let dir = scratch("no-mnist");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    for (name, args) in [
        (
            "mnist",
            vec!["--data-dir", empty, "--epochs", "1", "--out", "out"],
        ),
        (
            "memory_soak",
            vec!["--data-dir", empty, "--steps", "2", "--warmup", "1"],
        ),
    ] {
        assert_error(name, run(name, &args, &dir), USAGE_STATUS, "MNIST");
    }
}

#[test]
fn a_corrupt_file_is_status_1() {
    let dir = scratch("corrupt");
    std::fs::write(dir.join("corrupt.safetensors"), b"not a checkpoint").unwrap();
    std::fs::write(dir.join("corrupt.csv"), b"a,b\n1,x\n").unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "mnist",
            &[
                "--eval-only",
                "--checkpoint",
                "corrupt.safetensors",
                "--limit-train",
                "10",
                "--limit-test",
                "10",
            ],
            "corrupt.safetensors",
        ),
        (
            "explain",
            &["--checkpoint", "corrupt.safetensors"],
            "corrupt.safetensors",
        ),
        (
            "odds_ratio",
            &["--csv", "corrupt.csv", "--label", "a"],
            "corrupt.csv",
        ),
        // Run outside the workspace root: the pages it checks are missing.
        ("gen_docs", &["--check"], "README.md"),
    ];
    for (name, args, needle) in cases {
        assert_error(name, run(name, args, &dir), FAILURE_STATUS, needle);
    }
}

#[test]
fn thread_ranks_train_and_a_rank_that_fails_ends_the_run_in_one_line() {
    let dir = scratch("ranks");
    let args = |ranks: &'static str| {
        [
            "--ranks",
            ranks,
            "--threads",
            "1",
            "--model",
            "syna-rnn",
            "--epochs",
            "1",
            "--limit-train",
            "200",
            "--limit-test",
            "100",
            "--quiet",
            "--out",
            "out",
        ]
    };
    let out = Command::new(program("mnist"))
        .args(args("2"))
        .current_dir(&dir)
        .output()
        .expect("mnist starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 ranks") && stdout.contains("test_accuracy="),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(dir.join("out/summary.json")).unwrap();
    assert!(summary.contains(r#""world_size": "2""#), "{summary}");
    // Three ranks do not divide the batch of 100: every rank stops at
    // start; the run ends with one line and status 1, not a hang.
    let result = run("mnist", &args("3"), &dir);
    assert_error("mnist", result, FAILURE_STATUS, "world size 3");
}
