//! [`SynapseRNNCell`] and [`SynapseRNN`]: a recurrent layer whose state is
//! carried through a synapse graph (our design).
//!
//! At each step the input and the previous state excite, and the previous
//! state inhibits:
//!
//! ```text
//! e_t = sigmoid(W_ih x_t + W_hh h_(t−1) + b)                 excitation ∈ (0, 1)
//! h_t = e_t ⊙ exp(synapse_logsum(h_(t−1), B)),  B = sigmoid(W_syn)
//!     = e_t ⊙ Π_j (1 − B_ij h_(t−1), j)
//! ```
//!
//! Since e_t ∈ (0, 1), B ∈ (0, 1) and h_(t−1) ∈ [0, 1), every factor is in
//! (0, 1] and h_t stays in (0, 1): the state is a vector of open
//! probabilities, as a synapse's inputs must be. The initial state is 0 (no
//! inhibition) unless given.
//!
//! Parameters, with PyTorch's `RNNCell` names where they exist:
//! `weight_ih` [H, F], `weight_hh` [H, H], `bias` `[H]`, all U(−1/√H, 1/√H),
//! and `synapse_weight` W_syn [H, H], U(−1/√H, 1/√H) − ln H so that B starts
//! near 1/(H + 1) and the total inhibition Σ_j B_ij h_j starts of order 1
//! whatever H.
//!
//! Factors below [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) (possible only where
//! saturated sigmoids round B and h to 1, or with an `h0` outside [0, 1))
//! are clamped and counted, like [`Synapse`](super::Synapse)'s:
//! [`SynapseRNNCell::clamped_factors`] is the count of the cell's latest
//! step, or of all the steps of the latest [`SynapseRNN`] sequence it ran.

use crate::ops::{synapse_logsum_with_clamp_count, Kernel};
use std::cell::Cell;
use synann_autograd::anomaly::{describe_module, enter_module, ModuleScope};
use synann_autograd::Var;
use synann_nn::{prefixed, Mode, Module};
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// One step of the synapse recurrence (see the [module docs](self)).
///
/// ```
/// use synann::layers::SynapseRNNCell;
/// use synann_autograd::Var;
/// use synann_tensor::{random::seeded, Tensor};
/// let cell = SynapseRNNCell::<f64>::new(3, 5, &mut seeded(1));
/// let x = Var::constant(Tensor::ones(&[2, 3]));
/// let h = cell.step(&x, &cell.initial_state(2));
/// assert!(h.value().data().iter().all(|&v| v > 0.0 && v < 1.0));
/// ```
pub struct SynapseRNNCell<T: Float> {
    /// W_ih, [H, F].
    pub weight_ih: Var<T>,
    /// W_hh, [H, H].
    pub weight_hh: Var<T>,
    /// b, `[H]`.
    pub bias: Var<T>,
    /// W_syn, [H, H]; B = sigmoid(W_syn).
    pub synapse_weight: Var<T>,
    /// The factors clamped by the latest step or sequence.
    clamped: Cell<u64>,
}

impl<T: Float> SynapseRNNCell<T> {
    /// A cell mapping `input_size` features and a `hidden_size` state to the
    /// next state, initialised from `rng`.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let mut uniform = |shape: &[usize], shift: f64| {
            let (lo, hi) = (T::from_f64(shift - bound), T::from_f64(shift + bound));
            Var::requiring_grad(Tensor::uniform(shape, lo, hi, rng))
        };
        let h = hidden_size;
        SynapseRNNCell {
            weight_ih: uniform(&[h, input_size], 0.0),
            weight_hh: uniform(&[h, h], 0.0),
            bias: uniform(&[h], 0.0),
            synapse_weight: uniform(&[h, h], -(h.max(1) as f64).ln()),
            clamped: Cell::new(0),
        }
    }

    /// The state size H.
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.shape()[0]
    }

    /// The zero state for a batch of `batch` sequences.
    pub fn initial_state(&self, batch: usize) -> Var<T> {
        Var::constant(Tensor::zeros(&[batch, self.hidden_size()]))
    }

    /// h_t from x_t [N, F] and h_(t−1) [N, H]; records the factors it
    /// clamped ([`SynapseRNNCell::clamped_factors`]).
    pub fn step(&self, x: &Var<T>, h: &Var<T>) -> Var<T> {
        let (next, clamped) = self.step_counting(x, h);
        self.clamped.set(clamped);
        next
    }

    /// [`SynapseRNNCell::step`], returning the number of factors clamped
    /// instead of recording it.
    fn step_counting(&self, x: &Var<T>, h: &Var<T>) -> (Var<T>, u64) {
        self.step_with_inhibition(x, h, &self.inhibition())
    }

    /// B = sigmoid(W_syn), the inhibition matrix [H, H]. A sequence
    /// computes it once and shares it between its steps: one node in the
    /// graph instead of one per step, whose gradient collects every step's
    /// contribution before the single sigmoid backward.
    fn inhibition(&self) -> Var<T> {
        let _scope = self.describe();
        self.synapse_weight.sigmoid()
    }

    /// Names the cell in anomaly reports while the guard lives.
    fn describe(&self) -> ModuleScope {
        describe_module(|| {
            let (features, hidden) = (self.weight_ih.shape()[1], self.hidden_size());
            format!("SynapseRNNCell({features}, {hidden})")
        })
    }

    /// One step with the inhibition matrix `b` ([`Self::inhibition`])
    /// given; returns h_t and the number of factors clamped.
    fn step_with_inhibition(&self, x: &Var<T>, h: &Var<T>, b: &Var<T>) -> (Var<T>, u64) {
        let _scope = self.describe();
        let excitation = x
            .linear(&self.weight_ih, Some(&self.bias))
            .add(&h.linear(&self.weight_hh, None))
            .sigmoid();
        let (log_inhibition, clamped) = synapse_logsum_with_clamp_count(h, b, Kernel::Fast);
        (excitation.mul(&log_inhibition.exp()), clamped)
    }

    /// The number of factors 1 − B·h below
    /// [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) that the cell clamped in its latest
    /// step, or in all the steps of the latest sequence a [`SynapseRNN`]
    /// ran it over (in either mode); 0 before the first.
    pub fn clamped_factors(&self) -> u64 {
        self.clamped.get()
    }

    /// Returns [`SynapseRNNCell::clamped_factors`] and resets it to 0.
    pub fn take_clamped_factors(&self) -> u64 {
        self.clamped.take()
    }
}

impl<T: Float> Module<T> for SynapseRNNCell<T> {
    /// One step from the zero state.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let h0 = self.initial_state(x.shape()[0]);
        self.step(x, &h0)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        vec![
            ("weight_ih".to_string(), self.weight_ih.clone()),
            ("weight_hh".to_string(), self.weight_hh.clone()),
            ("bias".to_string(), self.bias.clone()),
            ("synapse_weight".to_string(), self.synapse_weight.clone()),
        ]
    }

    /// The cell's own [`SynapseRNNCell::clamped_factors`], under `""`.
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        vec![(String::new(), self.clamped_factors())]
    }
}

/// What [`SynapseRNN`]'s `Module::forward` returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RnnOutput {
    /// Every state, [N, T, H] (PyTorch's `output`).
    #[default]
    AllStates,
    /// The last state only, [N, H] (PyTorch's `h_n`, without the layer axis).
    LastState,
}

/// A [`SynapseRNNCell`] unrolled over a [N, T, F] sequence (backpropagation
/// through time comes from the recorded graph).
///
/// The cell runs as the child module `cell`: anomaly reports and
/// [`Module::named_clamp_counts`] name it `cell` (`rnn.cell` inside a model
/// whose field is `rnn`), although its parameters keep their own names
/// (`weight_ih`, not `cell.weight_ih`). After a sequence the cell's count
/// is the sum over all its steps.
///
/// ```
/// use synann::layers::{RnnOutput, SynapseRNN};
/// use synann_autograd::Var;
/// use synann_nn::{Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
/// let mut rnn = SynapseRNN::<f32>::new(3, 4, &mut seeded(0));
/// let x = Var::constant(Tensor::ones(&[2, 5, 3])); // 2 sequences of 5 steps
/// assert_eq!(rnn.forward(&x, Mode::Train).shape(), vec![2, 5, 4]);
/// rnn.output = RnnOutput::LastState;
/// assert_eq!(rnn.forward(&x, Mode::Train).shape(), vec![2, 4]);
/// ```
pub struct SynapseRNN<T: Float> {
    /// The recurrence.
    pub cell: SynapseRNNCell<T>,
    /// What `Module::forward` returns.
    pub output: RnnOutput,
}

impl<T: Float> SynapseRNN<T> {
    /// A layer over sequences of `input_size` features with a `hidden_size`
    /// state, returning all states.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut Rng) -> Self {
        SynapseRNN {
            cell: SynapseRNNCell::new(input_size, hidden_size, rng),
            output: RnnOutput::AllStates,
        }
    }

    /// Runs the sequence x [N, T, F] from `h0` (zero if `None`) and returns
    /// (all states [N, T, H], last state [N, H]). With T = 0 the states
    /// tensor is [N, 0, H] and the last state is `h0`.
    pub fn forward_sequence(&self, x: &Var<T>, h0: Option<&Var<T>>) -> (Var<T>, Var<T>) {
        let (batch, hidden) = (x.shape()[0], self.cell.hidden_size());
        let (states, last) = self.forward_states(x, h0);
        let all = if states.is_empty() {
            Var::constant(Tensor::zeros(&[batch, 0, hidden]))
        } else {
            Var::stack(&states.iter().collect::<Vec<_>>(), 1)
        };
        (all, last)
    }

    /// [`SynapseRNN::forward_sequence`] without stacking: the state after
    /// each of the T steps, each [N, H], and the last state (`h0`, or zero,
    /// when T = 0). For a read-out that reduces the states (their mean, say)
    /// this saves the [N, T, H] copy and its gradient.
    ///
    /// ```
    /// use synann::layers::SynapseRNN;
    /// use synann_autograd::Var;
    /// use synann_tensor::{random::seeded, Tensor};
    /// let rnn = SynapseRNN::<f64>::new(3, 4, &mut seeded(0));
    /// let x = Var::constant(Tensor::ones(&[2, 5, 3]));
    /// let (states, last) = rnn.forward_states(&x, None);
    /// assert_eq!(states.len(), 5);
    /// assert_eq!(*states[4].value(), *last.value());
    /// ```
    pub fn forward_states(&self, x: &Var<T>, h0: Option<&Var<T>>) -> (Vec<Var<T>>, Var<T>) {
        let s = x.shape();
        assert!(
            s.len() == 3 && s[2] == self.cell.weight_ih.shape()[1],
            "SynapseRNN: input {s:?} does not match [N, T, {}]",
            self.cell.weight_ih.shape()[1]
        );
        let (batch, steps, features) = (s[0], s[1], s[2]);
        let _scope =
            describe_module(|| format!("SynapseRNN({features}, {})", self.cell.hidden_size()));
        let mut h = h0
            .cloned()
            .unwrap_or_else(|| self.cell.initial_state(batch));
        let mut states = Vec::with_capacity(steps);
        let mut clamped = 0;
        let b = {
            let _cell = enter_module("cell");
            self.cell.inhibition()
        };
        for t in 0..steps {
            let x_t = x.narrow(1, t, 1).reshape(&[batch, features]);
            let _cell = enter_module("cell");
            let (next, step_clamped) = self.cell.step_with_inhibition(&x_t, &h, &b);
            h = next;
            clamped += step_clamped;
            states.push(h.clone());
        }
        self.cell.clamped.set(clamped);
        (states, h)
    }
}

impl<T: Float> Module<T> for SynapseRNN<T> {
    /// The states or the last state (per [`SynapseRNN::output`]) from the
    /// zero initial state.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let (all, last) = self.forward_sequence(x, None);
        match self.output {
            RnnOutput::AllStates => all,
            RnnOutput::LastState => last,
        }
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.cell.named_parameters()
    }

    /// The cell's count (the sum over the latest sequence) under `cell`.
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        prefixed("cell", self.cell.named_clamp_counts())
    }
}
