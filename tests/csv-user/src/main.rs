//! Trains sigmoid → Synapse → Linear on a CSV file: `csv-user FILE LABEL OUT`.
use synann::layers::{Synapse, SynapseConfig};
use synann_datasets::read_csv;
use synann_nn::layers::{Bias, Linear, Sequential, Sigmoid};
use synann_tensor::random::seeded;
use synann_train::{OptimizerKind, Recipe, TrainOptions, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    synann_tensor::parallel::init_global_pool(2)?; // this thread works in the pool
    synann_tensor::memory::retain_freed_memory(); // steps reuse freed memory
    let mut args = std::env::args().skip(1);
    let mut arg = || args.next().ok_or("usage: csv-user FILE LABEL OUT");
    let (file, label, out) = (arg()?, arg()?, arg()?);
    let data = read_csv(file, &label)?.train_val_test_split([0.6, 0.2, 0.2], 0)?;
    let (splits, _) = data.standardized()?; // fitted on the training rows only
    let (train, val, test) = (splits.train, splits.validation, splits.test);

    let (n, mut rng) = (train.num_features(), seeded(0));
    let mut model = Sequential::new();
    model.push(Sigmoid);
    model.push(Synapse::new(n, SynapseConfig::constrained(), &mut rng));
    model.push(Linear::new(n, train.num_classes(), Bias::Yes, &mut rng));

    let recipe = Recipe {
        epochs: 30,
        ..Recipe::new(OptimizerKind::Adam, 0.01, 32)
    };
    let options = TrainOptions {
        out_dir: Some(out.into()),
        ..TrainOptions::new("csv-synapse", 0)
    };
    let mut trainer = Trainer::new(recipe, options, Box::new(model), train.len())?;
    trainer.fit(&train, Some(&val), &test)?; // progress bars, metrics, curves, checkpoints
    println!(
        "test_accuracy={}",
        trainer.history().last().unwrap().test_acc
    );
    Ok(())
}
