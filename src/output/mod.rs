//! Output: compare generated files with the disk (`check`, `diff`) and write them
//! (`generate`): atomically, removing files it generated before and no longer
//! generates, never touching files it does not own.

pub mod annotations;
mod cost_change;
mod fs;
mod impact_lines;
mod report;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::pipeline::{MANIFEST, manifest_entries};
use crate::render::Files;
use fs::EntryKind;

pub use report::{Report, ReportFormat, Summary, render_report};

use crate::impact::{FileChange, Impact};

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

impl Plan {
    /// The path of a change below its environment's folder (`nginx/nginx.conf`);
    /// `None` for a name escaped for display (a file futurestack never wrote).
    pub fn rel<'c>(&self, change: &'c Change) -> Option<&'c str> {
        let prefix = format!("{}/", display(&self.out.join(change.env())));
        change.path().strip_prefix(&prefix)
    }
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

/// Files the folder's manifest lists that are regular files (plus the manifest
/// itself): only these may be removed as orphans.
fn owned_files(out_dir: &Path, env: &str) -> Result<BTreeSet<String>, Error> {
    let manifest = fs::read_below(out_dir, &Path::new(env).join(MANIFEST))?;
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

fn orphans(
    out: &Path,
    out_dir: &Path,
    env: &str,
    generated: Option<&Files>,
    changes: &mut Vec<Change>,
) -> Result<(), Error> {
    let owned = owned_files(out_dir, env)?;
    for (rel, kind) in fs::entries_below(&out_dir.join(env))? {
        if generated.is_some_and(|files| files.contains_key(&rel)) {
            continue;
        }
        let owned = kind == EntryKind::File && owned.contains(&rel);
        // A file name from the disk may hold control characters: shown escaped
        // (only files futurestack named itself are ever removed).
        let shown = display(&out.join(env).join(&rel));
        changes.push(Change::Orphan {
            env: env.to_owned(),
            path: if owned {
                shown
            } else {
                crate::error::printable(&shown)
            },
            owned,
        });
    }
    Ok(())
}

/// The output folder, with `.` and trailing slashes dropped (through which even
/// `lstat` follows a link), refused when it or, for a folder below the
/// project root, any folder on the way to it is a link.
fn checked_out_dir(plan: &Plan) -> Result<PathBuf, Error> {
    let out: PathBuf = plan
        .out
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let below_root = out.is_relative()
        && !out
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if below_root {
        fs::refuse_links_below(&plan.root, &out)?;
    }
    let out_dir = plan.root.join(&out);
    fs::refuse_link(&out_dir)?;
    Ok(out_dir)
}

/// Compares the plan with the disk.
pub fn compare(plan: &Plan) -> Result<Vec<Change>, Error> {
    let out_dir = checked_out_dir(plan)?;
    let mut changes = Vec::new();
    for (env, files) in &plan.envs {
        for (rel, new) in files {
            let rel_path = Path::new(env).join(rel);
            let shown = display(&plan.out.join(&rel_path));
            match fs::read_below(&out_dir, &rel_path)? {
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
        orphans(&plan.out, &out_dir, env, Some(files), &mut changes)?;
    }
    if plan.complete {
        // Folders of environments that no longer exist: only real folders with a
        // real manifest, which futurestack wrote. A link is never entered.
        let entries = match std::fs::read_dir(&out_dir) {
            Ok(e) => e.flatten().collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        let mut stale: Vec<String> = entries
            .iter()
            .filter(|e| fs::is_real_dir(&e.path()) && fs::is_regular_file(&e.path().join(MANIFEST)))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !plan.envs.iter().any(|(env, _)| env == name))
            .collect();
        stale.sort();
        for env in stale {
            orphans(&plan.out, &out_dir, &env, None, &mut changes)?;
        }
    }
    Ok(changes)
}

/// What the changes do to what runs, per environment with changes
/// ([`crate::impact`]). Files the manifest does not list are not read.
pub fn impacts(
    plan: &Plan,
    changes: &[Change],
) -> Result<std::collections::BTreeMap<String, Impact>, Error> {
    let out_dir = checked_out_dir(plan)?;
    let mut out = std::collections::BTreeMap::new();
    let empty = Files::new();
    let mut envs: Vec<&str> = changes.iter().map(Change::env).collect();
    envs.dedup();
    for env in envs {
        // Removed files are read back from the folder, within its bounds.
        let mut removed: Vec<(String, String)> = Vec::new();
        for change in changes.iter().filter(|c| c.env() == env) {
            if let Change::Orphan { owned: true, .. } = change
                && let Some(rel) = plan.rel(change)
                && let Some(text) = fs::read_below(&out_dir, &Path::new(env).join(rel))?
            {
                removed.push((rel.to_owned(), text));
            }
        }
        let mut files: Vec<FileChange<'_>> = changes
            .iter()
            .filter(|c| c.env() == env)
            .filter_map(|c| {
                let rel = plan.rel(c)?;
                match c {
                    Change::Added { new, .. } => Some(FileChange {
                        rel,
                        old: None,
                        new: Some(new),
                    }),
                    Change::Changed { old, new, .. } => Some(FileChange {
                        rel,
                        old: Some(old),
                        new: Some(new),
                    }),
                    Change::Orphan { .. } => None,
                }
            })
            .collect();
        files.extend(removed.iter().map(|(rel, text)| FileChange {
            rel,
            old: Some(text),
            new: None,
        }));
        let current = plan
            .envs
            .iter()
            .find(|(e, _)| e == env)
            .map_or(&empty, |(_, f)| f);
        let impact = crate::impact::impact(&files, current);
        if !impact.is_empty() {
            out.insert(env.to_owned(), impact);
        }
    }
    Ok(out)
}

/// Applies changes to the disk: writes added and changed files atomically and
/// removes owned orphans (and folders that became empty). Returns the orphans it
/// left alone because futurestack does not own them.
pub fn apply(plan: &Plan, changes: &[Change]) -> Result<Vec<String>, Error> {
    let out_dir = checked_out_dir(plan)?;
    let mut left_alone = Vec::new();
    let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
    // Written as one batch: synced together, renamed in place after the
    // removals.
    let mut batch = fs::Batch::new(&out_dir);
    for change in changes {
        // Shown paths are `out/env/rel`; writes go below the output folder.
        let rel = Path::new(change.path())
            .strip_prefix(&plan.out)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(change.path()));
        match change {
            Change::Added { new, .. } | Change::Changed { new, .. } => batch.stage(&rel, new)?,
            Change::Orphan { owned: true, .. } => {
                fs::remove_below(&out_dir, &rel)?;
                if let Some(parent) = rel.parent() {
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
    batch.commit()?;
    for dir in emptied.iter().rev() {
        let mut current = dir.clone();
        while !current.as_os_str().is_empty() {
            let path = out_dir.join(&current);
            if !fs::is_real_dir(&path) || std::fs::remove_dir(&path).is_err() {
                break; // not empty, gone already, or not a real folder
            }
            match current.parent() {
                Some(parent) => current = parent.to_path_buf(),
                None => break,
            }
        }
    }
    Ok(left_alone)
}

/// Writes `root/rel` atomically, never through a link below `root` (for `init`
/// and `schema`).
pub fn write_atomic(root: &Path, rel: &Path, contents: &str) -> Result<(), Error> {
    fs::write_below(root, rel, contents)
}
