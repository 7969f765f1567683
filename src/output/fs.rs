//! File-system primitives that never follow a symbolic link below the folder
//! they are given: reads, listings, atomic writes and removals.
//!
//! The output folder comes from a pull request like the spec does, so a link
//! planted in it (a file, a sub-folder, a stale environment folder, the name of a
//! temporary file) must not make futurestack read, write or delete anything
//! elsewhere. Every path below `base` is checked with `lstat`; a link is an
//! [`Error::Link`], never followed. Temporary files are created with
//! `O_CREAT | O_EXCL` under a random name (the `tempfile` crate), which fails on
//! any existing name, links included, and are renamed over the target (a rename
//! replaces a link, it never writes through one).

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// Kind of a directory entry, as `lstat` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    File,
    /// A symbolic link, a socket, a FIFO or a device: never read, written or removed.
    Other,
}

/// Fails when `path` itself is a symbolic link.
pub fn refuse_link(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(Error::Link {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Fails when any existing component of `rel` below `base` is a symbolic link,
/// or when `rel` leaves `base` (`..`, an absolute path).
pub fn refuse_links_below(base: &Path, rel: &Path) -> Result<(), Error> {
    let mut current = base.to_path_buf();
    for component in rel.components() {
        match component {
            Component::Normal(part) => current.push(part),
            Component::CurDir => continue,
            _ => {
                return Err(Error::Usage(format!(
                    "refusing the path `{}`: it leaves `{}`",
                    rel.display(),
                    base.display()
                )));
            }
        }
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::Link { path: current });
            }
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(Error::io(&current, err)),
        }
    }
    Ok(())
}

/// Reads `base/rel` when it exists, without following links on the way.
pub fn read_below(base: &Path, rel: &Path) -> Result<Option<String>, Error> {
    refuse_links_below(base, rel)?;
    let path = base.join(rel);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if !meta.is_file() => {
            return Err(Error::Usage(format!(
                "`{}` is not a regular file; remove it and generate again",
                path.display()
            )));
        }
        // Larger than anything futurestack writes: not read into memory, and
        // never equal to what would be generated.
        Ok(meta) if meta.len() > crate::render::MAX_OUTPUT_BYTES as u64 => {
            return Ok(Some(format!(
                "(a file of {} bytes, larger than futurestack writes; not read)\n",
                meta.len()
            )));
        }
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io(&path, err)),
    }
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(&path, err)),
    }
}

/// Whether `path` is a real directory (not a link to one).
pub fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `path` is a regular file (not a link to one).
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Every entry below the real directory `dir`, relative to it with `/`
/// separators, sorted. Only real directories are entered; links and special
/// files are listed as [`EntryKind::Other`].
pub fn entries_below(dir: &Path) -> Result<Vec<(String, EntryKind)>, Error> {
    let mut out = Vec::new();
    if !is_real_dir(dir) {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(e) => e,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(Error::io(&current, err)),
        };
        for entry in entries {
            let entry = entry.map_err(|err| Error::io(&current, err))?;
            let path = entry.path();
            // `DirEntry::file_type` does not follow links.
            let file_type = entry.file_type().map_err(|err| Error::io(&path, err))?;
            if file_type.is_dir() {
                stack.push(path);
                continue;
            }
            let kind = if file_type.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            out.push((rel.to_string_lossy().replace('\\', "/"), kind));
        }
    }
    out.sort();
    Ok(out)
}

/// Writes `base/rel` atomically: a temporary file created exclusively next to
/// it, synced, then renamed over. Missing folders are created; no existing
/// component below `base` may be a link.
pub fn write_below(base: &Path, rel: &Path, contents: &str) -> Result<(), Error> {
    refuse_links_below(base, rel)?;
    let path = base.join(rel);
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    create_dirs_below(base, parent.strip_prefix(base).unwrap_or(Path::new("")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = (|| {
        // 0666 less the umask, as `File::create` gives: containers read the
        // configs bind-mounted from here as their own users.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".futurestack-tmp")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(&parent)?;
        tmp.write_all(contents.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|err| err.error)?;
        Ok::<(), std::io::Error>(())
    })();
    result.map_err(|err| Error::io(&path, err))
}

/// Creates the folders of `rel` below `base` one by one, refusing links.
fn create_dirs_below(base: &Path, rel: &Path) -> Result<(), Error> {
    if !base.as_os_str().is_empty() {
        std::fs::create_dir_all(base).map_err(|err| Error::io(base, err))?;
    }
    let mut current = base.to_path_buf();
    for component in rel.components() {
        if let Component::Normal(part) = component {
            current.push(part);
            match std::fs::create_dir(&current) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    refuse_link(&current)?;
                    if !is_real_dir(&current) {
                        return Err(Error::io(&current, err));
                    }
                }
                Err(err) => return Err(Error::io(&current, err)),
            }
        }
    }
    Ok(())
}

/// Removes the regular file `base/rel`; links and special files are refused.
pub fn remove_below(base: &Path, rel: &Path) -> Result<(), Error> {
    refuse_links_below(base, rel)?;
    let path: PathBuf = base.join(rel);
    refuse_link(&path)?;
    if !is_regular_file(&path) {
        return Err(Error::Usage(format!(
            "`{}` is not a regular file; futurestack removes only files it generated",
            path.display()
        )));
    }
    std::fs::remove_file(&path).map_err(|err| Error::io(&path, err))
}
