//! The repetition protocol: warm up, then repeat until both a minimum number
//! of repetitions and a minimum wall time are reached, and summarise with
//! the median (robust to the occasional slow repetition of a shared
//! machine) and the minimum (the best the code can do).

use serde::Serialize;
use std::time::{Duration, Instant};

/// How many times a case runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Protocol {
    /// Untimed repetitions first (caches, allocator, thread pool).
    pub warmup: usize,
    /// Timed repetitions: at least this many...
    pub reps_min: usize,
    /// ...and at least this much wall time in total.
    pub min_time: Duration,
}

impl Protocol {
    /// The default protocol: 3 warm-up repetitions, then at least 5
    /// repetitions and 2 s.
    pub fn standard() -> Self {
        Protocol {
            warmup: 3,
            reps_min: 5,
            min_time: Duration::from_secs(2),
        }
    }

    /// The protocol for a heavy case (hundreds of ms or more per
    /// repetition): one warm-up and at least 3 repetitions, same time.
    pub fn heavy(self) -> Self {
        Protocol {
            warmup: self.warmup.min(1),
            reps_min: self.reps_min.min(3),
            ..self
        }
    }
}

/// The statistics of one timed case, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// The median repetition.
    pub median_ms: f64,
    /// The fastest repetition.
    pub min_ms: f64,
    /// The slowest repetition.
    pub max_ms: f64,
    /// How many repetitions were timed.
    pub reps: usize,
}

impl Timing {
    /// The statistics of `samples_ms` (at least one sample).
    ///
    /// ```
    /// use synann_examples::bench::Timing;
    /// let t = Timing::from_samples(&[3.0, 1.0, 2.0, 10.0]);
    /// assert_eq!((t.median_ms, t.min_ms, t.max_ms, t.reps), (2.5, 1.0, 10.0, 4));
    /// ```
    pub fn from_samples(samples_ms: &[f64]) -> Self {
        assert!(!samples_ms.is_empty(), "Timing: no samples");
        let mut sorted = samples_ms.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median_ms = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Timing {
            median_ms,
            min_ms: sorted[0],
            max_ms: sorted[n - 1],
            reps: n,
        }
    }
}

/// Runs `step` under `protocol` and returns the statistics of the timed
/// repetitions.
pub fn measure(protocol: &Protocol, mut step: impl FnMut()) -> Timing {
    for _ in 0..protocol.warmup {
        step();
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < protocol.reps_min.max(1) || start.elapsed() < protocol.min_time {
        let t0 = Instant::now();
        step();
        samples.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    Timing::from_samples(&samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Timing::from_samples(&[5.0, 1.0, 3.0]).median_ms, 3.0);
        assert_eq!(Timing::from_samples(&[4.0, 1.0, 3.0, 2.0]).median_ms, 2.5);
        assert_eq!(Timing::from_samples(&[7.0]).median_ms, 7.0);
    }

    #[test]
    fn measure_runs_warmup_plus_at_least_reps_min() {
        let protocol = Protocol {
            warmup: 2,
            reps_min: 4,
            min_time: Duration::ZERO,
        };
        let mut calls = 0;
        let t = measure(&protocol, || calls += 1);
        assert_eq!(t.reps, 4);
        assert_eq!(calls, 6);
        assert!(t.min_ms <= t.median_ms && t.median_ms <= t.max_ms);
    }

    #[test]
    fn measure_keeps_going_until_the_minimum_time() {
        let protocol = Protocol {
            warmup: 0,
            reps_min: 1,
            min_time: Duration::from_millis(20),
        };
        let t = measure(&protocol, || std::thread::sleep(Duration::from_millis(2)));
        // Each repetition sleeps ≥ 2 ms, so reaching 20 ms takes several.
        assert!(t.reps >= 2, "only {} repetitions", t.reps);
        assert!(t.min_ms >= 2.0);
    }

    #[test]
    fn heavy_protocol_lowers_counts_but_keeps_the_time() {
        let h = Protocol::standard().heavy();
        assert_eq!((h.warmup, h.reps_min), (1, 3));
        assert_eq!(h.min_time, Protocol::standard().min_time);
    }
}
