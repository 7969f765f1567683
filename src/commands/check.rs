//! `futurestack check`: fail when generated files on disk are not what the specs generate.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::console::Console;
use crate::error::{Error, exit};

pub fn run(root: &Path, args: ReportArgs, console: &mut Console) -> Result<u8, Error> {
    let up_to_date = super::report(root, &args, console)?;
    Ok(if up_to_date { exit::OK } else { exit::FAILED })
}
