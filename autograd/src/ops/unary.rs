//! Unary element-wise ops: y = f(x) element by element, so the backward is
//! dL/dx = f'(x) · dL/dy, with f' written through x or, where it is
//! cheaper, through the saved output y:
//!
//! | op ([`Var`] method) | y = f(x) | f'(x) |
//! |---|---|---|
//! | `exp` | eˣ | eˣ = y |
//! | `ln` | ln x | 1/x |
//! | `ln_1p` | ln(1 + x) | 1/(1 + x) |
//! | `exp_m1` | eˣ − 1 | eˣ = y + 1 |
//! | `sqrt` | √x | 1/(2√x) = 1/(2y) |
//! | `abs` | \|x\| | sign x (0 at 0) |
//! | `relu` | max(x, 0) | 1 for x > 0, else 0 (= 1 where y > 0) |
//! | `sigmoid` | σ(x) = 1/(1 + e⁻ˣ) | σ(x)(1 − σ(x)) = y(1 − y) |
//! | `tanh` | tanh x | 1 − tanh² x = 1 − y² |
//! | `softplus` | ln(1 + eˣ) | eˣ/(1 + eˣ) = σ(x) |
//! | `powf(p)` | xᵖ | p·xᵖ⁻¹ |
//! | `clamp(lo, hi)` | clamp(x, lo, hi) | 1 inside (lo, hi), 0 where clamped |
//!
//! Each f' reads x or y, never both, so the pass can free the other one
//! ([`Function::backward_needs_output`], [`Function::backward_needs_input`]).
//! dL/dx has the shape of dL/dy and each element needs only its own, so
//! the backward writes it over dL/dy when the engine hands that over
//! ([`Function::backward_in_place`]).

use crate::function::{apply, BackwardCtx, Function, InPlaceCtx};
use crate::var::Var;
use synann_tensor::{Float, Tensor};

#[derive(Clone, Copy, Debug)]
enum Unary<T> {
    /// y = eˣ (each variant's y' is in the module docs' table).
    Exp,
    /// y = ln x.
    Ln,
    /// y = ln(1 + x).
    Ln1p,
    /// y = eˣ − 1.
    ExpM1,
    /// y = √x.
    Sqrt,
    /// y = |x|.
    Abs,
    /// y = max(x, 0).
    Relu,
    /// y = σ(x) = 1/(1 + e⁻ˣ).
    Sigmoid,
    /// y = tanh x.
    Tanh,
    /// y = softplus(x) = ln(1 + eˣ).
    Softplus,
    /// y = xᵖ.
    Powf(T),
    /// y = clamp(x, lo, hi).
    Clamp(T, T),
}

struct UnaryOp<T>(Unary<T>);

impl<T: Float> Function<T> for UnaryOp<T> {
    fn name(&self) -> &str {
        match self.0 {
            Unary::Exp => "exp",
            Unary::Ln => "ln",
            Unary::Ln1p => "ln_1p",
            Unary::ExpM1 => "exp_m1",
            Unary::Sqrt => "sqrt",
            Unary::Abs => "abs",
            Unary::Relu => "relu",
            Unary::Sigmoid => "sigmoid",
            Unary::Tanh => "tanh",
            Unary::Softplus => "softplus",
            Unary::Powf(_) => "powf",
            Unary::Clamp(..) => "clamp",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let x = x[0];
        match self.0 {
            Unary::Exp => x.exp(),
            Unary::Ln => x.ln(),
            Unary::Ln1p => x.ln_1p(),
            Unary::ExpM1 => x.exp_m1(),
            Unary::Sqrt => x.sqrt(),
            Unary::Abs => x.abs(),
            Unary::Relu => x.relu(),
            Unary::Sigmoid => x.sigmoid(),
            Unary::Tanh => x.tanh(),
            Unary::Softplus => x.softplus(),
            Unary::Powf(p) => x.powf(p),
            Unary::Clamp(lo, hi) => x.clamp(lo, hi),
        }
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let mut g = ctx.grad_output.clone();
        self.input_grad_(ctx.inputs[0], ctx.output, &mut g);
        vec![Some(g)]
    }

    fn backward_in_place(&self, ctx: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        self.input_grad_(ctx.inputs[0], ctx.output, grad);
        true
    }

    /// The ops whose f' is written through y read the output, the others
    /// the input: never both.
    fn backward_needs_output(&self) -> bool {
        self.through_output()
    }

    fn backward_needs_input(&self, _: usize) -> bool {
        !self.through_output()
    }
}

impl<T: Float> UnaryOp<T> {
    /// Whether f' is written through y (and so the backward reads the
    /// output, not the input).
    fn through_output(&self) -> bool {
        matches!(
            self.0,
            Unary::Exp | Unary::ExpM1 | Unary::Sqrt | Unary::Relu | Unary::Sigmoid | Unary::Tanh
        )
    }

    /// Overwrites `g` = dL/dy with dL/dx = f'(·)·g, f' written through x or
    /// through y as is simplest.
    fn input_grad_(&self, x: &Tensor<T>, y: &Tensor<T>, g: &mut Tensor<T>) {
        let one = T::ONE;
        let two = one + one;
        match self.0 {
            Unary::Exp => g.zip_map_(y, "exp", |g, y| y * g),
            Unary::Ln => g.zip_map_(x, "ln", |g, x| g / x),
            Unary::Ln1p => g.zip_map_(x, "ln_1p", |g, x| g / (one + x)),
            Unary::ExpM1 => g.zip_map_(y, "exp_m1", |g, y| (y + one) * g),
            Unary::Sqrt => g.zip_map_(y, "sqrt", |g, y| g / (two * y)),
            Unary::Abs => g.zip_map_(x, "abs", |g, x| {
                if x > T::ZERO {
                    g
                } else if x < T::ZERO {
                    -g
                } else {
                    T::ZERO
                }
            }),
            Unary::Relu => g.zip_map_(y, "relu", |g, y| if y > T::ZERO { g } else { T::ZERO }),
            Unary::Sigmoid => g.zip_map_(y, "sigmoid", |g, y| y * (one - y) * g),
            Unary::Tanh => g.zip_map_(y, "tanh", |g, y| (one - y * y) * g),
            Unary::Softplus => g.zip_map_(x, "softplus", |g, x| x.sigmoid() * g),
            Unary::Powf(p) => g.zip_map_(x, "powf", |g, x| p * x.powf(p - one) * g),
            Unary::Clamp(lo, hi) => {
                g.zip_map_(
                    x,
                    "clamp",
                    |g, x| if x > lo && x < hi { g } else { T::ZERO },
                )
            }
        }
    }
}

impl<T: Float> Var<T> {
    fn unary(&self, op: Unary<T>) -> Var<T> {
        apply(UnaryOp(op), &[self])
    }
    /// eˣ.
    pub fn exp(&self) -> Var<T> {
        self.unary(Unary::Exp)
    }
    /// ln x.
    pub fn ln(&self) -> Var<T> {
        self.unary(Unary::Ln)
    }
    /// ln(1 + x), accurate for small x.
    pub fn ln_1p(&self) -> Var<T> {
        self.unary(Unary::Ln1p)
    }
    /// eˣ − 1, accurate for small x.
    pub fn exp_m1(&self) -> Var<T> {
        self.unary(Unary::ExpM1)
    }
    /// √x.
    pub fn sqrt(&self) -> Var<T> {
        self.unary(Unary::Sqrt)
    }
    /// |x|.
    pub fn abs(&self) -> Var<T> {
        self.unary(Unary::Abs)
    }
    /// max(x, 0).
    pub fn relu(&self) -> Var<T> {
        self.unary(Unary::Relu)
    }
    /// The logistic sigmoid.
    pub fn sigmoid(&self) -> Var<T> {
        self.unary(Unary::Sigmoid)
    }
    /// tanh x.
    pub fn tanh(&self) -> Var<T> {
        self.unary(Unary::Tanh)
    }
    /// softplus(x) = ln(1 + eˣ), a smooth ReLU with values in (0, ∞),
    /// finite for any finite x.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let y = Var::constant(Tensor::from_vec(vec![-1000.0, 0.0, 1000.0], &[3])).softplus();
    /// assert_eq!(y.value().data(), &[0.0, 2f64.ln(), 1000.0]);
    /// ```
    pub fn softplus(&self) -> Var<T> {
        self.unary(Unary::Softplus)
    }
    /// xᵖ for a scalar exponent.
    pub fn powf(&self, p: T) -> Var<T> {
        self.unary(Unary::Powf(p))
    }
    /// Clamps into `[lo, hi]`; the gradient is zero where clamped.
    pub fn clamp(&self, lo: T, hi: T) -> Var<T> {
        self.unary(Unary::Clamp(lo, hi))
    }
}
