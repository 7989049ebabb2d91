//! SyncBatchNorm against the single-process BatchNorm over the
//! concatenated batch, in f64, with the ranks simulated as threads
//! ([`ThreadGroup`]): the outputs, the input and parameter gradients and
//! the running statistics agree to 1e-12 relative, and the gradient of the
//! whole distributed computation matches central differences.

use std::rc::Rc;
use synann_autograd::Var;
use synann_nn::distributed::{ProcessGroup, ThreadGroup};
use synann_nn::layers::{with_sync_batch_norm, BatchNorm, BatchNorm1d, BatchNorm2d, SyncBatchNorm};
use synann_nn::{Mode, Module};
use synann_tensor::{random::seeded, Tensor};

/// What one rank (or the single process) computes for a batch: outputs,
/// input gradient, γ and β gradients, running mean and variance.
#[derive(Debug)]
struct Outcome {
    y: Vec<f64>,
    dx: Vec<f64>,
    dgamma: Vec<f64>,
    dbeta: Vec<f64>,
    running_mean: Vec<f64>,
    running_var: Vec<f64>,
}

/// How the layer of a rank is made.
#[derive(Clone, Copy, Debug)]
enum Layer {
    /// A `SyncBatchNorm` over the group.
    Sync,
    /// A `BatchNorm2d` (or 1d) inside `with_sync_batch_norm`.
    Scoped,
}

/// The problem: input `[n, c, …spatial]`, γ, β and the weights `w` of the
/// loss Σ y·w.
struct Problem {
    shape: Vec<usize>,
    x: Tensor<f64>,
    gamma: Tensor<f64>,
    beta: Tensor<f64>,
    w: Tensor<f64>,
}

impl Problem {
    fn new(shape: &[usize], seed: u64) -> Self {
        let mut rng = seeded(seed);
        let c = shape[1];
        Problem {
            shape: shape.to_vec(),
            x: Tensor::uniform(shape, -2.0, 3.0, &mut rng),
            gamma: Tensor::uniform(&[c], 0.5, 1.5, &mut rng),
            beta: Tensor::uniform(&[c], -1.0, 1.0, &mut rng),
            w: Tensor::uniform(shape, -1.0, 1.0, &mut rng),
        }
    }

    /// Values per sample.
    fn row(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// Rows `rows` of `t` (same shape otherwise).
    fn rows(&self, t: &Tensor<f64>, rows: std::ops::Range<usize>) -> Tensor<f64> {
        let r = self.row();
        let mut shape = self.shape.clone();
        shape[0] = rows.len();
        Tensor::from_vec(t.data()[rows.start * r..rows.end * r].to_vec(), &shape)
    }

    /// Sets γ and β, runs a training forward of `x` and the backward of
    /// Σ y·w through `layer`.
    fn run(
        &self,
        layer: &mut dyn Module<f64>,
        bn: &BatchNorm<f64>,
        x: Tensor<f64>,
        w: Tensor<f64>,
    ) -> Outcome {
        bn.weight.as_ref().unwrap().set_value(self.gamma.clone());
        bn.bias.as_ref().unwrap().set_value(self.beta.clone());
        let x = Var::requiring_grad(x);
        let y = layer.forward(&x, Mode::Train);
        y.mul(&Var::constant(w)).sum_all().backward();
        let data = |v: &Option<Var<f64>>| v.as_ref().unwrap().value().data().to_vec();
        let grad = |v: &Option<Var<f64>>| v.as_ref().unwrap().grad().unwrap().data().to_vec();
        let y_values = y.value().data().to_vec();
        let dx = x.grad().unwrap().data().to_vec();
        Outcome {
            y: y_values,
            dx,
            dgamma: grad(&bn.weight),
            dbeta: grad(&bn.bias),
            running_mean: data(&bn.running_mean),
            running_var: data(&bn.running_var),
        }
    }

    /// The single-process BatchNorm over the whole batch.
    fn reference(&self) -> Outcome {
        let c = self.shape[1];
        if self.shape.len() == 4 {
            let mut bn = BatchNorm2d::<f64>::new(c);
            let inner = clone_refs(&bn);
            self.run(&mut bn, &inner, self.x.clone(), self.w.clone())
        } else {
            let mut bn = BatchNorm1d::<f64>::new(c);
            let inner = clone_refs(&bn);
            self.run(&mut bn, &inner, self.x.clone(), self.w.clone())
        }
    }

    /// The shard of rank `rank` of `world` (rows split as evenly as
    /// possible, the first ranks taking one more).
    fn shard(&self, rank: usize, world: usize) -> std::ops::Range<usize> {
        let n = self.shape[0];
        let start = |r: usize| r * (n / world) + r.min(n % world);
        start(rank)..start(rank + 1)
    }

    /// `world` ranks (threads), each with its shard of the batch.
    fn distributed(&self, world: usize, layer: Layer) -> Vec<Outcome> {
        let c = self.shape[1];
        let spatial = self.shape.len() == 4;
        ThreadGroup::run(world, |group| {
            let rows = self.shard(group.rank(), world);
            let (x, w) = (self.rows(&self.x, rows.clone()), self.rows(&self.w, rows));
            let group: Rc<dyn ProcessGroup> = Rc::new(group);
            match (layer, spatial) {
                (Layer::Sync, _) => {
                    let mut bn = SyncBatchNorm::<f64>::new(c, group);
                    let inner = clone_refs(&bn);
                    self.run(&mut bn, &inner, x, w)
                }
                (Layer::Scoped, true) => {
                    let mut bn = BatchNorm2d::<f64>::new(c);
                    let inner = clone_refs(&bn);
                    with_sync_batch_norm(group, || self.run(&mut bn, &inner, x, w))
                }
                (Layer::Scoped, false) => {
                    let mut bn = BatchNorm1d::<f64>::new(c);
                    let inner = clone_refs(&bn);
                    with_sync_batch_norm(group, || self.run(&mut bn, &inner, x, w))
                }
            }
        })
    }
}

/// A `BatchNorm` sharing the parameter and buffer variables of `bn` (the
/// variables are reference-counted handles), to read them after a forward
/// through the layer that owns `bn`.
fn clone_refs(bn: &BatchNorm<f64>) -> BatchNorm<f64> {
    BatchNorm {
        weight: bn.weight.clone(),
        bias: bn.bias.clone(),
        running_mean: bn.running_mean.clone(),
        running_var: bn.running_var.clone(),
        num_batches_tracked: bn.num_batches_tracked.clone(),
        config: bn.config,
    }
}

/// Asserts |a − b| ≤ 1e-12·max(1, |b|) element-wise.
fn assert_close(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-12 * y.abs().max(1.0),
            "{what}[{i}]: distributed {x}, single process {y}"
        );
    }
}

/// Compares the ranks' outcomes, concatenated (outputs, input gradients)
/// or summed (γ and β gradients), and each rank's running statistics, with
/// the single-process reference.
fn check(problem: &Problem, world: usize, layer: Layer) {
    let reference = problem.reference();
    let ranks = problem.distributed(world, layer);
    let concat =
        |f: fn(&Outcome) -> &Vec<f64>| ranks.iter().flat_map(|o| f(o).clone()).collect::<Vec<_>>();
    let sum = |f: fn(&Outcome) -> &Vec<f64>| {
        (0..problem.shape[1])
            .map(|c| ranks.iter().map(|o| f(o)[c]).sum())
            .collect::<Vec<f64>>()
    };
    let what = format!("{world} ranks, {layer:?}, shape {:?}", problem.shape);
    assert_close(&format!("{what}: y"), &concat(|o| &o.y), &reference.y);
    assert_close(&format!("{what}: dx"), &concat(|o| &o.dx), &reference.dx);
    assert_close(
        &format!("{what}: dγ"),
        &sum(|o| &o.dgamma),
        &reference.dgamma,
    );
    assert_close(&format!("{what}: dβ"), &sum(|o| &o.dbeta), &reference.dbeta);
    for o in &ranks {
        assert_close(
            &format!("{what}: running_mean"),
            &o.running_mean,
            &reference.running_mean,
        );
        assert_close(
            &format!("{what}: running_var"),
            &o.running_var,
            &reference.running_var,
        );
    }
}

#[test]
fn sync_batch_norm_2d_equals_batch_norm_over_the_concatenated_batch() {
    let problem = Problem::new(&[6, 3, 2, 3], 1);
    for world in [1, 2, 3] {
        check(&problem, world, Layer::Sync);
        check(&problem, world, Layer::Scoped);
    }
}

#[test]
fn sync_batch_norm_1d_equals_batch_norm_with_uneven_shards() {
    // 7 rows over 2 and 3 ranks: shards of 4 + 3 and 3 + 2 + 2 rows.
    let problem = Problem::new(&[7, 4], 2);
    for world in [2, 3] {
        check(&problem, world, Layer::Sync);
        check(&problem, world, Layer::Scoped);
    }
}

/// The loss Σ y·w of the whole distributed forward, summed over 2 ranks.
fn distributed_loss(problem: &Problem) -> f64 {
    ThreadGroup::run(2, |group| {
        let rows = problem.shard(group.rank(), 2);
        let x = Var::constant(problem.rows(&problem.x, rows.clone()));
        let w = Var::constant(problem.rows(&problem.w, rows));
        let mut bn = SyncBatchNorm::<f64>::new(problem.shape[1], Rc::new(group));
        bn.weight.as_ref().unwrap().set_value(problem.gamma.clone());
        bn.bias.as_ref().unwrap().set_value(problem.beta.clone());
        bn.forward(&x, Mode::Train).mul(&w).sum_all().value().item()
    })
    .into_iter()
    .sum()
}

#[test]
fn distributed_input_gradient_matches_central_differences() {
    let mut problem = Problem::new(&[5, 2, 2, 2], 3);
    let analytic: Vec<f64> = problem
        .distributed(2, Layer::Sync)
        .iter()
        .flat_map(|o| o.dx.clone())
        .collect();
    let h = 1e-6;
    assert_eq!(analytic.len(), problem.x.numel());
    for (i, &expected) in analytic.iter().enumerate() {
        let x0 = problem.x.data()[i];
        problem.x.data_mut()[i] = x0 + h;
        let plus = distributed_loss(&problem);
        problem.x.data_mut()[i] = x0 - h;
        let minus = distributed_loss(&problem);
        problem.x.data_mut()[i] = x0;
        let numeric = (plus - minus) / (2.0 * h);
        assert!(
            (numeric - expected).abs() <= 1e-6 * expected.abs().max(1.0),
            "dx[{i}]: analytic {expected}, central difference {numeric}"
        );
    }
}

#[test]
fn evaluation_uses_the_running_statistics_without_reducing() {
    // A world of 2 where only rank 0 runs an evaluation forward: it must
    // not wait for rank 1 (no collective in Mode::Eval).
    let out = ThreadGroup::run(2, |group| {
        let rank = group.rank();
        let mut bn = SyncBatchNorm::<f64>::new(1, Rc::new(group));
        (rank == 0).then(|| {
            let x = Var::constant(Tensor::from_vec(vec![2.0, 4.0], &[2, 1]));
            bn.forward(&x, Mode::Eval).value().data().to_vec()
        })
    });
    // Running mean 0, variance 1: y = x / √(1 + 1e-5).
    let scale = 1.0 / (1.0f64 + 1e-5).sqrt();
    assert_eq!(out[0], Some(vec![2.0 * scale, 4.0 * scale]));
    assert_eq!(out[1], None);
}
