//! References between parts of the spec: `uses`, networks, groups, secrets, and
//! what each kind needs or does not understand.

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, list};
use crate::error::Diagnostic;
use crate::model::{self, kinds};
use crate::spec::{Kind, Service};
use crate::suggest::did_you_mean;

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    for (name, s) in &spec.services {
        check_uses(ctx, name, s);
        check_networks(ctx, name, s);
        check_group(ctx, name, s);
        check_secrets(ctx, name, s);
        check_kind_fields(ctx, name, s);
        check_image_presence(ctx, name, s);
        check_ports_and_volumes(ctx, name, s);
    }
    check_cycles(ctx);
    check_shared_networks(ctx);
    check_env_named_hosts(ctx);
    check_env_clashes(ctx);
    check_declared_secrets(ctx);
}

fn unknown(
    what: &str,
    name: &str,
    known: impl IntoIterator<Item = impl AsRef<str>> + Clone,
) -> String {
    let names: Vec<String> = known.into_iter().map(|k| k.as_ref().to_owned()).collect();
    match did_you_mean(name, names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? known {what}s: {}", list(&names)),
        None => format!("known {what}s: {}", list(&names)),
    }
}

fn check_uses(ctx: &mut Ctx, name: &str, s: &Service) {
    let spec = ctx.spec;
    let mut seen = BTreeSet::new();
    for (i, used) in s.uses.iter().enumerate() {
        let idx = i.to_string();
        let at = ctx.at(&["services", name, "uses", &idx]);
        if !seen.insert(used) {
            ctx.push(
                Diagnostic::warning("FS101", format!("`{name}` lists `{used}` in `uses` twice"))
                    .at_opt(at)
                    .with_help("remove the repeated entry"),
            );
        } else if used == name {
            ctx.push(
                Diagnostic::error("FS101", format!("`{name}` uses itself"))
                    .at_opt(at)
                    .with_help("remove it from its own `uses`"),
            );
        } else if !spec.services.contains_key(used) {
            ctx.push(
                Diagnostic::error(
                    "FS101",
                    format!("`{name}` uses `{used}`, which is not a service"),
                )
                .at_opt(at)
                .with_help(unknown("service", used, spec.services.keys())),
            );
        }
    }
}

fn check_networks(ctx: &mut Ctx, name: &str, s: &Service) {
    let spec = ctx.spec;
    if let Some(networks) = &s.networks {
        for (i, network) in networks.iter().enumerate() {
            if !spec.networks.contains_key(network) {
                let at = ctx.at(&["services", name, "networks", &i.to_string()]);
                ctx.push(
                    Diagnostic::error(
                        "FS102",
                        format!("`{name}` joins network `{network}`, which is not declared"),
                    )
                    .at_opt(at)
                    .with_help(unknown(
                        "network",
                        network,
                        spec.networks.keys(),
                    )),
                );
            }
        }
        if networks.is_empty() && s.kind != Kind::External {
            let at = ctx.at(&["services", name, "networks"]);
            ctx.push(
                Diagnostic::error("FS102", format!("`{name}` joins no network"))
                    .at_opt(at)
                    .with_help(
                        "list at least one network, or remove `networks` to use the default ones",
                    ),
            );
        }
    } else if s.kind == Kind::External {
        let at = ctx.key(&["services", name]);
        ctx.push(
            Diagnostic::warning("FS102", format!("external service `{name}` does not say which network it is on"))
                .at_opt(at)
                .with_help("add `networks: [<network>]` naming an `external` network, so services that use it can reach it"),
        );
    }
    let stack_service = ctx.stack.service(name);
    if let Some(svc) = stack_service {
        if !svc.external && svc.networks.is_empty() && s.networks.is_none() {
            let at = ctx.key(&["services", name]);
            ctx.push(
                Diagnostic::error("FS102", format!("`{name}` joins no network"))
                    .at_opt(at)
                    .with_help("add `networks:` to the service, or `default_for:` to a network"),
            );
        }
    }
}

fn check_group(ctx: &mut Ctx, name: &str, s: &Service) {
    let spec = ctx.spec;
    if let Some(group) = &s.group {
        if !spec.groups.contains_key(group) {
            let at = ctx.at(&["services", name, "group"]);
            ctx.push(
                Diagnostic::error(
                    "FS103",
                    format!("`{name}` is in group `{group}`, which is not declared"),
                )
                .at_opt(at)
                .with_help(unknown("group", group, spec.groups.keys())),
            );
        }
    }
    for (group_name, group) in &spec.groups {
        if group.ports.from > group.ports.to {
            let at = ctx.at(&["groups", group_name, "ports"]);
            ctx.push(
                Diagnostic::error(
                    "FS103",
                    format!(
                        "group `{group_name}` has an empty port range {}-{}",
                        group.ports.from, group.ports.to
                    ),
                )
                .at_opt(at)
                .with_help("`from` must not be greater than `to`"),
            );
        }
    }
}

fn check_secrets(ctx: &mut Ctx, name: &str, s: &Service) {
    let spec = ctx.spec;
    for (role, secret) in &s.secrets {
        if !spec.secrets.contains_key(secret) {
            let at = ctx.at(&["services", name, "secrets", role]);
            ctx.push(
                Diagnostic::error("FS104", format!("`{name}` refers to secret `{secret}`, which is not declared"))
                    .at_opt(at)
                    .with_help(format!(
                        "declare it under the top-level `secrets:` as `{secret}: {{env: <VARIABLE>}}`; {}",
                        unknown("secret", secret, spec.secrets.keys())
                    )),
            );
        }
    }
    let needed = kinds::info(s.kind).secret_roles;
    let disabled = s.kind == Kind::Elasticsearch && s.security == Some(false);
    for role in needed {
        // A managed database's admin account is the cloud's business.
        let managed_root = s.managed.is_some() && *role == "root_password";
        if !s.secrets.contains_key(*role) && !disabled && !managed_root {
            let at = ctx.key(&["services", name]);
            ctx.push(
                Diagnostic::error("FS105", format!("{} service `{name}` needs a `{role}` secret", s.kind.as_str()))
                    .at_opt(at)
                    .with_help(format!(
                        "add `secrets: {{{role}: <secret>}}` to `{name}` and declare the secret under the top-level `secrets:`"
                    )),
            );
        }
    }
}

fn check_kind_fields(ctx: &mut Ctx, name: &str, s: &Service) {
    let set: [(&str, bool); 14] = [
        ("managed", s.managed.is_some()),
        ("routes", !s.routes.is_empty()),
        ("engine", s.engine.is_some()),
        ("hostname", s.hostname.is_some()),
        ("health_path", s.health_path.is_some()),
        ("healthcheck", s.healthcheck.is_some()),
        ("command", s.command.is_some()),
        ("entrypoint", s.entrypoint.is_some()),
        ("metrics_path", s.metrics_path.is_some()),
        ("database", s.database.is_some()),
        ("user", s.user.is_some()),
        ("heap", s.heap.is_some()),
        ("security", s.security.is_some()),
        ("accounts", !s.accounts.is_empty()),
    ];
    let allowed = kinds::info(s.kind).fields;
    for (field, present) in set {
        if present && !allowed.contains(&field) {
            let owners: Vec<&str> = Kind::ALL
                .iter()
                .filter(|k| kinds::info(**k).fields.contains(&field))
                .map(|k| k.as_str())
                .collect();
            let at = ctx.key(&["services", name, field]);
            ctx.push(
                Diagnostic::error(
                    "FS106",
                    format!(
                        "`{field}` does not apply to {} service `{name}`",
                        s.kind.as_str()
                    ),
                )
                .at_opt(at)
                .with_help(format!(
                    "`{field}` is for kind {}; remove it here",
                    list(owners)
                )),
            );
        }
    }
    if s.engine == Some(Kind::External) {
        let at = ctx.at(&["services", name, "engine"]);
        ctx.push(
            Diagnostic::error(
                "FS106",
                format!("`engine` of `{name}` cannot be `external`"),
            )
            .at_opt(at)
            .with_help("name what is running there, for example `weaviate`, or remove `engine`"),
        );
    }
    // Resources of external services count against the host; volumes and env do not apply.
    if s.kind == Kind::External && (!s.volumes.is_empty() || !s.env.is_empty()) {
        let field = if s.volumes.is_empty() {
            "env"
        } else {
            "volumes"
        };
        let at = ctx.key(&["services", name, field]);
        ctx.push(
            Diagnostic::error(
                "FS106",
                format!("`{field}` does not apply to external service `{name}`"),
            )
            .at_opt(at)
            .with_help("futurestack does not run external services; remove it"),
        );
    }
}

fn check_image_presence(ctx: &mut Ctx, name: &str, s: &Service) {
    match (s.kind, &s.image) {
        (Kind::App, None) => {
            let at = ctx.key(&["services", name]);
            ctx.push(
                Diagnostic::error("FS107", format!("app `{name}` has no `image`"))
                    .at_opt(at)
                    .with_help("add `image: <registry>/<repository>:<version>` with a pinned tag"),
            );
        }
        (Kind::External, Some(_)) => {
            let at = ctx.key(&["services", name, "image"]);
            ctx.push(
                Diagnostic::error("FS107", format!("external service `{name}` cannot have an `image`"))
                    .at_opt(at)
                    .with_help("external services are already running and are not started by futurestack; remove `image`"),
            );
        }
        _ => {}
    }
}

fn check_ports_and_volumes(ctx: &mut Ctx, name: &str, s: &Service) {
    let engine = if s.kind == Kind::External {
        s.engine.unwrap_or(Kind::External)
    } else {
        s.kind
    };
    for (port_name, port) in &s.ports {
        let known = kinds::default_port(engine, port_name).is_some();
        if port.container.is_none() && !known && !(s.kind == Kind::External && port.host.is_some())
        {
            let at = ctx.key(&["services", name, "ports", port_name]);
            let usual: Vec<&str> = kinds::info(engine).ports.iter().map(|(n, _)| *n).collect();
            ctx.push(
                Diagnostic::error(
                    "FS117",
                    format!("port `{port_name}` of `{name}` has no `container` port"),
                )
                .at_opt(at)
                .with_help(format!(
                    "add `container: <port>`; ports {} get it from the kind",
                    list(usual)
                )),
            );
        }
    }
    let data_mount = kinds::info(s.kind).data_mount;
    // Two mounts on one path: Docker refuses to create the container.
    let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
    if let Some(mount) =
        data_mount.filter(|_| s.kind != Kind::App && !s.volumes.contains_key("data"))
    {
        targets.insert(mount, "data");
    }
    for (vol_name, volume) in &s.volumes {
        let target = volume
            .mount
            .as_deref()
            .or(data_mount.filter(|_| vol_name == "data"));
        let Some(target) = target else { continue };
        if let Some(other) = targets.insert(target, vol_name) {
            let at = ctx.at(&["services", name, "volumes", vol_name, "mount"]);
            let help = if other == "data" && !s.volumes.contains_key("data") {
                format!(
                    "`{target}` is where `{}` keeps its own `data` volume: name this volume `data` to replace it, or mount it elsewhere",
                    s.kind.as_str()
                )
            } else {
                "give each volume its own path".to_owned()
            };
            ctx.push(
                Diagnostic::error(
                    "FS123",
                    format!("volumes `{other}` and `{vol_name}` of `{name}` both mount `{target}`"),
                )
                .at_opt(at)
                .with_help(help),
            );
        }
    }
    for (vol_name, volume) in &s.volumes {
        let has_default = vol_name == "data" && data_mount.is_some();
        if volume.mount.is_none() && !has_default {
            let at = ctx.key(&["services", name, "volumes", vol_name]);
            ctx.push(
                Diagnostic::error(
                    "FS123",
                    format!("volume `{vol_name}` of `{name}` has no `mount` path"),
                )
                .at_opt(at)
                .with_help("add `mount: /absolute/path/in/the/container`"),
            );
        }
    }
}

/// `uses` must not form a cycle: containers would wait for each other forever.
fn check_cycles(ctx: &mut Ctx) {
    let spec = ctx.spec;
    // Iterative depth-first search with colours; linear in services + edges.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let names: Vec<&String> = spec.services.keys().collect();
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            spec.services[*n]
                .uses
                .iter()
                .filter(|u| *u != *n)
                .filter_map(|u| index.get(u.as_str()).copied())
                .collect()
        })
        .collect();
    let mut mark = vec![Mark::New; names.len()];
    let mut reported = BTreeSet::new();
    for start in 0..names.len() {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some((node, next)) = stack.last_mut() {
            if let Some(&to) = edges[*node].get(*next) {
                *next += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::Active;
                        stack.push((to, 0));
                    }
                    Mark::Active => {
                        let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[pos..]
                            .iter()
                            .map(|(n, _)| names[*n].as_str())
                            .collect();
                        let key: BTreeSet<&str> = cycle.iter().copied().collect();
                        if reported.insert(key.into_iter().collect::<Vec<_>>().join(",")) {
                            cycle.push(names[to]);
                            let from = stack
                                .last()
                                .map(|(n, _)| names[*n].as_str())
                                .unwrap_or_default();
                            let idx = spec.services[from]
                                .uses
                                .iter()
                                .position(|u| u == names[to])
                                .unwrap_or(0);
                            let at = ctx.at(&["services", from, "uses", &idx.to_string()]);
                            let path = cycle
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(" -> ");
                            ctx.push(
                                Diagnostic::error("FS114", format!("`uses` forms a cycle: {path}"))
                                    .at_opt(at)
                                    .with_help("containers would wait for each other forever: remove one of these `uses`"),
                            );
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                mark[*node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

/// A service that uses another must share a network with it, or it cannot resolve it.
fn check_shared_networks(ctx: &mut Ctx) {
    let stack = ctx.stack;
    for service in &stack.services {
        for used_name in &service.uses {
            let Some(used) = stack.service(used_name) else {
                continue;
            };
            if used.networks.is_empty() && used.external {
                continue; // reported as FS102 (external without network)
            }
            if !service.networks.iter().any(|n| used.networks.contains(n)) {
                let at = ctx.uses_at(&service.name, used_name);
                ctx.push(
                    Diagnostic::error(
                        "FS113",
                        format!("`{}` uses `{used_name}` but shares no network with it", service.name),
                    )
                    .at_opt(at)
                    .with_help(format!(
                        "`{}` is on {} and `{used_name}` on {}: add one of `{used_name}`'s networks to `{}`'s `networks`",
                        service.name,
                        list(&service.networks),
                        list(&used.networks),
                        service.name
                    )),
                );
            }
        }
    }
}

/// The service an `env` value names as its host: `mysql`, `mysql:3306` or
/// `http://mysql:3306/x` (as plans often write connections by hand).
fn named_host(value: &str) -> &str {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    authority.split(':').next().unwrap_or(authority)
}

/// A service named in another's `env` is a dependency like one in `uses`: they
/// must share a network, or the name resolves to nothing (or to another stack).
fn check_env_named_hosts(ctx: &mut Ctx) {
    let stack = ctx.stack;
    let spec = ctx.spec;
    for service in &stack.services {
        let Some(spec_service) = spec.services.get(&service.name) else {
            continue;
        };
        for (key, value) in &spec_service.env {
            let host = named_host(&value.0);
            let Some(target) = stack
                .services
                .iter()
                .find(|s| s.name == host || s.address == host)
            else {
                continue;
            };
            if target.name == service.name
                || service.uses.contains(&target.name)
                || (target.networks.is_empty() && target.external)
                || service.networks.iter().any(|n| target.networks.contains(n))
            {
                continue;
            }
            let at = ctx.at(&["services", &service.name, "env", key]);
            ctx.push(
                Diagnostic::error(
                    "FS113",
                    format!("`{}`'s `{key}` names `{}`, but they share no network", service.name, target.name),
                )
                .at_opt(at)
                .with_help(format!(
                    "add `{}` to `{}`'s `uses` (it then gets the connection variables and a network it shares), or add one of {} to its `networks`",
                    target.name,
                    service.name,
                    list(&target.networks)
                )),
            );
        }
    }
}

/// Two used services must not set the same connection variable (two MySQL databases, say).
fn check_env_clashes(ctx: &mut Ctx) {
    let stack = ctx.stack;
    for service in &stack.services {
        let mut provided: BTreeMap<String, &str> = BTreeMap::new();
        for used_name in &service.uses {
            let Some(used) = stack.service(used_name) else {
                continue;
            };
            for (key, _) in model::connection_env(used, &service.name) {
                if let Some(first) = provided.insert(key.clone(), used_name) {
                    let at = ctx.uses_at(&service.name, used_name);
                    ctx.push(
                        Diagnostic::error(
                            "FS119",
                            format!("`{}` uses both `{first}` and `{used_name}`, which both set `{key}`", service.name),
                        )
                        .at_opt(at)
                        .with_help("use one service of each database kind per app, or split the app"),
                    );
                    break;
                }
            }
        }
    }
}

fn check_declared_secrets(ctx: &mut Ctx) {
    let spec = ctx.spec;
    let used: BTreeSet<&String> = spec
        .services
        .values()
        .flat_map(|s| s.secrets.values())
        .chain(ctx.stack.services.iter().flat_map(|s| s.secrets.iter()))
        .collect();
    let mut by_env: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, secret) in &spec.secrets {
        if !used.contains(name) {
            let at = ctx.key(&["secrets", name]);
            ctx.push(
                Diagnostic::warning(
                    "FS120",
                    format!("secret `{name}` is declared but no service uses it"),
                )
                .at_opt(at)
                .with_help("remove it, or give it to a service under its `secrets:`"),
            );
        }
        if let Some(other) = by_env.insert(&secret.env, name) {
            let at = ctx.at(&["secrets", name, "env"]);
            ctx.push(
                Diagnostic::error(
                    "FS121",
                    format!("secrets `{other}` and `{name}` both read `{}`", secret.env),
                )
                .at_opt(at)
                .with_help("give each secret its own environment variable"),
            );
        }
    }
}
