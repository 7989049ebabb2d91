//! The parallel regions of `synann_tensor::parallel`, with the workers
//! polling between regions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use synann_tensor::parallel::{for_each_block, set_worker_spin, with_threads, DEFAULT_WORKER_SPIN};

/// Waits until `flag` is set, for at most `limit`; whether it was set.
fn wait_for(flag: &AtomicBool, limit: Duration) -> bool {
    let start = Instant::now();
    while !flag.load(Ordering::Acquire) {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

#[test]
fn a_polling_worker_takes_its_share_of_the_next_region() {
    // The workers poll for a minute after each region. Each region has two
    // blocks, and the first (which the calling thread runs) waits for the
    // second to start: it can only start on the other thread, so every
    // region after the first finds that thread polling, and it must leave
    // its polling at once for the region's block, not a minute later.
    set_worker_spin(Duration::from_secs(60));
    let regions_done = with_threads(2, || {
        (0..5)
            .filter(|_| {
                let second_started = AtomicBool::new(false);
                let mut waited = [true; 2];
                for_each_block(&mut waited, 1, usize::MAX, |block, w| {
                    if block == 1 {
                        second_started.store(true, Ordering::Release);
                    } else {
                        w[0] = wait_for(&second_started, Duration::from_secs(10));
                    }
                });
                waited[0]
            })
            .count()
    })
    .expect("a pool of 2 threads");
    set_worker_spin(DEFAULT_WORKER_SPIN);
    assert_eq!(
        regions_done, 5,
        "regions whose second block ran alongside the first"
    );
}

#[test]
fn regions_give_the_same_results_with_and_without_polling() {
    let run = |spin| {
        set_worker_spin(spin);
        with_threads(2, || {
            let mut out = vec![0u64; 4096];
            for round in 0..50u64 {
                for_each_block(&mut out, 256, usize::MAX, |b, chunk| {
                    for (i, v) in chunk.iter_mut().enumerate() {
                        *v += round * (b * 256 + i) as u64;
                    }
                });
            }
            out
        })
        .expect("a pool of 2 threads")
    };
    let polling = run(DEFAULT_WORKER_SPIN);
    let idling = run(Duration::ZERO);
    set_worker_spin(DEFAULT_WORKER_SPIN);
    assert_eq!(polling, idling);
    assert_eq!(polling[4095], 4095 * (0..50).sum::<u64>());
}

#[test]
fn filled_writes_every_element_in_blocks_or_not() {
    use synann_tensor::parallel::filled;
    for len in [0, 1, 17, 1000, 4099] {
        for block in [0, 1, 7, 1000, 5000] {
            // Work below and above the parallel threshold, on two threads.
            for work in [0, 1 << 24] {
                let v = with_threads(2, || filled(len, 2.5f32, block, work)).unwrap();
                assert_eq!(v.len(), len);
                assert!(
                    v.iter().all(|&x| x == 2.5),
                    "len {len}, block {block}, work {work}"
                );
                let i = with_threads(2, || filled(len, 7usize, block, work)).unwrap();
                assert!(i.len() == len && i.iter().all(|&x| x == 7));
            }
        }
    }
}
