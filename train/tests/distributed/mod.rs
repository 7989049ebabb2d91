//! Data-parallel training with the ranks as threads of this process
//! ([`ThreadGroup`]): the scenarios of `scenarios.rs`, which
//! `tests/mpi.rs` also runs under `mpirun` with feature `mpi`.

pub mod scenarios;

use scenarios::*;
use std::rc::Rc;
use synann_nn::distributed::{ProcessGroup, ThreadGroup};
use synann_train::distributed::{run_thread_ranks, BatchNormSync, Distributed};

/// Runs `f` on `world` ranks, each with its group as an `Rc`.
fn on_ranks(world: usize, f: impl Fn(Rc<dyn ProcessGroup>) + Sync) {
    ThreadGroup::run(world, |g| f(Rc::new(g)));
}

#[test]
fn two_and_four_ranks_train_as_one_process_without_batch_norm() {
    on_ranks(2, |g| equivalence_f32(g, Norm::None));
    on_ranks(4, |g| equivalence_f32(g, Norm::None));
}

#[test]
fn two_ranks_with_sync_batch_norm_train_as_one_process() {
    on_ranks(2, |g| equivalence_f32(g, Norm::BatchNorm));
}

#[test]
fn f64_steps_on_two_ranks_with_sync_batch_norm_match_to_1e_12() {
    on_ranks(2, equivalence_f64);
}

#[test]
fn a_world_size_that_does_not_divide_the_batch_is_an_error_at_start() {
    on_ranks(3, bad_world_size);
}

#[test]
fn a_two_rank_checkpoint_resumes_on_one_process_and_back() {
    let dir = temp_dir("ddp-2-to-1");
    ThreadGroup::run(2, |g| {
        let d = Distributed::new(Rc::new(g), BatchNormSync::PerRank);
        train_to(&dir, 2, Some(d));
    });
    let resumed = train_to(&dir, 4, None);
    check_resumed(&dir, &resumed, 4);

    let dir = temp_dir("ddp-1-to-2");
    train_to(&dir, 2, None);
    let states = ThreadGroup::run(2, |g| {
        let d = Distributed::new(Rc::new(g), BatchNormSync::PerRank);
        train_to(&dir, 4, Some(d))
    });
    check_resumed(&dir, &states[0], 4);
    assert_eq!(states[0], states[1]);
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[test]
fn thread_ranks_with_a_pool_each_train_as_one_process() {
    let pools = run_thread_ranks(2, 1, BatchNormSync::PerRank, |d| {
        // Each rank's kernels run on its own one-thread pool.
        let threads = synann_tensor::parallel::num_threads();
        equivalence_f32(d.group().clone(), Norm::None);
        Ok::<_, AnyError>(threads)
    })
    .unwrap();
    assert_eq!(pools, vec![1, 1]);
}

#[test]
fn an_error_on_one_thread_rank_stops_the_others() {
    // Rank 0 trains and would wait for rank 1 at its first all-reduce
    // forever; rank 1 fails before it.
    let result = run_thread_ranks(2, 1, BatchNormSync::PerRank, |d| {
        if d.rank() == 1 {
            return Err(AnyError::from("rank 1 cannot read its data"));
        }
        let (train, test) = data();
        let mut t = trainer(Norm::None, 1, None, Some(d))?;
        t.fit(&train, None, &test)?;
        Ok(())
    });
    let err = result.expect_err("rank 1's error");
    assert_eq!(err.to_string(), "rank 1 cannot read its data");
}
