//! `futurestack schema`: write (or check) the JSON Schema editors use for specs.

use std::path::Path;

use crate::cli::SchemaArgs;
use crate::error::{Error, exit};
use crate::output::write_atomic;
use crate::run::Console;
use crate::schema::{SCHEMA_PATH, editor_schema_text};

pub fn run(root: &Path, args: SchemaArgs, console: &mut Console) -> Result<u8, Error> {
    let text = editor_schema_text();
    if args.stdout {
        let _ = console.out.write_all(text.as_bytes());
        return Ok(exit::OK);
    }
    let path = root.join(SCHEMA_PATH);
    let current = std::fs::read_to_string(&path).ok();
    if args.check {
        return Ok(if current.as_deref() == Some(text.as_str()) {
            let _ = writeln!(console.out, "{SCHEMA_PATH} is up to date");
            exit::OK
        } else {
            let _ = writeln!(
                console.out,
                "{SCHEMA_PATH} is out of date: run `futurestack schema` to update it"
            );
            exit::FAILED
        });
    }
    if current.as_deref() != Some(text.as_str()) {
        write_atomic(root, Path::new(SCHEMA_PATH), &text)?;
        let _ = writeln!(console.out, "wrote {SCHEMA_PATH}");
    } else {
        let _ = writeln!(console.out, "{SCHEMA_PATH} is up to date");
    }
    Ok(exit::OK)
}
