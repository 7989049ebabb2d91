//! Matrix products.
//!
//! **matmul.** For C = A·B (each batch entry), dL/dA = dL/dC · Bᵀ and
//! dL/dB = Aᵀ · dL/dC. The transposes are strides handed to GEMM, never
//! copies. When one B is shared by a batch of A's (`[b, m, k] @ [k, n]`),
//! dL/dB sums over the batch, which is one GEMM of the batch-flattened Aᵀ
//! with dL/dC.
//!
//! **linear.** y = x·Wᵀ + b (PyTorch's `F.linear`, W `[out, in]`) as one
//! op: dL/dx = dL/dy · W, dL/dW = (dL/dy)ᵀ · x, dL/db = Σ_rows dL/dy.

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::{Float, KeepDim, Tensor, Transpose};

struct MatMul;

impl<T: Float> Function<T> for MatMul {
    fn name(&self) -> &str {
        "matmul"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].matmul(x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (a, b, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let ga = ctx.needs_grad[0].then(|| g.matmul_t(Transpose::No, b, Transpose::Yes));
        let gb = ctx.needs_grad[1].then(|| {
            if a.rank() == 3 && b.rank() == 2 {
                // Shared right-hand matrix: flatten the batch into the rows.
                let (bs, m, k) = (a.shape()[0], a.shape()[1], a.shape()[2]);
                let n = g.shape()[2];
                let a2 = a.reshape(&[bs * m, k]);
                let g2 = g.reshape(&[bs * m, n]);
                a2.matmul_t(Transpose::Yes, &g2, Transpose::No)
            } else {
                a.matmul_t(Transpose::Yes, g, Transpose::No)
            }
        });
        vec![ga, gb]
    }

    /// The gradients need the inputs only.
    fn backward_needs_output(&self) -> bool {
        false
    }
}

/// y = x·Wᵀ + b, PyTorch's `F.linear`, as one op: W is `[out, in]`.
///
/// dL/dx = dL/dy · W, dL/dW = (dL/dy)ᵀ · x, dL/db = Σ_rows dL/dy.
struct Linear {
    has_bias: bool,
}

impl<T: Float> Function<T> for Linear {
    fn name(&self) -> &str {
        "linear"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let y = x[0].matmul_t(Transpose::No, x[1], Transpose::Yes);
        if self.has_bias {
            let mut y = y;
            let n = x[1].shape()[0];
            let b = x[2].data();
            for row in y.data_mut().chunks_mut(n) {
                row.iter_mut().zip(b).for_each(|(v, &bi)| *v += bi);
            }
            y
        } else {
            y
        }
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, w, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let mut out = vec![
            ctx.needs_grad[0].then(|| g.matmul(w)),
            ctx.needs_grad[1].then(|| g.matmul_t(Transpose::Yes, x, Transpose::No)),
        ];
        if self.has_bias {
            out.push(ctx.needs_grad[2].then(|| g.sum(&[0], KeepDim::No)));
        }
        out
    }

    /// The gradients need the inputs only.
    fn backward_needs_output(&self) -> bool {
        false
    }
}

impl<T: Float> Var<T> {
    /// Matrix product (2-D, batched 3-D, or 3-D by a shared 2-D matrix).
    pub fn matmul(&self, other: &Var<T>) -> Var<T> {
        apply(MatMul, &[self, other])
    }

    /// `x·Wᵀ + b` for `x` `[batch, in]`, `W` `[out, in]`, `b` `[out]`, as
    /// PyTorch's `F.linear`.
    pub fn linear(&self, weight: &Var<T>, bias: Option<&Var<T>>) -> Var<T> {
        let (x, w) = (self.value(), weight.value());
        assert!(
            x.rank() == 2 && w.rank() == 2 && x.shape()[1] == w.shape()[1],
            "linear: input {:?} does not match weight {:?} ([out, in])",
            x.shape(),
            w.shape()
        );
        if let Some(b) = bias {
            assert_eq!(
                b.value().shape(),
                &[w.shape()[0]],
                "linear: bias {:?} does not match weight {:?}",
                b.value().shape(),
                w.shape()
            );
        }
        drop((x, w));
        match bias {
            Some(b) => apply(Linear { has_bias: true }, &[self, weight, b]),
            None => apply(Linear { has_bias: false }, &[self, weight]),
        }
    }
}
