//! The [`Module`] trait: a layer or model with a forward pass, named
//! parameters and named buffers.
//!
//! Names follow PyTorch's dotted paths (`conv1.weight`, `bn.running_mean`),
//! built by each container prefixing its children's names with the field
//! name ([`prefixed`]). Parameters are leaf [`Var`]s that live across steps:
//! each forward builds a fresh graph on top of them and backward accumulates
//! into their gradients. Buffers (BatchNorm's running statistics and
//! `num_batches_tracked`) are state saved in the `state_dict` but never
//! trained; they are kept apart from the parameters. Random generators
//! (dropout's) are state too, but not tensors: [`Module::named_generators`]
//! reaches them, so a trainer can reseed them at the start of every epoch
//! and an interrupted run resumes exactly ([`reseed_generators`]).
//!
//!
//! Containers run each child through [`forward_child`], which names it
//! for anomaly reports (`fc1`, `rnn.cell`: see
//! [`synann_autograd::anomaly`]), and layers describe themselves there
//! (`Linear(320, 64)`).

use synann_autograd::anomaly::enter_module;
use synann_autograd::Var;
use synann_tensor::random::{seeded, Rng};
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

    /// The random generators the module draws from in training (dropout
    /// masks), with dotted names, in a stable order (none by default).
    /// Containers list their children's, prefixed like their parameters.
    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        Vec::new()
    }

    /// How many values each module clamped into its domain during its
    /// latest forward, by dotted module path, in a stable order: `""` names
    /// the module itself, `"fcn"` or `"rnn.cell"` a child. Layers that clamp
    /// out-of-domain values (the synapse layers of the `synann` crate clamp
    /// each factor 1 − B·x at a floor) report their own count; containers
    /// report their children's under their names, with [`prefixed`], as for
    /// [`Module::named_parameters`]. None by default.
    ///
    /// With it a training loop holding a `Box<dyn Module>` can ask, after a
    /// step, which layers clamped how many values in that step's forward.
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
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

/// Prefixes each name with `prefix.`: how containers name their children's
/// parameters, buffers and counts. An empty name (the child itself, as in
/// [`Module::named_clamp_counts`]) becomes `prefix`.
///
/// ```
/// use synann_nn::prefixed;
/// let named = vec![("weight".to_string(), 1), (String::new(), 2)];
/// assert_eq!(
///     prefixed("fc1", named),
///     [("fc1.weight".to_string(), 1), ("fc1".to_string(), 2)]
/// );
/// ```
pub fn prefixed<V>(prefix: &str, named: Vec<(String, V)>) -> Vec<(String, V)> {
    named
        .into_iter()
        .map(|(n, v)| {
            let name = if n.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{n}")
            };
            (name, v)
        })
        .collect()
}

/// Reseeds every generator of `module` from `seed`: the k-th generator of
/// [`Module::named_generators`] becomes ChaCha8 seeded with `seed` on stream
/// k, so the generators differ from each other and depend on nothing but
/// `seed` and their position. A trainer calls it at the start of each epoch
/// with a seed derived from the run's seed and the epoch, so the dropout
/// masks of an epoch are the same whether or not the run was interrupted
/// before it. Returns the number of generators reseeded.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::layers::{Dropout, Sequential};
/// use synann_nn::{module::reseed_generators, Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut net = Sequential::new();
/// net.push(Dropout::new(0.5, seeded(1)));
/// let x = Var::constant(Tensor::<f32>::ones(&[64]));
/// assert_eq!(reseed_generators(&mut net, 7), 1);
/// let a = net.forward(&x, Mode::Train).value().clone();
/// reseed_generators(&mut net, 7);
/// assert_eq!(net.forward(&x, Mode::Train).value().data(), a.data());
/// ```
pub fn reseed_generators<T: Float, M: Module<T> + ?Sized>(module: &mut M, seed: u64) -> usize {
    let generators = module.named_generators();
    let count = generators.len();
    for (k, (_, generator)) in generators.into_iter().enumerate() {
        let mut fresh = seeded(seed);
        fresh.set_stream(k as u64);
        *generator = fresh;
    }
    count
}

/// Runs `child.forward(x, mode)` as the child called `name` (its field
/// name, or its index in a sequence): while it runs, anomaly reports name
/// the child by its dotted path (see [`enter_module`]). How containers
/// call their children.
///
/// ```
/// use synann_autograd::anomaly::{catch_anomaly, describe_module};
/// use synann_autograd::Var;
/// use synann_nn::{forward_child, Mode, Module};
/// use synann_tensor::Tensor;
///
/// /// ln x: NaN below 0.
/// struct Log;
/// impl Module<f64> for Log {
///     fn forward(&mut self, x: &Var<f64>, _mode: Mode) -> Var<f64> {
///         let _scope = describe_module(|| "Log".to_string());
///         x.ln()
///     }
///     fn named_parameters(&self) -> Vec<(String, Var<f64>)> {
///         Vec::new()
///     }
/// }
///
/// let x = Var::constant(Tensor::from_vec(vec![-1.0], &[1]));
/// let err = catch_anomaly(|| forward_child("log", &mut Log, &x, Mode::Train)).unwrap_err();
/// assert_eq!(err.module_path.as_deref(), Some("log"));
/// assert!(err.to_string().ends_with("(in log: Log)"));
/// ```
pub fn forward_child<T: Float, M: Module<T> + ?Sized>(
    name: &str,
    child: &mut M,
    x: &Var<T>,
    mode: Mode,
) -> Var<T> {
    let _scope = enter_module(name);
    child.forward(x, mode)
}
