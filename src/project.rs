//! The project on disk: finding environment specs, reading them, and running the
//! pure pipeline over all of them. This layer (with `output` and `commands`) is
//! the only one that touches the file system.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Severity, sort_diagnostics};
use crate::fs_reader::FsReader;
use crate::load::{self, Loaded, Sources};
use crate::model::Stack;
use crate::pipeline;
use crate::render::{Files, Templates};

/// Which specs a command works on.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Project root (`-C`); every other path is relative to it.
    pub root: PathBuf,
    /// Folder holding the environment specs.
    pub environments: PathBuf,
    /// Spec files named on the command line (empty: every spec in `environments`).
    pub specs: Vec<PathBuf>,
    /// `--env` filters (empty: all).
    pub envs: Vec<String>,
    /// `--deny-warnings`: warnings fail like errors.
    pub deny_warnings: bool,
    /// `--allow-outside-root`: `extends` may name files outside the root.
    pub allow_outside_root: bool,
    /// `--yaml-max-nodes`: the YAML parser's node budget per file.
    pub max_yaml_nodes: usize,
    /// The day images are judged on (`YYYY-MM-DD`; the system's date unless
    /// `--today` says another).
    pub today: String,
}

/// Every environment of a selection, validated, with its model.
pub struct Project {
    pub stacks: Vec<Stack>,
    pub warnings: Vec<Diagnostic>,
    pub sources: Sources,
    /// Whether every environment of the folder was selected (so output folders of
    /// environments that no longer exist can be reported).
    pub complete: bool,
}

fn is_spec_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// One problem found the same in several environments is reported once; one
/// in a file that environments share (a base) names the environments it was
/// found in, when several were checked.
fn name_environments(
    per_env: Vec<(&str, std::sync::Arc<str>, Vec<Diagnostic>)>,
) -> Vec<Diagnostic> {
    let several = per_env.len() > 1;
    let own: std::collections::BTreeSet<std::sync::Arc<str>> =
        per_env.iter().map(|(_, file, _)| file.clone()).collect();
    let mut groups: Vec<(Diagnostic, Vec<&str>)> = Vec::new();
    let mut index: std::collections::HashMap<Diagnostic, usize> = std::collections::HashMap::new();
    for (env, _, diags) in per_env {
        for d in diags {
            match index.get(&d) {
                Some(&i) => groups[i].1.push(env),
                None => {
                    index.insert(d.clone(), groups.len());
                    groups.push((d, vec![env]));
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(mut d, envs)| {
            let shared = d.origin.as_ref().is_some_and(|o| !own.contains(&o.file));
            if several && shared {
                let names: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                let label = if names.len() == 1 {
                    "environment"
                } else {
                    "environments"
                };
                d.message
                    .push_str(&format!(" (in {label} {})", names.join(", ")));
            }
            d
        })
        .collect()
}

/// Lists the spec files of a selection, as paths relative to the root.
fn spec_files(sel: &Selection) -> Result<Vec<PathBuf>, Error> {
    if !sel.specs.is_empty() {
        if let Some(other) = sel.specs.iter().find(|p| !is_spec_file(p)) {
            return Err(Error::Usage(format!(
                "`{}` is not a spec file: spec files end in `.yaml` or `.yml`",
                display(other).escape_debug()
            )));
        }
        // A spec named on the command line that is not there is a usage
        // error (exit 2), like an unknown environment.
        if let Some(missing) = sel.specs.iter().find(|p| !sel.root.join(p).exists()) {
            return Err(Error::Usage(format!(
                "no spec file `{}`; name an existing file, or pick an environment with `--env`",
                display(missing).escape_debug()
            )));
        }
        return Ok(sel
            .specs
            .iter()
            .map(|p| relative_to(&sel.root, p))
            .collect());
    }
    let dir = sel.root.join(&sel.environments);
    let entries = std::fs::read_dir(&dir).map_err(|err| {
        if err.kind() == io::ErrorKind::NotFound {
            Error::Usage(format!(
                "no `{}` folder here; run futurestack from the project root, pass `-C DIR`, or name spec files",
                sel.environments.display()
            ))
        } else {
            Error::io(&dir, err)
        }
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io(&dir, err))?;
        let path = entry.path();
        if path.is_file() && is_spec_file(&path) {
            files.push(sel.environments.join(entry.file_name()));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no spec files (`*.yaml`) in `{}`",
            sel.environments.display()
        )));
    }
    Ok(files)
}

/// A path as the user should see it: relative to the root when below it.
fn relative_to(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let path_abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Ok(rel) = path_abs.strip_prefix(&root_abs) {
            return rel.to_path_buf();
        }
    }
    load::normalize(path)
}

fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    if path.is_absolute() {
        // Never put an absolute path into output: show the file name only.
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(text)
    } else {
        text
    }
}

/// Loads, validates and models every selected environment. Any error in any
/// environment fails the whole run, with every problem of every environment.
pub fn load_project(sel: &Selection) -> Result<Project, Error> {
    let stem = |p: &PathBuf| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let all_files = spec_files(sel)?;
    for wanted in &sel.envs {
        if !all_files.iter().any(|f| stem(f) == *wanted) {
            // The environments, bases (`abstract: true`) left out.
            let envs: Vec<String> = all_files
                .iter()
                .filter(|f| {
                    // Read as specs are read: below the root, within bounds.
                    !crate::fs_reader::read_bounded(
                        &sel.root,
                        f,
                        !sel.allow_outside_root,
                        crate::fs_reader::MAX_SPEC_BYTES,
                        "a spec",
                    )
                    .is_ok_and(|t| load::declares_abstract(&t))
                })
                .map(stem)
                .collect();
            let close = crate::suggest::did_you_mean(wanted, envs.iter().map(String::as_str))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            let known = if envs.is_empty() {
                format!(
                    "`{}` holds no environment (only bases)",
                    sel.environments.display()
                )
            } else {
                let list: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                format!("the environments are {}", list.join(", "))
            };
            return Err(Error::Usage(format!(
                "no environment `{}`{close}; {known}",
                crate::error::printable(wanted)
            )));
        }
    }
    let files: Vec<PathBuf> = all_files
        .into_iter()
        .filter(|f| sel.envs.is_empty() || sel.envs.contains(&stem(f)))
        .collect();
    let named: Vec<PathBuf> = sel
        .specs
        .iter()
        .map(|p| relative_to(&sel.root, p))
        .collect();
    let reader = FsReader {
        root: &sel.root,
        named: &named,
        allow_outside_root: sel.allow_outside_root,
        max_yaml_nodes: sel.max_yaml_nodes,
    };
    let mut sources = Sources::default();
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut diagnostics = Vec::new();
    // The file name is the environment's name: it becomes an output folder, the
    // compose project, systemd units and cloud resource names. Only a DNS label
    // is safe in all of them (no `..`, `/`, newline, quote or space).
    let (files, bad): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|f| crate::validate::naming::is_dns_label(&stem(f)));
    for file in &bad {
        let name: String = stem(file).chars().take(80).collect();
        let suggestion = crate::validate::naming::to_dns_label(&name);
        diagnostics.push(
            Diagnostic::error(
                "FS100",
                format!(
                    "spec file `{}` names environment `{}`, which is not a plain name",
                    display(file).escape_debug(),
                    name.escape_debug()
                ),
            )
            .with_help(format!(
                "rename the file to `{}.yaml`: an environment name is lowercase letters, digits and `-` (it names the output folder, the compose project and cloud resources)",
                if suggestion.is_empty() { "env".to_owned() } else { suggestion }
            )),
        );
    }
    std::thread::scope(|s| {
        // Compiling the schema validator is a tenth of a small project's run:
        // it overlaps with reading the specs.
        if !files.is_empty() {
            s.spawn(crate::schema::warm_up);
        }
        for file in &files {
            match load::load(file, &display(file), &reader, &mut sources) {
                Ok(l) => {
                    diagnostics.extend(l.problems.iter().cloned());
                    loaded.push(l);
                }
                Err(diags) => diagnostics.extend(diags),
            }
        }
    });
    let explicit = !sel.specs.is_empty();
    if explicit || !sel.envs.is_empty() {
        if let Some(base) = loaded.iter().find(|l| l.is_abstract) {
            return Err(Error::Usage(format!(
                "`{}` is `abstract`: it is a base for other specs, not an environment; name a spec that extends it",
                base.file
            )));
        }
    }
    loaded.retain(|l| !l.is_abstract);
    let complete = sel.envs.is_empty() && !explicit;

    let mut stacks = Vec::new();
    let mut per_env = Vec::new();
    // The environments are independent: analysed side by side, in order.
    for (l, analysis) in loaded
        .iter()
        .zip(crate::par::map(&loaded, pipeline::analyze))
    {
        per_env.push((l.env.as_str(), l.file.clone(), analysis.diagnostics));
        if let Some(stack) = analysis.stack {
            stacks.push(stack);
        }
    }
    diagnostics.extend(name_environments(per_env));
    diagnostics.extend(crate::validate::shared_hosts(&stacks));
    diagnostics.extend(crate::validate::shared_between_environments(&stacks));
    diagnostics.extend(crate::validate::lifecycle::check(&stacks, &sel.today));
    diagnostics.extend(crate::validate::lifecycle::prices(&stacks, &sel.today));
    sort_diagnostics(&mut diagnostics);
    if sel.deny_warnings {
        for d in &mut diagnostics {
            if d.severity == Severity::Warning {
                d.severity = Severity::Error;
                d.message
                    .push_str(" (a warning, denied by `--deny-warnings`)");
            }
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Error::Invalid {
            diagnostics,
            sources,
        });
    }
    Ok(Project {
        stacks,
        warnings: diagnostics,
        sources,
        complete,
    })
}

/// Renders every environment of a project: env name → files.
pub fn render_project(
    project: &Project,
    templates: &Templates,
) -> Result<Vec<(String, Files)>, Error> {
    Ok(render_project_owned(project, templates, &[])?
        .into_iter()
        .map(|(env, files, _)| (env, files))
        .collect())
}

/// [`render_project`], with the target that generated each file.
pub fn render_project_owned(
    project: &Project,
    templates: &Templates,
    only: &[crate::targets::Target],
) -> Result<Vec<(String, Files, pipeline::Owners)>, Error> {
    let env = templates.environment()?;
    let mut rendered = Vec::new();
    let mut diagnostics = Vec::new();
    let results = crate::par::map(&project.stacks, |stack| {
        pipeline::render_owned(stack, templates, &env, only)
    });
    for (stack, result) in project.stacks.iter().zip(results) {
        match result {
            Ok((files, owners)) => rendered.push((stack.env.clone(), files, owners)),
            // Problems only rendering reveals (such as an oversized bootstrap):
            // collect them all, with the project's sources for the snippets.
            Err(Error::Invalid {
                diagnostics: found, ..
            }) => diagnostics.extend(found),
            Err(other) => return Err(other),
        }
    }
    if !diagnostics.is_empty() {
        sort_diagnostics(&mut diagnostics);
        return Err(Error::Invalid {
            diagnostics,
            sources: project.sources.clone(),
        });
    }
    Ok(rendered)
}
