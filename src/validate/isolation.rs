//! Environment isolation: two environments that share a public domain, a TLS
//! certificate or key on disk, or an alert receiver are not isolated. Staging
//! serving prod's domain needs prod's private key on the staging host, and a
//! shared receiver makes a staging alert page like a production one. Warnings
//! (FS157), since sharing can be deliberate; each names the other environment.

use std::collections::BTreeMap;

use crate::error::Diagnostic;
use crate::model::Stack;
use crate::spec::{ReceiverKind, TlsSource};

/// What an environment holds that another should not also hold: (what, value,
/// where in the spec).
fn shared_things(stack: &Stack) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if let Some(edge) = &stack.edge {
        for server in &edge.servers {
            out.push(("domain", server.domain.clone(), "/edge/domains".into()));
        }
        if let Some(tls) = edge
            .tls_files
            .as_ref()
            .filter(|t| t.source == TlsSource::Files)
        {
            out.push((
                "TLS certificate",
                tls.certificate.clone(),
                "/edge/tls/certificate".into(),
            ));
            out.push(("TLS key", tls.key.clone(), "/edge/tls/key".into()));
        }
    }
    if let Some(monitoring) = &stack.monitoring {
        for r in &monitoring.receivers {
            let target = match r.kind {
                ReceiverKind::Webhook => r.url.clone().map(|u| (u, "url")),
                ReceiverKind::Email => r.to.clone().map(|t| (t, "to")),
                // Robots are named by secrets, whose values differ per host.
                ReceiverKind::Dingtalk | ReceiverKind::Wecom => None,
            };
            if let Some((target, field)) = target {
                let pointer = crate::load::pointer(&["monitoring", "receivers", &r.name, field]);
                out.push(("alert receiver", target, pointer));
            }
        }
    }
    out
}

pub fn shared_between_environments(stacks: &[Stack]) -> Vec<Diagnostic> {
    let mut first: BTreeMap<(&str, String), &str> = BTreeMap::new();
    let mut diags = Vec::new();
    for stack in stacks {
        let mut seen_here = std::collections::BTreeSet::new();
        for (what, value, pointer) in shared_things(stack) {
            if !seen_here.insert((what, value.clone())) {
                continue;
            }
            match first.get(&(what, value.clone())) {
                Some(other) => diags.push(
                    Diagnostic::warning(
                        "FS157",
                        format!("{what} `{value}` of `{}` is also `{other}`'s", stack.env),
                    )
                    .at_opt(stack.origins.get(&pointer).cloned())
                    .with_help(match what {
                        "domain" => "give each environment its own domain (`staging.example.com`): a shared one sends users to whichever environment DNS names",
                        "alert receiver" => "give this environment its own receiver (another address or URL), so its alerts are not taken for the other's",
                        _ => "give each environment its own certificate and key: sharing them puts one environment's private key on the other's host",
                    }),
                ),
                None => {
                    first.insert((what, value), stack.env.as_str());
                }
            }
        }
    }
    diags
}
