//! Validate: the semantic rules a spec must pass before anything is rendered.
//!
//! Schema problems (types, unknown keys) are found by [`crate::schema`]; the rules
//! here know what the stack means: references, ports, networks, secrets, images,
//! capacity. Every rule has a stable code and adds to one list, so all problems
//! are reported at once.

mod accounts;
mod app;
mod capacity;
mod cloud;
mod edge;
mod env;
mod isolation;
mod kubernetes;
pub mod lifecycle;
mod logging;
pub use isolation::shared_between_environments;
mod monitoring;
pub(crate) mod naming;
mod ports;
mod references;
pub(crate) mod security;
mod values;

use crate::error::{Diagnostic, Origin};
use crate::load::SpanIndex;
use crate::model::Stack;
use crate::spec::Spec;

/// What a rule sees: the typed spec, where each value was written, and the model.
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    pub spans: &'a SpanIndex<'a>,
    pub stack: &'a Stack,
    diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub fn push(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    /// Position of a value by path segments (`["services", "mysql", "image"]`),
    /// falling back to the nearest enclosing value.
    pub fn at(&self, segments: &[&str]) -> Option<Origin> {
        self.spans.nearest_at(segments)
    }

    /// Position of a value under a service: for services futurestack added, the
    /// section that asked for them (`edge` for nginx, else `monitoring`).
    pub fn service_at(&self, service: &str, rest: &[&str]) -> Option<Origin> {
        if self.spec.services.contains_key(service) {
            let mut path = vec!["services", service];
            path.extend_from_slice(rest);
            self.at(&path)
        } else if service == "nginx" {
            self.key(&["edge"])
        } else {
            self.key(&["monitoring"])
        }
    }

    /// Position of `used` in the `uses` of `service`; for services futurestack
    /// added (monitoring), the `monitoring` section that asked for them.
    pub fn uses_at(&self, service: &str, used: &str) -> Option<Origin> {
        match self.spec.services.get(service) {
            Some(s) => {
                let idx = s.uses.iter().position(|u| u == used).unwrap_or(0);
                self.at(&["services", service, "uses", &idx.to_string()])
            }
            None => self.key(&["monitoring"]),
        }
    }

    /// Position of a key by path segments (for "this entry" problems).
    pub fn key(&self, segments: &[&str]) -> Option<Origin> {
        self.spans.key_at(segments)
    }
}

/// Runs every rule. Returns errors and warnings, unsorted.
pub fn run(spec: &Spec, spans: &SpanIndex, stack: &Stack) -> Vec<Diagnostic> {
    let mut ctx = Ctx {
        spec,
        spans,
        stack,
        diags: Vec::new(),
    };
    naming::check(&mut ctx);
    values::check(&mut ctx);
    references::check(&mut ctx);
    accounts::check(&mut ctx);
    app::check(&mut ctx);
    env::check(&mut ctx);
    ports::check(&mut ctx);
    security::check(&mut ctx);
    capacity::check(&mut ctx);
    monitoring::check(&mut ctx);
    edge::check(&mut ctx);
    cloud::check(&mut ctx);
    logging::check(&mut ctx);
    kubernetes::check(&mut ctx);
    ctx.diags
}

/// Environments on the same machine (same `host.name`) must not publish the
/// same host port. Runs across environments, after each one was checked alone.
pub fn shared_hosts(stacks: &[Stack]) -> Vec<Diagnostic> {
    use std::collections::BTreeMap;
    let mut diags = Vec::new();
    let mut by_host: BTreeMap<&str, Vec<&Stack>> = BTreeMap::new();
    for stack in stacks {
        if let Some(name) = &stack.host.name {
            by_host.entry(name.as_str()).or_default().push(stack);
        }
    }
    for (host, envs) in by_host {
        let mut taken: BTreeMap<u16, (&str, &str)> = BTreeMap::new();
        for stack in envs {
            for service in stack.services.iter().filter(|s| !s.external) {
                for port in &service.ports {
                    let Some(h) = port.host else { continue };
                    match taken.get(&h) {
                        Some((env, other)) if *env != stack.env => {
                            let at = stack
                                .port_origins
                                .get(&(service.name.clone(), port.name.clone()))
                                .cloned();
                            diags.push(
                                Diagnostic::error(
                                    "FS111",
                                    format!(
                                        "host port {h} of `{}` in `{}` is also published by `{other}` in `{env}`, on the same host `{host}`",
                                        service.name, stack.env
                                    ),
                                )
                                .at_opt(at)
                                .with_help("environments that share `host.name` share its ports: give one of them another host port"),
                            );
                        }
                        Some(_) => {}
                        None => {
                            taken.insert(h, (stack.env.as_str(), service.name.as_str()));
                        }
                    }
                }
            }
        }
    }
    diags
}

/// `` `a`, `b` `` for help lines.
pub fn list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|i| format!("`{}`", i.as_ref()))
        .collect();
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}
