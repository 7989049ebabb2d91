//! The backward pass: reverse-mode accumulation over the recorded graph.
//!
//! 1. Order the op nodes reachable from the output so that each comes after
//!    every node that consumed it (reverse topological order, found by an
//!    iterative depth-first search).
//! 2. Seed dL/d(output) and walk that order. For each node, take its summed
//!    incoming gradient, call its function's backward, and add the results
//!    into its inputs' pending gradients (a value used twice gets the sum).
//! 3. At a leaf that requires grad, add the gradient into its `grad`.
//!
//! Unless the graph is retained, each node's function and input links are
//! dropped as soon as its backward has run, so saved tensors are freed
//! during the pass, not after it. The incoming gradient is the pass's own,
//! so an op whose single needed input gradient it can write over does so
//! ([`Function::backward_in_place`](crate::Function::backward_in_place)),
//! and a node that nothing outside the pass holds loses its value (not its
//! shape) early: at the start, if neither its own backward nor its
//! consumers' read it
//! ([`Function::backward_needs_output`](crate::Function::backward_needs_output),
//! [`Function::backward_needs_input`](crate::Function::backward_needs_input)),
//! else, if its own backward does not read it, just before that backward
//! (after every consumer's).

use crate::anomaly::{self, Phase};
use crate::function::{BackwardCtx, InPlaceCtx};
use crate::profile;
use crate::var::{GradFn, Var};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use synann_tensor::{Float, Tensor};

impl<T: Float> Var<T> {
    /// Backpropagates from a scalar (one-element) output: dL/dL = 1.
    pub fn backward(&self) {
        let n = self.value().numel();
        assert_eq!(
            n,
            1,
            "backward: output of shape {:?} is not a scalar; use backward_with",
            self.shape()
        );
        let seed = Tensor::ones(self.value().shape());
        self.backward_with(seed);
    }

    /// Backpropagates a given gradient of the loss w.r.t. this output,
    /// then frees the graph.
    pub fn backward_with(&self, grad: Tensor<T>) {
        self.run_backward(grad, false);
    }

    /// Backpropagates `grad` and keeps the graph, so that backward can run
    /// through it again (PyTorch's `retain_graph=True`); the gradients of
    /// the two passes add up.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![2.0f64], &[1]));
    /// let y = x.mul(&x);
    /// y.backward_retaining_graph(Tensor::ones(&[1]));
    /// y.backward_with(Tensor::ones(&[1])); // the graph is still there
    /// assert_eq!(x.grad().unwrap().data(), &[8.0]); // 2·x, twice
    /// ```
    pub fn backward_retaining_graph(&self, grad: Tensor<T>) {
        self.run_backward(grad, true);
    }

    /// The backward pass from `grad`, freeing each node's links as it goes
    /// unless `retain_graph`.
    fn run_backward(&self, grad: Tensor<T>, retain_graph: bool) {
        assert_eq!(
            grad.shape(),
            self.value().shape(),
            "backward: gradient of shape {:?} for an output of shape {:?}",
            grad.shape(),
            self.value().shape()
        );
        if !self.requires_grad() {
            panic!("backward: the output does not require grad (no parameter or input with requires_grad reaches it)");
        }
        let mut order = topological_order(self);
        if !retain_graph {
            free_unread_values(&order);
        }
        let mut pending: HashMap<usize, Tensor<T>> = HashMap::new();
        pending.insert(self.id(), grad);
        // Pop from the end (outputs first); dropping each handle when done
        // lets its value be freed as soon as nothing else holds it.
        while let Some(node) = order.pop() {
            let Some(g) = pending.remove(&node.id()) else {
                continue;
            };
            let grad_fn = if retain_graph {
                None
            } else {
                node.0.grad_fn.borrow_mut().take()
            };
            let borrowed;
            let gf = match &grad_fn {
                Some(gf) => gf,
                None => {
                    borrowed = node.0.grad_fn.borrow();
                    match borrowed.as_ref() {
                        Some(gf) => gf,
                        None => {
                            // A leaf: keep its gradient.
                            node.accumulate_grad(g);
                            continue;
                        }
                    }
                }
            };
            let input_values: Vec<_> = gf.inputs.iter().map(|v| v.value()).collect();
            let inputs: Vec<&Tensor<T>> = input_values.iter().map(|r| &**r).collect();
            let needs: Vec<bool> = gf.inputs.iter().map(|v| v.requires_grad()).collect();
            if !retain_graph && !gf.op.backward_needs_output() && Rc::strong_count(&node.0) == 1 {
                // Nothing but this pass holds the node and its backward
                // does not read the output: free it now rather than after
                // the backward, which would hold it beside the gradients.
                node.free_value();
            }
            let output = node.value();
            let start = profile::start();
            let grads = input_grads(gf, &inputs, &output, g, &needs);
            profile::finish(start, gf.op.name(), Phase::Backward);
            assert_eq!(
                grads.len(),
                gf.inputs.len(),
                "backward of `{}` returned {} gradients for {} inputs",
                gf.op.name(),
                grads.len(),
                gf.inputs.len()
            );
            for ((input, gi), &need) in gf.inputs.iter().zip(grads).zip(&needs) {
                let Some(gi) = gi else { continue };
                if !need {
                    continue;
                }
                let shape = input.shape();
                assert_eq!(
                    gi.shape(),
                    shape,
                    "backward of `{}` returned a gradient of shape {:?} for an input of shape {:?}",
                    gf.op.name(),
                    gi.shape(),
                    shape
                );
                anomaly::check_backward(gf.op.name(), &gi);
                match pending.get_mut(&input.id()) {
                    Some(acc) => acc.add_(&gi),
                    None => {
                        pending.insert(input.id(), gi);
                    }
                }
            }
        }
        // Leaves consume their gradient inside the loop; anything left over
        // belongs to nodes outside the order, which cannot happen.
        debug_assert!(pending.is_empty());
    }
}

/// How the nodes of a pass use one node's value.
#[derive(Default)]
struct Consumers {
    /// Links to it from the op nodes of the pass (one per input slot).
    links: usize,
    /// Whether one of those ops' backward reads it.
    read: bool,
}

/// Frees, before the pass, the value of each op node in `order` that
/// nothing will read. A value is unread when its own op's backward does not
/// read the output
/// ([`Function::backward_needs_output`](crate::Function::backward_needs_output)),
/// no consumer's backward reads it as an input
/// ([`Function::backward_needs_input`](crate::Function::backward_needs_input)),
/// and nothing but the pass and those consumers holds the node (no handle
/// of the caller's, no op outside this pass). A convolution's output
/// followed by a ReLU is one: PyTorch frees it in the forward already,
/// since nothing saved it; our graph keeps every node's value until here.
fn free_unread_values<T: Float>(order: &[Var<T>]) {
    let mut consumers: HashMap<usize, Consumers> = HashMap::new();
    for node in order {
        if let Some(gf) = node.0.grad_fn.borrow().as_ref() {
            for (i, input) in gf.inputs.iter().enumerate() {
                let c = consumers.entry(input.id()).or_default();
                c.links += 1;
                c.read |= gf.op.backward_needs_input(i);
            }
        }
    }
    for node in order {
        let unread = match node.0.grad_fn.borrow().as_ref() {
            // Leaves (parameters, inputs) keep their values.
            None => false,
            Some(gf) => {
                let c = consumers.remove(&node.id()).unwrap_or_default();
                // One reference is `order`'s own.
                let held_elsewhere = Rc::strong_count(&node.0) > 1 + c.links;
                !c.read && !gf.op.backward_needs_output() && !held_elsewhere
            }
        };
        if unread {
            node.free_value();
        }
    }
}

/// The gradients of `gf`'s inputs from dL/d(output) `g`: written over `g`
/// when only one input needs one and the op can
/// ([`Function::backward_in_place`](crate::Function::backward_in_place)),
/// else from the op's backward.
fn input_grads<T: Float>(
    gf: &GradFn<T>,
    inputs: &[&Tensor<T>],
    output: &Tensor<T>,
    mut g: Tensor<T>,
    needs: &[bool],
) -> Vec<Option<Tensor<T>>> {
    let needing = needs.iter().filter(|&&n| n).count();
    if needing == 1 {
        let input = needs
            .iter()
            .position(|&n| n)
            .expect("one input needs a gradient");
        let ctx = InPlaceCtx {
            inputs,
            output,
            input,
        };
        if gf.op.backward_in_place(&ctx, &mut g) {
            let mut grads: Vec<Option<Tensor<T>>> = inputs.iter().map(|_| None).collect();
            grads[input] = Some(g);
            return grads;
        }
    }
    gf.op.backward(&BackwardCtx {
        inputs,
        output,
        grad_output: &g,
        needs_grad: needs,
    })
}

/// Every node reachable from `root` through nodes that require grad, each
/// listed after all of its inputs.
fn topological_order<T: Float>(root: &Var<T>) -> Vec<Var<T>> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    // (node, whether its inputs have been pushed already)
    let mut stack = vec![(root.clone(), false)];
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if !visited.insert(node.id()) {
            continue;
        }
        stack.push((node.clone(), true));
        if let Some(gf) = node.0.grad_fn.borrow().as_ref() {
            for input in &gf.inputs {
                if input.requires_grad() && !visited.contains(&input.id()) {
                    stack.push((input.clone(), false));
                }
            }
        }
    }
    order
}
