//! An import's spec checked by the pipeline itself: what the rules refuse that
//! import can leave out (a variable futurestack sets itself, FS125) is left
//! out, with a note, so the spec it prints validates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::load::{ReadSource, Sources};

/// The imported spec as the one file of a project.
struct OneFile<'a>(&'a str);

impl ReadSource for OneFile<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == Path::new(FILE) {
            Ok(self.0.to_owned())
        } else {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }
}

const FILE: &str = "environments/imported.yaml";

/// The variables of each service's `env` that futurestack sets itself, by
/// service (empty when the spec does not get as far as the model).
pub(super) fn env_overrides(spec: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut sources = Sources::default();
    let Ok(loaded) = crate::load::load(Path::new(FILE), FILE, &OneFile(spec), &mut sources) else {
        return BTreeMap::new();
    };
    let Some(stack) = crate::pipeline::analyze(&loaded).stack else {
        return BTreeMap::new();
    };
    stack
        .services
        .iter()
        .filter(|s| !s.env_overrides.is_empty())
        .map(|s| (s.name.clone(), s.env_overrides.iter().cloned().collect()))
        .collect()
}
