//! Files a spec names besides the bases it extends: the price table of
//! `cost.prices`. They are read through the same [`ReadSource`] (so the same
//! bounds hold), parsed with the same YAML budget, and kept with their
//! positions for diagnostics; their meaning is checked later, in the pipeline.

use std::path::Path;
use std::sync::Arc;

use super::{Node, ReadSource, Sources, Value, display_join, normalize, yaml};
use crate::error::{Diagnostic, Origin};

/// A file named by a spec, parsed.
#[derive(Debug, Clone)]
pub struct SideFile {
    /// As shown to users (`prices/example.yaml`).
    pub file: Arc<str>,
    /// Where the spec names it.
    pub named_at: Origin,
    pub tree: Node,
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Reads the price table that the merged spec `tree` names in `cost.prices`,
/// relative to the spec file that says it. `None` when the spec names none (or
/// names it with a value the schema will refuse).
pub fn price_table(
    tree: &Node,
    reader: &dyn ReadSource,
    sources: &mut Sources,
) -> Result<Option<SideFile>, Diagnostic> {
    let Some(node) = get(tree, "cost").and_then(|cost| get(cost, "prices")) else {
        return Ok(None);
    };
    let Value::Str(rel) = &node.value else {
        return Ok(None);
    };
    if !(rel.ends_with(".yaml") || rel.ends_with(".yml")) {
        // The schema explains the form; nothing but YAML is ever read.
        return Ok(None);
    }
    let named_at = node.origin.clone();
    let file = display_join(&named_at.file, rel);
    let path = normalize(
        &Path::new(named_at.file.as_ref())
            .parent()
            .unwrap_or(Path::new(""))
            .join(rel),
    );
    if let Some(tree) = sources.parsed.get(&file) {
        return Ok(Some(SideFile {
            file,
            named_at,
            tree: tree.clone(),
        }));
    }
    let text = reader.read(&path).map_err(|err| {
        Diagnostic::error("FS180", format!("cannot read the price table `{file}`: {err}"))
            .at(named_at.clone())
            .with_help("`cost.prices` is a `.yaml` file inside the project, relative to the spec file that names it (see `prices/example.yaml`)")
    })?;
    let text: Arc<str> = Arc::from(text);
    sources.insert(file.clone(), text.clone());
    let tree = yaml::parse_with_budget(&file, &text, reader.max_yaml_nodes())?;
    sources.parsed.insert(file.clone(), tree.clone());
    Ok(Some(SideFile {
        file,
        named_at,
        tree,
    }))
}
