//! Anomaly detection: an opt-in mode, like `torch.autograd.detect_anomaly`,
//! that stops at the first non-finite value produced by an op's forward or
//! backward and names the op, the layer (set with [`set_context`]) and the
//! training step (set with [`set_step`]).
//!
//! Two ways to run it:
//!
//! - [`detect_anomaly`] panics at the first non-finite value (for tests and
//!   debugging sessions);
//! - [`catch_anomaly`] lets the computation run to its end and returns the
//!   first [`Anomaly`] as an error (for training loops, which then stop with
//!   a one-line message instead of a panic).
//!
//! Off by default: checking every element of every tensor costs a pass over
//! memory. Training loops always check the loss and the gradients themselves.
//!
//! ```
//! use synann_autograd::anomaly::{catch_anomaly, set_context, set_step, Phase};
//! use synann_autograd::Var;
//! use synann_tensor::Tensor;
//! let x = Var::requiring_grad(Tensor::from_vec(vec![0.0f64], &[1]));
//! let err = catch_anomaly(|| {
//!     set_step(1, 3);
//!     set_context("Head");
//!     x.sqrt().sum_all().backward(); // d√x/dx = 1/(2√x) is +∞ at 0
//! })
//! .unwrap_err();
//! assert_eq!((err.op.as_str(), err.phase), ("sqrt", Phase::Backward));
//! assert_eq!(err.layer.as_deref(), Some("Head"));
//! assert_eq!(err.step, Some((1, 3)));
//! ```

use crate::function::{BackwardCtx, Function};
use std::cell::{Cell, RefCell};
use std::fmt;
use synann_tensor::{Float, Tensor};

/// What happens at a non-finite value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detect {
    Off,
    Panic,
    Record,
}

thread_local! {
    static MODE: Cell<Detect> = const { Cell::new(Detect::Off) };
    static CONTEXT: RefCell<String> = const { RefCell::new(String::new()) };
    static STEP: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
    static FIRST: RefCell<Option<Anomaly>> = const { RefCell::new(None) };
}

/// Whether the non-finite value came from a forward or a backward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The op's output.
    Forward,
    /// A gradient the op's backward returned for one of its inputs.
    Backward,
}

/// The first non-finite value found: which op, where in the tensor, in
/// which layer and at which training step.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// The op's [`Function::name`].
    pub op: String,
    /// Forward or backward.
    pub phase: Phase,
    /// The value (NaN or ±∞), widened to f64.
    pub value: f64,
    /// Its flat (row-major) index.
    pub index: usize,
    /// The shape of the tensor holding it.
    pub shape: Vec<usize>,
    /// The layer set with [`set_context`] when the op ran forward.
    pub layer: Option<String>,
    /// The (epoch, step) set with [`set_step`], if any.
    pub step: Option<(usize, usize)>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Forward => "forward",
            Phase::Backward => "backward",
        };
        write!(
            f,
            "anomaly detected: op `{}` produced a non-finite value ({}) in its {phase} \
             at flat index {} of shape {:?}",
            self.op, self.value, self.index, self.shape
        )?;
        if let Some(layer) = &self.layer {
            write!(f, " (in {layer})")?;
        }
        if let Some((epoch, step)) = self.step {
            write!(f, " at epoch {epoch}, step {step}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Anomaly {}

/// Sets `MODE` to `mode` for the life of the guard.
struct ModeGuard(Detect);

impl ModeGuard {
    fn set(mode: Detect) -> Self {
        ModeGuard(MODE.with(|m| m.replace(mode)))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        MODE.with(|m| m.set(self.0));
    }
}

/// Runs `f` with anomaly detection on (on this thread): the first op whose
/// forward output or backward gradient holds a NaN or an infinity panics
/// with the [`Anomaly`]'s message.
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    let _mode = ModeGuard::set(Detect::Panic);
    f()
}

/// Runs `f` with anomaly detection on (on this thread), recording instead
/// of panicking: `f` runs to its end (its values are non-finite from the
/// first anomaly on) and the first [`Anomaly`] is returned as the error.
/// Anomalies recorded by an enclosing `catch_anomaly` are kept.
pub fn catch_anomaly<R>(f: impl FnOnce() -> R) -> Result<R, Anomaly> {
    let outer = FIRST.with(|s| s.borrow_mut().take());
    let result = {
        let _mode = ModeGuard::set(Detect::Record);
        f()
    };
    let first = FIRST.with(|s| std::mem::replace(&mut *s.borrow_mut(), outer));
    match first {
        Some(anomaly) => Err(anomaly),
        None => Ok(result),
    }
}

/// Whether anomaly detection is on.
pub fn is_anomaly_enabled() -> bool {
    MODE.with(|m| m.get()) != Detect::Off
}

/// Sets the name of the layer now running (e.g. `Linear(784, 10)`),
/// included in anomaly reports of the ops it records. Layers call this in
/// their forward when anomaly detection is on.
pub fn set_context(layer: impl Into<String>) {
    CONTEXT.with(|c| *c.borrow_mut() = layer.into());
}

/// Sets the 1-based (epoch, step) included in anomaly reports; training
/// loops call this before each step when anomaly detection is on.
pub fn set_step(epoch: usize, step: usize) {
    STEP.with(|s| s.set(Some((epoch, step))));
}

/// Clears the layer and the step set with [`set_context`] and
/// [`set_step`].
pub fn clear_context() {
    CONTEXT.with(|c| c.borrow_mut().clear());
    STEP.with(|s| s.set(None));
}

fn current_layer() -> Option<String> {
    CONTEXT.with(|c| {
        let c = c.borrow();
        (!c.is_empty()).then(|| c.clone())
    })
}

fn report<T: Float>(phase: Phase, op: &str, layer: Option<String>, t: &Tensor<T>) {
    let index = t.data().iter().position(|v| !v.is_finite()).unwrap_or(0);
    let anomaly = Anomaly {
        op: op.to_string(),
        phase,
        value: t.data().get(index).map_or(f64::NAN, |v| v.to_f64()),
        index,
        shape: t.shape().to_vec(),
        layer,
        step: STEP.with(|s| s.get()),
    };
    if MODE.with(|m| m.get()) == Detect::Panic {
        panic!("{anomaly}");
    }
    FIRST.with(|s| {
        s.borrow_mut().get_or_insert(anomaly);
    });
}

pub(crate) fn check_forward<T: Float>(op: &str, t: &Tensor<T>) {
    if is_anomaly_enabled() && !t.all_finite() {
        report(Phase::Forward, op, current_layer(), t)
    }
}

pub(crate) fn check_backward<T: Float>(op: &str, t: &Tensor<T>) {
    if is_anomaly_enabled() && !t.all_finite() {
        // Ops recorded inside a layer were wrapped by `in_layer` and have
        // reported already; the current context would name the wrong layer.
        report(Phase::Backward, op, None, t)
    }
}

/// Wraps an op being recorded so that its backward reports the layer that
/// was current when it ran forward (by backward time, the context names the
/// last layer run). Only used while anomaly detection is on.
pub(crate) fn in_layer<T: Float>(op: Box<dyn Function<T>>) -> Box<dyn Function<T>> {
    match current_layer() {
        Some(layer) if is_anomaly_enabled() => Box::new(InLayer { op, layer }),
        _ => op,
    }
}

/// An op and the layer it ran in.
struct InLayer<T: Float> {
    op: Box<dyn Function<T>>,
    layer: String,
}

impl<T: Float> Function<T> for InLayer<T> {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        self.op.forward(inputs)
    }

    /// The op's backward, whose gradients are checked here, with the
    /// recorded layer, before the engine's own (layer-less) check sees them.
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let grads = self.op.backward(ctx);
        if is_anomaly_enabled() {
            for g in grads.iter().flatten() {
                if !g.all_finite() {
                    report(Phase::Backward, self.op.name(), Some(self.layer.clone()), g);
                    break;
                }
            }
        }
        grads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Var;

    fn leaf(v: f64) -> Var<f64> {
        Var::requiring_grad(Tensor::from_vec(vec![v], &[1]))
    }

    #[test]
    fn catch_anomaly_keeps_the_first_and_restores_the_mode() {
        clear_context();
        let ok = catch_anomaly(|| leaf(4.0).sqrt().value().item());
        assert_eq!(ok, Ok(2.0));
        let err = catch_anomaly(|| {
            set_context("First");
            let y = leaf(0.0).sqrt().mul_scalar(f64::INFINITY); // 0·∞ = NaN
            set_context("Second");
            y.exp().value().item()
        })
        .unwrap_err();
        assert_eq!(err.op, y_op_name());
        assert_eq!(err.layer.as_deref(), Some("First"));
        assert!(err.value.is_nan() && err.step.is_none());
        assert!(!is_anomaly_enabled());
        clear_context();
    }

    /// The name of `mul_scalar`'s op, whatever it is called.
    fn y_op_name() -> String {
        let x = leaf(1.0);
        x.mul_scalar(2.0).op_name().unwrap()
    }

    #[test]
    fn detect_anomaly_panics_with_the_op_the_layer_and_the_step() {
        clear_context();
        let message = std::panic::catch_unwind(|| {
            detect_anomaly(|| {
                set_step(2, 7);
                set_context("Head");
                leaf(1.0).mul_scalar(f64::NAN)
            })
        })
        .unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.starts_with("anomaly detected: op `"), "{message}");
        assert!(
            message.ends_with("(in Head) at epoch 2, step 7"),
            "{message}"
        );
        assert!(!is_anomaly_enabled(), "the mode is restored after a panic");
        clear_context();
    }
}
