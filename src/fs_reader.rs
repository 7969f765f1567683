//! Reads spec files from disk within bounds: only regular files, at most
//! [`MAX_SPEC_BYTES`], and only inside the project root unless the user allows
//! more. Specs come from pull requests, so `extends: /dev/zero`, a FIFO, a link to
//! `/etc/shadow` or `/proc/self/environ` must give a clean error, never a hang, an
//! out-of-memory or a secret in a diagnostic snippet.

use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use crate::load::ReadSource;

/// Largest spec file read. The shipped specs are a few KiB; 4 MiB leaves room
/// for any real stack and keeps memory bounded (the YAML parser has its own
/// budget on top).
pub const MAX_SPEC_BYTES: u64 = 4 * 1024 * 1024;

/// Reads spec files relative to the project root.
pub struct FsReader<'a> {
    pub root: &'a Path,
    /// Files named on the command line: the user chose them, so they may lie
    /// outside the root. What they `extend` may not, unless `allow_outside_root`.
    pub named: &'a [PathBuf],
    /// `--allow-outside-root`.
    pub allow_outside_root: bool,
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

impl ReadSource for FsReader<'_> {
    fn read(&self, path: &Path) -> io::Result<String> {
        let full = self.root.join(path);
        // Follows links, so a link inside the project to a file outside it is
        // judged by where it points.
        let real = std::fs::canonicalize(&full)?;
        if !self.allow_outside_root && !self.named.iter().any(|n| n == path) {
            let root = std::fs::canonicalize(self.root)?;
            if !real.starts_with(&root) {
                return Err(refused(
                    "it is outside the project root (pass `--allow-outside-root` if that is intended)"
                        .to_owned(),
                ));
            }
        }
        let meta = std::fs::metadata(&real)?;
        if !meta.is_file() {
            return Err(refused(
                "it is not a regular file (a folder, device, FIFO or socket)".to_owned(),
            ));
        }
        if meta.len() > MAX_SPEC_BYTES {
            return Err(refused(format!(
                "it is {} bytes, more than the {MAX_SPEC_BYTES}-byte limit for a spec file; split it with `extends`",
                meta.len()
            )));
        }
        // O_NONBLOCK: should the file be swapped for a FIFO after the check, the
        // open does not wait for a writer.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&real)?;
        let mut bytes = Vec::new();
        file.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_SPEC_BYTES {
            return Err(refused(format!(
                "it is more than the {MAX_SPEC_BYTES}-byte limit for a spec file; split it with `extends`"
            )));
        }
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
    }
}
