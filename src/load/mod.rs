//! Load: read a spec and the bases it `extends`, merge them, and keep the position
//! of every value so later stages can point at the file and line it came from.
//!
//! The loader reads files only through [`ReadSource`], so the core stays free of
//! I/O: the command line passes the file system, tests pass a map.

pub mod de;
mod merge;
pub mod schema_view;
mod side;
mod spans;
pub mod yaml;
mod yaml_hint;

pub use spans::{SpanIndex, node_at_mut, pointer, pointer_segment, to_json_value};

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::{Diagnostic, Origin};
pub use merge::{NearMiss, merge};
pub use side::SideFile;
pub use yaml::{Key, Node, Value};

/// Longest `extends` chain followed: each level is a recursion (and a file
/// read), so a hostile chain of thousands of files must stop early.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// Reads spec files. Implemented by the file system in the CLI and by maps in tests.
pub trait ReadSource {
    fn read(&self, path: &Path) -> io::Result<String>;

    /// The YAML parser's node budget for what this source reads.
    fn max_yaml_nodes(&self) -> usize {
        yaml::DEFAULT_MAX_NODES
    }
}

/// The texts of every file read, by the path shown to users, for diagnostic snippets.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: BTreeMap<Arc<str>, Arc<str>>,
    /// Parsed documents, so a base shared by several environments is parsed once.
    parsed: BTreeMap<Arc<str>, Node>,
}

impl Sources {
    pub fn insert(&mut self, file: Arc<str>, text: Arc<str>) {
        self.files.insert(file, text);
    }

    pub fn text(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(|t| t.as_ref())
    }
}

/// Whether a spec's text marks it a base (a top-level `abstract: true` line),
/// looked at without parsing it: how completion and the "no environment"
/// message leave bases out before anything is loaded.
pub fn declares_abstract(text: &str) -> bool {
    text.lines().any(|l| l.trim_end() == "abstract: true")
}

/// A spec after its overlay chain was merged.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Environment name: the file name without `.yaml`.
    pub env: String,
    /// The environment's own file, as shown to users (`environments/prod.yaml`).
    pub file: Arc<str>,
    /// The files it extends, nearest first.
    pub bases: Vec<Arc<str>>,
    /// `abstract: true`: a base, not an environment.
    pub is_abstract: bool,
    /// The merged document, without `extends` and `abstract`, with nulls removed.
    pub tree: Node,
    /// The price table `cost.prices` names, parsed (not yet checked).
    pub prices: Option<SideFile>,
    /// Problems found while merging that do not stop the analysis (a `null`
    /// that removes nothing).
    pub problems: Vec<Diagnostic>,
    /// Keys an overlay added next to a base key of a close name; a missing
    /// required key under one is more likely a misspelling (see `pipeline`).
    pub near_misses: Vec<NearMiss>,
}

/// Loads the spec at `path` (shown to users as `display`), following `extends`.
pub fn load(
    path: &Path,
    display: &str,
    reader: &dyn ReadSource,
    sources: &mut Sources,
) -> Result<Loaded, Vec<Diagnostic>> {
    let env = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let mut chain = Vec::new();
    let mut found = Found::default();
    let (tree, is_abstract) = load_chain(
        path,
        Arc::from(display),
        None,
        reader,
        sources,
        &mut chain,
        &mut found,
    )?;
    let file = chain.remove(0);
    let prices = if is_abstract {
        None
    } else {
        side::price_table(&tree, reader, sources).map_err(|d| vec![d])?
    };
    Ok(Loaded {
        env,
        file,
        bases: chain,
        is_abstract,
        tree,
        prices,
        problems: found.problems,
        near_misses: found.near_misses,
    })
}

/// What the merges of a chain noticed (see [`Loaded::problems`] and
/// [`Loaded::near_misses`]).
#[derive(Default)]
struct Found {
    problems: Vec<Diagnostic>,
    near_misses: Vec<NearMiss>,
}

/// Loads one file and, recursively, what it extends. `chain` collects the files
/// visited (for cycle detection and the banner).
fn load_chain(
    path: &Path,
    display: Arc<str>,
    referenced_from: Option<Origin>,
    reader: &dyn ReadSource,
    sources: &mut Sources,
    chain: &mut Vec<Arc<str>>,
    found: &mut Found,
) -> Result<(Node, bool), Vec<Diagnostic>> {
    if chain.contains(&display) {
        let cycle: Vec<String> = chain
            .iter()
            .chain([&display])
            .map(|f| format!("`{f}`"))
            .collect();
        return Err(vec![
            Diagnostic::error(
                "FS002",
                format!("`extends` forms a cycle: {}", cycle.join(" -> ")),
            )
            .at_opt(referenced_from)
            .with_help("remove `extends` from one of these files"),
        ]);
    }
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(vec![
            Diagnostic::error(
                "FS002",
                format!("`extends` goes deeper than {MAX_EXTENDS_DEPTH} files"),
            )
            .at_opt(referenced_from)
            .with_help("flatten the chain: a spec extends a base, which may extend a few more, not a long line of files"),
        ]);
    }
    chain.push(display.clone());
    let mut node = match sources.parsed.get(&display) {
        Some(node) => node.clone(),
        None => {
            let text = reader.read(path).map_err(|err| {
                let diag = match referenced_from.clone() {
                    Some(origin) => Diagnostic::error(
                        "FS002",
                        format!("cannot read `{display}`, named by `extends`: {err}"),
                    )
                    .at(origin)
                    .with_help(if err.kind() == io::ErrorKind::PermissionDenied {
                        "`extends` names a regular `.yaml` file inside the project, relative to the file that says it"
                    } else {
                        "`extends` is a path relative to the file that says it"
                    }),
                    None => Diagnostic::error("FS002", format!("cannot read `{display}`: {err}")),
                };
                vec![diag]
            })?;
            let text: Arc<str> = Arc::from(text);
            sources.insert(display.clone(), text.clone());
            let node = yaml::parse_with_budget(&display, &text, reader.max_yaml_nodes())
                .map_err(|d| vec![d])?;
            // A base is read again by every spec that extends it; a spec
            // read as itself is read once, and not kept twice.
            if referenced_from.is_some() {
                sources.parsed.insert(display.clone(), node.clone());
            }
            node
        }
    };
    let Value::Map(entries) = &mut node.value else {
        let found = describe(&node.value);
        return Err(vec![
            Diagnostic::error(
                "FS004",
                format!("a spec must be a mapping of keys to values, found {found}"),
            )
            .at(node.origin.clone())
            .with_help("start the file with `stack: <name>` and the other top-level keys"),
        ]);
    };
    let extends = take_key(entries, "extends");
    let is_abstract = match take_key(entries, "abstract") {
        None => false,
        Some((
            _,
            Node {
                value: Value::Bool(b),
                ..
            },
        )) => b,
        Some((
            _,
            Node {
                value: Value::Null, ..
            },
        )) => false,
        Some((_, other)) => {
            return Err(vec![
                Diagnostic::error(
                    "FS004",
                    format!(
                        "`abstract` must be a boolean, found {}",
                        describe(&other.value)
                    ),
                )
                .at(other.origin)
                .with_help("write `abstract: true` for a base that only other specs extend"),
            ]);
        }
    };
    let node = match extends {
        None
        | Some((
            _,
            Node {
                value: Value::Null, ..
            },
        )) => node,
        Some((
            _,
            Node {
                value: Value::Str(rel),
                origin,
            },
        )) => {
            if !(rel.ends_with(".yaml") || rel.ends_with(".yml")) {
                // Only spec files are read (and shown in snippets): never
                // `.env`, keys or system files.
                return Err(vec![
                    Diagnostic::error(
                        "FS002",
                        "`extends` must name a spec file ending in `.yaml` or `.yml`",
                    )
                    .at(origin)
                    .with_help("write `extends: base.yaml` (relative to this file)"),
                ]);
            }
            let base_path = normalize(&path.parent().unwrap_or(Path::new("")).join(&rel));
            let base_display = display_join(&display, &rel);
            let (base, _base_abstract) = load_chain(
                &base_path,
                base_display.clone(),
                Some(origin),
                reader,
                sources,
                chain,
                found,
            )?;
            let mut notes = merge::Notes::default();
            let merged = merge(base, node, &mut notes);
            found.problems.extend(
                notes
                    .unmatched
                    .into_iter()
                    .enumerate()
                    // A suggestion for the first ones only: linear in a large overlay.
                    .map(|(i, u)| removes_nothing(u, &base_display, i < 64)),
            );
            found.near_misses.extend(notes.near_misses);
            merged
        }
        Some((_, other)) => {
            return Err(vec![
                Diagnostic::error(
                    "FS004",
                    format!(
                        "`extends` must be a file path, found {}",
                        describe(&other.value)
                    ),
                )
                .at(other.origin)
                .with_help("write `extends: base.yaml` (relative to this file)"),
            ]);
        }
    };
    Ok((strip_nulls(node), is_abstract))
}

/// FS003: `key: null` in an overlay removes a key the extended files set; one
/// they do not set is a misspelling (or a leftover).
fn removes_nothing(u: merge::Unmatched, base: &str, suggest: bool) -> Diagnostic {
    let name = u.path.join(".");
    let parent = &u.path[..u.path.len() - 1];
    let place = if parent.is_empty() {
        "at the top level".to_owned()
    } else {
        format!("under `{}`", parent.join("."))
    };
    let close = suggest
        .then(|| crate::suggest::did_you_mean(&u.key.name, u.existing.iter().map(String::as_str)))
        .flatten();
    let help = match close {
        Some(close) => {
            format!("did you mean `{close}`? `null` removes a key that `{base}` sets")
        }
        None => format!(
            "remove `{}: null`: `null` only removes a key that `{base}` sets",
            u.key.name
        ),
    };
    Diagnostic::error(
        "FS003",
        format!(
            "`{name}: null` removes nothing: `{base}` has no `{}` {place}",
            u.key.name
        ),
    )
    .at(u.key.origin)
    .with_help(help)
}

fn take_key(entries: &mut Vec<(Key, Node)>, name: &str) -> Option<(Key, Node)> {
    let idx = entries.iter().position(|(k, _)| k.name == name)?;
    Some(entries.remove(idx))
}

/// Short description of a value's type for messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

/// Removes keys whose value is null: in a spec, `key: null` means "not set".
fn strip_nulls(mut node: Node) -> Node {
    match &mut node.value {
        Value::Map(entries) => {
            let taken = std::mem::take(entries);
            *entries = taken
                .into_iter()
                .filter(|(_, v)| v.value != Value::Null)
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect();
        }
        Value::Seq(items) => {
            let taken = std::mem::take(items);
            *items = taken.into_iter().map(strip_nulls).collect();
        }
        _ => {}
    }
    node
}

/// Lexically resolves `.` and `..` so the same file always has the same name.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn display_join(display: &str, rel: &str) -> Arc<str> {
    let parent = Path::new(display).parent().unwrap_or(Path::new(""));
    let joined = normalize(&parent.join(rel));
    Arc::from(joined.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct MapReader(BTreeMap<PathBuf, String>);

    impl ReadSource for MapReader {
        fn read(&self, path: &Path) -> io::Result<String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
        }
    }

    fn reader(files: &[(&str, &str)]) -> MapReader {
        MapReader(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect(),
        )
    }

    #[test]
    fn overlay_merges_maps_replaces_scalars_and_lists_and_null_removes() {
        let r = reader(&[
            (
                "envs/base.yaml",
                "abstract: true\nstack: s\na: {x: 1, y: [1, 2], z: 3}\nb: keep\n",
            ),
            (
                "envs/prod.yaml",
                "extends: base.yaml\na: {x: 2, y: [9], z: null, w: new}\n",
            ),
        ]);
        let mut sources = Sources::default();
        let loaded = load(
            Path::new("envs/prod.yaml"),
            "envs/prod.yaml",
            &r,
            &mut sources,
        )
        .unwrap();
        assert_eq!(loaded.env, "prod");
        assert!(!loaded.is_abstract, "abstract must not be inherited");
        assert_eq!(&*loaded.bases[0], "envs/base.yaml");
        let json = to_json_value(&loaded.tree);
        let index = SpanIndex::new(&loaded.tree);
        assert_eq!(
            json,
            serde_json::json!({"stack": "s", "a": {"x": 2, "y": [9], "w": "new"}, "b": "keep"})
        );
        // Values remember the file they came from.
        assert_eq!(&*index.value("/a/x").unwrap().file, "envs/prod.yaml");
        assert_eq!(&*index.value("/b").unwrap().file, "envs/base.yaml");
        assert_eq!(index.key("/a/w").unwrap().line, 2);
    }

    #[test]
    fn extends_cycle_is_reported() {
        let r = reader(&[
            ("a.yaml", "extends: b.yaml\n"),
            ("b.yaml", "extends: a.yaml\n"),
        ]);
        let err = load(Path::new("a.yaml"), "a.yaml", &r, &mut Sources::default()).unwrap_err();
        assert_eq!(err[0].code, "FS002");
        assert!(err[0].message.contains("cycle"), "{}", err[0].message);
        assert_eq!(err[0].origin.as_ref().unwrap().file.as_ref(), "b.yaml");
    }

    #[test]
    fn missing_base_points_at_extends() {
        let r = reader(&[("a.yaml", "stack: s\nextends: nope.yaml\n")]);
        let err = load(Path::new("a.yaml"), "a.yaml", &r, &mut Sources::default()).unwrap_err();
        assert_eq!(err[0].code, "FS002");
        assert_eq!(err[0].origin.as_ref().unwrap().line, 2);
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.yaml")),
            PathBuf::from("a/c.yaml")
        );
        assert_eq!(
            &*display_join("environments/prod.yaml", "../shared/base.yaml"),
            "shared/base.yaml"
        );
    }

    #[test]
    fn pointers_escape_segments() {
        assert_eq!(pointer(&["services", "a/b", "x~y"]), "/services/a~1b/x~0y");
    }
}
