//! Optimizers: the rules that turn gradients into parameter updates.
//!
//! Every optimizer implements [`Optimizer`]: [`step`](Optimizer::step)
//! updates each parameter that has a gradient (parameters without one are
//! skipped, as in PyTorch), [`zero_grad`](Optimizer::zero_grad) clears the
//! gradients, [`lr`](Optimizer::lr)/[`set_lr`](Optimizer::set_lr) read and
//! change one parameter group's learning rate (what an
//! [`lr_scheduler`](crate::lr_scheduler) drives), and
//! [`state_dict`](Optimizer::state_dict)/[`load_state_dict`](Optimizer::load_state_dict)
//! save and restore everything needed to resume training.
//!
//! Parameters are organised in [`ParamGroup`]s, each with its own learning
//! rate and options (PyTorch's `param_groups`). Parameters are numbered
//! across groups in order (0, 1, 2, … through group 0, then group 1, …),
//! exactly like PyTorch's optimizer `state_dict`, and the saved state uses
//! those numbers.
//!
//! | file | contents |
//! |---|---|
//! | [`sgd`] | [`SGD`]: momentum, dampening, Nesterov, L2 weight decay |
//! | [`adam`] | [`Adam`]: bias-corrected moments, AMSGrad, L2 decay |
//! | [`adamw`] | [`AdamW`]: Adam with decoupled weight decay |
//! | [`clip`] | [`clip_grad_norm_`], [`clip_grad_value_`] |
//! | `groups` | the bookkeeping all three share: groups, per-parameter state, rates, the `state_dict` skeleton |
//! | [`state`] | [`OptimizerState`], the serialisable snapshot |
//! | [`error`] | [`ConfigError`], [`OptimizerStateError`] |
//!
//! ```
//! use synann_autograd::Var;
//! use synann_nn::optim::{Optimizer, SgdConfig, SGD};
//! use synann_tensor::Tensor;
//!
//! let w = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, -2.0], &[2]));
//! let mut opt = SGD::new(vec![w.clone()], 0.1, SgdConfig::default()).unwrap();
//! w.mul(&w).sum_all().backward(); // d/dw Σw² = 2w
//! opt.step();
//! assert_eq!(w.value().data(), &[0.8, -1.6]);
//! ```

pub mod adam;
pub mod adamw;
pub mod clip;
pub mod error;
mod groups;
pub mod sgd;
pub mod state;

pub use adam::{Adam, AdamConfig};
pub use adamw::AdamW;
pub use clip::{clip_grad_norm_, clip_grad_value_};
pub use error::{ConfigError, OptimizerStateError};
pub use sgd::{SgdConfig, SGD};
pub use state::{GroupState, OptimizerState, ParamState};

use synann_autograd::Var;
use synann_tensor::Float;

/// A set of parameters sharing one learning rate and one set of options
/// (PyTorch's `param_groups` entry).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::optim::{Optimizer, ParamGroup, SgdConfig, SGD};
/// use synann_tensor::Tensor;
///
/// let body = Var::requiring_grad(Tensor::<f32>::ones(&[3]));
/// let head = Var::requiring_grad(Tensor::<f32>::ones(&[2]));
/// let opt = SGD::with_groups(vec![
///     ParamGroup::new(vec![body], 0.01, SgdConfig::default()),
///     ParamGroup::new(vec![head], 0.1, SgdConfig::default().momentum(0.9)),
/// ])
/// .unwrap();
/// assert_eq!(opt.lr(1), 0.1);
/// ```
#[derive(Clone, Debug)]
pub struct ParamGroup<T: Float, C> {
    /// The parameters (leaf `Var`s) this group updates.
    pub params: Vec<Var<T>>,
    /// The learning rate.
    pub lr: f64,
    /// The optimizer's other options for this group.
    pub config: C,
}

impl<T: Float, C> ParamGroup<T, C> {
    /// A group of `params` with learning rate `lr` and options `config`.
    pub fn new(params: Vec<Var<T>>, lr: f64, config: C) -> Self {
        ParamGroup { params, lr, config }
    }
}

/// The interface shared by all optimizers.
pub trait Optimizer<T: Float> {
    /// Updates every parameter that has a gradient, once.
    fn step(&mut self);

    /// Clears the gradients of all parameters (PyTorch's
    /// `zero_grad(set_to_none=True)`).
    fn zero_grad(&self);

    /// Number of parameter groups.
    fn num_groups(&self) -> usize;

    /// The learning rate of group `group`; panics if there is no such group.
    fn lr(&self, group: usize) -> f64;

    /// Sets the learning rate of group `group` (what schedulers call).
    fn set_lr(&mut self, group: usize, lr: f64);

    /// Sets the learning rate of every group.
    fn set_lr_all(&mut self, lr: f64) {
        for g in 0..self.num_groups() {
            self.set_lr(g, lr);
        }
    }

    /// A snapshot of the optimizer: per-group options and per-parameter
    /// state (step counts, moment buffers).
    fn state_dict(&self) -> OptimizerState<T>;

    /// Restores a snapshot taken by [`Optimizer::state_dict`] on an
    /// optimizer of the same kind over parameters of the same shapes (the
    /// parameters themselves are not part of the state). Group options and
    /// learning rates are restored too, as in PyTorch.
    fn load_state_dict(&mut self, state: &OptimizerState<T>) -> Result<(), OptimizerStateError>;
}
