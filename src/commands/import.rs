//! `futurestack import`: print a spec made from an existing compose file.

use std::path::Path;
use std::sync::Arc;

use crate::cli::ImportArgs;
use crate::console::Console;
use crate::error::{Error, exit};
use crate::load::{Sources, to_json_value, yaml};

pub fn run(root: &Path, args: ImportArgs, console: &mut Console) -> Result<u8, Error> {
    let path = root.join(&args.compose);
    let text = std::fs::read_to_string(&path).map_err(|err| Error::io(&path, err))?;
    let display: Arc<str> = Arc::from(args.compose.to_string_lossy().as_ref());
    let node = yaml::parse(&display, &text).map_err(|d| {
        let mut sources = Sources::default();
        sources.insert(display.clone(), Arc::from(text.as_str()));
        Error::Invalid {
            diagnostics: vec![d],
            sources,
        }
    })?;
    let compose = to_json_value(&node);
    if !compose["services"].is_object() {
        return Err(Error::Usage(format!(
            "`{display}` has no `services:`; is it a compose file?"
        )));
    }
    let stack = args
        .stack
        .clone()
        .or_else(|| compose["name"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "imported".to_owned());
    let file_name = args
        .compose
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let imported = crate::import::import(&compose, &stack, &file_name);
    let _ = console.out.write_all(imported.spec.as_bytes());
    for note in &imported.notes {
        // Names and values come from the compose file: one line, no control character.
        let _ = writeln!(console.err, "note: {}", crate::render::one_line(note));
    }
    if !imported.decisions.is_empty() {
        // Import and validate agree: a spec that cannot validate yet says so.
        for decision in &imported.decisions {
            let _ = writeln!(console.err, "error: {}", crate::render::one_line(decision));
        }
        let _ = writeln!(
            console.err,
            "the spec above needs {} decision(s) before it validates",
            imported.decisions.len()
        );
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}
