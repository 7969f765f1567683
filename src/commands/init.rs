//! `futurestack init`: scaffold `environments/` with a commented example stack.

use std::path::Path;

use crate::console::Console;
use crate::error::{Error, exit};
use crate::output::write_atomic;

/// The scaffold: path relative to the project root → contents.
pub const FILES: &[(&str, &str)] = &[
    (
        "environments/base.yaml",
        include_str!("../scaffold/base.yaml"),
    ),
    (
        "environments/dev.yaml",
        include_str!("../scaffold/dev.yaml"),
    ),
];

pub fn run(root: &Path, console: &mut Console) -> Result<u8, Error> {
    let existing: Vec<&str> = FILES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| root.join(p).exists())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Usage(format!(
            "{} already exist{}; `init` never overwrites files",
            existing
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    for (path, text) in FILES {
        write_atomic(root, Path::new(path), text)?;
        let _ = writeln!(console.out, "wrote {path}");
    }
    let _ = writeln!(
        console.out,
        "next: edit environments/base.yaml, then run `futurestack schema` (editor completion), `futurestack validate` and `futurestack generate`"
    );
    Ok(exit::OK)
}
