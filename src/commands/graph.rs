//! `futurestack graph`: the dependency graph of each environment, as Mermaid or dot.

use std::path::Path;

use crate::cli::{GraphArgs, GraphFormat};
use crate::console::Console;
use crate::error::{Error, exit};
use crate::{graph, project};

pub fn run(root: &Path, args: GraphArgs, console: &mut Console) -> Result<u8, Error> {
    let project = project::load_project(&super::selection(root, &args.specs))?;
    super::print_warnings(&project, console);
    let many = project.stacks.len() > 1;
    for stack in &project.stacks {
        let text = match args.format {
            GraphFormat::Mermaid => graph::mermaid(stack),
            GraphFormat::Dot => graph::dot(stack),
        };
        if many && args.format == GraphFormat::Mermaid {
            let _ = writeln!(console.out, "%% {}", stack.env);
        }
        let _ = console.out.write_all(text.as_bytes());
    }
    Ok(exit::OK)
}
