//! The built-in differentiable ops, one family per file. Each op is a small
//! (private) struct implementing [`Function`](crate::Function), with its
//! forward and backward side by side, and a method on [`Var`](crate::Var)
//! that applies it. Each module's documentation derives the backward of its
//! ops: that is what these pages are for; the methods themselves are listed
//! on [`Var`](crate::Var), and the index in [`var`](crate::var) says which
//! module defines which.

pub mod arith;
pub mod conv;
pub mod conv_pool;
pub mod im2row;
pub mod index;
pub mod matmul;
pub mod minmax;
pub mod overload;
pub mod pool;
pub mod reduce;
pub mod select;
pub mod shape;
pub mod softmax;
pub mod unary;
