//! The dependency graph of a stack (`uses`, plus what futurestack adds: nginx's
//! upstreams, exporters' targets), as Mermaid or Graphviz dot.

use std::fmt::Write as _;

use crate::model::{Service, Stack};

fn shape(service: &Service) -> (&'static str, &'static str) {
    // (Mermaid open, close) by what the service is.
    if service.managed.is_some() {
        ("[(", ")]")
    } else if service.external {
        ("{{", "}}")
    } else if service.kind.is_data() {
        ("[(", ")]")
    } else {
        ("[", "]")
    }
}

fn label(service: &Service) -> String {
    let what = if service.managed.is_some() {
        format!("managed {}", service.kind.as_str())
    } else if service.external {
        "existing".to_owned()
    } else {
        service.kind.as_str().to_owned()
    };
    format!("{}<br/><small>{what}</small>", service.name)
}

/// Edges `(from, to)`: who depends on whom, sorted.
pub fn edges(stack: &Stack) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = stack
        .services
        .iter()
        .flat_map(|s| s.uses.iter().map(move |u| (s.name.clone(), u.clone())))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Mermaid `flowchart`, which GitHub and GitLab render in Markdown.
pub fn mermaid(stack: &Stack) -> String {
    let mut out = String::from("flowchart LR\n");
    for service in &stack.services {
        let (open, close) = shape(service);
        let _ = writeln!(
            out,
            "  {}{open}\"{}\"{close}",
            id(&service.name),
            label(service)
        );
    }
    for (from, to) in edges(stack) {
        let _ = writeln!(out, "  {} --> {}", id(&from), id(&to));
    }
    out
}

/// Graphviz dot.
pub fn dot(stack: &Stack) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n",
        stack.project
    );
    for service in &stack.services {
        let shape = if service.kind.is_data() || service.managed.is_some() {
            "cylinder"
        } else if service.external {
            "hexagon"
        } else {
            "box"
        };
        let _ = writeln!(out, "  \"{}\" [shape={shape}];", service.name);
    }
    for (from, to) in edges(stack) {
        let _ = writeln!(out, "  \"{from}\" -> \"{to}\";");
    }
    out.push_str("}\n");
    out
}

/// Mermaid ids cannot contain `-`; names are DNS labels, so `_` is free.
fn id(name: &str) -> String {
    name.replace('-', "_")
}
