//! Blobs as files: `<dir>/<first two hex digits>/<remaining 62>`, each written atomically.
//!
//! A blob is written to `<dir>/tmp/` first, fsynced, renamed into place and the directory
//! fsynced, so a crash leaves either the whole blob or none of it under its name (never a
//! prefix a later read would take for the blob). Leftover temporary files are removed when the
//! store is opened. The fan-out by the first byte keeps directories small.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::{BlobError, BlobHash, BlobInfo, BlobStore, check_range};

/// A [`BlobStore`] keeping one file per blob under a directory.
#[derive(Debug)]
pub struct FileBlobStore {
    dir: PathBuf,
    /// Makes temporary names unique among concurrent writers of the same blob.
    next_temp: AtomicU64,
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BlobError {
    let path = path.display().to_string();
    move |source| BlobError::Io { operation, path, source }
}

/// Makes a rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error("sync directory", dir))
}

impl FileBlobStore {
    /// Opens (creating it if needed) the store in `dir`, removing temporary files a crash left.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let dir = dir.into();
        let temp = dir.join("tmp");
        fs::create_dir_all(&temp).map_err(io_error("create directory", &temp))?;
        for entry in fs::read_dir(&temp).map_err(io_error("list directory", &temp))? {
            let path = entry.map_err(io_error("list directory", &temp))?.path();
            fs::remove_file(&path).map_err(io_error("remove temporary file", &path))?;
        }
        Ok(FileBlobStore { dir, next_temp: AtomicU64::new(0) })
    }

    /// The directory the store keeps its blobs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, hash: &BlobHash) -> PathBuf {
        let hex = hash.to_hex();
        let (fan, rest) = hex.split_at(2);
        self.dir.join(fan).join(rest)
    }

    /// Writes `bytes` under `hash`'s name through a temporary file: the name holds either the
    /// old content or all of the new one, durably.
    fn write_atomically(&self, hash: &BlobHash, bytes: &[u8], parent: &Path) -> Result<(), BlobError> {
        let path = self.path(hash);
        let n = self.next_temp.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join("tmp").join(format!("{hash}.{}.{n}", std::process::id()));
        let mut file =
            OpenOptions::new().write(true).create_new(true).open(&temp).map_err(io_error("create", &temp))?;
        file.write_all(bytes).map_err(io_error("write", &temp))?;
        file.sync_all().map_err(io_error("sync", &temp))?;
        drop(file);
        fs::create_dir_all(parent).map_err(io_error("create directory", parent))?;
        fs::rename(&temp, &path).map_err(io_error("rename into place", &path))?;
        sync_dir(parent)?;
        Ok(())
    }

    /// Sets the modification time of the blob at `path` to now, durably; whether it exists.
    /// Also makes sure the name itself is durable: an earlier put may have renamed it into
    /// place and failed before the directory was synced.
    fn refresh(&self, path: &Path, parent: &Path) -> Result<bool, BlobError> {
        let file = match OpenOptions::new().write(true).open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(io_error("open", path)(err)),
        };
        file.set_modified(SystemTime::now()).map_err(io_error("refresh the modification time of", path))?;
        file.sync_all().map_err(io_error("sync", path))?;
        sync_dir(parent)?;
        Ok(true)
    }

    fn open_blob(&self, hash: &BlobHash) -> Result<Option<(File, u64)>, BlobError> {
        let path = self.path(hash);
        match File::open(&path) {
            Ok(file) => {
                let len = file.metadata().map_err(io_error("read metadata of", &path))?.len();
                Ok(Some((file, len)))
            }
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_error("open", &path)(err)),
        }
    }
}

impl BlobStore for FileBlobStore {
    fn put(&self, bytes: &[u8]) -> Result<BlobHash, BlobError> {
        let hash = BlobHash::of(bytes);
        let path = self.path(&hash);
        let Some(parent) = path.parent() else {
            return Err(io_error("find the directory of", &path)(ErrorKind::InvalidInput.into()));
        };
        // Refresh the stored time of a blob already there, so a collector that saw it
        // unreferenced does not delete it under a put that is about to reference it again (see
        // the module doc of `blob`).
        if self.refresh(&path, parent)? {
            return Ok(hash);
        }
        self.write_atomically(&hash, bytes, parent)?;
        Ok(hash)
    }

    fn touch(&self, hash: &BlobHash) -> Result<bool, BlobError> {
        let path = self.path(hash);
        let Some(parent) = path.parent() else {
            return Err(io_error("find the directory of", &path)(ErrorKind::InvalidInput.into()));
        };
        self.refresh(&path, parent)
    }

    fn replace(&self, expected: BlobHash, bytes: &[u8]) -> Result<(), BlobError> {
        let actual = BlobHash::of(bytes);
        if actual != expected {
            return Err(BlobError::Corrupt { expected, actual });
        }
        let path = self.path(&actual);
        let Some(parent) = path.parent() else {
            return Err(io_error("find the directory of", &path)(ErrorKind::InvalidInput.into()));
        };
        self.write_atomically(&actual, bytes, parent)
    }

    fn info(&self, hash: &BlobHash) -> Result<Option<BlobInfo>, BlobError> {
        let path = self.path(hash);
        match fs::metadata(&path) {
            Ok(meta) => {
                let stored_at = meta.modified().map_err(io_error("read the modification time of", &path))?;
                Ok(Some(BlobInfo { hash: *hash, len: meta.len(), stored_at }))
            }
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_error("read metadata of", &path)(err)),
        }
    }

    fn read(&self, hash: &BlobHash, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        let (mut file, len) = self.open_blob(hash)?.ok_or(BlobError::NotFound { hash: *hash })?;
        check_range(hash, &range, len)?;
        let path = self.path(hash);
        file.seek(SeekFrom::Start(range.start)).map_err(io_error("seek in", &path))?;
        let wanted = range.end - range.start;
        let mut out = Vec::with_capacity(usize::try_from(wanted).unwrap_or(0));
        file.take(wanted).read_to_end(&mut out).map_err(io_error("read", &path))?;
        if out.len() as u64 != wanted {
            // The file shrank under us: only a damaged or tampered store does that.
            let actual = BlobHash::of(&out);
            return Err(BlobError::Corrupt { expected: *hash, actual });
        }
        Ok(out)
    }

    fn delete(&self, hash: &BlobHash) -> Result<bool, BlobError> {
        let path = self.path(hash);
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(parent) = path.parent() {
                    sync_dir(parent)?;
                }
                Ok(true)
            }
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(io_error("remove", &path)(err)),
        }
    }

    fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        let mut out = Vec::new();
        for fan in fs::read_dir(&self.dir).map_err(io_error("list directory", &self.dir))? {
            let fan = fan.map_err(io_error("list directory", &self.dir))?;
            let fan_name = fan.file_name().to_string_lossy().into_owned();
            if fan_name.len() != 2 || !fan.path().is_dir() {
                continue;
            }
            let fan_path = fan.path();
            for entry in fs::read_dir(&fan_path).map_err(io_error("list directory", &fan_path))? {
                let entry = entry.map_err(io_error("list directory", &fan_path))?;
                let name = format!("{fan_name}{}", entry.file_name().to_string_lossy());
                // Anything that is not named like a blob is not one of ours: leave it alone.
                let Ok(hash) = name.parse::<BlobHash>() else { continue };
                let path = entry.path();
                let meta = entry.metadata().map_err(io_error("read metadata of", &path))?;
                let stored_at = meta.modified().map_err(io_error("read the modification time of", &path))?;
                out.push(BlobInfo { hash, len: meta.len(), stored_at });
            }
        }
        out.sort_by_key(|info| info.hash);
        Ok(out)
    }
}
