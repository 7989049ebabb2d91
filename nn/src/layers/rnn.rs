//! [`RNNCell`] and [`GRUCell`]: PyTorch's recurrent cells, one step each.
//!
//! Both use PyTorch's parameter names and layouts (`weight_ih`
//! `[G·H, F]`, `weight_hh` `[G·H, H]`, `bias_ih` and `bias_hh` `[G·H]`, G
//! = 1 for the plain cell, 3 for the GRU's reset, update and candidate
//! rows in that order), and its initialisation: every parameter
//! U(−1/√H, 1/√H). Unroll them over time with a loop (the recorded graph
//! does backpropagation through time); every op is a differentiable
//! [`Var`] op, so their gradients need no code of their own.

use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// The four parameters of a recurrent cell with G row blocks (gates),
/// PyTorch's layout.
pub struct RecurrentWeights<T: Float> {
    /// W_ih, `[G·H, F]`.
    pub weight_ih: Var<T>,
    /// W_hh, `[G·H, H]`.
    pub weight_hh: Var<T>,
    /// b_ih, `[G·H]`.
    pub bias_ih: Var<T>,
    /// b_hh, `[G·H]`.
    pub bias_hh: Var<T>,
}

impl<T: Float> RecurrentWeights<T> {
    /// The weights of a cell with `gates` blocks, all U(−1/√H, 1/√H).
    fn new(input_size: usize, hidden_size: usize, gates: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let (lo, hi) = (T::from_f64(-bound), T::from_f64(bound));
        let rows = gates * hidden_size;
        let mut draw = |shape: &[usize]| Var::requiring_grad(Tensor::uniform(shape, lo, hi, rng));
        RecurrentWeights {
            weight_ih: draw(&[rows, input_size]),
            weight_hh: draw(&[rows, hidden_size]),
            bias_ih: draw(&[rows]),
            bias_hh: draw(&[rows]),
        }
    }

    fn named(&self) -> Vec<(String, Var<T>)> {
        vec![
            ("weight_ih".to_string(), self.weight_ih.clone()),
            ("weight_hh".to_string(), self.weight_hh.clone()),
            ("bias_ih".to_string(), self.bias_ih.clone()),
            ("bias_hh".to_string(), self.bias_hh.clone()),
        ]
    }

    /// `cell(input_size, hidden_size)`, for anomaly reports.
    fn describe(&self, cell: &str) -> String {
        let (features, hidden) = (self.weight_ih.shape()[1], self.weight_hh.shape()[1]);
        format!("{cell}({features}, {hidden})")
    }

    /// (W_ih·x + b_ih, W_hh·h + b_hh), each `[N, G·H]`.
    fn projections(&self, x: &Var<T>, h: &Var<T>, cell: &str) -> (Var<T>, Var<T>) {
        let (xs, hs) = (x.shape(), h.shape());
        let (features, hidden) = (self.weight_ih.shape()[1], self.weight_hh.shape()[1]);
        assert!(
            xs.len() == 2 && hs.len() == 2 && xs[1] == features && hs[1] == hidden && xs[0] == hs[0],
            "{cell}: input {xs:?} and state {hs:?} do not fit: need [N, {features}] and [N, {hidden}]"
        );
        (
            x.linear(&self.weight_ih, Some(&self.bias_ih)),
            h.linear(&self.weight_hh, Some(&self.bias_hh)),
        )
    }
}

/// PyTorch's `nn.RNNCell` with the tanh non-linearity:
/// h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::RNNCell, Module};
/// use synann_tensor::{random::seeded, Tensor};
/// let cell = RNNCell::<f64>::new(3, 4, &mut seeded(0));
/// let h = cell.step(&Var::constant(Tensor::ones(&[2, 3])), &cell.initial_state(2));
/// assert_eq!(h.shape(), vec![2, 4]);
/// assert_eq!(cell.num_parameters(), 4 * 3 + 4 * 4 + 4 + 4);
/// ```
pub struct RNNCell<T: Float> {
    /// The weights (one block of rows per gate).
    pub weights: RecurrentWeights<T>,
}

impl<T: Float> RNNCell<T> {
    /// A cell from `input_size` features and a `hidden_size` state.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut Rng) -> Self {
        RNNCell {
            weights: RecurrentWeights::new(input_size, hidden_size, 1, rng),
        }
    }

    /// The state size H.
    pub fn hidden_size(&self) -> usize {
        self.weights.weight_hh.shape()[1]
    }

    /// The zero state for `batch` sequences.
    pub fn initial_state(&self, batch: usize) -> Var<T> {
        Var::constant(Tensor::zeros(&[batch, self.hidden_size()]))
    }

    /// h_t from x_t `[N, F]` and h_(t−1) `[N, H]`.
    pub fn step(&self, x: &Var<T>, h: &Var<T>) -> Var<T> {
        let _scope = describe_module(|| self.weights.describe("RNNCell"));
        let (gi, gh) = self.weights.projections(x, h, "RNNCell");
        gi.add(&gh).tanh()
    }
}

impl<T: Float> Module<T> for RNNCell<T> {
    /// One step from the zero state.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        self.step(x, &self.initial_state(x.shape()[0]))
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.weights.named()
    }
}

/// PyTorch's `nn.GRUCell`, with its gate order (reset r, update z,
/// candidate n) and formula:
///
/// ```text
/// r  = σ(W_ir·x + b_ir + W_hr·h + b_hr)
/// z  = σ(W_iz·x + b_iz + W_hz·h + b_hz)
/// n  = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::GRUCell, Module};
/// use synann_tensor::{random::seeded, Tensor};
/// let cell = GRUCell::<f64>::new(3, 4, &mut seeded(0));
/// let h = cell.step(&Var::constant(Tensor::ones(&[2, 3])), &cell.initial_state(2));
/// assert!(h.value().data().iter().all(|v| v.abs() < 1.0));
/// assert_eq!(cell.num_parameters(), 3 * (4 * 3 + 4 * 4 + 4 + 4));
/// ```
pub struct GRUCell<T: Float> {
    /// The weights (one block of rows per gate).
    pub weights: RecurrentWeights<T>,
}

impl<T: Float> GRUCell<T> {
    /// A cell from `input_size` features and a `hidden_size` state.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut Rng) -> Self {
        GRUCell {
            weights: RecurrentWeights::new(input_size, hidden_size, 3, rng),
        }
    }

    /// The state size H.
    pub fn hidden_size(&self) -> usize {
        self.weights.weight_hh.shape()[1]
    }

    /// The zero state for `batch` sequences.
    pub fn initial_state(&self, batch: usize) -> Var<T> {
        Var::constant(Tensor::zeros(&[batch, self.hidden_size()]))
    }

    /// h_t from x_t `[N, F]` and h_(t−1) `[N, H]`.
    pub fn step(&self, x: &Var<T>, h: &Var<T>) -> Var<T> {
        let _scope = describe_module(|| self.weights.describe("GRUCell"));
        let hidden = self.hidden_size();
        let (gi, gh) = self.weights.projections(x, h, "GRUCell");
        let block = |g: &Var<T>, k: usize| g.narrow(1, k * hidden, hidden);
        let r = block(&gi, 0).add(&block(&gh, 0)).sigmoid();
        let z = block(&gi, 1).add(&block(&gh, 1)).sigmoid();
        let n = block(&gi, 2).add(&r.mul(&block(&gh, 2))).tanh();
        // (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n).
        n.add(&z.mul(&h.sub(&n)))
    }
}

impl<T: Float> Module<T> for GRUCell<T> {
    /// One step from the zero state.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        self.step(x, &self.initial_state(x.shape()[0]))
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.weights.named()
    }
}
