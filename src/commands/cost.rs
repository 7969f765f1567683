//! `futurestack cost`: each environment's needs, the smallest host that fits,
//! and the monthly cost from its price table; `--format json` prints what
//! `cost.json` holds.

use std::path::Path;

use crate::cli::{CostArgs, DiagnosticFormat};
use crate::console::Console;
use crate::error::{Error, exit};
use crate::{cost, project};

pub fn run(root: &Path, args: CostArgs, console: &mut Console) -> Result<u8, Error> {
    let project = project::load_project(&super::selection(root, &args.specs))?;
    super::print_warnings(&project, console);
    let without: Vec<&str> = project
        .stacks
        .iter()
        .filter(|s| s.cost.is_none())
        .map(|s| s.env.as_str())
        .collect();
    if !without.is_empty() {
        return Err(Error::Usage(format!(
            "no price table for {}: add `cost: {{prices: ../prices/example.yaml}}` to the spec (or its base), naming your own table",
            without
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let reports: Vec<&cost::Report> = project
        .stacks
        .iter()
        .filter_map(|s| s.cost.as_ref())
        .collect();
    let text = match args.format {
        DiagnosticFormat::Json => {
            let mut text = serde_json::to_string_pretty(&reports).expect("a report serializes");
            text.push('\n');
            text
        }
        DiagnosticFormat::Text => reports
            .iter()
            .map(|r| cost::text::plain(r))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let _ = console.out.write_all(text.as_bytes());
    Ok(exit::OK)
}
