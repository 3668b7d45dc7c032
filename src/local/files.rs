//! The Apache Mesos files API over the agents' sandboxes: `browse` lists a directory,
//! `read` returns a window of a file, both as the JSON Apache Mesos returns.
//!
//! Paths are the absolute sandbox paths (`<work_dir>/slaves/...`, as the real agent's
//! `directory`), confined to that root: a path with a NUL, a `..` component or more than
//! [`MAX_PATH`] bytes is refused (400); a path outside the root is unknown (404); a path
//! whose canonical form (symlinks resolved) leaves the root is inaccessible (400). The
//! functions block (file system calls): run them off the actor threads.

use serde_json::{Value, json};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// The longest path accepted, in bytes.
pub const MAX_PATH: usize = 4096;

/// The most bytes one read returns (16 pages, as Apache Mesos caps it).
pub const MAX_READ: u64 = 16 * 4096;

/// Why a files request failed; each maps to the status Apache Mesos answers with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilesError {
    /// 400 Bad Request.
    #[error("{0}")]
    Invalid(String),
    /// 404 Not Found.
    #[error("{0}")]
    NotFound(String),
    /// 500 Internal Server Error.
    #[error("{0}")]
    Internal(String),
}

fn io_error(path: &str, e: &std::io::Error) -> FilesError {
    match e.kind() {
        std::io::ErrorKind::NotFound => FilesError::NotFound(String::new()),
        _ => FilesError::Internal(format!("Failed to access '{path}': {e}.\n")),
    }
}

/// Maps `requested` to a real path inside `root` (the sandboxes' root), or says why not.
pub fn resolve(root: &Path, requested: &str) -> Result<PathBuf, FilesError> {
    if requested.is_empty() {
        return Err(FilesError::Invalid(
            "Expecting 'path=value' in query.\n".into(),
        ));
    }
    if requested.len() > MAX_PATH {
        return Err(FilesError::Invalid(format!(
            "Path longer than {MAX_PATH} bytes.\n"
        )));
    }
    if requested.contains('\0') {
        return Err(FilesError::Invalid("Path contains a NUL byte.\n".into()));
    }
    let path = Path::new(requested);
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        || requested.split('/').any(|c| c == "." || c == "..")
    {
        return Err(FilesError::Invalid(format!(
            "'{requested}' is inaccessible.\n"
        )));
    }
    let real_root = root
        .canonicalize()
        .map_err(|_| FilesError::NotFound(String::new()))?;
    if !path.is_absolute() || !(path.starts_with(root) || path.starts_with(&real_root)) {
        return Err(FilesError::NotFound(String::new()));
    }
    let real = path.canonicalize().map_err(|e| io_error(requested, &e))?;
    if !real.starts_with(&real_root) {
        return Err(FilesError::Invalid(format!(
            "'{requested}' is inaccessible.\n"
        )));
    }
    Ok(real)
}

/// `id → name` from a `name:x:id:...` file (`/etc/passwd`, `/etc/group`).
fn names(file: &str) -> std::collections::HashMap<u32, String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

fn mode_string(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFIFO => 'p',
        libc::S_IFLNK => 'l',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// `GET /files/browse?path=`: the entries of a directory, sorted by name, each as
/// `{path, nlink, size, mtime, mode, uid, gid}`; `[]` for a file.
pub fn browse(root: &Path, requested: &str) -> Result<Value, FilesError> {
    let real = resolve(root, requested)?;
    let base = requested.trim_end_matches('/');
    let Ok(entries) = std::fs::read_dir(&real) else {
        return Ok(json!([]));
    };
    let users = names("/etc/passwd");
    let groups = names("/etc/group");
    let mut listing = std::collections::BTreeMap::new();
    for entry in entries.flatten() {
        // As Apache Mesos: stat (following links); entries that fail it are skipped.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let uid = users
            .get(&meta.uid())
            .cloned()
            .unwrap_or_else(|| meta.uid().to_string());
        let gid = groups
            .get(&meta.gid())
            .cloned()
            .unwrap_or_else(|| meta.gid().to_string());
        listing.insert(
            name.clone(),
            json!({
                "path": format!("{base}/{name}"),
                "nlink": meta.nlink(),
                "size": meta.size(),
                "mtime": meta.mtime() as f64,
                "mode": mode_string(meta.mode()),
                "uid": uid,
                "gid": gid,
            }),
        );
    }
    Ok(Value::Array(listing.into_values().collect()))
}

/// Parses an optional non-negative integer parameter where `-1` means "not given".
fn parse_param(name: &str, value: Option<&str>) -> Result<Option<u64>, FilesError> {
    let Some(text) = value else {
        return Ok(None);
    };
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|e| FilesError::Invalid(format!("Failed to parse {name}: {e}.\n")))?;
    match n {
        -1 => Ok(None),
        n if n < 0 => Err(FilesError::Invalid(format!(
            "Negative {name} provided: {n}.\n"
        ))),
        n => Ok(Some(n.unsigned_abs())),
    }
}

/// `GET /files/read?path=&offset=&length=`: `{data, offset}`. Without an offset (or with
/// `-1`) the data is empty and `offset` is the file's size; a read past the end is empty;
/// at most [`MAX_READ`] bytes come back.
pub fn read(
    root: &Path,
    requested: &str,
    offset: Option<&str>,
    length: Option<&str>,
) -> Result<Value, FilesError> {
    use std::io::{Read, Seek, SeekFrom};
    let offset = parse_param("offset", offset)?;
    let length = parse_param("length", length)?;
    let real = resolve(root, requested)?;
    if real.is_dir() {
        return Err(FilesError::Invalid("Cannot read a directory.\n".into()));
    }
    let mut file = std::fs::File::open(&real).map_err(|e| io_error(requested, &e))?;
    let size = file.metadata().map_err(|e| io_error(requested, &e))?.len();
    let Some(start) = offset else {
        return Ok(json!({"data": "", "offset": size}));
    };
    if start >= size || length == Some(0) {
        return Ok(json!({"data": "", "offset": start}));
    }
    let want = length.unwrap_or(size - start).min(MAX_READ);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| io_error(requested, &e))?;
    let mut buf = Vec::new();
    file.take(want)
        .read_to_end(&mut buf)
        .map_err(|e| io_error(requested, &e))?;
    Ok(json!({"data": String::from_utf8_lossy(&buf), "offset": start}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> (tempfile::TempDir, PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("slaves");
        let run = root.join("S0/frameworks/f/executors/e/runs/c1");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("stderr"), "boom\n").unwrap();
        let run_s = run.display().to_string();
        (dir, root, run_s)
    }

    #[test]
    fn browse_and_read_inside() {
        let (_d, root, run) = sandbox();
        let list = browse(&root, &run).unwrap();
        assert_eq!(list[0]["path"], format!("{run}/stderr"));
        assert_eq!(list[0]["size"], 5);
        assert!(list[0]["mode"].as_str().unwrap().starts_with("-rw"));
        let f = format!("{run}/stderr");
        assert_eq!(
            read(&root, &f, Some("-1"), None).unwrap(),
            json!({"data": "", "offset": 5})
        );
        assert_eq!(
            read(&root, &f, Some("1"), Some("2")).unwrap(),
            json!({"data": "oo", "offset": 1})
        );
        assert_eq!(
            read(&root, &f, Some("9"), None).unwrap(),
            json!({"data": "", "offset": 9})
        );
    }

    #[test]
    fn hostile_paths_are_refused() {
        let (_d, root, run) = sandbox();
        std::os::unix::fs::symlink("/etc", format!("{run}/etc")).unwrap();
        let bad = |p: &str| resolve(&root, p).unwrap_err();
        assert!(matches!(
            bad(&format!("{run}/../../..")),
            FilesError::Invalid(_)
        ));
        assert!(matches!(
            bad(&format!("{run}/etc/passwd")),
            FilesError::Invalid(_)
        ));
        assert!(matches!(
            bad(&format!("{run}/a\0b")),
            FilesError::Invalid(_)
        ));
        assert!(matches!(bad(&"/a".repeat(3000)), FilesError::Invalid(_)));
        assert!(matches!(bad("/etc/passwd"), FilesError::NotFound(_)));
        assert!(matches!(bad("stderr"), FilesError::NotFound(_)));
        assert!(matches!(
            bad(&format!("{run}/none")),
            FilesError::NotFound(_)
        ));
        assert!(matches!(
            read(&root, &format!("{run}/stderr"), Some("-2"), None).unwrap_err(),
            FilesError::Invalid(_)
        ));
        assert!(matches!(
            read(&root, &format!("{run}/stderr"), Some("x"), None).unwrap_err(),
            FilesError::Invalid(_)
        ));
        assert!(matches!(
            read(&root, &run, None, None).unwrap_err(),
            FilesError::Invalid(_)
        ));
    }
}
