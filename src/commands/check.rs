//! `futurestack check`: fail when generated files on disk are not what the specs generate.

use std::path::Path;

use crate::cli::OutputArgs;
use crate::error::{Error, exit};
use crate::output::render_report;
use crate::run::Console;

pub fn run(root: &Path, args: OutputArgs, console: &mut Console) -> Result<u8, Error> {
    let (plan, changes) = super::plan_and_compare(root, &args, console)?;
    let envs: Vec<String> = plan.envs.iter().map(|(e, _)| e.clone()).collect();
    let report = render_report(&changes, &envs, &super::fix_command(&args));
    let _ = console.out.write_all(report.as_bytes());
    Ok(if changes.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}
