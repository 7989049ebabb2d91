//! Broadcasting arithmetic: add, sub, mul, div, pow, maximum, minimum, and
//! the scalar forms.
//!
//! | op ([`Var`] method) | z | ∂z/∂a | ∂z/∂b |
//! |---|---|---|---|
//! | `add` | a + b | 1 | 1 |
//! | `sub` | a − b | 1 | −1 |
//! | `mul` | a·b | b | a |
//! | `div` | a/b | 1/b | −a/b² = −z/b |
//! | `pow` | aᵇ | b·aᵇ⁻¹ | z·ln a (for a > 0) |
//! | `maximum` | max(a, b) | 1 where a ≥ b, else 0 | 1 where a < b, else 0 |
//! | `minimum` | min(a, b) | 1 where a ≤ b, else 0 | 1 where a > b, else 0 |
//!
//! so dL/da = ∂z/∂a · dL/dz and dL/db = ∂z/∂b · dL/dz element by element:
//! the gradient of a maximum or minimum goes to the larger or smaller
//! input, to `a` on ties. The scalar forms (`add_scalar`, `mul_scalar`,
//! `rsub_scalar`, `neg`) are z = s·x + c for constants s and c, so
//! dL/dx = s · dL/dz.
//!
//! With broadcasting, an input of shape `s` is read as if stretched to the
//! output shape; its gradient is the output-shaped gradient summed back
//! down to `s` ([`Tensor::sum_to`]).

use crate::function::{apply, BackwardCtx, Function, InPlaceCtx};
use crate::var::Var;
use synann_tensor::{Float, Tensor};

/// Which binary op (the partial derivatives are in the module docs' table).
#[derive(Clone, Copy, Debug)]
enum Binary {
    /// z = a + b.
    Add,
    /// z = a − b.
    Sub,
    /// z = a·b.
    Mul,
    /// z = a/b.
    Div,
    /// z = aᵇ.
    Pow,
    /// z = max(a, b).
    Maximum,
    /// z = min(a, b).
    Minimum,
}

struct BinaryOp(Binary);

impl<T: Float> Function<T> for BinaryOp {
    fn name(&self) -> &str {
        match self.0 {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Pow => "pow",
            Binary::Maximum => "maximum",
            Binary::Minimum => "minimum",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let (a, b) = (x[0], x[1]);
        match self.0 {
            Binary::Add => a.add(b),
            Binary::Sub => a.sub(b),
            Binary::Mul => a.mul(b),
            Binary::Div => a.div(b),
            Binary::Pow => a.pow(b),
            Binary::Maximum => a.maximum(b),
            Binary::Minimum => a.minimum(b),
        }
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (a, b, z, g) = (ctx.inputs[0], ctx.inputs[1], ctx.output, ctx.grad_output);
        // Output-shaped gradients for each input, before summing to shape.
        let (ga, gb): (Option<Tensor<T>>, Option<Tensor<T>>) = match self.0 {
            Binary::Add => (
                ctx.needs_grad[0].then(|| g.clone()),
                ctx.needs_grad[1].then(|| g.clone()),
            ),
            Binary::Sub => (
                ctx.needs_grad[0].then(|| g.clone()),
                ctx.needs_grad[1].then(|| g.neg()),
            ),
            Binary::Mul => (
                ctx.needs_grad[0].then(|| g.mul(b)),
                ctx.needs_grad[1].then(|| g.mul(a)),
            ),
            Binary::Div => (
                ctx.needs_grad[0].then(|| g.div(b)),
                ctx.needs_grad[1].then(|| g.mul(z).div(b).neg()),
            ),
            Binary::Pow => (
                ctx.needs_grad[0].then(|| {
                    g.mul(&b.broadcast_to(z.shape()).zip_map(
                        &a.broadcast_to(z.shape()),
                        "pow",
                        |e, x| e * x.powf(e - T::ONE),
                    ))
                }),
                ctx.needs_grad[1].then(|| g.mul(&z.mul(&a.ln()))),
            ),
            Binary::Maximum | Binary::Minimum => {
                // mask = 1 where `a` won (ties go to `a`).
                let mask = match self.0 {
                    Binary::Maximum => a.ge(b),
                    _ => a.le(b),
                };
                let ga = g.mul(&mask);
                let gb = g.sub(&ga);
                (Some(ga), Some(gb))
            }
        };
        vec![
            ga.map(|t| t.into_sum_to(a.shape())),
            gb.map(|t| t.into_sum_to(b.shape())),
        ]
    }

    fn backward_in_place(&self, ctx: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        self.input_grad_in_place(ctx, grad)
    }
}

impl BinaryOp {
    /// dL/da or dL/db written over g = dL/dz, for add, sub, mul and div when
    /// that input and every other operand the formula reads have z's shape
    /// (no sum over broadcast axes). The same element-wise formulas as
    /// `backward`'s, operand for operand.
    fn input_grad_in_place<T: Float>(&self, ctx: &InPlaceCtx<'_, T>, g: &mut Tensor<T>) -> bool {
        let (a, b, z) = (ctx.inputs[0], ctx.inputs[1], ctx.output);
        // g has z's shape.
        let z_shape = g.shape().to_vec();
        let full = |t: &Tensor<T>| t.shape() == z_shape;
        if !full(ctx.inputs[ctx.input]) {
            return false;
        }
        match (self.0, ctx.input) {
            (Binary::Add, _) | (Binary::Sub, 0) => {}
            (Binary::Sub, 1) => g.map_(|g| -g),
            (Binary::Mul, 0) if full(b) => g.zip_map_(b, "mul", |g, b| g * b),
            (Binary::Mul, 1) if full(a) => g.zip_map_(a, "mul", |g, a| g * a),
            (Binary::Div, 0) if full(b) => g.zip_map_(b, "div", |g, b| g / b),
            (Binary::Div, 1) => {
                g.zip_map_(z, "mul", |g, z| g * z);
                g.zip_map_(b, "div", |t, b| -(t / b));
            }
            _ => return false,
        }
        true
    }
}

/// z = a·x + c for scalars a and c: ∂z/∂x = a.
struct Affine<T> {
    scale: T,
    shift: T,
}

impl<T: Float> Function<T> for Affine<T> {
    fn name(&self) -> &str {
        "affine"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let (a, c) = (self.scale, self.shift);
        x[0].map(|v| a * v + c)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(ctx.grad_output.mul_scalar(self.scale))]
    }
    /// The same product, g·a, over g.
    fn backward_in_place(&self, _: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        let s = self.scale;
        grad.map_(|g| g * s);
        true
    }
    /// dL/dx = a·dL/dz reads neither x nor z.
    fn backward_needs_output(&self) -> bool {
        false
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

impl<T: Float> Var<T> {
    fn binary(&self, other: &Var<T>, op: Binary) -> Var<T> {
        apply(BinaryOp(op), &[self, other])
    }
    /// Element-wise `self + other` with broadcasting.
    pub fn add(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Add)
    }
    /// Element-wise `self − other` with broadcasting.
    pub fn sub(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Sub)
    }
    /// Element-wise `self · other` with broadcasting.
    pub fn mul(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Mul)
    }
    /// Element-wise `self / other` with broadcasting.
    pub fn div(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Div)
    }
    /// Element-wise `self ^ other` with broadcasting (the exponent's
    /// gradient needs `self > 0`).
    pub fn pow(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Pow)
    }
    /// Element-wise maximum with broadcasting.
    pub fn maximum(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Maximum)
    }
    /// Element-wise minimum with broadcasting.
    pub fn minimum(&self, other: &Var<T>) -> Var<T> {
        self.binary(other, Binary::Minimum)
    }
    /// `self + s` for a scalar `s`.
    pub fn add_scalar(&self, s: T) -> Var<T> {
        apply(
            Affine {
                scale: T::ONE,
                shift: s,
            },
            &[self],
        )
    }
    /// `self · s` for a scalar `s`.
    pub fn mul_scalar(&self, s: T) -> Var<T> {
        apply(
            Affine {
                scale: s,
                shift: T::ZERO,
            },
            &[self],
        )
    }
    /// `s − self` for a scalar `s` (as in `1 − p`).
    pub fn rsub_scalar(&self, s: T) -> Var<T> {
        apply(
            Affine {
                scale: -T::ONE,
                shift: s,
            },
            &[self],
        )
    }
    /// −self.
    pub fn neg(&self) -> Var<T> {
        self.mul_scalar(-T::ONE)
    }
}
