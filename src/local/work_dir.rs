//! The temporary work directory of a cluster started without `work_dir`:
//! `<temp>/mesos-local-<uuid>`, holding an `.owner` file its process keeps locked
//! (`flock`) while the cluster lives. It goes away however the process ends:
//!
//! - `stop` and `Drop` remove it ([`remove`]);
//! - a cluster never dropped (a reference cycle, `std::process::exit`) has it removed when
//!   the process exits (an `atexit` hook removes every directory still registered);
//! - a process killed outright (SIGKILL) leaves it, and the next cluster started on the
//!   machine removes it: a directory whose `.owner` lock is free (its process is gone,
//!   the kernel released the lock) is swept at start.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

const PREFIX: &str = "mesos-local-";

/// The lock file in each temporary work directory.
const OWNER: &str = ".owner";

/// The temporary directories of the clusters of this process not removed yet, with their
/// locked `.owner` files.
static LIVE: Mutex<BTreeMap<PathBuf, File>> = Mutex::new(BTreeMap::new());

fn live() -> std::sync::MutexGuard<'static, BTreeMap<PathBuf, File>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

extern "C" fn remove_live_at_exit() {
    let dirs = std::mem::take(&mut *live());
    for dir in dirs.into_keys() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Locks `file` without waiting; false when another open file description holds it.
fn try_lock(file: &File) -> bool {
    // SAFETY: flock on a descriptor borrowed for the call.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Makes `dir`'s `.owner` file, locked by this process. It is created and locked under
/// another name and then renamed, so that a sweep never finds it unlocked.
fn own(dir: &Path) -> std::io::Result<File> {
    let staging = dir.join(".owner.new");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&staging)?;
    if !try_lock(&file) {
        return Err(std::io::Error::other(
            "the work directory's lock file is held",
        ));
    }
    std::fs::rename(&staging, dir.join(OWNER))?;
    Ok(file)
}

/// Locks an existing `.owner` file of `dir`; `None` when it is missing or held.
fn lock_existing(dir: &Path) -> Option<File> {
    let file = File::open(dir.join(OWNER)).ok()?;
    try_lock(&file).then_some(file)
}

/// Creates a fresh temporary work directory (after sweeping the ones of dead processes)
/// and registers it for removal at exit.
pub fn create_temp() -> std::io::Result<PathBuf> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registers a plain `extern "C"` function with no arguments; it only
        // touches a static and the file system.
        let failed = unsafe { libc::atexit(remove_live_at_exit) } != 0;
        if failed {
            tracing::debug!("atexit hook not registered; work directories rely on stop/drop");
        }
    });
    let temp = std::env::temp_dir();
    sweep_stale(&temp);
    let dir = temp.join(format!("{PREFIX}{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let owner = own(&dir).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    live().insert(dir.clone(), owner);
    Ok(dir)
}

/// Removes a temporary work directory when dropped, unless disarmed: a start that fails
/// half-way leaves nothing behind.
pub struct Guard(Option<PathBuf>);

impl Guard {
    /// Guards `dir` (nothing when `None`: a directory the user chose is never removed).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Guard(dir)
    }

    /// The start succeeded: the cluster owns the directory now.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            remove(&dir);
        }
    }
}

/// Removes a temporary work directory now (a few attempts: a process being killed may add
/// a file while the tree is walked) and forgets it.
pub fn remove(dir: &Path) {
    for attempt in 1..=3 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) if attempt == 3 => {
                tracing::debug!(error = %e, dir = %dir.display(), "work directory not removed");
                return;
            }
            Err(_) => {}
        }
    }
    live().remove(dir);
}

/// Removes the work directories in `temp` whose owner is gone: those with an `.owner` file
/// nobody holds locked. (Directories without one, being created or made by older
/// versions, are left alone.)
fn sweep_stale(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(PREFIX));
        if !ours || live().contains_key(&path) {
            continue;
        }
        if let Some(_lock) = lock_existing(&path) {
            tracing::debug!(dir = %path.display(), "removing the work directory of a process gone");
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unowned_directory_is_swept_an_owned_one_kept() {
        let temp = tempfile::tempdir().expect("scratch");
        let dir = |name: &str| temp.path().join(format!("{PREFIX}{name}"));
        let (gone, owned, old) = (dir("gone"), dir("owned"), dir("old"));
        for d in [&gone, &owned, &old] {
            std::fs::create_dir_all(d.join("slaves")).expect("dir");
        }
        // A process that held the lock and is gone left its file, unlocked.
        drop(own(&gone).expect("lock"));
        // A live owner (another open file description: flock treats it as another owner).
        let _held = own(&owned).expect("lock");
        sweep_stale(temp.path());
        assert!(!gone.exists(), "the gone owner's directory is swept");
        assert!(owned.exists(), "a live owner's directory is kept");
        assert!(
            old.exists(),
            "a directory without an owner file is left alone"
        );
    }
}
