//! `futurestack schema`: write (or check) the JSON Schemas editors use: the
//! spec's and the price table's.

use std::path::Path;

use crate::cli::SchemaArgs;
use crate::console::Console;
use crate::error::{Error, exit};
use crate::output::write_atomic;
use crate::schema::{editor_schema_text, schema_files};

pub fn run(root: &Path, args: SchemaArgs, console: &mut Console) -> Result<u8, Error> {
    if args.stdout {
        let _ = console.out.write_all(editor_schema_text().as_bytes());
        return Ok(exit::OK);
    }
    let mut code = exit::OK;
    for (file, text) in schema_files() {
        let path = root.join(file);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            let _ = writeln!(console.out, "{file} is up to date");
        } else if args.check {
            let state = if current.is_none() {
                "is missing"
            } else {
                "is out of date"
            };
            let _ = writeln!(
                console.out,
                "{file} {state}: run `futurestack schema` to write it"
            );
            code = exit::FAILED;
        } else {
            write_atomic(root, Path::new(file), &text)?;
            let _ = writeln!(console.out, "wrote {file}");
        }
    }
    Ok(code)
}
