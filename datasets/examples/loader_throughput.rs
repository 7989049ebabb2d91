//! Times reading MNIST and assembling one epoch of batches, with and without
//! augmentation.
//!
//! ```text
//! cargo run -p synann-datasets --release --example loader_throughput
//! ```

use std::time::Instant;
use synann_datasets::{DataLoader, IdxError, Mnist, RandomAffine, MNIST_MEAN, MNIST_STD};

fn main() -> Result<(), IdxError> {
    let start = Instant::now();
    let mnist = Mnist::load_default()?;
    println!(
        "read MNIST ({} + {} images): {:.3} s",
        mnist.train.len(),
        mnist.test.len(),
        start.elapsed().as_secs_f64()
    );

    let plain = DataLoader::new(&mnist.train, 64)
        .shuffle(true)
        .seed(0)
        .normalize(MNIST_MEAN, MNIST_STD);
    let shifted = plain.clone().random_shift(2);
    let affine = plain
        .clone()
        .random_affine(RandomAffine::new(10.0, 0.1, (0.9, 1.1)));
    for (name, loader) in [
        ("normalise", plain),
        ("normalise + shift ±2", shifted),
        ("normalise + affine", affine),
    ] {
        let start = Instant::now();
        let mut checksum = 0.0f64;
        for (images, _) in loader.epoch(0) {
            checksum += f64::from(images.get(&[0, 0, 14, 14]));
        }
        println!(
            "one epoch, batch 64, {name}: {:.3} s ({} batches, checksum {checksum:.3})",
            start.elapsed().as_secs_f64(),
            loader.len()
        );
    }
    Ok(())
}
