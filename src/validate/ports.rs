//! Host ports: no two services may publish the same one (external services
//! included), and a service's ports stay inside its group's range.

use std::collections::BTreeMap;

use super::Ctx;
use crate::error::Diagnostic;

pub fn check(ctx: &mut Ctx) {
    let stack = ctx.stack;
    let mut taken: BTreeMap<u16, (&str, &str)> = BTreeMap::new();
    // Who keeps a contested port and who is told to move: what already runs
    // on the host (an external service) keeps it, then what the extended files
    // set; the port written in the environment's own file (most likely the
    // line just edited) is the one reported.
    let mut published: Vec<(usize, &crate::model::Service, &crate::model::Port)> = Vec::new();
    for service in &stack.services {
        for port in service.ports.iter().filter(|p| p.host.is_some()) {
            let own_file = ctx
                .service_at(&service.name, &["ports", &port.name, "host"])
                .is_some_and(|o| o.file == stack.file);
            let rank = if service.external {
                0
            } else if own_file {
                2
            } else {
                1
            };
            published.push((rank, service, port));
        }
    }
    published.sort_by_key(|(rank, _, _)| *rank);
    for (_, service, port) in published {
        {
            let Some(host) = port.host else { continue };
            if let Some((other, other_port)) = taken.get(&host) {
                let at = ctx.service_at(&service.name, &["ports", &port.name, "host"]);
                let outside = stack
                    .services
                    .iter()
                    .any(|s| s.name == *other && s.external);
                let what = if *other == service.name {
                    format!(
                        "`{}` publishes host port {host} twice (`{other_port}` and `{}`)",
                        service.name, port.name
                    )
                } else {
                    format!(
                        "host port {host} of `{}` is already used by `{other}`{}",
                        service.name,
                        if outside {
                            ", which already runs on the host outside the stack"
                        } else {
                            ""
                        }
                    )
                };
                let help = match free_port_near(
                    &taken,
                    host,
                    service
                        .group
                        .as_deref()
                        .and_then(|g| ctx.spec.groups.get(g))
                        .map(|g| (g.ports.from, g.ports.to)),
                ) {
                    Some(free) => format!(
                        "pick a free host port, for example {free}, or remove `host` to keep the port off the host"
                    ),
                    None => "pick a free host port, or remove `host` to keep the port off the host"
                        .to_owned(),
                };
                ctx.push(Diagnostic::error("FS111", what).at_opt(at).with_help(help));
            } else {
                taken.insert(host, (&service.name, &port.name));
            }
        }
    }

    // Apps run as a non-root user: they cannot bind a privileged port.
    for service in stack
        .services
        .iter()
        .filter(|s| s.kind == crate::spec::Kind::App)
    {
        for port in service.ports.iter().filter(|p| p.container < 1024) {
            let at = ctx.service_at(&service.name, &["ports", &port.name, "container"]);
            ctx.push(
                Diagnostic::warning("FS118", format!("app `{}` listens on privileged port {}", service.name, port.container))
                    .at_opt(at)
                    .with_help("an app running as a non-root user cannot bind ports below 1024: listen on 1024 or above (nginx faces the outside on 80/443)"),
            );
        }
    }

    // Docker publishes no port of a container whose networks are all internal,
    // so the host port silently never answers (moby/moby#36174, open since
    // 2018; Docker's bridge network docs: an internal network is "isolated from
    // the outside world").
    for service in stack.services.iter().filter(|s| !s.external) {
        let internal_only = !service.networks.is_empty()
            && service.networks.iter().all(|n| {
                ctx.spec
                    .networks
                    .get(n)
                    .is_some_and(|net| net.internal && net.external.is_none())
            });
        if !internal_only {
            continue;
        }
        for port in service.ports.iter().filter(|p| p.host.is_some()) {
            let at = ctx.at(&["services", &service.name, "ports", &port.name, "host"]);
            ctx.push(
                Diagnostic::error(
                    "FS122",
                    format!(
                        "host port {} of `{}` would never answer: `{}` is only on internal networks ({})",
                        port.host.unwrap_or_default(),
                        service.name,
                        service.name,
                        service.networks.join(", ")
                    ),
                )
                .at_opt(at)
                .with_help("Docker publishes no port of a container that is only on internal networks: add a network that is not internal to its `networks`, set `internal: false` on the network in this environment, or remove `host`"),
            );
        }
    }

    for service in &stack.services {
        let Some(group_name) = &service.group else {
            continue;
        };
        let Some(group) = ctx.spec.groups.get(group_name) else {
            continue;
        };
        let (from, to) = (group.ports.from, group.ports.to);
        for port in &service.ports {
            let Some(host) = port.host else { continue };
            if host < from || host > to {
                let at = ctx.at(&["services", &service.name, "ports", &port.name, "host"]);
                ctx.push(
                    Diagnostic::error(
                        "FS112",
                        format!("host port {host} of `{}` is outside group `{group_name}`'s range {from}-{to}", service.name),
                    )
                    .at_opt(at)
                    .with_help(format!("use a port from {from} to {to}, or move the service to another group")),
                );
            }
        }
    }
}

fn free_port_near(
    taken: &BTreeMap<u16, (&str, &str)>,
    port: u16,
    range: Option<(u16, u16)>,
) -> Option<u16> {
    let (from, to) = range.unwrap_or((port, port.saturating_add(100)));
    (from..=to).find(|p| !taken.contains_key(p) && *p != port)
}
