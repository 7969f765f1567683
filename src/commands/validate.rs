//! `futurestack validate`: check specs without generating anything.

use std::path::Path;

use crate::cli::ValidateArgs;
use crate::error::{Error, exit};
use crate::project;
use crate::run::Console;

pub fn run(root: &Path, args: ValidateArgs, console: &mut Console) -> Result<u8, Error> {
    let project = project::load_project(&super::selection(root, &args.specs))?;
    super::print_warnings(&project, console);
    let names: Vec<&str> = project.stacks.iter().map(|s| s.env.as_str()).collect();
    let _ = writeln!(
        console.out,
        "{} environment(s) valid: {}",
        names.len(),
        names.join(", ")
    );
    Ok(exit::OK)
}
