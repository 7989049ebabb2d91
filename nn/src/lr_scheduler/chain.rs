//! [`Chain`]: several schedulers side by side; the effective rate is the
//! smallest of theirs (see the [module docs](super) for why).

use super::{LrScheduler, SchedulerState, SchedulerStateError};

/// Runs several schedulers together and uses the minimum of their rates.
///
/// Each member steps every time the chain steps, with the metric when one is
/// given; members that do not watch a metric ignore it.
///
/// ```
/// use synann_nn::lr_scheduler::{Chain, ExponentialLR, LrScheduler, StepLR};
/// let mut s = Chain::new(vec![
///     Box::new(StepLR::new(1.0, 3, 0.1).unwrap()),
///     Box::new(ExponentialLR::new(1.0, 0.5)),
/// ]);
/// let lrs: Vec<f64> = (0..3).map(|_| s.step()).collect();
/// assert_eq!(lrs, [0.5, 0.25, 0.1]);
/// ```
pub struct Chain {
    members: Vec<Box<dyn LrScheduler>>,
}

impl Chain {
    /// Combines `members`; panics if there are none (the rate would be
    /// undefined).
    pub fn new(members: Vec<Box<dyn LrScheduler>>) -> Self {
        assert!(!members.is_empty(), "Chain: needs at least one scheduler");
        Chain { members }
    }

    /// The member schedulers.
    pub fn members(&self) -> &[Box<dyn LrScheduler>] {
        &self.members
    }
}

impl LrScheduler for Chain {
    fn step(&mut self) -> f64 {
        self.members.iter_mut().for_each(|m| {
            m.step();
        });
        self.get_last_lr()
    }

    fn step_with(&mut self, metric: f64) -> f64 {
        self.members.iter_mut().for_each(|m| {
            m.step_with(metric);
        });
        self.get_last_lr()
    }

    fn get_last_lr(&self) -> f64 {
        self.members
            .iter()
            .map(|m| m.get_last_lr())
            .fold(f64::INFINITY, f64::min)
    }

    fn state_dict(&self) -> SchedulerState {
        SchedulerState::Chain(self.members.iter().map(|m| m.state_dict()).collect())
    }

    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), SchedulerStateError> {
        let SchedulerState::Chain(states) = state else {
            return Err(SchedulerStateError::KindMismatch {
                expected: "Chain".to_string(),
                found: state.kind().to_string(),
            });
        };
        if states.len() != self.members.len() {
            return Err(SchedulerStateError::ChainLength {
                expected: self.members.len(),
                found: states.len(),
            });
        }
        // Check every member first so that a failure changes nothing.
        let before: Vec<SchedulerState> = self.members.iter().map(|m| m.state_dict()).collect();
        for (i, (m, s)) in self.members.iter_mut().zip(states).enumerate() {
            if let Err(e) = m.load_state_dict(s) {
                for (m, old) in self.members.iter_mut().zip(&before).take(i) {
                    m.load_state_dict(old)
                        .expect("restoring a state it produced");
                }
                return Err(e);
            }
        }
        Ok(())
    }
}
