//! Batch statistics synchronised across the ranks of a data-parallel run:
//! the [`SyncBatchNorm`] layer, and [`with_sync_batch_norm`], which makes
//! every [`BatchNorm1d`](super::BatchNorm1d) and
//! [`BatchNorm2d`](super::BatchNorm2d) of a model behave as one
//! (PyTorch's `SyncBatchNorm.convert_sync_batchnorm`, without rebuilding
//! the model).
//!
//! In training, the mean and the variance are those of the union of the
//! ranks' batches (two all-reduces in the forward: the sums and the count,
//! then the squared deviations from the global mean), the running
//! statistics are updated with them (so they stay equal on every rank),
//! and the backward all-reduces the two per-channel sums that dL/dx needs.
//! With the same weights, rank r's outputs and input gradients are then
//! those of a single-process BatchNorm over the concatenated batch, rows
//! of rank r; the γ and β gradients are each rank's share, which the
//! data-parallel gradient all-reduce sums. In evaluation nothing is
//! reduced: the running statistics are used.

use super::{BatchNorm, BatchNormConfig};
use crate::distributed::ProcessGroup;
use crate::module::{Mode, Module};
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use synann_autograd::Var;
use synann_tensor::Float;

thread_local! {
    /// The group of the innermost [`with_sync_batch_norm`] on this thread.
    static SCOPED_GROUP: RefCell<Option<Rc<dyn ProcessGroup>>> = const { RefCell::new(None) };
}

/// The group BatchNorm1d/2d layers synchronise over on this thread, if
/// inside [`with_sync_batch_norm`].
pub(super) fn scoped_group() -> Option<Rc<dyn ProcessGroup>> {
    SCOPED_GROUP.with(|g| g.borrow().clone())
}

/// Restores the previous scoped group when dropped (also on panic).
struct Restore(Option<Rc<dyn ProcessGroup>>);

impl Drop for Restore {
    fn drop(&mut self) {
        SCOPED_GROUP.with(|g| *g.borrow_mut() = self.0.take());
    }
}

/// Runs `f` with every [`BatchNorm1d`](super::BatchNorm1d) and
/// [`BatchNorm2d`](super::BatchNorm2d) training forward on this thread
/// synchronised over `group`, as [`SyncBatchNorm`] layers: how a
/// distributed trainer turns on synchronised statistics for a model built
/// with plain BatchNorm layers. The backward of a forward run inside `f`
/// reduces over the same group wherever it runs.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::distributed::ThreadGroup;
/// use synann_nn::layers::{with_sync_batch_norm, BatchNorm1d};
/// use synann_nn::{Mode, Module};
/// use synann_tensor::Tensor;
/// use std::rc::Rc;
///
/// // Two ranks holding [1, 3] and [5, 7]: the mean is 4 on both.
/// let means = ThreadGroup::run(2, |group| {
///     let rank = synann_nn::distributed::ProcessGroup::rank(&group) as f64;
///     let mut bn = BatchNorm1d::<f64>::new(1);
///     let x = Var::constant(Tensor::from_vec(vec![1.0 + 4.0 * rank, 3.0 + 4.0 * rank], &[2, 1]));
///     with_sync_batch_norm(Rc::new(group), || bn.forward(&x, Mode::Train));
///     let mean = bn.running_mean.as_ref().unwrap().value().item();
///     mean
/// });
/// assert_eq!(means, vec![0.1 * 4.0; 2]);
/// ```
pub fn with_sync_batch_norm<R>(group: Rc<dyn ProcessGroup>, f: impl FnOnce() -> R) -> R {
    let previous = SCOPED_GROUP.with(|g| g.borrow_mut().replace(group));
    let _restore = Restore(previous);
    f()
}

/// Batch norm whose training statistics are those of the union of the
/// batches of every rank of a [`ProcessGroup`], PyTorch's
/// `nn.SyncBatchNorm`: inputs `[N, C, …]` (any rank ≥ 2), the same state
/// and names as [`BatchNorm1d`](super::BatchNorm1d) (it dereferences to
/// [`BatchNorm`]).
pub struct SyncBatchNorm<T: Float> {
    inner: BatchNorm<T>,
    group: Rc<dyn ProcessGroup>,
}

impl<T: Float> SyncBatchNorm<T> {
    /// A layer for `num_features` channels with PyTorch's defaults,
    /// synchronised over `group`.
    pub fn new(num_features: usize, group: Rc<dyn ProcessGroup>) -> Self {
        Self::with_config(num_features, BatchNormConfig::default(), group)
    }

    /// A layer with explicit settings.
    pub fn with_config(
        num_features: usize,
        config: BatchNormConfig,
        group: Rc<dyn ProcessGroup>,
    ) -> Self {
        SyncBatchNorm {
            inner: BatchNorm::new(num_features, config),
            group,
        }
    }
}

impl<T: Float> Deref for SyncBatchNorm<T> {
    type Target = BatchNorm<T>;
    fn deref(&self) -> &BatchNorm<T> {
        &self.inner
    }
}

impl<T: Float> DerefMut for SyncBatchNorm<T> {
    fn deref_mut(&mut self) -> &mut BatchNorm<T> {
        &mut self.inner
    }
}

impl<T: Float> Module<T> for SyncBatchNorm<T> {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let group = Some(self.group.clone());
        self.inner
            .forward_checked(x, mode, "SyncBatchNorm", &[2, 3, 4, 5], group)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.inner.named_parameters()
    }
    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        self.inner.named_buffers()
    }
}
