//! One module per subcommand. Commands are the outer layer: they read and write
//! files and print; the work itself happens in the pure pipeline.

pub mod check;
pub mod cost;
pub mod diff;
pub mod generate;
pub mod graph;
pub mod import;
pub mod init;
pub mod render;
pub mod schema;
pub mod shell;
pub mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{OutputArgs, SpecArgs};
use crate::console::Console;
use crate::error::{Error, render_diagnostics};
use crate::fs_reader::{MAX_TEMPLATE_BYTES, read_bounded};
use crate::output::{self, Change, Plan};
use crate::project::{self, Project, Selection};
use crate::render::Templates;

pub(crate) fn selection(root: &Path, args: &SpecArgs) -> Selection {
    Selection {
        root: root.to_path_buf(),
        environments: args.environments.clone(),
        specs: args.specs.clone(),
        envs: args.envs.clone(),
        deny_warnings: args.deny_warnings,
        allow_outside_root: args.allow_outside_root,
        max_yaml_nodes: args.yaml_max_nodes,
        today: args.today.clone().unwrap_or_else(|| {
            let days = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() / 86_400);
            crate::validate::lifecycle::date_of(days as i64)
        }),
    }
}

/// Prints warnings (errors never get here: they stop the command).
pub(crate) fn print_warnings(project: &Project, console: &mut Console) {
    if !project.warnings.is_empty() {
        let text = render_diagnostics(&project.warnings, &project.sources, console.style);
        let _ = console.err.write_all(text.as_bytes());
    }
}

/// Loads and renders the selection, and compares the result with the disk.
pub(crate) fn plan_and_compare(
    root: &Path,
    args: &OutputArgs,
    console: &mut Console,
) -> Result<(Plan, Vec<Change>), Error> {
    plan_and_compare_targets(root, args, &[], console)
}

/// [`plan_and_compare`], keeping only the changes to files of `only` (all
/// when empty) and the folders' manifests; no orphan is removed then.
pub(crate) fn plan_and_compare_targets(
    root: &Path,
    args: &OutputArgs,
    only: &[crate::targets::Target],
    console: &mut Console,
) -> Result<(Plan, Vec<Change>), Error> {
    let templates = match &args.templates {
        Some(dir) => read_template_overrides(root, dir, args.specs.allow_outside_root)?,
        None => Templates::default(),
    };
    let project = project::load_project(&selection(root, &args.specs))?;
    print_warnings(&project, console);
    let rendered = project::render_project_owned(&project, &templates, only)?;
    // With `only`: the files of those targets, and each folder's manifest.
    let kept: std::collections::BTreeSet<(String, String)> = rendered
        .iter()
        .flat_map(|(env, _, owners)| {
            owners
                .iter()
                .filter(|(_, target)| only.contains(target))
                .map(|(rel, _)| (env.clone(), rel.clone()))
                .chain([(env.clone(), crate::pipeline::MANIFEST.to_owned())])
        })
        .collect();
    let plan = Plan {
        root: root.to_path_buf(),
        out: args.out.clone(),
        envs: rendered
            .into_iter()
            .map(|(env, files, _)| (env, files))
            .collect(),
        complete: project.complete,
    };
    console.release(project);
    let mut changes = output::compare(&plan)?;
    if !only.is_empty() {
        changes.retain(|c| {
            !matches!(c, Change::Orphan { .. })
                && plan
                    .rel(c)
                    .is_some_and(|rel| kept.contains(&(c.env().to_owned(), rel.to_owned())))
        });
    }
    Ok((plan, changes))
}

/// Reads `--templates DIR`: any file whose path below `dir` matches an embedded
/// template replaces it.
pub(crate) fn read_template_overrides(
    root: &Path,
    dir: &Path,
    allow_outside_root: bool,
) -> Result<Templates, Error> {
    let full = root.join(dir);
    if !full.is_dir() {
        return Err(Error::Usage(format!(
            "`--templates {}` is not a directory",
            dir.display()
        )));
    }
    let stray = stray_overrides(&full);
    if !stray.is_empty() {
        let names: Vec<&str> = Templates::embedded_names().collect();
        let lines: Vec<String> = stray
            .iter()
            // Names come from the folder (a pull request): no control character
            // reaches the terminal.
            .map(
                |s| match crate::suggest::did_you_mean(s, names.iter().copied()) {
                    Some(close) => format!("`{}` (did you mean `{close}`?)", s.escape_debug()),
                    None => format!("`{}`", s.escape_debug()),
                },
            )
            .collect();
        // The built-in paths under the folders the stray files are in (all of
        // them would pass the bound on a message), or the folders themselves.
        let folders: std::collections::BTreeSet<&str> =
            names.iter().filter_map(|n| n.split('/').next()).collect();
        let near: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| {
                stray
                    .iter()
                    .any(|s| s.split('/').next() == n.split('/').next())
            })
            .collect();
        let listing = if near.is_empty() {
            format!(
                "below one of the folders {}",
                folders.into_iter().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!("such as {}", near.join(", "))
        };
        return Err(Error::Usage(format!(
            "`--templates {}` has templates that override nothing: {}; an override has the path of a built-in template, {listing}",
            dir.display(),
            lines.join(", "),
        )));
    }
    let mut overrides = BTreeMap::new();
    for name in Templates::embedded_names() {
        let rel = dir.join(name);
        match read_bounded(
            root,
            &rel,
            !allow_outside_root,
            MAX_TEMPLATE_BYTES,
            "a template override",
        ) {
            Ok(text) => {
                overrides.insert(name.to_owned(), text);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io(full.join(name), err)),
        }
    }
    Ok(Templates::with_overrides(overrides))
}

/// Files ending in `.j2` below the overrides folder that are not at the path of
/// a built-in template (links are not followed; at most 8 levels and 10 000
/// entries are looked at), as `/`-separated paths relative to it.
fn stray_overrides(dir: &Path) -> Vec<String> {
    let known: std::collections::BTreeSet<&str> = Templates::embedded_names().collect();
    let mut stray = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new(), 0)];
    let mut seen = 0;
    while let Some((path, rel, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > 10_000 {
                return stray;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() && depth < 8 {
                pending.push((entry.path(), rel, depth + 1));
            } else if name.ends_with(".j2") && !known.contains(rel.as_str()) {
                stray.push(rel);
            }
        }
    }
    stray.sort();
    stray
}

/// Compares and prints the report `check` and `diff` share; returns whether the
/// output is up to date.
pub(crate) fn report(
    root: &Path,
    args: &crate::cli::ReportArgs,
    console: &mut Console,
) -> Result<bool, Error> {
    let (plan, changes) = plan_and_compare(root, &args.output, console)?;
    let envs: Vec<String> = plan.envs.iter().map(|(e, _)| e.clone()).collect();
    let color = match args.color {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => console.color_out,
    };
    let impacts = output::impacts(&plan, &changes)?;
    let report = output::render_report(
        &changes,
        &impacts,
        &envs,
        &fix_command(&args.output),
        args.format,
        color,
    );
    for path in &report.redacted {
        let _ = writeln!(
            console.err,
            "warning: `{path}` has what looks like a secret value; the report shows it as [REDACTED]. Generated files must hold references only: check your template overrides"
        );
    }
    let _ = console.out.write_all(report.text.as_bytes());
    let up_to_date = changes.is_empty();
    console.release((plan, changes, impacts, report));
    Ok(up_to_date)
}

/// The command that regenerates what `args` selects.
pub(crate) fn fix_command(args: &OutputArgs) -> String {
    let mut cmd = String::from("futurestack generate");
    for spec in &args.specs.specs {
        cmd.push_str(&format!(" {}", spec.display()));
    }
    for env in &args.specs.envs {
        cmd.push_str(&format!(" --env {env}"));
    }
    if args.specs.environments != Path::new("environments") {
        cmd.push_str(&format!(
            " --environments {}",
            args.specs.environments.display()
        ));
    }
    if args.out != Path::new("golden") {
        cmd.push_str(&format!(" --out {}", args.out.display()));
    }
    if let Some(t) = &args.templates {
        cmd.push_str(&format!(" --templates {}", t.display()));
    }
    cmd
}
