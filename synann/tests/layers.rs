//! The Synapse layers: gradient checks of every option, batch independence,
//! the batch-coupled reproduction mode, the recurrent and convolutional
//! layers against naive loops, and the counts of clamped factors.

use proptest::prelude::*;
use synann::layers::*;
use synann::DomainError;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_nn::{gradcheck_module, Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn tensor(values: Vec<f64>, shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(values, shape)
}

/// W values away from each parameterisation's kinks and from the domain
/// edge (with X < 0.95 every factor stays above 0.1).
fn weight_range(param: BParam) -> std::ops::Range<f64> {
    match param {
        BParam::Raw => -0.9..0.9,
        BParam::Sigmoid => -3.0..3.0,
        BParam::Clamped => 0.05..0.95,
    }
}

fn synapse_case(param: BParam) -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, Tensor<f64>)> {
    (1usize..4, 1usize..5).prop_flat_map(move |(nb, n)| {
        (
            prop::collection::vec(0.05..0.95f64, nb * n),
            prop::collection::vec(weight_range(param), n * n),
            prop::collection::vec(0.5..1.5f64, n),
        )
            .prop_map(move |(x, w, a)| (tensor(x, &[nb, n]), tensor(w, &[n, n]), tensor(a, &[n])))
    })
}

/// Every gain, for the property tests.
fn gains() -> impl Strategy<Value = Gain> {
    prop_oneof![
        Just(Gain::One),
        Just(Gain::Learnable),
        Just(Gain::AtLeastOne)
    ]
}

/// The layer's own forward checked with respect to its input and every
/// named parameter (`weight`, and `a` or `a_offset`), in train and eval
/// mode, through the public module check; failures name the parameter.
fn check_synapse(
    param: BParam,
    gain: Gain,
    coupling: Coupling,
    case: (Tensor<f64>, Tensor<f64>, Tensor<f64>),
) {
    let config = SynapseConfig::default()
        .param(param)
        .gain(gain)
        .coupling(coupling);
    let (x, w, a) = case;
    let n = w.shape()[0];
    let mut syn = Synapse::<f64>::new(n, config, &mut seeded(0));
    syn.weight = Var::requiring_grad(w);
    if syn.a.is_some() {
        // a ∈ (0.5, 1.5) serves as a, and as v of a = 1 + softplus(v).
        syn.a = Some(Var::requiring_grad(a));
    }
    if let Err(e) = gradcheck_module(&mut syn, &x, &GradcheckOptions::default()) {
        panic!("{config:?}: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn gradcheck_synapse_raw(case in synapse_case(BParam::Raw), gain in gains()) {
        check_synapse(BParam::Raw, gain, Coupling::PerSample, case);
    }

    #[test]
    fn gradcheck_synapse_sigmoid(case in synapse_case(BParam::Sigmoid), gain in gains()) {
        check_synapse(BParam::Sigmoid, gain, Coupling::PerSample, case);
    }

    #[test]
    fn gradcheck_synapse_clamped(case in synapse_case(BParam::Clamped), gain in gains()) {
        check_synapse(BParam::Clamped, gain, Coupling::PerSample, case);
    }

    #[test]
    fn gradcheck_synapse_batch_coupled(case in synapse_case(BParam::Raw), gain in gains()) {
        check_synapse(BParam::Raw, gain, Coupling::BatchCoupled, case);
    }

    #[test]
    fn per_sample_output_ignores_the_rest_of_the_batch(
        n in 1usize..8,
        rows in prop::collection::vec(prop::collection::vec(0.0..1.0f64, 8), 2..6),
        other in prop::collection::vec(prop::collection::vec(0.0..1.0f64, 8), 1..6),
        seed in any::<u64>(),
    ) {
        let mut syn = Synapse::<f64>::new(n, SynapseConfig::default(), &mut seeded(seed));
        let batch = |rs: &[Vec<f64>]| {
            let data: Vec<f64> = rs.iter().flat_map(|r| r[..n].to_vec()).collect();
            Var::constant(tensor(data, &[rs.len(), n]))
        };
        let y1 = syn.forward(&batch(&rows), Mode::Train);
        // Same first sample, different (and differently many) others.
        let mut rows2 = vec![rows[0].clone()];
        rows2.extend(other);
        let y2 = syn.forward(&batch(&rows2), Mode::Train);
        let (first, again) = (y1.value().data()[..n].to_vec(), y2.value().data()[..n].to_vec());
        prop_assert_eq!(first, again);
    }
}

#[test]
fn batch_coupled_matches_the_original_formula() {
    // 2 samples × 3 features; y_bi = x_bi · Π_b' Π_j (1 − W_ij x_b'j).
    let x = [[0.2, 0.5, 0.7], [0.9, 0.1, 0.4]];
    let w = [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [-0.3, 0.2, 0.8]];
    let mut expected = [[0.0f64; 3]; 2];
    for b in 0..2 {
        for i in 0..3 {
            let mut prod = 1.0;
            for xb in &x {
                for j in 0..3 {
                    prod *= 1.0 - w[i][j] * xb[j];
                }
            }
            expected[b][i] = x[b][i] * prod;
        }
    }
    let cfg = SynapseConfig::default().coupling(Coupling::BatchCoupled);
    let mut syn = Synapse::<f64>::new(3, cfg, &mut seeded(0));
    syn.weight.set_value(tensor(w.concat(), &[3, 3]));
    let y = syn.forward(&Var::constant(tensor(x.concat(), &[2, 3])), Mode::Train);
    for (got, want) in y.value().data().iter().zip(expected.concat()) {
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }
    // The per-sample layer with the same weight differs (it is another function).
    syn.config.coupling = Coupling::PerSample;
    let y_ps = syn.forward(&Var::constant(tensor(x.concat(), &[2, 3])), Mode::Train);
    let gap: f64 = y_ps
        .value()
        .data()
        .iter()
        .zip(expected.concat())
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(gap > 1e-3);
}

#[test]
fn initialisations_have_the_documented_bounds() {
    let n = 100;
    let syn = Synapse::<f64>::new(n, SynapseConfig::default(), &mut seeded(1));
    // kaiming_uniform(a = √5): b = √(6 / ((1 + 5)·n)) = 1/√n.
    let bound = 1.0 / (n as f64).sqrt();
    let w = syn.weight.value();
    assert!(w.data().iter().all(|v| v.abs() <= bound));
    assert!(w.data().iter().any(|v| v.abs() > 0.9 * bound));
    let keras = Synapse::<f64>::new(
        n,
        SynapseConfig::default().init(SynapseInit::keras()),
        &mut seeded(1),
    );
    let w = keras.weight.value();
    assert!(w.data().iter().all(|v| v.abs() <= 0.05));
    assert!(w.data().iter().any(|v| v.abs() > 0.045));
    // Parameter names.
    let names: Vec<String> = Synapse::<f64>::new(
        3,
        SynapseConfig::default().gain(Gain::Learnable),
        &mut seeded(0),
    )
    .named_parameters()
    .into_iter()
    .map(|(n, _)| n)
    .collect();
    assert_eq!(names, ["weight", "a"]);
}

/// Every parameterisation's default initialisation starts each factor
/// 1 − B·x near 1, so that the product over a wide layer is not ≈ 0 (with
/// B = sigmoid(W) and the kaiming initialisation it was about 2⁻¹²⁸·… and
/// the model trained at chance).
#[test]
fn default_initialisation_starts_the_product_near_one_for_every_parameterisation() {
    for n in [16, 128, 784] {
        for param in [BParam::Raw, BParam::Sigmoid, BParam::Clamped] {
            let mut syn =
                Synapse::<f64>::new(n, SynapseConfig::default().param(param), &mut seeded(3));
            // The worst case for inhibition: every input open (x → 1).
            let x = Var::constant(Tensor::full(&[1, n], 0.999));
            let y = syn.forward(&x, Mode::Eval);
            let y = y.value();
            let min_ratio = y
                .data()
                .iter()
                .fold(f64::INFINITY, |m, &v| m.min(v / 0.999));
            assert!(
                min_ratio > 0.05,
                "{param:?}, n = {n}: the product Π(1 − B·x) starts at {min_ratio}"
            );
        }
    }
    // The paper's constraints: B ∈ (0, 1) and a ≥ 1 from the start.
    let syn = Synapse::<f64>::new(128, SynapseConfig::constrained(), &mut seeded(0));
    let b = syn.inhibition();
    let b = b.value();
    assert!(b.data().iter().all(|&v| v > 0.0 && v < 2.0 / 128.0));
    let names: Vec<String> = syn.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "a_offset"]);
    let v = syn.a.as_ref().unwrap().value();
    assert!(v
        .data()
        .iter()
        .all(|&v| (1.0 + v.exp().ln_1p() - 1.01).abs() < 1e-12));
}

#[test]
fn try_forward_names_the_layer_and_indices() {
    let syn = Synapse::<f64>::new(3, SynapseConfig::default(), &mut seeded(0));
    syn.weight.set_value(tensor(
        vec![0.1, 0.1, 0.1, 0.1, 0.1, 3.0, 0.1, 0.1, 0.1],
        &[3, 3],
    ));
    let x = Var::constant(tensor(vec![0.2, 0.2, 0.2, 0.5, 0.5, 0.5], &[2, 3]));
    // Sample 0: 1 − 3·0.2 > 0. Sample 1: 1 − B[1, 2]·x[1, 2] = 1 − 1.5 < 0.
    let err = syn.try_forward(&x, "model.syn").unwrap_err();
    assert!(matches!(
        &err,
        DomainError::FactorOutOfDomain { layer, k: 1, i: 1, j: 2, .. } if layer == "model.syn"
    ));
    let ok = syn.try_forward(&x.narrow(0, 0, 1), "model.syn").unwrap();
    assert_eq!(ok.shape(), vec![1, 3]);
}

/// A SynapseRNN whose parameters are gradcheck's vars 1..5.
fn rnn_from(v: &[Var<f64>]) -> SynapseRNN<f64> {
    let (hidden, features) = (v[1].shape()[0], v[1].shape()[1]);
    let mut rnn = SynapseRNN::new(features, hidden, &mut seeded(0));
    rnn.cell.weight_ih = v[1].clone();
    rnn.cell.weight_hh = v[2].clone();
    rnn.cell.bias = v[3].clone();
    rnn.cell.synapse_weight = v[4].clone();
    rnn
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn gradcheck_synapse_rnn_through_time(
        steps in 3usize..5,
        seed in any::<u64>(),
        h0 in prop::collection::vec(0.05..0.95f64, 6),
    ) {
        let (batch, features, hidden) = (2, 2, 3);
        let mut rng = seeded(seed);
        let cell = SynapseRNNCell::<f64>::new(features, hidden, &mut rng);
        let x = Tensor::<f64>::uniform(&[batch, steps, features], -1.0, 1.0, &mut rng);
        let inputs = vec![
            x,
            cell.weight_ih.value().clone(),
            cell.weight_hh.value().clone(),
            cell.bias.value().clone(),
            cell.synapse_weight.value().clone(),
            tensor(h0, &[batch, hidden]),
        ];
        // All states from a given h0, so the gradient also flows to h0.
        let f = |v: &[Var<f64>]| rnn_from(v).forward_sequence(&v[0], Some(&v[5])).0;
        gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
        // The last state alone, from the zero state.
        let f = |v: &[Var<f64>]| rnn_from(v).forward_sequence(&v[0], None).1;
        gradcheck(f, &inputs[..5], &GradcheckOptions::default()).unwrap();
    }
}

#[test]
fn synapse_rnn_states_stay_open_probabilities() {
    let mut rng = seeded(9);
    let mut rnn = SynapseRNN::<f32>::new(4, 16, &mut rng);
    let x = Var::constant(Tensor::<f32>::uniform(&[3, 20, 4], -3.0, 3.0, &mut rng));
    let all = rnn.forward(&x, Mode::Train);
    assert_eq!(all.shape(), vec![3, 20, 16]);
    assert!(all.value().data().iter().all(|&h| h > 0.0 && h < 1.0));
    // Step by step equals the unrolled layer, and the last state is its last row.
    let (_, last) = rnn.forward_sequence(&x, None);
    let mut h = rnn.cell.initial_state(3);
    for t in 0..20 {
        h = rnn.cell.step(&x.narrow(1, t, 1).reshape(&[3, 4]), &h);
    }
    assert_eq!(h.value().data(), last.value().data());
    rnn.output = RnnOutput::LastState;
    assert_eq!(
        rnn.forward(&x, Mode::Train).value().data(),
        last.value().data()
    );
}

/// ln y[c, p] = ln x[c, p] + Σ_{c', q} ln(1 − B[c, c', q]·x[c', p + q]) with
/// x = 0 outside the image, as plain loops.
fn naive_synapse_conv(x: &Tensor<f64>, b: &Tensor<f64>) -> Vec<f64> {
    let s = x.shape();
    let (nb, c, h, w) = (s[0], s[1], s[2], s[3]);
    let k = b.shape()[2];
    let r = (k / 2) as isize;
    let mut y = vec![0.0; x.numel()];
    for n in 0..nb {
        for co in 0..c {
            for py in 0..h {
                for px in 0..w {
                    let mut log = 0.0;
                    for ci in 0..c {
                        for ky in 0..k {
                            for kx in 0..k {
                                let (iy, ix) =
                                    (py as isize + ky as isize - r, px as isize + kx as isize - r);
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let xv = x.get(&[n, ci, iy as usize, ix as usize]);
                                log += (1.0 - b.get(&[co, ci, ky, kx]) * xv).ln();
                            }
                        }
                    }
                    y[((n * c + co) * h + py) * w + px] = x.get(&[n, co, py, px]) * log.exp();
                }
            }
        }
    }
    y
}

fn conv_case() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, usize)> {
    (
        1usize..3,
        1usize..3,
        2usize..5,
        2usize..5,
        prop::sample::select(vec![1usize, 3]),
    )
        .prop_flat_map(|(nb, c, h, w, k)| {
            (
                prop::collection::vec(0.05..0.95f64, nb * c * h * w),
                prop::collection::vec(-0.5..0.5f64, c * c * k * k),
            )
                .prop_map(move |(x, b)| (tensor(x, &[nb, c, h, w]), tensor(b, &[c, c, k, k]), k))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn synapse_conv_matches_naive_loops_and_gradchecks((x, b, k) in conv_case()) {
        let c = x.shape()[1];
        let mut conv = SynapseConv2d::<f64>::new(c, k, SynapseInit::original(), BParam::Raw, &mut seeded(0));
        conv.weight.set_value(b.clone());
        let y = conv.forward(&Var::constant(x.clone()), Mode::Train);
        let expected = naive_synapse_conv(&x, &b);
        for (got, want) in y.value().data().iter().zip(&expected) {
            prop_assert!((got - want).abs() < 1e-12, "{} vs {}", got, want);
        }
        let f = |v: &[Var<f64>]| {
            let mut conv = SynapseConv2d::new(c, k, SynapseInit::original(), BParam::Raw, &mut seeded(0));
            conv.weight = v[1].clone();
            conv.forward(&v[0], Mode::Train)
        };
        gradcheck(f, &[x, b], &GradcheckOptions::default()).unwrap();
    }
}

/// The factors 1 − B[i, j]·x[k, j] below the floor, counted the plain way
/// (x [N, n], B [m, n]).
fn plain_clamp_count(x: &Tensor<f32>, b: &Tensor<f32>) -> u64 {
    let (n, floor) = (x.shape()[1], synann::ops::FACTOR_FLOOR as f32);
    let mut count = 0;
    for xrow in x.data().chunks(n) {
        for brow in b.data().chunks(n) {
            let clamped = xrow.iter().zip(brow).filter(|(&x, &b)| 1.0 - b * x < floor);
            count += clamped.count() as u64;
        }
    }
    count
}

#[test]
fn synapse_counts_the_factors_its_latest_forward_clamped() {
    let mut rng = seeded(11);
    for coupling in [Coupling::PerSample, Coupling::BatchCoupled] {
        let config = SynapseConfig::default().coupling(coupling);
        let mut syn = Synapse::<f32>::new(24, config, &mut rng);
        assert_eq!(syn.clamped_factors(), 0, "before any forward");
        // B in (−3, 3) against x in (0, 1): many factors 1 − B·x below 0.
        syn.weight
            .set_value(Tensor::uniform(&[24, 24], -3.0, 3.0, &mut rng));
        let x = Tensor::<f32>::uniform(&[10, 24], 0.0, 1.0, &mut rng);
        let expected = plain_clamp_count(&x, &syn.weight.value());
        assert!(expected > 0);
        let y = syn.forward(&Var::constant(x), Mode::Train);
        assert!(y.value().all_finite());
        assert_eq!(syn.clamped_factors(), expected, "{coupling:?}");
        assert_eq!(syn.named_clamp_counts(), [(String::new(), expected)]);
        // A forward inside the domain replaces the count with 0.
        let inside = Tensor::<f32>::uniform(&[10, 24], 0.0, 0.3, &mut rng);
        syn.weight
            .set_value(Tensor::uniform(&[24, 24], -1.0, 1.0, &mut rng));
        syn.forward(&Var::constant(inside), Mode::Eval);
        assert_eq!(syn.clamped_factors(), 0, "{coupling:?}");
    }
}

#[test]
fn take_clamped_factors_returns_the_count_and_resets_it() {
    let mut syn = Synapse::<f32>::new(2, SynapseConfig::default(), &mut seeded(0));
    syn.weight
        .set_value(Tensor::from_vec(vec![2.0, 2.0, 0.0, 2.0], &[2, 2]));
    // x = (0.75, 0.25): only 1 − B[0, 0]·x[0] = 1 − 1.5 is below the floor.
    syn.forward(
        &Var::constant(tensor32(vec![0.75, 0.25], &[1, 2])),
        Mode::Train,
    );
    assert_eq!(syn.take_clamped_factors(), 1);
    assert_eq!(syn.clamped_factors(), 0);
    assert_eq!(syn.take_clamped_factors(), 0);
}

fn tensor32(values: Vec<f32>, shape: &[usize]) -> Tensor<f32> {
    Tensor::from_vec(values, shape)
}

#[test]
fn try_forward_in_the_domain_records_no_clamped_factor() {
    let mut syn = Synapse::<f32>::new(3, SynapseConfig::default(), &mut seeded(2));
    syn.weight.set_value(Tensor::full(&[3, 3], 4.0));
    let x = Var::constant(Tensor::full(&[2, 3], 0.5));
    syn.forward(&x, Mode::Train);
    assert_eq!(syn.clamped_factors(), 18);
    syn.weight.set_value(Tensor::full(&[3, 3], 0.5));
    syn.try_forward(&x, "syn").unwrap();
    assert_eq!(syn.clamped_factors(), 0);
}

#[test]
fn synapse_conv_counts_the_factors_it_clamped_over_every_window() {
    let mut rng = seeded(12);
    let (nb, c, h, w, k) = (2, 3, 5, 4, 3);
    let mut conv = SynapseConv2d::<f32>::new(c, k, SynapseInit::original(), BParam::Raw, &mut rng);
    conv.weight
        .set_value(Tensor::uniform(&[c, c, k, k], -2.0, 4.0, &mut rng));
    let x = Tensor::<f32>::uniform(&[nb, c, h, w], 0.0, 1.0, &mut rng);
    // Plain loops over (sample, output channel, pixel, input channel, tap);
    // taps outside the image read x = 0 (factor 1, never clamped).
    let (xd, bd) = (x.data().to_vec(), conv.weight.value().data().to_vec());
    let r = (k / 2) as isize;
    let mut expected = 0;
    for n in 0..nb {
        for co in 0..c {
            for py in 0..h as isize {
                for px in 0..w as isize {
                    for ci in 0..c {
                        for ky in 0..k as isize {
                            for kx in 0..k as isize {
                                let (y, x) = (py + ky - r, px + kx - r);
                                if y < 0 || x < 0 || y >= h as isize || x >= w as isize {
                                    continue;
                                }
                                let xv = xd[((n * c + ci) * h + y as usize) * w + x as usize];
                                let bv = bd[((co * c + ci) * k + ky as usize) * k + kx as usize];
                                if 1.0 - bv * xv < synann::ops::FACTOR_FLOOR as f32 {
                                    expected += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(expected > 0);
    conv.forward(&Var::constant(x), Mode::Train);
    assert_eq!(conv.clamped_factors(), expected);
    assert_eq!(conv.named_clamp_counts(), [(String::new(), expected)]);
    assert_eq!(conv.take_clamped_factors(), expected);
    assert_eq!(conv.clamped_factors(), 0);
}

#[test]
fn synapse_rnn_counts_the_clamped_factors_of_the_whole_sequence() {
    let mut rng = seeded(13);
    let (batch, steps, features, hidden) = (2, 6, 3, 5);
    let rnn = SynapseRNN::<f32>::new(features, hidden, &mut rng);
    let x = Var::constant(Tensor::<f32>::uniform(
        &[batch, steps, features],
        -1.0,
        1.0,
        &mut rng,
    ));
    // From the zero state every factor is 1 and every later state is in
    // (0, 1) with B = sigmoid(W) in (0, 1): nothing is clamped.
    rnn.forward_sequence(&x, None);
    assert_eq!(rnn.cell.clamped_factors(), 0);
    assert_eq!(rnn.named_clamp_counts(), [("cell".to_string(), 0)]);
    // A state far outside (0, 1) clamps factors (1 − B·h < 0 for
    // B·h > 1): the layer's count is the sum of its steps' counts, each
    // of them a plain count over (sample, output, input).
    let h0 = Var::constant(Tensor::<f32>::uniform(
        &[batch, hidden],
        0.0,
        60.0,
        &mut rng,
    ));
    let (_, last) = rnn.forward_sequence(&x, Some(&h0));
    let total = rnn.cell.clamped_factors();
    assert_eq!(rnn.named_clamp_counts(), [("cell".to_string(), total)]);
    let (mut h, mut by_steps, mut plain) = (h0, 0, 0);
    for t in 0..steps {
        let b = rnn.cell.synapse_weight.sigmoid().value().clone();
        plain += plain_clamp_count(&h.value(), &b);
        h = rnn
            .cell
            .step(&x.narrow(1, t, 1).reshape(&[batch, features]), &h);
        by_steps += rnn.cell.clamped_factors();
    }
    assert_eq!(h.value().data(), last.value().data());
    assert!(total > 0);
    assert_eq!((by_steps, plain), (total, total));
}
