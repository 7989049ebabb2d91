//! The [`Module`] trait: a layer or model with a forward pass, named
//! parameters and named buffers.
//!
//! Names follow PyTorch's dotted paths (`conv1.weight`, `bn.running_mean`),
//! built by each container prefixing its children's names with the field
//! name ([`prefixed`]). Parameters are leaf [`Var`]s that live across steps:
//! each forward builds a fresh graph on top of them and backward accumulates
//! into their gradients. Buffers (BatchNorm's running statistics and
//! `num_batches_tracked`) are state saved in the `state_dict` but never
//! trained; they are kept apart from the parameters.

use synann_autograd::Var;
use synann_tensor::Float;

/// Whether a forward pass trains (dropout active, batch statistics used and
/// running statistics updated) or evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training behaviour.
    Train,
    /// Evaluation behaviour.
    Eval,
}

impl Mode {
    /// Whether this is [`Mode::Train`].
    pub fn is_train(self) -> bool {
        self == Mode::Train
    }
}

/// A layer or a model.
pub trait Module<T: Float> {
    /// Applies the module to `x`.
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T>;

    /// The trainable tensors with their dotted names, in a stable order.
    fn named_parameters(&self) -> Vec<(String, Var<T>)>;

    /// The non-trainable state with dotted names (none by default).
    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }

    /// The parameters without their names.
    fn parameters(&self) -> Vec<Var<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    /// Clears every parameter's gradient.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// Number of scalar parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|p| p.value().numel()).sum()
    }
}

/// Prefixes each name with `prefix.`: how containers name their children.
pub fn prefixed<T: Float>(prefix: &str, named: Vec<(String, Var<T>)>) -> Vec<(String, Var<T>)> {
    named
        .into_iter()
        .map(|(n, v)| (format!("{prefix}.{n}"), v))
        .collect()
}
