//! Anomaly detection: an opt-in mode, like `torch.autograd.detect_anomaly`,
//! that stops at the first non-finite value produced by an op's forward or
//! backward and names the op (and the layer, when one is set with
//! [`set_context`]).
//!
//! Off by default: checking every element of every tensor costs a pass over
//! memory. Training loops always check the loss and the gradients themselves.

use std::cell::{Cell, RefCell};
use synann_tensor::{Float, Tensor};

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static CONTEXT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `f` with anomaly detection on (on this thread).
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    let previous = ENABLED.with(|e| e.replace(true));
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ENABLED.with(|e| e.set(self.0));
        }
    }
    let _restore = Restore(previous);
    f()
}

/// Whether anomaly detection is on.
pub fn is_anomaly_enabled() -> bool {
    ENABLED.with(|e| e.get())
}

/// Sets a description of where the computation is (a layer name, a step),
/// included in anomaly reports. Layers call this in their forward.
pub fn set_context(context: impl Into<String>) {
    CONTEXT.with(|c| *c.borrow_mut() = context.into());
}

fn report(phase: &str, op: &str, t: &Tensor<impl Float>) -> ! {
    let at = t.data().iter().position(|v| !v.is_finite()).unwrap_or(0);
    let context = CONTEXT.with(|c| c.borrow().clone());
    panic!(
        "anomaly detected: op `{op}` produced a non-finite value ({}) in its {phase} at flat index {at} of shape {:?}{}",
        t.data()[at],
        t.shape(),
        if context.is_empty() { String::new() } else { format!(" (in {context})") }
    )
}

pub(crate) fn check_forward<T: Float>(op: &str, t: &Tensor<T>) {
    if is_anomaly_enabled() && !t.all_finite() {
        report("forward", op, t)
    }
}

pub(crate) fn check_backward<T: Float>(op: &str, t: &Tensor<T>) {
    if is_anomaly_enabled() && !t.all_finite() {
        report("backward", op, t)
    }
}
