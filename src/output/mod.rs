//! Output: compare generated files with the disk (`check`, `diff`) and write them
//! (`generate`): atomically, removing files it generated before and no longer
//! generates, never touching files it does not own.

mod report;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::pipeline::{MANIFEST, manifest_entries};
use crate::render::Files;

pub use report::{Report, ReportFormat, Summary, render_report};

/// What the spec generates, by environment, under an output folder.
pub struct Plan {
    /// Project root; `out` is relative to it.
    pub root: PathBuf,
    /// Output folder as the user names it (`golden`).
    pub out: PathBuf,
    pub envs: Vec<(String, Files)>,
    /// Every environment was rendered: folders of other environments are stale.
    pub complete: bool,
}

/// One difference between the plan and the disk. Paths are as shown to users
/// (`golden/prod/docker-compose.yml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Generated, but not on disk.
    Added {
        env: String,
        path: String,
        new: String,
    },
    /// On disk with other contents.
    Changed {
        env: String,
        path: String,
        old: String,
        new: String,
    },
    /// On disk, but not generated. `owned`: futurestack generated it earlier (it is
    /// in the folder's manifest), so `generate` removes it.
    Orphan {
        env: String,
        path: String,
        owned: bool,
    },
}

impl Change {
    pub fn path(&self) -> &str {
        match self {
            Change::Added { path, .. }
            | Change::Changed { path, .. }
            | Change::Orphan { path, .. } => path,
        }
    }

    pub fn env(&self) -> &str {
        match self {
            Change::Added { env, .. }
            | Change::Changed { env, .. }
            | Change::Orphan { env, .. } => env,
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn read_if_exists(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(path, err)),
    }
}

/// Every file below `dir`, relative to it, sorted.
fn files_below(dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
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
            let file_type = entry.file_type().map_err(|err| Error::io(&path, err))?;
            if file_type.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                out.push(display(rel));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn owned_files(env_dir: &Path) -> Result<BTreeSet<String>, Error> {
    let manifest = read_if_exists(&env_dir.join(MANIFEST))?;
    let mut owned: BTreeSet<String> = manifest
        .as_deref()
        .map(manifest_entries)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if manifest.is_some() {
        owned.insert(MANIFEST.to_owned());
    }
    Ok(owned)
}

/// Compares the plan with the disk.
pub fn compare(plan: &Plan) -> Result<Vec<Change>, Error> {
    let out_dir = plan.root.join(&plan.out);
    let mut changes = Vec::new();
    for (env, files) in &plan.envs {
        let env_dir = out_dir.join(env);
        for (rel, new) in files {
            let shown = display(&plan.out.join(env).join(rel));
            match read_if_exists(&env_dir.join(rel))? {
                None => changes.push(Change::Added {
                    env: env.clone(),
                    path: shown,
                    new: new.clone(),
                }),
                Some(old) if old != *new => changes.push(Change::Changed {
                    env: env.clone(),
                    path: shown,
                    old,
                    new: new.clone(),
                }),
                Some(_) => {}
            }
        }
        let owned = owned_files(&env_dir)?;
        for rel in files_below(&env_dir)? {
            if !files.contains_key(&rel) {
                let shown = display(&plan.out.join(env).join(&rel));
                changes.push(Change::Orphan {
                    env: env.clone(),
                    path: shown,
                    owned: owned.contains(&rel),
                });
            }
        }
    }
    if plan.complete {
        // Folders of environments that no longer exist: only those futurestack owns.
        let entries = match std::fs::read_dir(&out_dir) {
            Ok(e) => e.flatten().collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        let mut stale: Vec<String> = entries
            .iter()
            .filter(|e| e.path().join(MANIFEST).is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !plan.envs.iter().any(|(env, _)| env == name))
            .collect();
        stale.sort();
        for env in stale {
            let env_dir = out_dir.join(&env);
            let owned = owned_files(&env_dir)?;
            for rel in files_below(&env_dir)? {
                let shown = display(&plan.out.join(&env).join(&rel));
                changes.push(Change::Orphan {
                    env: env.clone(),
                    path: shown,
                    owned: owned.contains(&rel),
                });
            }
        }
    }
    Ok(changes)
}

/// Applies changes to the disk: writes added and changed files atomically and
/// removes owned orphans (and folders that became empty). Returns the orphans it
/// left alone because futurestack does not own them.
pub fn apply(plan: &Plan, changes: &[Change]) -> Result<Vec<String>, Error> {
    let mut left_alone = Vec::new();
    let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
    for change in changes {
        let path = plan.root.join(change.path());
        match change {
            Change::Added { new, .. } | Change::Changed { new, .. } => write_atomic(&path, new)?,
            Change::Orphan { owned: true, .. } => {
                std::fs::remove_file(&path).map_err(|err| Error::io(&path, err))?;
                if let Some(parent) = path.parent() {
                    emptied.insert(parent.to_path_buf());
                }
            }
            Change::Orphan {
                owned: false,
                path: shown,
                ..
            } => left_alone.push(shown.clone()),
        }
    }
    let out_dir = plan.root.join(&plan.out);
    for dir in emptied.iter().rev() {
        let mut current = dir.clone();
        while current.starts_with(&out_dir) && current != out_dir {
            if std::fs::remove_dir(&current).is_err() {
                break; // not empty, or gone already
            }
            match current.parent() {
                Some(parent) => current = parent.to_path_buf(),
                None => break,
            }
        }
    }
    Ok(left_alone)
}

/// Writes a file by writing a temporary file next to it and renaming it over,
/// so readers never see half a file.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.futurestack-tmp"));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|err| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, err)
    })
}
