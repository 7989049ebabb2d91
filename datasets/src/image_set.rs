//! [`ImageSet`]: one split (train or test) of a grey-scale image
//! classification dataset, kept as bytes.

use rand::seq::SliceRandom;
use std::fmt;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Why [`ImageSet::split_validation`] cannot carve the split asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError {
    /// The validation images asked for.
    pub requested: usize,
    /// The images the set has.
    pub available: usize,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot hold out {} validation images from a training set of {}: \
             at least one image must stay for training",
            self.requested, self.available
        )
    }
}

impl std::error::Error for SplitError {}

/// Grey-scale images stored as `u8` pixels (0 = black, 255 = white), with
/// one class label per image.
///
/// Images stay bytes in memory (MNIST's training set is 47 MB as `u8`, four
/// times that as `f32`); [`DataLoader`](crate::DataLoader) converts each
/// batch to `f32` as it assembles it, and [`ImageSet::to_tensor`] converts
/// the whole set at once when that is wanted.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    pixels: Vec<u8>,
    labels: Vec<usize>,
    rows: usize,
    cols: usize,
    num_classes: usize,
}

impl ImageSet {
    /// A set of `labels.len()` images of `rows × cols` pixels, stored one
    /// after the other in `pixels`.
    ///
    /// Panics if `pixels` does not hold exactly one image per label or if a
    /// label is not below `num_classes`.
    ///
    /// ```
    /// use synann_datasets::ImageSet;
    /// let set = ImageSet::new(vec![0, 255, 128, 64, 1, 2, 3, 4], vec![1, 0], 2, 2, 2);
    /// assert_eq!(set.len(), 2);
    /// assert_eq!(set.image(1), &[1, 2, 3, 4]);
    /// ```
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<usize>,
        rows: usize,
        cols: usize,
        num_classes: usize,
    ) -> Self {
        assert_eq!(
            pixels.len(),
            labels.len() * rows * cols,
            "ImageSet::new: {} pixels for {} labels of {rows}×{cols} images",
            pixels.len(),
            labels.len()
        );
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l >= num_classes) {
            panic!("ImageSet::new: label {l} at index {i} is not below num_classes {num_classes}");
        }
        ImageSet {
            pixels,
            labels,
            rows,
            cols,
            num_classes,
        }
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The image height in pixels.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The image width in pixels.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The number of pixels in one image (`rows · cols`).
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// The number of classes; every label is below it.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Every pixel, image after image, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The label of every image.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The pixels of image `i`, row-major; panics if `i` is out of range.
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(
            i < self.len(),
            "ImageSet::image: index {i} out of range for {} images",
            self.len()
        );
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Keeps only the first `n` images (all of them if there are fewer).
    pub fn truncate(&mut self, n: usize) {
        self.labels.truncate(n);
        self.pixels.truncate(self.labels.len() * self.image_len());
    }

    /// Splits the set into (training, validation) with `n` validation
    /// images drawn at random: a permutation seeded by `seed` (independent
    /// of any training seed, so every run of a study validates on the same
    /// images), whose last `n` indices form the validation set. Both parts
    /// keep their images in the original order.
    ///
    /// Fails unless 0 < n < `self.len()`.
    ///
    /// ```
    /// use synann_datasets::ImageSet;
    /// let set = ImageSet::new((0..40).collect(), (0..10).map(|i| i % 2).collect(), 2, 2, 2);
    /// let (train, val) = set.split_validation(3, 0).unwrap();
    /// assert_eq!((train.len(), val.len()), (7, 3));
    /// assert!(set.split_validation(10, 0).is_err());
    /// ```
    pub fn split_validation(
        &self,
        n: usize,
        seed: u64,
    ) -> Result<(ImageSet, ImageSet), SplitError> {
        if n == 0 || n >= self.len() {
            return Err(SplitError {
                requested: n,
                available: self.len(),
            });
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut seeded(seed));
        let mut held_out = vec![false; self.len()];
        for &i in &order[self.len() - n..] {
            held_out[i] = true;
        }
        let part = |keep: bool| {
            let indices: Vec<usize> = (0..self.len()).filter(|&i| held_out[i] != keep).collect();
            let pixels = indices
                .iter()
                .flat_map(|&i| self.image(i).iter().copied())
                .collect();
            let labels = indices.iter().map(|&i| self.labels[i]).collect();
            ImageSet::new(pixels, labels, self.rows, self.cols, self.num_classes)
        };
        Ok((part(true), part(false)))
    }

    /// How many images each class has (`histogram[c]` for class `c`).
    pub fn label_histogram(&self) -> Vec<usize> {
        let mut histogram = vec![0; self.num_classes];
        for &l in &self.labels {
            histogram[l] += 1;
        }
        histogram
    }

    /// All images as one `f32` tensor of shape `[N, 1, rows, cols]`, scaled
    /// to [0, 1] (pixel / 255).
    pub fn to_tensor(&self) -> Tensor<f32> {
        let data = self.pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
        Tensor::from_vec(data, &[self.len(), 1, self.rows, self.cols])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ImageSet {
        ImageSet::new((0..12).collect(), vec![2, 0, 2], 2, 2, 3)
    }

    #[test]
    fn accessors_and_histogram() {
        let set = tiny();
        assert_eq!(
            (set.len(), set.rows(), set.cols(), set.image_len()),
            (3, 2, 2, 4)
        );
        assert_eq!(set.image(2), &[8, 9, 10, 11]);
        assert_eq!(set.label_histogram(), vec![1, 0, 2]);
    }

    #[test]
    fn truncate_keeps_the_first_images() {
        let mut set = tiny();
        set.truncate(2);
        assert_eq!(set.len(), 2);
        assert_eq!(set.pixels().len(), 8);
        set.truncate(10);
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn validation_split_is_a_seeded_partition() {
        let set = ImageSet::new((0..40).collect(), (0..10).map(|i| i % 3).collect(), 2, 2, 3);
        let (train, val) = set.split_validation(4, 9).unwrap();
        assert_eq!((train.len(), val.len()), (6, 4));
        // Every image lands in exactly one part, with its label.
        let mut firsts: Vec<u8> = (0..6)
            .map(|i| train.image(i)[0])
            .chain((0..4).map(|i| val.image(i)[0]))
            .collect();
        for (part, len) in [(&train, 6), (&val, 4)] {
            for i in 0..len {
                let original = part.image(i)[0] as usize / 4;
                assert_eq!(part.labels()[i], original % 3);
            }
        }
        firsts.sort();
        assert_eq!(firsts, (0..10).map(|i| 4 * i as u8).collect::<Vec<_>>());
        // The same seed gives the same split, another seed another one.
        assert_eq!(set.split_validation(4, 9).unwrap().1, val);
        assert_ne!(set.split_validation(4, 10).unwrap().1, val);
        let err = set.split_validation(10, 0).unwrap_err();
        assert_eq!((err.requested, err.available), (10, 10));
        assert!(err
            .to_string()
            .contains("10 validation images from a training set of 10"));
        assert!(set.split_validation(0, 0).is_err());
    }

    #[test]
    fn to_tensor_scales_to_unit_interval() {
        let set = ImageSet::new(vec![0, 255, 51, 102], vec![0], 2, 2, 1);
        let t = set.to_tensor();
        assert_eq!(t.shape(), &[1, 1, 2, 2]);
        assert_eq!(t.data(), &[0.0, 1.0, 0.2, 0.4]);
    }

    #[test]
    #[should_panic(expected = "not below num_classes")]
    fn new_rejects_bad_labels() {
        ImageSet::new(vec![0; 4], vec![5], 2, 2, 3);
    }
}
