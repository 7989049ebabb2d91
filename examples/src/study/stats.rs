//! The statistics of a comparison between two arms of a study: mean,
//! sample standard deviation, and Welch's t confidence interval for the
//! difference of two means (no equal-variance assumption).
//!
//! For samples a (n_a values, mean ā, sample variance s_a²) and b:
//!
//! ```text
//! d   = ā − b̄
//! se  = √(s_a²/n_a + s_b²/n_b)
//! ν   = se⁴ / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1))     (Welch–Satterthwaite)
//! CI  = d ± t_(1 − α/2, ν) · se
//! ```
//!
//! The Student-t quantile comes from its distribution function
//! F(t) = 1 − ½·I_(ν/(ν + t²))(ν/2, ½) for t ≥ 0, with I the regularised
//! incomplete beta function (continued fraction, modified Lentz), inverted
//! by bisection.

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for a
/// single value). Panics on an empty slice.
///
/// ```
/// use synann_examples::study::stats::mean_std;
/// let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
/// assert_eq!((m, s), (2.0, 1.0));
/// ```
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    assert!(!values.is_empty(), "mean_std: no values");
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() == 1 {
        return (mean, 0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// A difference of means with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// ā − b̄.
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Welch–Satterthwaite degrees of freedom (infinite when both samples
    /// have zero variance).
    pub df: f64,
}

impl Difference {
    /// Whether the interval excludes 0: the difference is distinguishable
    /// from noise at the interval's level.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// Welch's confidence interval at `level` (e.g. 0.95) for mean(a) −
/// mean(b). `None` when either sample has fewer than 2 values.
///
/// ```
/// use synann_examples::study::stats::welch_interval;
/// let d = welch_interval(&[10.0, 11.0, 12.0], &[1.0, 2.0, 3.0], 0.95).unwrap();
/// assert_eq!(d.estimate, 9.0);
/// // se = √(2/3), ν = 4, t = 2.776…
/// assert!((d.high - 9.0 - 2.776445 * (2.0f64 / 3.0).sqrt()).abs() < 1e-5);
/// assert!(d.excludes_zero());
/// ```
pub fn welch_interval(a: &[f64], b: &[f64], level: f64) -> Option<Difference> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, sa) = mean_std(a);
    let (mb, sb) = mean_std(b);
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let se = (va + vb).sqrt();
    let estimate = ma - mb;
    if se == 0.0 {
        return Some(Difference {
            estimate,
            low: estimate,
            high: estimate,
            df: f64::INFINITY,
        });
    }
    let df =
        (va + vb).powi(2) / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
    let t = student_t_quantile(0.5 + level / 2.0, df);
    Some(Difference {
        estimate,
        low: estimate - t * se,
        high: estimate + t * se,
        df,
    })
}

/// The quantile t with P(T ≤ t) = `p` of Student's t with `df` (> 0, not
/// necessarily whole) degrees of freedom, for p in (0, 1).
///
/// ```
/// use synann_examples::study::stats::student_t_quantile;
/// assert!((student_t_quantile(0.975, 1.0) - 12.706205).abs() < 1e-5);
/// assert!((student_t_quantile(0.975, 10.0) - 2.228139).abs() < 1e-5);
/// assert!((student_t_quantile(0.025, 10.0) + 2.228139).abs() < 1e-5);
/// ```
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "student_t_quantile: p = {p} not in (0, 1)"
    );
    assert!(df > 0.0, "student_t_quantile: df = {df} must be positive");
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    // F is increasing: bisect on [0, hi] after doubling hi past the target.
    let mut hi = 1.0;
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// I_x(a, b), the regularised incomplete beta function, for x in [0, 1].
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The continued fraction converges fast for x < (a + 1)/(a + b + 2);
    // use the symmetry I_x(a, b) = 1 − I_(1−x)(b, a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction of the incomplete beta function, evaluated by
/// the modified Lentz method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        // The even and the odd step of the fraction.
        for coefficient in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + coefficient * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + coefficient / c;
            if c.abs() < TINY {
                c = TINY;
            }
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative
/// error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, &c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95% critical values.
        for (df, t) in [
            (1.0, 12.706_205),
            (2.0, 4.302_653),
            (3.0, 3.182_446),
            (4.0, 2.776_445),
            (8.0, 2.306_004),
            (30.0, 2.042_272),
            (1e6, 1.959_966),
        ] {
            let got = student_t_quantile(0.975, df);
            assert!((got - t).abs() < 2e-6, "df {df}: {got} vs {t}");
        }
        // A fractional df lies between its neighbours.
        let mid = student_t_quantile(0.975, 3.5);
        assert!(mid < 3.182_446 && mid > 2.776_445);
    }

    #[test]
    fn ln_gamma_of_integers_is_ln_factorial() {
        let mut factorial = 1.0f64;
        for n in 1..20 {
            assert!(
                (ln_gamma(n as f64) - factorial.ln()).abs() < 1e-12,
                "Γ({n})"
            );
            factorial *= n as f64;
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }

    #[test]
    fn welch_interval_covers_the_textbook_case() {
        // Equal variances and sizes: ν = 2n − 2 and the interval is the
        // pooled one.
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 3.0, 4.0, 5.0];
        let d = welch_interval(&a, &b, 0.95).unwrap();
        assert!((d.df - 6.0).abs() < 1e-12);
        let half = 2.446_912 * (2.0 * (5.0 / 3.0) / 4.0f64).sqrt();
        assert!((d.low - (-1.0 - half)).abs() < 1e-5 && (d.high - (-1.0 + half)).abs() < 1e-5);
        assert!(!d.excludes_zero());
        assert!(welch_interval(&a, &[1.0], 0.95).is_none());
        let same = welch_interval(&[1.0, 1.0], &[0.5, 0.5], 0.95).unwrap();
        assert_eq!((same.low, same.high), (0.5, 0.5));
    }
}
