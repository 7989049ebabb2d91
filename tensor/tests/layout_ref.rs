//! narrow, concat, stack, index_select, gather and their adjoints against
//! naive per-element definitions, over random shapes.

use proptest::prelude::*;
use rand::Rng;
use synann_tensor::random::seeded;
use synann_tensor::shape::unravel_index;
use synann_tensor::Tensor;

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -1.0, 1.0, &mut seeded(seed))
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..5, 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn narrow_pieces_concat_back(s in shape(), axis in 0usize..4, cut: usize, seed: u64) {
        let x = random(&s, seed);
        let axis = axis % s.len();
        let cut = cut % (s[axis] + 1);
        let left = x.narrow(axis as isize, 0, cut);
        let right = x.narrow(axis as isize, cut, s[axis] - cut);
        // Element by element: out[.., i, ..] = x[.., start + i, ..].
        for k in 0..right.numel() {
            let mut idx = unravel_index(k, right.shape());
            let v = right.data()[k];
            idx[axis] += cut;
            prop_assert_eq!(v, x.get(&idx));
        }
        prop_assert_eq!(Tensor::concat(&[&left, &right], axis as isize), x);
    }

    #[test]
    fn stack_then_select_gives_each_input(s in prop::collection::vec(1usize..4, 0..4), axis in 0usize..5, seed: u64) {
        let xs: Vec<Tensor<f64>> = (0..3).map(|i| random(&s, seed ^ i)).collect();
        let axis = axis % (s.len() + 1);
        let st = Tensor::stack(&xs.iter().collect::<Vec<_>>(), axis as isize);
        for (i, x) in xs.iter().enumerate() {
            prop_assert_eq!(&st.index_select(axis as isize, &[i]).reshape(&s), x);
        }
    }

    #[test]
    fn gather_and_scatter_add_follow_the_definition(s in shape(), axis in 0usize..4, seed: u64) {
        let x = random(&s, seed);
        let axis = axis % s.len();
        // Index shape: the input's, one longer along `axis`.
        let mut ishape = s.clone();
        ishape[axis] += 1;
        let mut rng = seeded(seed ^ 9);
        let index: Vec<usize> = (0..ishape.iter().product()).map(|_| rng.gen_range(0..s[axis])).collect();
        let out = x.gather(axis as isize, &index, &ishape);
        let g = random(&ishape, seed ^ 3);
        let mut scattered = Tensor::zeros(&s);
        scattered.scatter_add_(axis as isize, &index, &ishape, &g);
        let mut want = Tensor::zeros(&s);
        for (k, &i) in index.iter().enumerate() {
            let mut idx = unravel_index(k, &ishape);
            idx[axis] = i;
            prop_assert_eq!(out.data()[k], x.get(&idx));
            let v = want.get(&idx) + g.data()[k];
            want.set(&idx, v);
        }
        prop_assert!(scattered.allclose(&want, 1e-12, 1e-12));
    }

    #[test]
    fn index_select_is_gather_with_a_broadcast_index(s in shape(), axis in 0usize..4, count in 0usize..6, seed: u64) {
        let x = random(&s, seed);
        let axis = axis % s.len();
        let mut rng = seeded(seed ^ 5);
        let picks: Vec<usize> = (0..count).map(|_| rng.gen_range(0..s[axis])).collect();
        let mut ishape = s.clone();
        ishape[axis] = count;
        let index: Vec<usize> = (0..ishape.iter().product())
            .map(|k| picks[unravel_index(k, &ishape)[axis]])
            .collect();
        prop_assert_eq!(x.index_select(axis as isize, &picks), x.gather(axis as isize, &index, &ishape));
    }

    #[test]
    fn one_hot_rows_sum_to_one(labels in prop::collection::vec(0usize..6, 0..8)) {
        let t = Tensor::<f32>::one_hot(&labels, 6);
        prop_assert_eq!(t.shape(), &[labels.len(), 6]);
        for (n, &l) in labels.iter().enumerate() {
            for c in 0..6 {
                prop_assert_eq!(t.get(&[n, c]), if c == l { 1.0 } else { 0.0 });
            }
        }
    }
}
