//! Helpers shared by the integration tests: scratch directories and
//! hand-built IDX files.

#![allow(dead_code)] // each test binary uses a different subset

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh, empty directory under the system temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A directory named after the test (unique per process).
    pub fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("synann-datasets-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write scratch file");
        path
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The bytes of an IDX header: magic, type code, rank and dimensions.
pub fn header(code: u8, dims: &[u32]) -> Vec<u8> {
    let mut bytes = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes
}

/// A u8 IDX file: header then `data`.
pub fn idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = header(0x08, dims);
    bytes.extend_from_slice(data);
    bytes
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes a small MNIST-format dataset (`n` training and `n` test images,
/// gzipped) into `dir`; image `i` is filled with the value `i`, its label
/// is `labels(i)`.
pub fn write_tiny_mnist(dir: &Path, n: usize, labels: impl Fn(usize) -> u8) {
    use synann_datasets::idx::{write_idx, Gzip, IdxArray, IdxData};
    std::fs::create_dir_all(dir).unwrap();
    let pixels: Vec<u8> = (0..n).flat_map(|i| vec![i as u8; 28 * 28]).collect();
    let images = IdxArray::new(vec![n, 28, 28], IdxData::U8(pixels));
    let labels = IdxArray::new(vec![n], IdxData::U8((0..n).map(labels).collect()));
    for split in ["train", "t10k"] {
        let images_path = dir.join(format!("{split}-images-idx3-ubyte.gz"));
        let labels_path = dir.join(format!("{split}-labels-idx1-ubyte.gz"));
        write_idx(images_path, &images, Gzip::Yes).unwrap();
        write_idx(labels_path, &labels, Gzip::Yes).unwrap();
    }
}
