//! `futurestack diff`: show what `generate` would change, for reviewers (always exit 0).

use std::path::Path;

use crate::cli::ReportArgs;
use crate::console::Console;
use crate::error::{Error, exit};

pub fn run(root: &Path, args: ReportArgs, console: &mut Console) -> Result<u8, Error> {
    super::report(root, &args, console)?;
    Ok(exit::OK)
}
