//! The collectives of a data-parallel step, as plain Rust around two
//! calls of the [`ProcessGroup`]: the fused gradient buffer
//! ([`FusedBuffer`], [`all_reduce_gradients`]) and the broadcast of a
//! model's state from rank 0 ([`broadcast_state`]).
//!
//! One all-reduce per step carries every gradient, in the order of
//! [`Module::parameters`] (the same on every rank), then one presence flag
//! per parameter (whether any rank has a gradient for it, so a parameter
//! no rank used keeps no gradient, as in one process), then the step's
//! statistics. The gradients are summed over the ranks and then divided by
//! the world size; the flags and statistics are only summed.

use synann_autograd::Var;
use synann_nn::distributed::{Collective, ProcessGroup};
use synann_nn::Module;
use synann_tensor::{Float, Tensor};

/// The gradients of a list of parameters packed into one buffer, followed
/// by their presence flags and extra values, for one all-reduce.
///
/// ```
/// use synann_autograd::Var;
/// use synann_tensor::Tensor;
/// use synann_train::distributed::FusedBuffer;
///
/// let a = Var::requiring_grad(Tensor::<f64>::zeros(&[2]));
/// let b = Var::requiring_grad(Tensor::<f64>::zeros(&[1]));
/// a.set_grad(Some(Tensor::from_vec(vec![2.0, 4.0], &[2])));
/// let params = [a.clone(), b.clone()];
/// let mut buffer = FusedBuffer::pack(&params, None, &[7.0]);
/// assert_eq!(buffer.values(), &[2.0, 4.0, 0.0, 1.0, 0.0, 7.0]);
/// // Two ranks with the same values: the sum doubles them.
/// buffer.values_mut().iter_mut().for_each(|v| *v *= 2.0);
/// let extras = buffer.unpack_mean(&params, 2);
/// assert_eq!(a.grad().unwrap().data(), &[2.0, 4.0]);
/// assert!(b.grad().is_none()); // no rank had a gradient for b
/// assert_eq!(extras, vec![14.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FusedBuffer<T: Float> {
    values: Vec<T>,
    /// The number of gradient values at the start of the buffer.
    gradients: usize,
    /// The number of parameters (one presence flag each).
    params: usize,
}

impl<T: Float> FusedBuffer<T> {
    /// Packs the gradients of `params` in order (zeros for a parameter
    /// without one), each multiplied by `weight` when given, then a
    /// presence flag per parameter (1 if it has a gradient), then `extras`.
    pub fn pack(params: &[Var<T>], weight: Option<f64>, extras: &[T]) -> Self {
        let gradients = params.iter().map(|p| p.value().numel()).sum();
        let mut values = Vec::with_capacity(gradients + params.len() + extras.len());
        for p in params {
            match p.grad() {
                Some(g) => match weight {
                    Some(w) => values.extend(g.data().iter().map(|&v| v * T::from_f64(w))),
                    None => values.extend_from_slice(g.data()),
                },
                None => values.extend(std::iter::repeat_n(T::ZERO, p.value().numel())),
            }
        }
        values.extend(
            params
                .iter()
                .map(|p| if p.grad().is_some() { T::ONE } else { T::ZERO }),
        );
        values.extend_from_slice(extras);
        FusedBuffer {
            values,
            gradients,
            params: params.len(),
        }
    }

    /// The packed values.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// The packed values, for the all-reduce to sum in place.
    pub fn values_mut(&mut self) -> &mut [T] {
        &mut self.values
    }

    /// After the sum over `world_size` ranks: sets the gradient of each
    /// parameter that some rank had a gradient for to the sum divided by
    /// `world_size` (the others keep none), and returns the summed extras.
    pub fn unpack_mean(self, params: &[Var<T>], world_size: usize) -> Vec<T> {
        let size = T::from_usize(world_size);
        let (gradients, rest) = self.values.split_at(self.gradients);
        let (present, extras) = rest.split_at(self.params);
        let mut offset = 0;
        for (p, &flag) in params.iter().zip(present) {
            let shape = p.shape();
            let n = p.value().numel();
            let grad = (flag > T::ZERO).then(|| {
                let mean = gradients[offset..offset + n]
                    .iter()
                    .map(|&v| v / size)
                    .collect();
                Tensor::from_vec(mean, &shape)
            });
            p.set_grad(grad);
            offset += n;
        }
        extras.to_vec()
    }
}

/// The statistics of one training step over the whole global batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStatistics {
    /// The mean loss over the global batch.
    pub loss: f64,
    /// Correct predictions in the global batch.
    pub correct: usize,
    /// Samples in the global batch.
    pub samples: usize,
}

/// Averages the gradients of `params` over the ranks of `group` in one
/// fused all-reduce (sum, then division by the world size), each rank's
/// gradient first multiplied by `weight` when given (uneven shards of a
/// last batch, see [`DistributedSampler::weight`](super::DistributedSampler::weight)),
/// and sums the step's statistics: this rank's shard has `samples`
/// samples, mean loss `loss` and `correct` correct predictions.
pub fn all_reduce_gradients<T: Collective>(
    params: &[Var<T>],
    group: &dyn ProcessGroup,
    weight: Option<f64>,
    loss: f64,
    correct: usize,
    samples: usize,
) -> StepStatistics {
    let extras = [
        T::from_f64(loss * samples as f64),
        T::from_usize(correct),
        T::from_usize(samples),
    ];
    let mut buffer = FusedBuffer::pack(params, weight, &extras);
    T::all_reduce_sum(group, buffer.values_mut());
    let sums = buffer.unpack_mean(params, group.world_size());
    let samples = sums[2].to_f64();
    StepStatistics {
        loss: sums[0].to_f64() / samples.max(1.0),
        correct: sums[1].to_f64().round() as usize,
        samples: samples.round() as usize,
    }
}

/// Replaces the parameters and buffers of `model` on every rank by those
/// of rank 0, in one broadcast: how a distributed run starts from one set
/// of weights whatever each rank initialised.
pub fn broadcast_state<T: Collective, M: Module<T> + ?Sized>(model: &M, group: &dyn ProcessGroup) {
    let vars: Vec<Var<T>> = model
        .named_parameters()
        .into_iter()
        .chain(model.named_buffers())
        .map(|(_, v)| v)
        .collect();
    broadcast_vars(&vars, group);
}

/// Replaces the values of `vars` on every rank by those of rank 0, in one
/// broadcast.
pub(crate) fn broadcast_vars<T: Collective>(vars: &[Var<T>], group: &dyn ProcessGroup) {
    if vars.is_empty() {
        return;
    }
    let mut values: Vec<T> = vars
        .iter()
        .flat_map(|v| v.value().data().to_vec())
        .collect();
    T::broadcast(group, &mut values, 0);
    let mut offset = 0;
    for v in vars {
        let mut value = v.value_mut();
        let n = value.numel();
        value
            .data_mut()
            .copy_from_slice(&values[offset..offset + n]);
        offset += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synann_nn::distributed::ThreadGroup;

    #[test]
    fn gradients_are_summed_then_divided_and_statistics_summed() {
        let out = ThreadGroup::run(2, |group| {
            let r = group.rank() as f64;
            let p = Var::requiring_grad(Tensor::<f64>::zeros(&[2]));
            p.set_grad(Some(Tensor::from_vec(vec![1.0 + r, 10.0 * r], &[2])));
            let stats = all_reduce_gradients(std::slice::from_ref(&p), &group, None, 0.5 + r, 3, 4);
            let grad = p.grad().unwrap().data().to_vec();
            (grad, stats)
        });
        for (grad, stats) in out {
            assert_eq!(grad, vec![1.5, 5.0]);
            // Losses 0.5 and 1.5 over 4 samples each: mean 1.0.
            assert_eq!(
                stats,
                StepStatistics {
                    loss: 1.0,
                    correct: 6,
                    samples: 8
                }
            );
        }
    }

    #[test]
    fn a_gradient_on_one_rank_only_is_averaged_with_zeros() {
        let out = ThreadGroup::run(2, |group| {
            let p = Var::requiring_grad(Tensor::<f32>::zeros(&[1]));
            if group.rank() == 1 {
                p.set_grad(Some(Tensor::from_vec(vec![4.0], &[1])));
            }
            all_reduce_gradients(std::slice::from_ref(&p), &group, None, 0.0, 0, 1);
            let grad = p.grad().map(|g| g.data().to_vec());
            grad
        });
        assert_eq!(out, vec![Some(vec![2.0]); 2]);
    }

    #[test]
    fn broadcast_state_copies_rank_zero() {
        let out = ThreadGroup::run(3, |group| {
            let mut model = synann_nn::layers::Sequential::<f32>::new();
            let mut rng = synann_tensor::random::seeded(group.rank() as u64);
            model.push(synann_nn::layers::Linear::new(
                3,
                2,
                synann_nn::layers::Bias::Yes,
                &mut rng,
            ));
            model.push(synann_nn::layers::BatchNorm1d::new(2));
            broadcast_state(&model, &group);
            synann_nn::state_dict::state_dict(&model)
                .iter()
                .flat_map(|(_, t)| t.data().to_vec())
                .collect::<Vec<f32>>()
        });
        assert_eq!(out[1], out[0]);
        assert_eq!(out[2], out[0]);
    }
}
