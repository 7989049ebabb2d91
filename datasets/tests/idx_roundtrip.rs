//! Written IDX files read back unchanged (every element type, raw and
//! gzipped), and arbitrary bytes never panic the reader.

use crate::common;

use common::{gzip, header, Scratch};
use proptest::prelude::*;
use synann_datasets::idx::{
    encode_idx, parse_idx, read_idx, write_idx, Gzip, IdxArray, IdxData, IdxType,
};

/// An array of `dtype` with values that exercise sign, magnitude and
/// (for floats) non-integers and special values.
fn sample(dtype: IdxType, dims: Vec<usize>) -> IdxArray {
    let n: usize = dims.iter().product();
    let data = match dtype {
        IdxType::U8 => IdxData::U8((0..n).map(|i| (i * 37 % 256) as u8).collect()),
        IdxType::I8 => IdxData::I8((0..n).map(|i| (i * 37 % 256) as u8 as i8).collect()),
        IdxType::I16 => IdxData::I16((0..n).map(|i| (i as i16).wrapping_mul(-1237)).collect()),
        IdxType::I32 => IdxData::I32((0..n).map(|i| (i as i32 - 3) * 1_000_003).collect()),
        IdxType::F32 => IdxData::F32(
            (0..n)
                .map(|i| match i % 4 {
                    0 => -0.0,
                    1 => f32::MAX,
                    2 => f32::MIN_POSITIVE / 3.0,
                    _ => i as f32 / 7.0,
                })
                .collect(),
        ),
        IdxType::F64 => IdxData::F64(
            (0..n)
                .map(|i| match i % 3 {
                    0 => f64::INFINITY,
                    1 => -1e-300,
                    _ => i as f64 / 3.0,
                })
                .collect(),
        ),
    };
    IdxArray::new(dims, data)
}

#[test]
fn every_type_round_trips_raw_and_gzipped() {
    let scratch = Scratch::new("round-trip");
    for dtype in IdxType::ALL {
        for dims in [vec![5], vec![2, 3, 4], vec![3, 0], vec![1, 1, 1, 1, 2]] {
            let array = sample(dtype, dims.clone());
            for compression in [Gzip::No, Gzip::Yes] {
                let path = scratch
                    .path()
                    .join(format!("{}-{compression:?}.idx", dtype.name()));
                write_idx(&path, &array, compression).unwrap();
                let bytes = std::fs::read(&path).unwrap();
                assert_eq!(bytes.starts_with(&[0x1f, 0x8b]), compression == Gzip::Yes);
                let back = read_idx(&path).unwrap();
                assert_eq!(back.dims(), &dims[..]);
                assert_eq!(back.dtype(), dtype);
                // Compare bit patterns so -0.0 and ±∞ count too.
                let bits = |a: &IdxArray| -> Vec<u64> {
                    a.data().to_f64_vec().iter().map(|v| v.to_bits()).collect()
                };
                assert_eq!(
                    bits(&back),
                    bits(&array),
                    "{dtype:?} {dims:?} gzip {compression:?}"
                );
            }
        }
    }
}

#[test]
fn encoding_is_big_endian_with_the_type_code() {
    let array = IdxArray::new(vec![2], IdxData::I16(vec![0x0102, -1]));
    let mut bytes = Vec::new();
    encode_idx(&array, &mut bytes).unwrap();
    assert_eq!(bytes, [0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xff]);
}

#[test]
fn f32_nan_round_trips() {
    let array = IdxArray::new(vec![1], IdxData::F32(vec![f32::NAN]));
    let mut bytes = Vec::new();
    encode_idx(&array, &mut bytes).unwrap();
    match parse_idx(&bytes, "nan").unwrap().data() {
        IdxData::F32(v) => assert!(v[0].is_nan()),
        other => panic!("expected f32 data, got {other:?}"),
    }
}

#[test]
#[should_panic(expected = "do not fill dimensions")]
fn idx_array_rejects_mismatched_data() {
    IdxArray::new(vec![2, 2], IdxData::U8(vec![1, 2, 3]));
}

fn arb_array() -> impl Strategy<Value = IdxArray> {
    let dims = prop::collection::vec(0usize..4, 1..4);
    (dims, 0usize..6, any::<u64>()).prop_map(|(dims, t, seed)| {
        let n: usize = dims.iter().product();
        let v = |i: usize| seed.wrapping_mul(i as u64 + 1).rotate_left(i as u32 % 64);
        let data = match IdxType::ALL[t] {
            IdxType::U8 => IdxData::U8((0..n).map(|i| v(i) as u8).collect()),
            IdxType::I8 => IdxData::I8((0..n).map(|i| v(i) as i8).collect()),
            IdxType::I16 => IdxData::I16((0..n).map(|i| v(i) as i16).collect()),
            IdxType::I32 => IdxData::I32((0..n).map(|i| v(i) as i32).collect()),
            IdxType::F32 => IdxData::F32((0..n).map(|i| v(i) as i32 as f32 / 3.0).collect()),
            IdxType::F64 => IdxData::F64((0..n).map(|i| v(i) as i64 as f64 / 3.0).collect()),
        };
        IdxArray::new(dims, data)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arbitrary_arrays_round_trip(array in arb_array()) {
        let mut bytes = Vec::new();
        encode_idx(&array, &mut bytes).unwrap();
        prop_assert_eq!(&parse_idx(&bytes, "raw").unwrap(), &array);
        prop_assert_eq!(&parse_idx(&gzip(&bytes), "gz").unwrap(), &array);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_idx(&bytes, "arbitrary");
        let _ = parse_idx(&gzip(&bytes), "arbitrary.gz");
        let mut fake_gzip = vec![0x1f, 0x8b];
        fake_gzip.extend_from_slice(&bytes);
        let _ = parse_idx(&fake_gzip, "fake.gz");
    }

    /// A valid-looking header followed by arbitrary dimensions and data
    /// reaches the size checks instead of stopping at the magic number.
    #[test]
    fn arbitrary_headers_never_panic(
        code in prop::sample::select(vec![0x08u8, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
        dims in prop::collection::vec(any::<u32>().prop_map(|d| d % 5 + (d >> 31) * (d >> 8)), 1..4),
        data in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = header(code, &dims);
        bytes.extend_from_slice(&data);
        let raw = parse_idx(&bytes, "raw");
        let gz = parse_idx(&gzip(&bytes), "gz");
        // Raw and gzipped forms of the same bytes agree on success.
        prop_assert_eq!(raw.is_ok(), gz.is_ok());
        if let (Ok(a), Ok(b)) = (raw, gz) {
            prop_assert_eq!(a.dims(), b.dims());
            let expected: usize = dims.iter().map(|&d| d as usize).product();
            prop_assert_eq!(expected * a.dtype().size(), data.len());
        }
    }
}
