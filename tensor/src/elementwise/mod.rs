//! Element-wise operations: unary maps, binary ops with NumPy broadcasting,
//! comparisons to 0/1 masks, and `where`.

mod binary;
mod compare;
mod unary;
