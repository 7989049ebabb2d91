//! Anomaly detection: an opt-in mode, like `torch.autograd.detect_anomaly`,
//! that stops at the first non-finite value produced by an op's forward or
//! backward and names the op and the module it ran in.
//!
//! Two ways to run it:
//!
//! - [`detect_anomaly`] panics at the first non-finite value (for tests and
//!   debugging sessions);
//! - [`catch_anomaly`] lets the computation run to its end and returns the
//!   first [`Anomaly`] as an error (for training loops, which then stop with
//!   a one-line message instead of a panic, adding their own epoch and step).
//!
//! **Where an op ran.** Modules say where the computation is with scope
//! guards, which restore the outer context when dropped (like
//! [`NoGradGuard`](crate::NoGradGuard)): a container names each child it
//! runs with [`enter_module`] (its field name, `fc1`, or its index in a
//! sequence, `0`), and the nested names form a dotted path, PyTorch's
//! module names (`rnn.cell`); a layer describes itself with
//! [`describe_module`] (`Linear(320, 64)`). An anomaly carries both: the
//! path of the innermost named module and the description of the module
//! running at that path.
//!
//! Off by default: checking every element of every tensor costs a pass over
//! memory. Training loops always check the loss and the gradients themselves.
//!
//! ```
//! use synann_autograd::anomaly::{catch_anomaly, describe_module, enter_module, Phase};
//! use synann_autograd::Var;
//! use synann_tensor::Tensor;
//! let x = Var::requiring_grad(Tensor::from_vec(vec![0.0f64], &[1]));
//! let err = catch_anomaly(|| {
//!     let y = {
//!         let _head = enter_module("head");
//!         let _layer = describe_module(|| "Sqrt".to_string());
//!         x.sqrt() // d√x/dx = 1/(2√x) is +∞ at 0
//!     };
//!     y.sum_all().backward(); // outside the scopes: the op keeps its own
//! })
//! .unwrap_err();
//! assert_eq!((err.op.as_str(), err.phase), ("sqrt", Phase::Backward));
//! assert_eq!(err.module_path.as_deref(), Some("head"));
//! assert_eq!(err.layer.as_deref(), Some("Sqrt"));
//! ```

use crate::function::{BackwardCtx, Function, InPlaceCtx};
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

/// One entry of the stack of module scopes.
enum Frame {
    /// A path segment pushed by [`enter_module`].
    Module(String),
    /// A module's description pushed by [`describe_module`] (`None` when
    /// anomaly detection was off, as nothing reads it then).
    Description(Option<String>),
}

thread_local! {
    static MODE: Cell<Detect> = const { Cell::new(Detect::Off) };
    static SCOPES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
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

/// The first non-finite value found: which op, where in the tensor and in
/// which module.
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
    /// The dotted path of the module the op ran forward in (`fc1`,
    /// `rnn.cell`), from the [`enter_module`] scopes open at the time;
    /// `None` outside every named module (the model's own ops).
    pub module_path: Option<String>,
    /// What that module is (`Linear(320, 64)`), from its
    /// [`describe_module`] scope, if it has one.
    pub layer: Option<String>,
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
        match (&self.module_path, &self.layer) {
            (Some(path), Some(layer)) => write!(f, " (in {path}: {layer})"),
            (Some(path), None) => write!(f, " (in {path})"),
            (None, Some(layer)) => write!(f, " (in {layer})"),
            (None, None) => Ok(()),
        }
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

/// A module scope: while it lives, ops are reported in the module it
/// entered or described; dropping it restores the context from before
/// (on this thread). Returned by [`enter_module`] and [`describe_module`];
/// scopes must be dropped in the reverse order of their creation, which
/// holding each in a local variable (`let _scope = …;`) guarantees.
#[must_use = "the scope ends when this guard is dropped"]
pub struct ModuleScope {
    /// The depth of the stack of scopes before this one.
    depth: usize,
}

impl ModuleScope {
    fn push(frame: Frame) -> Self {
        SCOPES.with(|s| {
            let mut scopes = s.borrow_mut();
            let depth = scopes.len();
            scopes.push(frame);
            ModuleScope { depth }
        })
    }
}

impl Drop for ModuleScope {
    fn drop(&mut self) {
        SCOPES.with(|s| s.borrow_mut().truncate(self.depth));
    }
}

/// Enters the child module `name` (a field name such as `fc1`, or an
/// index such as `0` in a sequence) until the returned scope is dropped:
/// nested names form the dotted path reported with anomalies, `rnn.cell`.
/// Containers call it around each child's forward.
///
/// ```
/// use synann_autograd::anomaly::{current_module_path, enter_module};
/// let _rnn = enter_module("rnn");
/// {
///     let _cell = enter_module("cell");
///     assert_eq!(current_module_path().as_deref(), Some("rnn.cell"));
/// }
/// assert_eq!(current_module_path().as_deref(), Some("rnn"));
/// ```
pub fn enter_module(name: impl Into<String>) -> ModuleScope {
    ModuleScope::push(Frame::Module(name.into()))
}

/// Describes the module now running (`Linear(320, 64)`), at the current
/// path, until the returned scope is dropped. Layers call it at the start
/// of their forward. `describe` only runs while anomaly detection is on,
/// since only anomaly reports read the description.
pub fn describe_module(describe: impl FnOnce() -> String) -> ModuleScope {
    let description = is_anomaly_enabled().then(describe);
    ModuleScope::push(Frame::Description(description))
}

/// The dotted path of the named modules entered on this thread
/// ([`enter_module`]), or `None` outside all of them.
pub fn current_module_path() -> Option<String> {
    current_location().module_path
}

/// Where an op runs: the module path and the module's description.
#[derive(Clone, Debug, Default, PartialEq)]
struct Location {
    module_path: Option<String>,
    layer: Option<String>,
}

impl Location {
    fn is_known(&self) -> bool {
        self.module_path.is_some() || self.layer.is_some()
    }
}

/// The current path, and the description given at that path (the last one
/// after the last path segment; a description from an outer module does
/// not describe its children).
fn current_location() -> Location {
    SCOPES.with(|s| {
        let scopes = s.borrow();
        let names: Vec<&str> = scopes
            .iter()
            .filter_map(|frame| match frame {
                Frame::Module(name) => Some(name.as_str()),
                Frame::Description(_) => None,
            })
            .collect();
        let layer = scopes
            .iter()
            .rev()
            .take_while(|frame| matches!(frame, Frame::Description(_)))
            .find_map(|frame| match frame {
                Frame::Description(description) => description.clone(),
                Frame::Module(_) => None,
            });
        Location {
            module_path: (!names.is_empty()).then(|| names.join(".")),
            layer,
        }
    })
}

fn report<T: Float>(phase: Phase, op: &str, location: Location, t: &Tensor<T>) {
    let index = t.data().iter().position(|v| !v.is_finite()).unwrap_or(0);
    let anomaly = Anomaly {
        op: op.to_string(),
        phase,
        value: t.data().get(index).map_or(f64::NAN, |v| v.to_f64()),
        index,
        shape: t.shape().to_vec(),
        module_path: location.module_path,
        layer: location.layer,
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
        report(Phase::Forward, op, current_location(), t)
    }
}

pub(crate) fn check_backward<T: Float>(op: &str, t: &Tensor<T>) {
    if is_anomaly_enabled() && !t.all_finite() {
        // Ops recorded inside a module were wrapped by `in_module` and have
        // reported already; the current scopes (those of the code calling
        // backward) would name the wrong module.
        report(Phase::Backward, op, Location::default(), t)
    }
}

/// Wraps an op being recorded so that its backward reports the module it
/// ran forward in (by backward time, those scopes are closed). Only used
/// while anomaly detection is on.
pub(crate) fn in_module<T: Float>(op: Box<dyn Function<T>>) -> Box<dyn Function<T>> {
    if !is_anomaly_enabled() {
        return op;
    }
    let location = current_location();
    if location.is_known() {
        Box::new(InModule { op, location })
    } else {
        op
    }
}

/// An op and the module it ran in.
struct InModule<T: Float> {
    op: Box<dyn Function<T>>,
    location: Location,
}

impl<T: Float> Function<T> for InModule<T> {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        self.op.forward(inputs)
    }

    /// The op's backward, whose gradients are checked here, with the
    /// recorded module, before the engine's own (module-less) check sees
    /// them.
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let grads = self.op.backward(ctx);
        if is_anomaly_enabled() {
            for g in grads.iter().flatten() {
                if !g.all_finite() {
                    report(Phase::Backward, self.op.name(), self.location.clone(), g);
                    break;
                }
            }
        }
        grads
    }

    fn backward_needs_output(&self) -> bool {
        self.op.backward_needs_output()
    }

    fn backward_needs_input(&self, i: usize) -> bool {
        self.op.backward_needs_input(i)
    }

    /// The op's in-place backward, its result checked as `backward`'s.
    fn backward_in_place(&self, ctx: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        let written = self.op.backward_in_place(ctx, grad);
        if written && is_anomaly_enabled() && !grad.all_finite() {
            report(Phase::Backward, self.op.name(), self.location.clone(), grad);
        }
        written
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
        let ok = catch_anomaly(|| leaf(4.0).sqrt().value().item());
        assert_eq!(ok, Ok(2.0));
        let err = catch_anomaly(|| {
            let y = {
                let _first = enter_module("first");
                leaf(0.0).sqrt().mul_scalar(f64::INFINITY) // 0·∞ = NaN
            };
            let _second = enter_module("second");
            y.exp().value().item()
        })
        .unwrap_err();
        assert_eq!(err.op, y_op_name());
        assert_eq!(err.module_path.as_deref(), Some("first"));
        assert!(err.value.is_nan() && err.layer.is_none());
        assert!(!is_anomaly_enabled());
        assert_eq!(current_module_path(), None, "every scope was dropped");
    }

    /// The name of `mul_scalar`'s op, whatever it is called.
    fn y_op_name() -> String {
        let x = leaf(1.0);
        x.mul_scalar(2.0).op_name().unwrap()
    }

    #[test]
    fn detect_anomaly_panics_with_the_op_and_the_module() {
        let message = std::panic::catch_unwind(|| {
            detect_anomaly(|| {
                let _model = enter_module("head");
                let _layer = describe_module(|| "Scale(NaN)".to_string());
                leaf(1.0).mul_scalar(f64::NAN)
            })
        })
        .unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(message.starts_with("anomaly detected: op `"), "{message}");
        assert!(message.ends_with("(in head: Scale(NaN))"), "{message}");
        assert!(!is_anomaly_enabled(), "the mode is restored after a panic");
        assert_eq!(current_module_path(), None, "the scopes unwound too");
    }

    #[test]
    fn nested_scopes_form_dotted_paths_and_restore_the_outer_one() {
        assert_eq!(current_module_path(), None);
        let _rnn = enter_module("rnn");
        {
            let _cell = enter_module("cell");
            assert_eq!(current_module_path().as_deref(), Some("rnn.cell"));
            {
                let _inner = enter_module("0");
                assert_eq!(current_module_path().as_deref(), Some("rnn.cell.0"));
            }
            assert_eq!(current_module_path().as_deref(), Some("rnn.cell"));
        }
        assert_eq!(current_module_path().as_deref(), Some("rnn"));
    }

    #[test]
    fn a_description_applies_at_its_own_path_only() {
        let location = || {
            let l = current_location();
            (l.module_path, l.layer)
        };
        let found = catch_anomaly(|| {
            let _model = describe_module(|| "Net".to_string());
            assert_eq!(location(), (None, Some("Net".to_string())));
            {
                let _child = enter_module("fc1");
                // Entered but not (yet) described: the model's description
                // does not describe its child.
                assert_eq!(location(), (Some("fc1".to_string()), None));
                let _layer = describe_module(|| "Linear(4, 2)".to_string());
                assert_eq!(
                    location(),
                    (Some("fc1".to_string()), Some("Linear(4, 2)".to_string()))
                );
            }
            assert_eq!(location(), (None, Some("Net".to_string())));
        });
        assert!(found.is_ok());
    }

    #[test]
    fn descriptions_are_only_built_while_detection_is_on() {
        let built = Cell::new(0);
        let _off = describe_module(|| {
            built.set(built.get() + 1);
            "Off".to_string()
        });
        assert_eq!(built.get(), 0);
        let layer = catch_anomaly(|| {
            let _on = describe_module(|| {
                built.set(built.get() + 1);
                "On".to_string()
            });
            current_location().layer
        });
        assert_eq!((built.get(), layer), (1, Ok(Some("On".to_string()))));
    }
}
