//! The pure core, one direction: merged spec → schema check → typed spec →
//! model → semantic rules → rendered files. No I/O happens here.

use serde_path_to_error::Segment;

use crate::cost::Problem;
use crate::error::{Diagnostic, Error};
use crate::load::yaml::{Node, Value};
use crate::load::{Loaded, SideFile, SpanIndex, pointer_segment};
use crate::model::{self, Stack};
use crate::render::{Files, Templates, with_banner};
use crate::spec::Spec;
use crate::{schema, targets, validate};

/// Name of the ownership manifest written into every environment's output folder.
pub const MANIFEST: &str = ".futurestack-manifest";

/// The result of checking one environment: the model (when the spec could be
/// read far enough to build one) and every problem found.
#[derive(Debug)]
pub struct Analysis {
    pub stack: Option<Stack>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A required key missing under a key an overlay added beside a close base
/// key (`ai-recomend:` in `prod.yaml`, `ai-recommend` in `base.yaml`): adding
/// the key would make a second entry; the name is the likely mistake.
fn near_misses(diagnostics: &mut [crate::error::Diagnostic], loaded: &Loaded) {
    for d in diagnostics.iter_mut().filter(|d| d.code == "FS005") {
        let Some(miss) = loaded
            .near_misses
            .iter()
            .find(|m| d.origin.as_ref() == Some(&m.key.origin))
        else {
            continue;
        };
        let base = loaded.bases.first().map_or("the base", |b| b.as_ref());
        d.help = Some(format!(
            "did you mean `{}`? `{}` is not in `{base}`, so this adds a new entry, which needs the key; to change `{}`, spell it as `{base}` does",
            miss.close, miss.key.name, miss.close
        ));
    }
}

/// Validates a loaded spec and builds its model.
pub fn analyze(loaded: &Loaded) -> Analysis {
    let spans = SpanIndex::new(&loaded.tree);
    let (mut diagnostics, unknown) = schema::validate_reporting_unknown(&loaded.tree, &spans);
    near_misses(&mut diagnostics, loaded);
    if !diagnostics.is_empty() {
        diagnostics.extend(past_unknown_keys(&spans, loaded, &diagnostics, &unknown));
        return Analysis {
            stack: None,
            diagnostics,
        };
    }
    analyze_typed(&loaded.tree, &spans, loaded)
}

/// When the only problems are unknown keys (a typo), the rules still run on
/// the spec without them, so that one edit's other problems show at once (a
/// port clash beside a misspelt key). What the rules then find inside a
/// mapping that held an unknown key is left out: it may follow from the key
/// being dropped.
fn past_unknown_keys(
    spans: &SpanIndex,
    loaded: &Loaded,
    found: &[Diagnostic],
    unknown: &[(String, String)],
) -> Vec<Diagnostic> {
    if unknown.is_empty() || found.iter().any(|d| d.code != "FS003") {
        return Vec::new();
    }
    let mut pruned = loaded.tree.clone();
    let mut parents = Vec::new();
    for (parent, key) in unknown {
        if let Some(Value::Map(entries)) =
            crate::load::node_at_mut(&mut pruned, parent).map(|n| &mut n.value)
        {
            entries.retain(|(k, _)| k.name != *key);
        }
        parents.push(parent.clone());
    }
    if !schema::validate(&pruned, spans).is_empty() {
        return Vec::new();
    }
    parents.sort();
    parents.dedup();
    // A top-level unknown key leaves every finding in place (its mapping is
    // the whole spec).
    let extents: Vec<(std::sync::Arc<str>, u32, u32)> = parents
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| spans.extent(p))
        .collect();
    analyze_typed(&pruned, spans, loaded)
        .diagnostics
        .into_iter()
        .filter(|d| {
            !d.origin.as_ref().is_some_and(|o| {
                extents.iter().any(|(file, first, last)| {
                    *file == o.file && (*first..=*last).contains(&o.line)
                })
            })
        })
        .collect()
}

/// The typed spec, the model and the rules, on a tree the schema accepted;
/// `spans` says where the values of the spec as written are.
fn analyze_typed(tree: &Node, spans: &SpanIndex, loaded: &Loaded) -> Analysis {
    let spec: Spec = match serde_path_to_error::deserialize(tree) {
        Ok(spec) => spec,
        Err(err) => {
            let diag = typed_error(&err, spans);
            return Analysis {
                stack: None,
                diagnostics: vec![diag],
            };
        }
    };
    let mut stack = model::build(
        &spec,
        &loaded.env,
        loaded.file.clone(),
        loaded.bases.clone(),
    );
    stack.host_origin = spans.key("/host/bootstrap").or_else(|| spans.key("/host"));
    let mut pointers: Vec<String> = ["/edge/domains", "/edge/tls/certificate", "/edge/tls/key"]
        .map(String::from)
        .to_vec();
    for name in spec.services.keys() {
        pointers.push(crate::load::pointer(&["services", name, "image"]));
    }
    for name in spec.monitoring.iter().flat_map(|m| m.receivers.keys()) {
        for field in ["to", "url"] {
            pointers.push(crate::load::pointer(&[
                "monitoring",
                "receivers",
                name,
                field,
            ]));
        }
    }
    for pointer in pointers {
        if let Some(origin) = spans.nearest(&pointer) {
            stack.origins.insert(pointer, origin);
        }
    }
    for service in &stack.services {
        for port in service.ports.iter().filter(|p| p.host.is_some()) {
            let at = if spec.services.contains_key(&service.name) {
                spans.nearest(&crate::load::pointer(&[
                    "services",
                    &service.name,
                    "ports",
                    &port.name,
                    "host",
                ]))
            } else {
                spans.key("/edge").or_else(|| spans.key("/monitoring"))
            };
            if let Some(origin) = at {
                stack
                    .port_origins
                    .insert((service.name.clone(), port.name.clone()), origin);
            }
        }
    }
    let mut diagnostics = validate::run(&spec, spans, &stack);
    if let (Some(cost), Some(table)) = (&spec.cost, &loaded.prices) {
        match price(&stack, cost, table) {
            Ok(mut report) => {
                report.named_at = Some(table.named_at.clone());
                stack.cost = Some(report);
            }
            Err(found) => diagnostics.extend(found),
        }
    }
    Analysis {
        stack: Some(stack),
        diagnostics,
    }
}

/// The cost report of `stack` from the price table the spec names: the table
/// checked against its schema, then every price the stack needs looked up.
fn price(
    stack: &Stack,
    cost: &crate::spec::Cost,
    side: &SideFile,
) -> Result<crate::cost::Report, Vec<Diagnostic>> {
    let spans = SpanIndex::new(&side.tree);
    let found = schema::validate_prices(&side.tree, &spans);
    if !found.is_empty() {
        return Err(found);
    }
    let table: crate::cost::PriceTable = serde_path_to_error::deserialize(&side.tree)
        .map_err(|err| vec![typed_error(&err, &spans)])?;
    let file = &side.file;
    // The table's path comes from the spec folder (`--environments`) and
    // `cost.prices`: it reaches STACK.md and cost.json as a banner path does.
    let shown = crate::render::banner_path(file);
    crate::cost::report(stack, cost, &table, &shown).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| match problem {
                Problem::Missing { sku, why, example } => Diagnostic::error(
                    "FS181",
                    format!("the price table `{file}` has no price for `{sku}` ({why})"),
                )
                .at(side.named_at.clone())
                .with_help(format!("add `{sku}: {example}` under `prices:` in `{file}`")),
                Problem::MissingField { sku, field } => Diagnostic::error(
                    "FS181",
                    format!("the price of `{sku}` in `{file}` has no `{field}`"),
                )
                .at_opt(spans.key(&crate::load::pointer(&["prices", &sku])))
                .with_help(match field {
                    "hourly" => "add `hourly:`, the pay-as-you-go price per unit and hour",
                    "monthly" => "add `monthly:`, the subscription price per unit and month",
                    _ => "add `per_gib:`, the price per GiB used",
                }),
                Problem::Region { table, host } => Diagnostic::error(
                    "FS181",
                    format!("the price table `{file}` holds for `{table}`, but the host is in `{host}`"),
                )
                .at_opt(spans.nearest("/region"))
                .with_help("prices differ by region: name a price table of the host's region in `cost.prices`"),
            })
            .collect()
    })
}

/// A value the schema accepted but the types did not (for example a size written
/// `0MiB`): point at it and pass on the type's own message.
fn typed_error(
    err: &serde_path_to_error::Error<crate::load::de::Error>,
    spans: &SpanIndex,
) -> Diagnostic {
    let mut at = String::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => at.push_str(&format!("/{index}")),
            Segment::Map { key } => at.push_str(&format!("/{}", pointer_segment(key))),
            Segment::Enum { variant } => at.push_str(&format!("/{}", pointer_segment(variant))),
            Segment::Unknown => {}
        }
    }
    let message = err.inner().to_string();
    Diagnostic::error(
        "FS004",
        format!("`{}`: {message}", schema::display_path(&at)),
    )
    .at_opt(spans.nearest(&at))
    .with_help(format!("see the schema in `{}`", schema::SCHEMA_PATH))
}

/// Renders every target of one environment, plus its ownership manifest.
pub fn render(stack: &Stack, templates: &Templates) -> Result<Files, Error> {
    render_with(stack, templates, &templates.environment()?)
}

/// [`render`] with a template environment built once for many environments.
pub fn render_with(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
) -> Result<Files, Error> {
    render_owned(stack, templates, env, &[]).map(|(files, _)| files)
}

/// Which target generated each file (the manifest is no target's).
pub type Owners = std::collections::BTreeMap<String, targets::Target>;

/// [`render_with`], with the target that generated each file.
///
/// With `only` (all when empty), the files of those targets and of the
/// targets they read; `owners` names every file, rendered or not, and so does
/// the manifest.
pub fn render_owned(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    only: &[targets::Target],
) -> Result<(Files, Owners), Error> {
    let (mut files, owners) = targets::render_all_by_target(stack, templates, env, only)?;
    let mut manifest = String::from(
        "Files futurestack generated in this folder. `futurestack generate` removes them\nwhen the spec no longer generates them, and never touches other files.\n",
    );
    let listed: Vec<&str> = owners.keys().map(String::as_str).collect();
    let body = listed.join("\n");
    manifest = manifest
        .lines()
        .map(|l| format!("# {l}\n"))
        .collect::<String>()
        + &body
        + "\n";
    files.insert(MANIFEST.to_owned(), with_banner(MANIFEST, stack, &manifest));
    Ok((files, owners))
}

/// Parses the file list of a manifest (comment lines skipped).
pub fn manifest_entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}
