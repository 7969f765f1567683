//! `futurestack render`: one environment's generated files on stdout, like
//! `helm template`: every file as a stream of documents (`---` and a
//! `# Source: <env>/<path>` line before each), one target's, or one file
//! as it is. Nothing is written.

use std::path::Path;

use crate::cli::{RenderArgs, SpecArgs};
use crate::console::Console;
use crate::error::{Error, exit};
use crate::targets::Target;
use crate::{project, render};

pub fn run(root: &Path, args: RenderArgs, console: &mut Console) -> Result<u8, Error> {
    let specs = SpecArgs {
        specs: Vec::new(),
        envs: vec![args.env.clone()],
        environments: args.environments.clone(),
        deny_warnings: false,
        allow_outside_root: args.allow_outside_root,
        yaml_max_nodes: crate::load::yaml::DEFAULT_MAX_NODES,
        today: None,
    };
    let templates = match &args.templates {
        Some(dir) => super::read_template_overrides(root, dir, args.allow_outside_root)?,
        None => render::Templates::default(),
    };
    let project = project::load_project(&super::selection(root, &specs))?;
    super::print_warnings(&project, console);
    let Some((_, files, owners)) = project::render_project_owned(&project, &templates, &[])?
        .into_iter()
        .next()
    else {
        return Err(Error::Usage(format!("no environment `{}`", args.env)));
    };
    let target = args.target.as_deref().and_then(Target::named);
    // The manifest is the output folder's bookkeeping, no target's artifact.
    let chosen: Vec<(&String, &String)> = files
        .iter()
        .filter(|(path, _)| {
            owners
                .get(*path)
                .is_some_and(|owner| target.is_none_or(|t| *owner == t))
        })
        .collect();
    match &args.file {
        Some(file) => {
            let Some((_, text)) = chosen.iter().find(|(path, _)| *path == file) else {
                let paths: Vec<&str> = chosen.iter().map(|(p, _)| p.as_str()).collect();
                let hint = crate::suggest::did_you_mean(file, paths.iter().copied())
                    .map(|p| format!("did you mean `{p}`? "))
                    .unwrap_or_default();
                return Err(Error::Usage(format!(
                    "`{}` generates no `{}`; {hint}it generates {}",
                    args.env,
                    file.escape_debug(),
                    paths.join(", ")
                )));
            };
            let _ = console.out.write_all(text.as_bytes());
        }
        None => {
            for (path, text) in chosen {
                let _ = write!(console.out, "---\n# Source: {}/{path}\n{text}", args.env);
                if !text.ends_with('\n') {
                    let _ = writeln!(console.out);
                }
            }
        }
    }
    Ok(exit::OK)
}
