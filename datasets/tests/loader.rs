//! The data loader: batching, seeded shuffling, resuming, transforms.

use proptest::prelude::*;
use synann_datasets::{DataLoader, ImageSet, RandomAffine, Transform};

/// `n` images of 4 × 3 pixels; every pixel of image `i` is `i`, its label
/// `i % 10`.
fn numbered(n: usize) -> ImageSet {
    let pixels = (0..n).flat_map(|i| vec![i as u8; 12]).collect();
    ImageSet::new(pixels, (0..n).map(|i| i % 10).collect(), 4, 3, 10)
}

/// The image index each batch row came from (every pixel holds it).
fn sources(images: &synann_tensor::Tensor<f32>) -> Vec<usize> {
    images
        .data()
        .chunks(12)
        .map(|c| (c[0] * 255.0).round() as usize)
        .collect()
}

#[test]
fn batches_cover_the_set_in_order_without_shuffling() {
    let set = numbered(10);
    let loader = DataLoader::new(&set, 4);
    assert_eq!(loader.len(), 3);
    let batches: Vec<_> = loader.epoch(0).collect();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[0].0.shape(), &[4, 1, 4, 3]);
    assert_eq!(batches[2].0.shape(), &[2, 1, 4, 3]);
    let seen: Vec<usize> = batches.iter().flat_map(|(x, _)| sources(x)).collect();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
    let labels: Vec<usize> = batches.into_iter().flat_map(|(_, y)| y).collect();
    assert_eq!(labels, set.labels());
}

#[test]
fn drop_last_and_flatten() {
    let set = numbered(10);
    let loader = DataLoader::new(&set, 4).drop_last(true).flatten(true);
    assert_eq!(loader.len(), 2);
    let shapes: Vec<Vec<usize>> = loader.epoch(0).map(|(x, _)| x.shape().to_vec()).collect();
    assert_eq!(shapes, [[4, 12], [4, 12]]);
    assert!(DataLoader::new(&set, 11).drop_last(true).is_empty());
}

#[test]
fn each_epoch_is_a_permutation_reproducible_from_the_seed() {
    let set = numbered(50);
    let loader = DataLoader::new(&set, 7).shuffle(true).seed(9);
    let p0 = loader.permutation(0);
    let p1 = loader.permutation(1);
    for p in [&p0, &p1] {
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
    assert_ne!(p0, p1, "epochs are reshuffled");
    assert_ne!(p0, (0..50).collect::<Vec<_>>());
    // The same seed gives the same orders, from a fresh loader, in any order
    // of asking (nothing is carried from one epoch to the next).
    let again = DataLoader::new(&set, 3).shuffle(true).seed(9);
    assert_eq!(again.permutation(1), p1);
    assert_eq!(again.permutation(0), p0);
    assert_ne!(
        DataLoader::new(&set, 7)
            .shuffle(true)
            .seed(10)
            .permutation(0),
        p0
    );
    // The batches follow the permutation.
    let seen: Vec<usize> = loader.epoch(1).flat_map(|(x, _)| sources(&x)).collect();
    assert_eq!(seen, p1);
}

#[test]
fn resuming_mid_epoch_gives_the_same_batches() {
    let set = numbered(40);
    let loader = DataLoader::new(&set, 6)
        .shuffle(true)
        .seed(4)
        .random_shift(1)
        .normalize(0.5, 0.5);
    let full: Vec<_> = loader.epoch(3).collect();
    // A "restarted" loader built from the same settings, skipping 4 batches.
    let restarted = loader.clone();
    let mut batches = restarted.epoch(3);
    assert_eq!(batches.len(), 7);
    let resumed: Vec<_> = batches.nth(4).into_iter().chain(batches).collect();
    assert_eq!(resumed.len(), 3);
    for (a, b) in full[4..].iter().zip(&resumed) {
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
    }
    assert_eq!(loader.epoch(3).get(5).1, full[5].1);
}

#[test]
fn augmentation_depends_on_seed_epoch_and_position_only() {
    // A 28×28 set of distinct images, with affine augmentation.
    let n = 12;
    let pixels = (0..n * 784).map(|i| (i * 7 % 251) as u8).collect();
    let set = ImageSet::new(pixels, vec![0; n], 28, 28, 10);
    let affine = RandomAffine::new(15.0, 0.1, (0.9, 1.1));
    let small = DataLoader::new(&set, 5).seed(1).random_affine(affine);
    let large = DataLoader::new(&set, 12).seed(1).random_affine(affine);
    let a: Vec<f32> = small.epoch(2).flat_map(|(x, _)| x.into_vec()).collect();
    let b = large.epoch(2).next().unwrap().0.into_vec();
    assert_eq!(a, b, "independent of the batch size");
    let c = large.epoch(3).next().unwrap().0.into_vec();
    assert_ne!(b, c, "a new epoch draws new augmentations");
    let plain = DataLoader::new(&set, 12)
        .epoch(2)
        .next()
        .unwrap()
        .0
        .into_vec();
    assert_ne!(b, plain, "the augmentation changes the images");
}

#[test]
fn transforms_keep_shapes() {
    let n = 9;
    let pixels = (0..n * 784).map(|i| (i % 256) as u8).collect();
    let set = ImageSet::new(pixels, vec![1; n], 28, 28, 10);
    let transforms = [
        Transform::default(),
        Transform {
            normalize: Some((0.1307, 0.3081)),
            ..Transform::default()
        },
        Transform {
            shift: 2,
            ..Transform::default()
        },
        Transform {
            normalize: Some((0.1307, 0.3081)),
            shift: 3,
            affine: Some(RandomAffine::new(20.0, 0.1, (0.8, 1.2))),
        },
    ];
    for t in transforms {
        for flatten in [false, true] {
            let loader = DataLoader::new(&set, 4).transform(t).flatten(flatten);
            for (x, y) in loader.epoch(0) {
                let b = y.len();
                let expected: &[usize] = if flatten { &[b, 784] } else { &[b, 1, 28, 28] };
                assert_eq!(x.shape(), expected, "{t:?}");
                assert!(x.all_finite());
            }
        }
    }
}

#[test]
fn shift_with_normalisation_fills_with_normalised_black() {
    // All-white images shifted by up to 2 pixels: every value is either
    // normalised white or normalised black, and some rows/columns are black.
    let set = ImageSet::new(vec![255; 8 * 100], vec![0; 8], 10, 10, 1);
    let (mean, std) = (0.25f32, 0.5f32);
    let loader = DataLoader::new(&set, 8)
        .seed(2)
        .random_shift(2)
        .normalize(mean, std);
    let (x, _) = loader.epoch(0).next().unwrap();
    let (white, black) = ((1.0 - mean) / std, -mean / std);
    assert!(x.data().iter().all(|&v| v == white || v == black));
    assert!(x.data().contains(&black));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn shuffled_epochs_visit_every_image_once(
        n in 0usize..60,
        batch in 1usize..9,
        seed in any::<u64>(),
        epoch in 0usize..1000,
        drop_last in any::<bool>(),
    ) {
        let set = numbered(n);
        let loader = DataLoader::new(&set, batch).shuffle(true).seed(seed).drop_last(drop_last);
        let seen: Vec<usize> = loader.epoch(epoch).flat_map(|(x, _)| sources(&x)).collect();
        let kept = if drop_last { n / batch * batch } else { n };
        prop_assert_eq!(seen.len(), kept);
        prop_assert_eq!(&seen[..], &loader.permutation(epoch)[..kept]);
        let mut sorted = loader.permutation(epoch);
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
    }
}

#[test]
#[should_panic(expected = "std > 0")]
fn zero_std_is_rejected() {
    let set = numbered(2);
    let _ = DataLoader::new(&set, 1).normalize(0.5, 0.0);
}

#[test]
#[should_panic(expected = "RandomAffine: degrees")]
fn affine_parameters_built_by_hand_are_checked() {
    let set = numbered(2);
    let bad = RandomAffine {
        degrees: -5.0,
        translate: 0.0,
        scale: (1.0, 1.0),
    };
    let _ = DataLoader::new(&set, 1).random_affine(bad);
}
