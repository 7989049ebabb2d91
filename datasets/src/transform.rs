//! Per-image transforms applied by the [`DataLoader`](crate::DataLoader):
//! byte → float scaling, normalisation, and seeded geometric augmentation.
//!
//! A transform turns the `u8` pixels of one image into `f32` values in three
//! steps, always in this order (as torchvision's
//! `RandomAffine → ToTensor → Normalize`):
//!
//! 1. geometry (only if [`Transform::shift`] or [`Transform::affine`] is set):
//!    each output pixel is sampled, bilinearly, from where the inverse of a
//!    random similarity transform sends it in the source image; points
//!    outside the image read as black (pixel value 0);
//! 2. scaling to [0, 1]: `x = pixel / 255`;
//! 3. normalisation (if set): `x = (x − mean) / std`.
//!
//! Steps 2 and 3 are affine in the pixel value, so they are folded into one
//! 256-entry lookup table, and since bilinear weights sum to one, sampling
//! the table's values gives the same result as normalising after sampling.

use rand::Rng as _;
use synann_tensor::random::Rng;

/// Mean of MNIST's training pixels after scaling to [0, 1].
pub const MNIST_MEAN: f32 = 0.1307;
/// Standard deviation of MNIST's training pixels after scaling to [0, 1].
pub const MNIST_STD: f32 = 0.3081;

/// A random rotation, scaling and translation about the image centre, drawn
/// independently for each image (as torchvision's `RandomAffine`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomAffine {
    /// The rotation angle is uniform in [−degrees, degrees].
    pub degrees: f32,
    /// The translation along each axis is uniform in
    /// [−translate · size, translate · size] pixels (a fraction of the image).
    pub translate: f32,
    /// The scale factor is uniform in [scale.0, scale.1].
    pub scale: (f32, f32),
}

impl RandomAffine {
    /// Checks and builds the parameters; panics if `degrees` or `translate`
    /// is negative or not finite, or unless `0 < scale.0 ≤ scale.1`.
    pub fn new(degrees: f32, translate: f32, scale: (f32, f32)) -> Self {
        let affine = RandomAffine {
            degrees,
            translate,
            scale,
        };
        affine.check();
        affine
    }

    /// Panics unless the parameters are valid (see [`RandomAffine::new`]).
    fn check(&self) {
        let RandomAffine {
            degrees,
            translate,
            scale,
        } = *self;
        assert!(
            degrees.is_finite() && degrees >= 0.0,
            "RandomAffine: degrees must be finite and ≥ 0 (got {degrees})"
        );
        assert!(
            translate.is_finite() && translate >= 0.0,
            "RandomAffine: translate must be finite and ≥ 0 (got {translate})"
        );
        assert!(
            scale.0 > 0.0 && scale.0 <= scale.1 && scale.1.is_finite(),
            "RandomAffine: scale must satisfy 0 < min ≤ max (got {scale:?})"
        );
    }
}

/// What the loader does to each image (see the [module documentation](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Transform {
    /// `(mean, std)` to normalise with after scaling to [0, 1]; `None` leaves
    /// values in [0, 1].
    pub normalize: Option<(f32, f32)>,
    /// Shift each image by whole pixels, uniform in [−shift, shift] along
    /// each axis (0: no shift).
    pub shift: usize,
    /// A random affine transform of each image.
    pub affine: Option<RandomAffine>,
}

impl Transform {
    /// Panics if the parameters are invalid: normalisation needs a finite
    /// mean and `std > 0`; the affine parameters are checked as in
    /// [`RandomAffine::new`]. The loader checks when given a transform.
    pub fn check(&self) {
        if let Some((mean, std)) = self.normalize {
            assert!(
                mean.is_finite() && std.is_finite() && std > 0.0,
                "Transform: normalisation needs a finite mean and std > 0 (got {mean}, {std})"
            );
        }
        if let Some(affine) = &self.affine {
            affine.check();
        }
    }

    /// Whether the transform draws random numbers (shift or affine set).
    pub fn is_random(&self) -> bool {
        self.shift > 0 || self.affine.is_some()
    }

    /// The `f32` value of each pixel value 0 to 255 (scaling then
    /// normalisation).
    pub fn lookup_table(&self) -> [f32; 256] {
        let (mean, std) = self.normalize.unwrap_or((0.0, 1.0));
        std::array::from_fn(|p| (p as f32 / 255.0 - mean) / std)
    }

    /// Transforms one `rows × cols` image `src` into `out`, drawing the
    /// random parameters from `rng`. Panics if a buffer's length is not
    /// `rows · cols` or if the parameters are invalid.
    ///
    /// ```
    /// use synann_datasets::Transform;
    /// use synann_tensor::random::seeded;
    /// let t = Transform { shift: 1, ..Transform::default() };
    /// let src = [0, 0, 0, 0, 255, 0, 0, 0, 0];
    /// let mut out = [0.0f32; 9];
    /// t.apply(&src, 3, 3, &mut seeded(1), &mut out);
    /// assert_eq!(out.iter().sum::<f32>(), 1.0); // the bright pixel moved, nothing lost
    /// ```
    pub fn apply(&self, src: &[u8], rows: usize, cols: usize, rng: &mut Rng, out: &mut [f32]) {
        self.check();
        self.apply_with_table(&self.lookup_table(), src, rows, cols, rng, out);
    }

    /// [`Transform::apply`] with the lookup table computed once by the caller.
    pub(crate) fn apply_with_table(
        &self,
        table: &[f32; 256],
        src: &[u8],
        rows: usize,
        cols: usize,
        rng: &mut Rng,
        out: &mut [f32],
    ) {
        assert!(
            src.len() == rows * cols && out.len() == rows * cols,
            "Transform::apply: image of {} pixels and output of {} for a {rows}×{cols} image",
            src.len(),
            out.len()
        );
        if self.is_random() {
            let warp = self.sample_warp(rows, cols, rng);
            warp.resample(table, src, rows, cols, out);
        } else {
            out.iter_mut()
                .zip(src)
                .for_each(|(o, &p)| *o = table[usize::from(p)]);
        }
    }

    /// Draws the shift and affine parameters for one image.
    fn sample_warp(&self, rows: usize, cols: usize, rng: &mut Rng) -> Warp {
        let mut warp = Warp::IDENTITY;
        if self.shift > 0 {
            let k = self.shift as i32;
            warp.tx += rng.gen_range(-k..=k) as f32;
            warp.ty += rng.gen_range(-k..=k) as f32;
        }
        if let Some(a) = self.affine {
            let angle = rng.gen_range(-a.degrees..=a.degrees).to_radians();
            let scale = rng.gen_range(a.scale.0..=a.scale.1);
            warp.tx += rng.gen_range(-a.translate..=a.translate) * cols as f32;
            warp.ty += rng.gen_range(-a.translate..=a.translate) * rows as f32;
            warp.cos = angle.cos();
            warp.sin = angle.sin();
            warp.inv_scale = 1.0 / scale;
        }
        warp
    }
}

/// One drawn similarity transform: output point p comes from source point
/// `R(−θ) · (p − c − t) / s + c`, where c is the image centre, t the
/// translation, s the scale and θ the rotation angle.
struct Warp {
    cos: f32,
    sin: f32,
    inv_scale: f32,
    tx: f32,
    ty: f32,
}

impl Warp {
    const IDENTITY: Warp = Warp {
        cos: 1.0,
        sin: 0.0,
        inv_scale: 1.0,
        tx: 0.0,
        ty: 0.0,
    };

    /// Fills `out` by bilinear sampling of `table[src]`; outside the image
    /// reads `table[0]` (black). A translation by whole pixels (no rotation
    /// or scaling) takes a shortcut: bilinear weights would all be 0 or 1.
    fn resample(&self, table: &[f32; 256], src: &[u8], rows: usize, cols: usize, out: &mut [f32]) {
        if self.cos == 1.0 && self.sin == 0.0 && self.inv_scale == 1.0 {
            if let (Some(dx), Some(dy)) = (whole(self.tx), whole(self.ty)) {
                return shift(table, src, rows, cols, dx, dy, out);
            }
        }
        self.bilinear(table, src, rows, cols, out);
    }

    /// The general case of [`Warp::resample`].
    fn bilinear(&self, table: &[f32; 256], src: &[u8], rows: usize, cols: usize, out: &mut [f32]) {
        let (cx, cy) = ((cols as f32 - 1.0) / 2.0, (rows as f32 - 1.0) / 2.0);
        let pixel = |x: isize, y: isize| -> f32 {
            if x < 0 || y < 0 || x >= cols as isize || y >= rows as isize {
                table[0]
            } else {
                table[usize::from(src[y as usize * cols + x as usize])]
            }
        };
        for (y, row) in out.chunks_exact_mut(cols).enumerate() {
            for (x, o) in row.iter_mut().enumerate() {
                let u = x as f32 - cx - self.tx;
                let v = y as f32 - cy - self.ty;
                let sx = (self.cos * u + self.sin * v) * self.inv_scale + cx;
                let sy = (-self.sin * u + self.cos * v) * self.inv_scale + cy;
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (x0, y0) = (x0 as isize, y0 as isize);
                let top = pixel(x0, y0) * (1.0 - fx) + pixel(x0 + 1, y0) * fx;
                let bottom = pixel(x0, y0 + 1) * (1.0 - fx) + pixel(x0 + 1, y0 + 1) * fx;
                *o = top * (1.0 - fy) + bottom * fy;
            }
        }
    }
}

/// `v` as an integer if it is a whole number.
fn whole(v: f32) -> Option<isize> {
    (v.fract() == 0.0).then_some(v as isize)
}

/// The pure translation by whole pixels: output (x, y) reads source
/// (x − dx, y − dy), or black outside the image. Same result as the
/// bilinear path with weights 0 and 1, without the arithmetic.
fn shift(
    table: &[f32; 256],
    src: &[u8],
    rows: usize,
    cols: usize,
    dx: isize,
    dy: isize,
    out: &mut [f32],
) {
    for (y, row) in out.chunks_exact_mut(cols).enumerate() {
        let sy = y as isize - dy;
        if sy < 0 || sy >= rows as isize {
            row.fill(table[0]);
            continue;
        }
        let src_row = &src[sy as usize * cols..(sy as usize + 1) * cols];
        for (x, o) in row.iter_mut().enumerate() {
            let sx = x as isize - dx;
            *o = if sx < 0 || sx >= cols as isize {
                table[0]
            } else {
                table[usize::from(src_row[sx as usize])]
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synann_tensor::random::seeded;

    #[test]
    fn lookup_table_scales_and_normalises() {
        let t = Transform {
            normalize: Some((0.5, 0.25)),
            ..Transform::default()
        };
        let table = t.lookup_table();
        assert_eq!(table[0], -2.0);
        assert_eq!(table[255], 2.0);
        assert_eq!(Transform::default().lookup_table()[51], 0.2);
    }

    #[test]
    fn identity_warp_reproduces_the_image() {
        let src: Vec<u8> = (0..20).map(|i| (i * 13) as u8).collect();
        let table = Transform::default().lookup_table();
        let mut out = vec![0.0; 20];
        Warp::IDENTITY.resample(&table, &src, 4, 5, &mut out);
        let expected: Vec<f32> = src.iter().map(|&p| table[usize::from(p)]).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn shift_moves_pixels_by_whole_pixels_with_black_fill() {
        // A 3×3 image with one bright pixel in the middle: after a shift of at
        // most one pixel it is still exactly one bright pixel.
        let t = Transform {
            shift: 1,
            ..Transform::default()
        };
        let src = [0, 0, 0, 0, 255, 0, 0, 0, 0];
        let mut rng = seeded(3);
        for _ in 0..20 {
            let mut out = [9.0f32; 9];
            t.apply(&src, 3, 3, &mut rng, &mut out);
            assert_eq!(out.iter().filter(|&&v| v == 1.0).count(), 1);
            assert_eq!(out.iter().filter(|&&v| v == 0.0).count(), 8);
        }
    }

    #[test]
    fn whole_pixel_shift_matches_bilinear_sampling() {
        let src: Vec<u8> = (0..35).map(|i| (i * 7) as u8).collect();
        let table = Transform::default().lookup_table();
        for (dx, dy) in [(0, 0), (2, -1), (-3, 4), (7, 0), (0, -9)] {
            let mut fast = vec![0.0; 35];
            shift(&table, &src, 5, 7, dx, dy, &mut fast);
            let translation = Warp {
                tx: dx as f32,
                ty: dy as f32,
                ..Warp::IDENTITY
            };
            let mut slow = vec![0.0; 35];
            translation.bilinear(&table, &src, 5, 7, &mut slow);
            assert_eq!(fast, slow, "shift ({dx}, {dy})");
        }
    }

    #[test]
    fn rotation_by_180_degrees_flips_the_image() {
        let warp = Warp {
            cos: -1.0,
            sin: 0.0,
            ..Warp::IDENTITY
        };
        let src = [10, 20, 30, 40, 50, 60];
        let table = Transform::default().lookup_table();
        let mut out = [0.0; 6];
        warp.resample(&table, &src, 2, 3, &mut out);
        let expected: Vec<f32> = src.iter().rev().map(|&p| table[usize::from(p)]).collect();
        assert_eq!(out.to_vec(), expected);
    }

    #[test]
    fn affine_stays_within_the_value_range() {
        let t = Transform {
            normalize: None,
            shift: 2,
            affine: Some(RandomAffine::new(15.0, 0.1, (0.9, 1.1))),
        };
        let src: Vec<u8> = (0..64).map(|i| (i * 4) as u8).collect();
        let mut out = vec![0.0; 64];
        t.apply(&src, 8, 8, &mut seeded(5), &mut out);
        assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(out.iter().any(|&v| v > 0.0));
    }

    #[test]
    #[should_panic(expected = "RandomAffine: scale")]
    fn random_affine_rejects_bad_scale() {
        RandomAffine::new(10.0, 0.1, (1.2, 1.0));
    }
}
