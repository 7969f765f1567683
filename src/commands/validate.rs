//! `futurestack validate`: check specs without generating anything; `--format
//! json` for machines and editors, `--explain` for the numbers behind the rules.

use std::path::Path;

use serde::Serialize;

use crate::cli::{DiagnosticFormat, ValidateArgs};
use crate::console::Console;
use crate::error::{Diagnostic, Error, exit, sort_diagnostics};
use crate::render::Templates;
use crate::{explain, project};

#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    environments: Vec<&'a str>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: crate::error::Severity,
    code: &'a str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    help: Option<&'a str>,
}

fn json_report(environments: Vec<&str>, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = Report {
        valid: errors == 0,
        environments,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                severity: d.severity,
                code: d.code,
                message: &d.message,
                file: d.origin.as_ref().map(|o| o.file.as_ref()),
                line: d.origin.as_ref().map(|o| o.line),
                column: d.origin.as_ref().map(|o| o.column),
                help: d.help.as_deref(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("a report serializes");
    text.push('\n');
    text
}

pub fn run(root: &Path, args: ValidateArgs, console: &mut Console) -> Result<u8, Error> {
    // Every check `generate` makes, `validate` makes too: some problems (the
    // deploy command's size, FS160) only show once the files are rendered, so
    // the embedded templates are rendered here in memory and dropped.
    let result = project::load_project(&super::selection(root, &args.specs)).and_then(|project| {
        match project::render_project(&project, &Templates::default()) {
            Ok(files) => {
                console.release(files);
                Ok(project)
            }
            Err(Error::Invalid {
                mut diagnostics,
                sources,
            }) => {
                diagnostics.extend(project.warnings);
                sort_diagnostics(&mut diagnostics);
                Err(Error::Invalid {
                    diagnostics,
                    sources,
                })
            }
            Err(other) => Err(other),
        }
    });
    if args.format == DiagnosticFormat::Json {
        return match result {
            Ok(project) => {
                let names = project.stacks.iter().map(|s| s.env.as_str()).collect();
                let _ = console
                    .out
                    .write_all(json_report(names, &project.warnings).as_bytes());
                Ok(exit::OK)
            }
            Err(Error::Invalid { diagnostics, .. }) => {
                let _ = console
                    .out
                    .write_all(json_report(Vec::new(), &diagnostics).as_bytes());
                Ok(exit::FAILED)
            }
            Err(other) => Err(other),
        };
    }
    let project = result?;
    super::print_warnings(&project, console);
    if args.explain {
        for stack in &project.stacks {
            let _ = writeln!(console.out, "{}", explain::explain(stack));
        }
    }
    let names: Vec<&str> = project.stacks.iter().map(|s| s.env.as_str()).collect();
    let _ = writeln!(
        console.out,
        "{} environment(s) valid: {}",
        names.len(),
        names.join(", ")
    );
    console.release(project);
    Ok(exit::OK)
}
