//! `futurestack generate`: write the generated files, remove the ones no longer generated.

use std::path::Path;

use crate::cli::GenerateArgs;
use crate::console::Console;
use crate::error::{Error, exit};
use crate::output::{self, Change};

pub fn run(root: &Path, args: GenerateArgs, console: &mut Console) -> Result<u8, Error> {
    let only: Vec<crate::targets::Target> = args
        .target
        .iter()
        .filter_map(|t| crate::targets::Target::named(t))
        .collect();
    let (plan, changes) = super::plan_and_compare_targets(root, &args.output, &only, console)?;
    let left_alone = output::apply(&plan, &changes)?;
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    let written = count(|c| matches!(c, Change::Added { .. } | Change::Changed { .. }));
    let removed = count(|c| matches!(c, Change::Orphan { owned: true, .. }));
    let total: usize = plan.envs.iter().map(|(_, f)| f.len()).sum();
    let _ = writeln!(
        console.out,
        "{} environment(s), {total} files in `{}`: {written} written, {removed} removed, {} unchanged",
        plan.envs.len(),
        plan.out.display(),
        total - written,
    );
    for path in left_alone {
        let _ = writeln!(
            console.err,
            "note: left `{path}` alone: futurestack did not generate it"
        );
    }
    console.release((plan, changes));
    Ok(exit::OK)
}
