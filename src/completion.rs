//! Shell completion of values only the project knows: environment names for
//! `--env`, read from `environments/` in the folder the shell is in (clap's
//! dynamic completion calls back into the binary, `COMPLETE=<shell>`).

use std::ffi::OsStr;
use std::path::Path;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

/// Spec files looked at, and the largest read, when completing.
const MAX_FILES: usize = 1000;
const MAX_BYTES: u64 = 1 << 20;

/// The completer `--env` carries.
pub fn env_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        env_candidates(Path::new("environments"), &current.to_string_lossy())
    })
}

/// The environments below `dir` that start with `current`: every `.yaml`
/// spec but the bases (`abstract: true`), sorted.
pub fn env_candidates(dir: &Path, current: &str) -> Vec<CompletionCandidate> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .take(MAX_FILES)
        .filter(|e| {
            e.file_type().is_ok_and(|t| t.is_file())
                && e.metadata().is_ok_and(|m| m.len() <= MAX_BYTES)
        })
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".yaml")?.to_owned();
            let text = std::fs::read_to_string(e.path()).ok()?;
            let base = crate::load::declares_abstract(&text);
            (!base && name.starts_with(current)).then_some(name)
        })
        .collect();
    names.sort();
    names.into_iter().map(CompletionCandidate::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_and_other_files_are_not_environments() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("base.yaml", "abstract: true\n"),
            ("prod.yaml", "extends: base.yaml\n"),
            ("preview.yaml", "extends: base.yaml\n"),
            ("dev.yaml", "extends: base.yaml\n"),
            ("notes.txt", "x"),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let names = |current: &str| -> Vec<String> {
            env_candidates(dir.path(), current)
                .iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(""), ["dev", "preview", "prod"]);
        assert_eq!(names("pr"), ["preview", "prod"]);
    }
}
