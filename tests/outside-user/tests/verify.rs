//! The public verification API, used as an outside crate would: each check
//! is a few lines.

use synann_autograd::{apply, check_precision, GradcheckOptions, PrecisionOptions};
use synann_nn::gradcheck_module;
use synann_outside_user::{softsign, GatedMlp, Softsign};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;
use synann_testing::strategies::{shape, tensors, uniform, Values};
use synann_testing::{gradcheck_module_property, gradcheck_property};

#[test]
fn custom_op_property_gradcheck() {
    // |x| ≥ 0.05: a central difference never straddles softsign's kink at 0.
    let inputs = tensors(1, shape(0, 4, 4), Values::signed(0.05, 3.0));
    gradcheck_property(inputs, |v| apply(Softsign, &[&v[0]]));
}

#[test]
fn custom_op_composes_in_a_property_gradcheck() {
    let inputs = tensors(2, shape(1, 3, 3), Values::signed(0.05, 2.0));
    gradcheck_property(inputs, |v| softsign(&v[0].mul(&v[1])).exp());
}

#[test]
fn custom_module_gradcheck() {
    let mut model = GatedMlp::<f64>::new(3, 5, 2, &mut seeded(0));
    let x = uniform(&[4, 3], 1, -1.0, 1.0);
    let report = gradcheck_module(&mut model, &x, &GradcheckOptions::default()).unwrap();
    assert_eq!(report.checked.len(), 6); // input, fc1.{weight,bias}, fc2.{weight,bias}, gate
}

#[test]
fn custom_module_property_gradcheck() {
    gradcheck_module_property(
        (1usize..4, 1usize..4, any_seed()),
        |&(batch, hidden, seed)| {
            let model = GatedMlp::<f64>::new(3, hidden, 2, &mut seeded(seed));
            (model, uniform(&[batch, 3], seed, -1.0, 1.0))
        },
    );
}

fn any_seed() -> impl synann_testing::proptest::strategy::Strategy<Value = u64> {
    synann_testing::proptest::num::u64::ANY
}

#[test]
fn custom_op_f32_precision() {
    let x = Tensor::uniform(&[64], -4.0, 4.0, &mut seeded(2));
    check_precision!(|v| softsign(&v[0]), &[x], &PrecisionOptions::default()).unwrap();
}

/// softsign with the derivative's square forgotten: 1/(1 + |x|).
struct WrongSoftsign;

impl synann_autograd::Function<f64> for WrongSoftsign {
    fn name(&self) -> &str {
        "wrong_softsign"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].map(|x| x / (1.0 + x.abs()))
    }
    fn backward(&self, ctx: &synann_autograd::BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let dx = ctx.inputs[0].zip_map(ctx.grad_output, "wrong", |x, g| g / (1.0 + x.abs()));
        vec![Some(dx)]
    }
}

#[test]
#[should_panic(expected = "gradcheck of `wrong_softsign`")]
fn a_wrong_custom_op_fails_its_property_naming_the_op() {
    let inputs = tensors(1, shape(1, 3, 3), Values::signed(0.05, 3.0));
    gradcheck_property(inputs, |v| apply(WrongSoftsign, &[&v[0]]));
}
