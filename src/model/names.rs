//! Names on external networks. Docker registers a compose service's key on every
//! network it joins (docker/compose `pkg/compose/create.go`, `getAliases`: the
//! container name and the service name, always), so a service of the stack on
//! the host's shared network would answer there to `prometheus` or
//! `mysql-exporter`, names the host's other stacks may use. Every service on an
//! external network is therefore keyed `<project>-<name>`; its bare name stays
//! an alias on the stack's own networks, where the stack's containers use it.

use std::collections::BTreeSet;

use super::{Service, monitoring};

/// Gives every service on an external network a unique compose key, and makes
/// the addresses other programs use across networks (scrape targets, the
/// Prometheus Grafana and an existing Prometheus read) follow it.
pub(super) fn unique_compose_names(
    project: &str,
    external: &BTreeSet<String>,
    services: &mut [Service],
    monitoring: Option<&mut monitoring::Model>,
) {
    for service in services.iter_mut().filter(|s| !s.external) {
        if service.networks.iter().any(|n| external.contains(n))
            && service.compose_name == service.name
        {
            service.compose_name = format!("{project}-{}", service.name);
        }
    }
    let Some(monitoring) = monitoring else {
        return;
    };
    // Looked up once per scrape job: a map, not a search of every service.
    let renamed: std::collections::BTreeMap<&str, &str> = services
        .iter()
        .filter(|s| !s.external && s.compose_name != s.name)
        .map(|s| (s.name.as_str(), s.compose_name.as_str()))
        .collect();
    if renamed.is_empty() {
        return;
    }
    let follow = |address: &mut String| {
        if let Some((host, port)) = address.rsplit_once(':') {
            if let Some(unique) = renamed.get(host) {
                *address = format!("{unique}:{port}");
            }
        }
    };
    for job in &mut monitoring.jobs {
        follow(&mut job.address);
    }
    follow(&mut monitoring.prometheus_address);
}
