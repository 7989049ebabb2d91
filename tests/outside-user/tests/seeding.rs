//! Seeding generators and building layers through synann's re-exports of
//! `rand` 0.8 only: this crate has no `rand` dependency of its own, so this
//! file compiling is the check that none is needed.

use synann_nn::layers::{Bias, Dropout, Linear};
use synann_nn::rand::Rng as _;
use synann_nn::random::{seeded, Rng, RngCore, SeedableRng};
use synann_tensor::Tensor;

#[test]
fn a_layer_is_built_from_a_generator_seeded_through_the_re_exports() {
    let mut rng = Rng::seed_from_u64(5);
    let fc = Linear::<f32>::new(3, 2, Bias::Yes, &mut rng);
    let same = Linear::<f32>::new(3, 2, Bias::Yes, &mut seeded(5));
    assert_eq!(fc.weight.value().data(), same.weight.value().data());
    // The generator's traits, through the re-exports: a child seed for a
    // dropout layer's own stream, a raw word, a value in a range.
    let dropout = Dropout::new(0.25, seeded(rng.gen()));
    assert_eq!(dropout.p(), 0.25);
    let _word = rng.next_u64();
    assert!((0..10).contains(&rng.gen_range(0..10)));
    // Tensor fills take the same generator.
    let noise = Tensor::<f64>::uniform(&[4], -1.0, 1.0, &mut Rng::from_seed([1; 32]));
    assert!(noise.data().iter().all(|v| (-1.0..1.0).contains(v)));
}
