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
    let mut batch = Batch::new(base);
    batch.stage(rel, contents)?;
    batch.commit()
}

/// Files written below one folder as one step: each to a temporary file
/// created exclusively next to its target ([`Batch::stage`]), then all synced
/// at once and renamed into place ([`Batch::commit`]), so after a crash every
/// file is whole, old or new. Folders already checked or created are not
/// looked at again; a batch dropped before its commit leaves no file behind.
pub struct Batch<'b> {
    base: &'b Path,
    /// Folders below `base` known to be real folders, created or checked.
    folders: std::collections::BTreeSet<PathBuf>,
    staged: Vec<(tempfile::NamedTempFile, PathBuf)>,
}

impl<'b> Batch<'b> {
    pub fn new(base: &'b Path) -> Self {
        Batch {
            base,
            folders: std::collections::BTreeSet::new(),
            staged: Vec::new(),
        }
    }

    /// Writes `contents` next to `base/rel`, to be renamed over it by
    /// [`Batch::commit`]. No component below `base` may be a link.
    pub fn stage(&mut self, rel: &Path, contents: &str) -> Result<(), Error> {
        let parent = rel.parent().unwrap_or(Path::new(""));
        let named = matches!(rel.components().next_back(), Some(Component::Normal(_)));
        if named && self.folders.contains(parent) {
            // The folders are known: only the file itself is looked at.
            refuse_link(&self.base.join(rel))?;
        } else {
            refuse_links_below(self.base, rel)?;
            create_dirs_below(self.base, parent)?;
            let mut folder = parent;
            while self.folders.insert(folder.to_path_buf()) {
                match folder.parent() {
                    Some(up) => folder = up,
                    None => break,
                }
            }
        }
        let path = self.base.join(rel);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let staged = (|| {
            // 0666 less the umask, as `File::create` gives: containers read the
            // configs bind-mounted from here as their own users.
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .suffix(".futurestack-tmp")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
                .tempfile_in(&dir)?;
            tmp.write_all(contents.as_bytes())?;
            Ok::<_, std::io::Error>(tmp)
        })();
        let tmp = staged.map_err(|err| Error::io(&path, err))?;
        self.staged.push((tmp, path));
        Ok(())
    }

    /// Syncs every staged file, then renames each over its target.
    pub fn commit(self) -> Result<(), Error> {
        sync_files(self.base, &self.staged)?;
        for (tmp, path) in self.staged {
            tmp.persist(&path)
                .map_err(|err| Error::io(&path, err.error))?;
        }
        Ok(())
    }
}

/// Makes the staged files durable: one `syncfs` of the folder's file system
/// for many files (Linux 2.6.39; since 5.8 it reports write-back errors,
/// `syncfs(2)`), where one `fsync` each would wait for a journal commit per
/// file; elsewhere, or when it fails, each file's own `fsync`.
fn sync_files(base: &Path, staged: &[(tempfile::NamedTempFile, PathBuf)]) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    if staged.len() > 1 {
        use std::os::fd::AsRawFd as _;
        if let Ok(dir) = std::fs::File::open(base) {
            // SAFETY: `dir` is an open descriptor for the call's duration.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
                return Ok(());
            }
        }
    }
    let _ = base;
    for (tmp, path) in staged {
        tmp.as_file()
            .sync_all()
            .map_err(|err| Error::io(path, err))?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_writes_everything_at_commit_and_refuses_a_link_in_a_known_folder() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let mut batch = Batch::new(base);
        batch.stage(Path::new("a/b/one.yml"), "1\n").unwrap();
        batch.stage(Path::new("a/b/two.yml"), "2\n").unwrap();
        batch.stage(Path::new("top.yml"), "3\n").unwrap();
        // Nothing is in place before the commit.
        assert!(!base.join("a/b/one.yml").exists());
        batch.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(base.join("a/b/two.yml")).unwrap(),
            "2\n"
        );
        assert_eq!(
            std::fs::read_to_string(base.join("top.yml")).unwrap(),
            "3\n"
        );
        // The folder is known to the next batch too, yet a link planted as a
        // file in it is refused, and a path leaving it.
        let mut batch = Batch::new(base);
        batch.stage(Path::new("a/b/one.yml"), "1\n").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", base.join("a/b/link.yml")).unwrap();
        assert!(matches!(
            batch.stage(Path::new("a/b/link.yml"), "x"),
            Err(Error::Link { .. })
        ));
        assert!(batch.stage(Path::new("a/b/.."), "x").is_err());
        drop(batch);
        // A batch dropped before its commit leaves no temporary file.
        let left: Vec<_> = std::fs::read_dir(base.join("a/b"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }
}
