//! Crash-safe file replacement.

use super::error::{io_at, CheckpointError};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary file next to `path`: `<path>.tmp`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Replaces the file at `path` with `bytes` atomically: writes
/// `<path>.tmp`, flushes it to disk, renames it over `path` and flushes the
/// directory. If any step fails the temporary file is removed and the old
/// file at `path`, if any, is left untouched.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let tmp = tmp_path(path);
    let written = (|| {
        let mut file = File::create(&tmp).map_err(io_at(&tmp))?;
        file.write_all(bytes).map_err(io_at(&tmp))?;
        file.sync_all().map_err(io_at(&tmp))?;
        fs::rename(&tmp, path).map_err(io_at(path))
    })();
    if written.is_err() && tmp.is_file() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(path)
}

/// Flushes the directory holding `path`, making the rename durable.
#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<(), CheckpointError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

/// Directories cannot be opened for syncing on this platform; the rename
/// itself is still atomic.
#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> Result<(), CheckpointError> {
    Ok(())
}
