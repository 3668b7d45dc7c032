//! [`FrameworkIdStore`]: where a framework keeps its id between runs of the scheduler
//! process, so a restart within `failover_timeout` resumes the same framework (and its
//! running tasks) instead of registering a new one. [`FileFrameworkIdStore`] is the
//! default implementation; any other backend (a database row, ZooKeeper, ...) implements
//! the trait.
//!
//! The runtime uses the store like this (see
//! [`FrameworkBuilder::framework_id_store`](super::FrameworkBuilder::framework_id_store)):
//! - at [`start`](super::FrameworkBuilder::start), unless the builder was given an id,
//!   [`load`](FrameworkIdStore::load): a stored id is subscribed with (a resumed framework);
//! - on every SUBSCRIBED whose id differs from the last one saved,
//!   [`save`](FrameworkIdStore::save);
//! - when the framework ends for good, [`clear`](FrameworkIdStore::clear): after
//!   [`ShutdownMode::Teardown`](super::ShutdownMode::Teardown), after Mesos answered that
//!   the framework has been removed, and when the runtime gave up after `failover_timeout`
//!   without a subscription.
//!
//! The runtime calls the store from its own thread; keep each call short (a small file
//! write is fine).

use crate::proto::FrameworkId;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Longest framework id accepted from a store (Mesos ids are far shorter).
pub const MAX_STORED_ID_BYTES: usize = 1024;

/// Why a [`FrameworkIdStore`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameworkIdStoreError {
    /// Reading or writing the store's file failed.
    #[error("framework id file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The stored content is not a framework id.
    #[error("framework id file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other backend's failure (for implementations outside this crate).
    #[error("framework id store: {0}")]
    Backend(String),
}

/// Keeps a framework's id between runs of the scheduler process.
///
/// Implementations must be cheap to call (they run on the runtime's thread) and must
/// treat "nothing stored" as `Ok(None)`, not as an error.
///
/// ```
/// use mesos_actix::proto::FrameworkId;
/// use mesos_actix::scheduler::{FrameworkIdStore, FrameworkIdStoreError};
/// use std::sync::Mutex;
///
/// /// A store kept in memory (it survives a restart of the runtime, not of the process).
/// #[derive(Default)]
/// struct InMemory(Mutex<Option<FrameworkId>>);
///
/// impl FrameworkIdStore for InMemory {
///     fn load(&self) -> Result<Option<FrameworkId>, FrameworkIdStoreError> {
///         Ok(self.0.lock().map_err(|e| FrameworkIdStoreError::Backend(e.to_string()))?.clone())
///     }
///     fn save(&self, id: &FrameworkId) -> Result<(), FrameworkIdStoreError> {
///         *self.0.lock().map_err(|e| FrameworkIdStoreError::Backend(e.to_string()))? = Some(id.clone());
///         Ok(())
///     }
///     fn clear(&self) -> Result<(), FrameworkIdStoreError> {
///         *self.0.lock().map_err(|e| FrameworkIdStoreError::Backend(e.to_string()))? = None;
///         Ok(())
///     }
/// }
/// ```
pub trait FrameworkIdStore: Send + Sync + 'static {
    /// The stored id, if any.
    fn load(&self) -> Result<Option<FrameworkId>, FrameworkIdStoreError>;
    /// Stores `id`, replacing what was stored.
    fn save(&self, id: &FrameworkId) -> Result<(), FrameworkIdStoreError>;
    /// Forgets the stored id (nothing stored is not an error).
    fn clear(&self) -> Result<(), FrameworkIdStoreError>;
}

impl<S: FrameworkIdStore + ?Sized> FrameworkIdStore for Arc<S> {
    fn load(&self) -> Result<Option<FrameworkId>, FrameworkIdStoreError> {
        (**self).load()
    }
    fn save(&self, id: &FrameworkId) -> Result<(), FrameworkIdStoreError> {
        (**self).save(id)
    }
    fn clear(&self) -> Result<(), FrameworkIdStoreError> {
        (**self).clear()
    }
}

/// The default store: the id as one line of text in a file. A save writes a temporary
/// file next to it and renames it over the old one, so a crash mid-save leaves the old id
/// or the new one, never a torn file. The parent directory is created when missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFrameworkIdStore {
    path: PathBuf,
}

impl FileFrameworkIdStore {
    /// A store in the file `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileFrameworkIdStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> FrameworkIdStoreError {
        FrameworkIdStoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> FrameworkIdStoreError {
        FrameworkIdStoreError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }
}

/// Whether `value` can be a Mesos framework id: non-empty, bounded, printable without
/// whitespace.
fn valid_id(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("empty framework id".into());
    }
    if value.len() > MAX_STORED_ID_BYTES {
        return Err(format!(
            "framework id longer than {MAX_STORED_ID_BYTES} bytes"
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("framework id contains whitespace or control characters".into());
    }
    Ok(())
}

impl FrameworkIdStore for FileFrameworkIdStore {
    fn load(&self) -> Result<Option<FrameworkId>, FrameworkIdStoreError> {
        use std::io::Read;
        let file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        let mut bytes = Vec::new();
        let limit = (MAX_STORED_ID_BYTES + 2) as u64;
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io(e))?;
        if bytes.len() as u64 > limit {
            return Err(self.corrupt(format!("larger than {limit} bytes")));
        }
        let text = String::from_utf8(bytes).map_err(|_| self.corrupt("not UTF-8"))?;
        let value = text.trim();
        valid_id(value).map_err(|reason| self.corrupt(reason))?;
        Ok(Some(FrameworkId::new(value)))
    }

    fn save(&self, id: &FrameworkId) -> Result<(), FrameworkIdStoreError> {
        valid_id(&id.value).map_err(|reason| self.corrupt(reason))?;
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| self.io(e))?;
        }
        let mut temp = self.path.clone().into_os_string();
        temp.push(".tmp");
        let temp = PathBuf::from(temp);
        std::fs::write(&temp, format!("{}\n", id.value)).map_err(|e| self.io(e))?;
        std::fs::rename(&temp, &self.path).map_err(|e| self.io(e))
    }

    fn clear(&self) -> Result<(), FrameworkIdStoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trip_and_clear() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileFrameworkIdStore::new(dir.path().join("sub/fw.id"));
        assert!(store.load().unwrap().is_none());
        store.save(&FrameworkId::new("abc-0001")).unwrap();
        assert_eq!(store.load().unwrap(), Some(FrameworkId::new("abc-0001")));
        store.save(&FrameworkId::new("abc-0002")).unwrap();
        assert_eq!(store.load().unwrap(), Some(FrameworkId::new("abc-0002")));
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
        store.clear().unwrap();
    }

    #[test]
    fn bad_content_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fw.id");
        let store = FileFrameworkIdStore::new(&path);
        for content in [
            b"".to_vec(),
            b"two words".to_vec(),
            vec![0xff, 0xfe],
            vec![b'a'; 5000],
        ] {
            std::fs::write(&path, content).unwrap();
            assert!(matches!(
                store.load(),
                Err(FrameworkIdStoreError::Corrupt { .. })
            ));
        }
        assert!(store.save(&FrameworkId::new("")).is_err());
    }
}
