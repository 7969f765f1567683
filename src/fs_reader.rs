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

/// Largest template override read (the largest embedded template is a few KiB).
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

/// Reads spec files relative to the project root.
pub struct FsReader<'a> {
    pub root: &'a Path,
    /// Files named on the command line: the user chose them, so they may lie
    /// outside the root. What they `extend` may not, unless `allow_outside_root`.
    pub named: &'a [PathBuf],
    /// `--allow-outside-root`.
    pub allow_outside_root: bool,
    /// `--yaml-max-nodes`.
    pub max_yaml_nodes: usize,
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

impl ReadSource for FsReader<'_> {
    fn read(&self, path: &Path) -> io::Result<String> {
        let contained = !self.allow_outside_root && !self.named.iter().any(|n| n == path);
        read_bounded(
            self.root,
            path,
            contained,
            MAX_SPEC_BYTES,
            "a spec file; split it with `extends`",
        )
    }

    fn max_yaml_nodes(&self) -> usize {
        self.max_yaml_nodes
    }
}

/// Reads `root/path` as UTF-8 text: a regular file of at most `limit` bytes and,
/// when `contained`, inside `root` once links are resolved. `what` names the
/// file and the fix in the size error.
pub fn read_bounded(
    root: &Path,
    path: &Path,
    contained: bool,
    limit: u64,
    what: &str,
) -> io::Result<String> {
    let full = root.join(path);
    // Follows links, so a link inside the project to a file outside it is
    // judged by where it points.
    let real = std::fs::canonicalize(&full)?;
    if contained {
        let root = std::fs::canonicalize(root)?;
        if !real.starts_with(&root) {
            return Err(refused(
                "it is outside the project root (pass `--allow-outside-root` if that is intended)"
                    .to_owned(),
            ));
        }
    }
    if !std::fs::metadata(&real)?.is_file() {
        return Err(refused(
            "it is not a regular file (a folder, device, FIFO or socket)".to_owned(),
        ));
    }
    // The resolved path is opened without following a link (O_NOFOLLOW) and
    // without waiting for a writer (O_NONBLOCK), and judged again by what was
    // opened: a file swapped after the checks above is refused, not read.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&real)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(
            "it is not a regular file (a folder, device, FIFO or socket)".to_owned(),
        ));
    }
    let too_big = || refused(format!("it is more than the {limit}-byte limit for {what}"));
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}
