//! Data-parallel training over MPI (feature `mpi`): the scenarios of
//! `distributed/scenarios.rs` with every rank a process under `mpirun`,
//! plus what only separate processes show: a killed rank ends the job
//! instead of hanging it, and its last checkpoint resumes on another world
//! size.
//!
//! `cargo test -p synann-train --features mpi --test mpi` runs this binary
//! as a launcher: it starts itself under `mpirun` once per scenario (the
//! command `$MPIRUN`, default `mpirun`, with `--oversubscribe` for
//! OpenMPI and `OMPI_ALLOW_RUN_AS_ROOT` set for containers) and checks
//! each job's outcome. Started by `mpirun`, it runs the scenario named by
//! its first argument on its rank:
//!
//! ```text
//! mpirun --allow-run-as-root --oversubscribe -np 2 target/debug/deps/mpi-… equivalence
//! ```

#[path = "distributed/scenarios.rs"]
mod scenarios;

use scenarios::*;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};
use synann_train::distributed::{mpi, BatchNormSync, Distributed};
use synann_train::trainer::LAST_FILE;

/// The longest a scenario's job may run before it counts as a hang.
const JOB_TIMEOUT: Duration = Duration::from_secs(180);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let under_mpirun = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if under_mpirun {
        rank_main(&args);
    } else {
        launcher();
    }
}

/// One rank of the scenario `args[0]`.
fn rank_main(args: &[String]) {
    // A failed assertion on one rank ends the whole job (MPI_Abort) rather
    // than leaving the other ranks waiting in a collective.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{info}");
        mpi::abort(1)
    }));
    let d = Distributed::from_mpi(BatchNormSync::PerRank).expect("MPI starts");
    let group = d.group().clone();
    let (rank, world_size) = (group.rank(), group.world_size());
    let dir = || PathBuf::from(&args[1]);
    match args[0].as_str() {
        "equivalence" => {
            equivalence_f32(group.clone(), Norm::None);
            equivalence_f32(group.clone(), Norm::BatchNorm);
            equivalence_f64(group);
        }
        "bad-world-size" => bad_world_size(group),
        "kill" => kill_rank_one(&dir(), d),
        "resume" => {
            let state = train_to(&dir(), 4, Some(d));
            assert_replicas_equal(&*group, &state);
            if rank == 0 {
                check_resumed(&dir(), &state, 4);
            }
        }
        other => panic!("unknown scenario `{other}`"),
    }
    if rank == 0 {
        println!("scenario {} passed on {world_size} ranks", args[0]);
    }
}

/// Trains 2 of 4 epochs writing checkpoints into `dir`, then rank 1 dies
/// (SIGABRT) while rank 0 goes on into epoch 3 and waits for it in the
/// gradient all-reduce: mpirun must end the job.
fn kill_rank_one(dir: &Path, d: Distributed) {
    let rank = d.rank();
    let (train, test) = data();
    let mut trainer = trainer(Norm::None, 4, Some(dir), Some(d)).unwrap();
    trainer.run_epoch(&train, None, &test).unwrap();
    trainer.run_epoch(&train, None, &test).unwrap();
    // Rank 0 has written the epoch-2 checkpoint when it reaches the barrier.
    mpi::barrier();
    if rank == 1 {
        eprintln!("rank 1: dying on purpose after epoch 2");
        std::process::abort();
    }
    let _ = trainer.run_epoch(&train, None, &test);
    panic!("rank 0 finished epoch 3 without rank 1");
}

/// The MPI launcher and its arguments: `$MPIRUN` (default `mpirun`), with
/// `--oversubscribe` for OpenMPI (more ranks than cores in CI).
fn mpirun(np: usize) -> Command {
    let program = std::env::var("MPIRUN").unwrap_or_else(|_| "mpirun".into());
    let open_mpi = Command::new(&program)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("Open MPI"))
        .unwrap_or(false);
    let mut cmd = Command::new(program);
    if open_mpi {
        cmd.arg("--oversubscribe");
    }
    cmd.args(["-np", &np.to_string()])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("RAYON_NUM_THREADS", "1");
    cmd
}

/// Runs this binary on `np` ranks with `args`; `None` if it did not end
/// within [`JOB_TIMEOUT`] (the job is then killed).
fn job(np: usize, args: &[&str]) -> Option<(ExitStatus, Duration)> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = mpirun(np);
    cmd.arg(exe).args(args);
    eprintln!("launcher: {cmd:?}");
    let start = Instant::now();
    let mut child = cmd.spawn().expect("mpirun starts (is MPI installed?)");
    while start.elapsed() < JOB_TIMEOUT {
        if let Some(status) = child.try_wait().expect("waiting for mpirun") {
            return Some((status, start.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Runs a job that must succeed.
fn must_pass(np: usize, args: &[&str]) {
    match job(np, args) {
        Some((status, took)) => {
            assert!(status.success(), "{args:?} on {np} ranks failed: {status}");
            eprintln!("launcher: {args:?} on {np} ranks passed in {took:.1?}");
        }
        None => panic!("{args:?} on {np} ranks hung for {JOB_TIMEOUT:?}"),
    }
}

fn launcher() {
    must_pass(2, &["equivalence"]);
    must_pass(3, &["bad-world-size"]);

    // Kill a rank: an error, not a hang; then resume the 2-rank checkpoint
    // on 1 process.
    let dir = temp_dir("mpi-kill");
    let dir_arg = dir.to_str().expect("a UTF-8 temporary path");
    match job(2, &["kill", dir_arg]) {
        Some((status, took)) => {
            assert!(!status.success(), "the job with a killed rank succeeded");
            eprintln!("launcher: killed rank ended the job ({status}) after {took:.1?}");
        }
        None => panic!("the job with a killed rank hung for {JOB_TIMEOUT:?}"),
    }
    assert!(dir.join(LAST_FILE).exists(), "rank 0 wrote no checkpoint");
    must_pass(1, &["resume", dir_arg]);

    // And back: a 1-process checkpoint resumed on 2 ranks.
    let dir = temp_dir("mpi-1-to-2");
    train_to(&dir, 2, None);
    must_pass(
        2,
        &["resume", dir.to_str().expect("a UTF-8 temporary path")],
    );
    println!("mpi: all scenarios passed");
}
