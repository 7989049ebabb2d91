//! [`evaluate_sharded`]: an evaluation pass split across the ranks.

use super::DistributedSampler;
use crate::error::TrainError;
use crate::evaluate::{argmax_rows, batch_loss, first_non_finite_row, Evaluation};
use crate::recipe::Recipe;
use synann_autograd::{no_grad, Var};
use synann_datasets::{Dataset, Pass};
use synann_nn::distributed::ProcessGroup;
use synann_nn::{Mode, Module};

/// [`evaluate`](crate::evaluate()) split across the ranks of `group`:
/// evaluation batch i (of `batch_size`) runs on rank i mod p, and one
/// all-reduce (in f64) gathers the loss sum, every sample's prediction and
/// the first non-finite output of each rank. Every rank returns the same
/// [`Evaluation`], equal to the single-process one up to the order of the
/// loss sum; an output that is NaN or infinite on any rank is an error on
/// every rank, naming the first such sample.
pub fn evaluate_sharded<M: Module<f32> + ?Sized>(
    model: &mut M,
    data: &dyn Dataset,
    recipe: &Recipe,
    batch_size: usize,
    group: &dyn ProcessGroup,
) -> Result<Evaluation, TrainError> {
    let sampler = DistributedSampler::new(group.rank(), group.world_size());
    let n = data.len();
    let world = group.world_size();
    // [loss sum, prediction + 1 of each sample (0 where another rank
    // evaluates it), then per rank: first bad batch + 1, first bad sample + 1].
    let mut buffer = vec![0.0f64; 1 + n + 2 * world];
    let mut labels = Vec::with_capacity(n);
    no_grad(|| {
        for (b, (inputs, batch_labels)) in data.batches(batch_size, Pass::Eval, 0).enumerate() {
            let first = labels.len();
            labels.extend_from_slice(&batch_labels);
            if !sampler.owns_eval_batch(b) {
                continue;
            }
            let output = model
                .forward(&Var::constant(inputs), Mode::Eval)
                .value()
                .clone();
            if let Some(row) = first_non_finite_row(&output) {
                let slot = 1 + n + 2 * group.rank();
                buffer[slot] = (b + 1) as f64;
                buffer[slot + 1] = (first + row + 1) as f64;
                break;
            }
            let output = Var::constant(output);
            let loss = batch_loss(&output, &batch_labels, recipe).value().item() as f64;
            buffer[0] += loss * batch_labels.len() as f64;
            for (i, p) in argmax_rows(&output.value()).into_iter().enumerate() {
                buffer[1 + first + i] = (p + 1) as f64;
            }
        }
    });
    group.all_reduce_sum_f64(&mut buffer);
    let bad = buffer[1 + n..]
        .chunks(2)
        .filter(|slot| slot[1] > 0.0)
        .min_by(|a, b| a[1].total_cmp(&b[1]));
    if let Some(slot) = bad {
        return Err(TrainError::NonFiniteOutput {
            batch: slot[0] as usize,
            sample: slot[1] as usize - 1,
        });
    }
    let predictions: Vec<usize> = buffer[1..1 + n]
        .iter()
        .map(|&p| (p as usize).saturating_sub(1))
        .collect();
    Ok(Evaluation::from_predictions(
        buffer[0],
        predictions,
        labels,
        data.num_classes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::evaluate;
    use crate::recipe::OptimizerKind;
    use synann_datasets::Tabular;
    use synann_nn::distributed::ThreadGroup;
    use synann_nn::layers::{Bias, Linear};
    use synann_tensor::random::seeded;

    #[test]
    fn sharded_evaluation_equals_the_single_process_one() {
        let features: Vec<f32> = (0..23 * 3).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
        let labels = (0..23).map(|i| i % 4).collect();
        let names = vec!["a".into(), "b".into(), "c".into()];
        let data = Tabular::new(names, features, labels, 4).unwrap();
        let recipe = Recipe::new(OptimizerKind::Adam, 1e-3, 4);
        let model = || Linear::<f32>::new(3, 4, Bias::Yes, &mut seeded(5));
        let single = evaluate(&mut model(), &data, &recipe, 5).unwrap();
        for world in [1, 2, 3] {
            let ranks = ThreadGroup::run(world, |g| {
                evaluate_sharded(&mut model(), &data, &recipe, 5, &g).unwrap()
            });
            for e in ranks {
                assert_eq!(e.predictions, single.predictions);
                assert_eq!(e.labels, single.labels);
                assert_eq!(e.accuracy, single.accuracy);
                assert!((e.loss - single.loss).abs() <= 1e-12 * single.loss.abs());
            }
        }
    }
}
