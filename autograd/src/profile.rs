//! Op timing: an opt-in record of how long each op's forward and backward
//! took, in the order they ran — the profile behind "where does a training
//! step spend its time?".
//!
//! [`profile_ops`] runs a closure with the recorder on and returns its
//! result together with one [`OpEvent`] per forward and per backward call
//! made on this thread. Off (the default) it costs one thread-local flag
//! read per op.
//!
//! ```
//! use synann_autograd::profile::{profile_ops, Phase};
//! use synann_autograd::Var;
//! use synann_tensor::Tensor;
//! let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, -2.0], &[2]));
//! let ((), events) = profile_ops(|| x.relu().sum_all().backward());
//! let names: Vec<_> = events.iter().map(|e| (e.name.as_str(), e.phase)).collect();
//! assert_eq!(
//!     names,
//!     [("relu", Phase::Forward), ("sum", Phase::Forward),
//!      ("sum", Phase::Backward), ("relu", Phase::Backward)]
//! );
//! ```

pub use crate::anomaly::Phase;
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static EVENTS: RefCell<Vec<OpEvent>> = const { RefCell::new(Vec::new()) };
}

/// One timed call of an op's forward or backward.
#[derive(Clone, Debug, PartialEq)]
pub struct OpEvent {
    /// The op's `Function::name`.
    pub name: String,
    /// Forward or backward.
    pub phase: Phase,
    /// Wall time of the call.
    pub time: Duration,
}

/// Runs `f` with op timing on and returns its result and the ops' calls in
/// the order they ran. Calls nest: an inner `profile_ops` takes the events
/// of its own closure only.
///
/// If `f` panics, the recorder is put back as it was (off, or the outer
/// call's events) while the panic unwinds, so a caught panic does not
/// leave the thread timing every op.
pub fn profile_ops<R>(f: impl FnOnce() -> R) -> (R, Vec<OpEvent>) {
    let mut guard = RecorderGuard {
        was_on: ON.with(|on| on.replace(true)),
        outer: EVENTS.with(|e| std::mem::take(&mut *e.borrow_mut())),
    };
    let r = f();
    let outer = std::mem::take(&mut guard.outer);
    let events = EVENTS.with(|e| std::mem::replace(&mut *e.borrow_mut(), outer));
    (r, events)
}

/// Restores the recorder's state when [`profile_ops`] ends, normally or by
/// a panic (like `NoGradGuard` for gradient recording).
struct RecorderGuard {
    was_on: bool,
    /// The events of the enclosing `profile_ops`, put back on a panic.
    outer: Vec<OpEvent>,
}

impl Drop for RecorderGuard {
    fn drop(&mut self) {
        ON.with(|on| on.set(self.was_on));
        if std::thread::panicking() {
            let outer = std::mem::take(&mut self.outer);
            EVENTS.with(|e| *e.borrow_mut() = outer);
        }
    }
}

/// The start of an op call when the recorder is on (`None` when off, the
/// default: then timing costs this one flag read).
pub(crate) fn start() -> Option<Instant> {
    ON.with(Cell::get).then(Instant::now)
}

/// Records the op call begun at `start` (if it was timed) as `name`'s
/// `phase`.
pub(crate) fn finish(start: Option<Instant>, name: &str, phase: Phase) {
    if let Some(start) = start {
        let time = start.elapsed();
        let name = name.to_string();
        EVENTS.with(|e| e.borrow_mut().push(OpEvent { name, phase, time }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Var;
    use synann_tensor::Tensor;

    fn relu_step() {
        let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, -2.0], &[2]));
        x.relu().sum_all().backward();
    }

    #[test]
    fn nested_calls_take_their_own_events() {
        let ((inner, ()), outer) = profile_ops(|| {
            let inner = profile_ops(relu_step).1;
            relu_step();
            (inner, ())
        });
        assert_eq!(inner.len(), 4);
        assert_eq!(outer.len(), 4, "the outer call sees only its own ops");
        // Off again afterwards: nothing is recorded.
        relu_step();
        assert!(EVENTS.with(|e| e.borrow().is_empty()));
        assert!(!ON.with(Cell::get));
    }

    #[test]
    fn a_panic_leaves_the_recorder_as_it_was() {
        let ((), outer) = profile_ops(|| {
            relu_step();
            let caught = std::panic::catch_unwind(|| {
                profile_ops(|| {
                    relu_step();
                    panic!("inside the profiled closure")
                })
            });
            assert!(caught.is_err());
            // Still on for the outer call, with its own events kept.
            assert!(ON.with(Cell::get));
        });
        assert_eq!(outer.len(), 4, "the inner call's events are dropped");
        let caught = std::panic::catch_unwind(|| profile_ops(|| panic!("outermost")));
        assert!(caught.is_err());
        assert!(!ON.with(Cell::get), "off again after a panic");
        relu_step();
        assert!(EVENTS.with(|e| e.borrow().is_empty()));
    }
}
