//! The built-in differentiable ops, one family per file. Each op is a small
//! struct implementing [`Function`](crate::Function), with its forward, its
//! backward and the derivation side by side, and a method on
//! [`Var`](crate::Var) that applies it.

mod arith;
mod conv;
mod im2row;
mod index;
mod matmul;
mod minmax;
mod overload;
mod pool;
mod reduce;
mod select;
mod shape;
mod softmax;
mod unary;
