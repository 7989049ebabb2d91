//! Operator overloads on `&Var`, so formulas read like maths:
//! `&(&a * &b) + &c` is `a.mul(&b).add(&c)`. Each operator calls the method
//! of the same name (with broadcasting), and so records the same op.

use crate::var::Var;
use std::ops::{Add, Div, Mul, Neg, Sub};
use synann_tensor::Float;

/// Implements a binary operator for `&Var` by calling a `Var` method.
macro_rules! binary_operator {
    ($trait:ident, $method:ident, $doc:literal) => {
        impl<T: Float> $trait<&Var<T>> for &Var<T> {
            type Output = Var<T>;
            #[doc = $doc]
            fn $method(self, other: &Var<T>) -> Var<T> {
                Var::$method(self, other)
            }
        }
    };
}

binary_operator!(Add, add, "`a + b`: [`Var::add`], with broadcasting.");
binary_operator!(Sub, sub, "`a - b`: [`Var::sub`], with broadcasting.");
binary_operator!(
    Mul,
    mul,
    "`a * b`: [`Var::mul`], element-wise with broadcasting."
);
binary_operator!(
    Div,
    div,
    "`a / b`: [`Var::div`], element-wise with broadcasting."
);

impl<T: Float> Neg for &Var<T> {
    type Output = Var<T>;
    /// `-a`: [`Var::neg`].
    fn neg(self) -> Var<T> {
        Var::neg(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::var::Var;
    use synann_tensor::Tensor;

    #[test]
    fn operators_match_methods() {
        let a = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, -2.0, 3.0], &[3]));
        let b = Var::requiring_grad(Tensor::from_vec(vec![0.5, 4.0, -1.5], &[3]));
        let z = &(&(&a * &b) + &a) / &(&b - &(-&a));
        let expected = a.mul(&b).add(&a).div(&b.sub(&a.neg()));
        assert_eq!(*z.value(), *expected.value());
        assert_eq!(z.op_name().as_deref(), Some("div"));
    }
}
