//! The docker-compose target: `docker-compose.yml` and `.env.example`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Error;
use crate::model::{HealthTest, Service, Stack};
use crate::render::{self, Files, Templates};

mod write;

/// The template `docker-compose.yml` is written after when a user overrides it;
/// otherwise [`write::docker_compose`] writes it directly, to the same bytes.
const COMPOSE_TEMPLATE: &str = "compose/docker-compose.yml.j2";

#[derive(Serialize)]
struct View<'a> {
    project: &'a str,
    services: Vec<ServiceView<'a>>,
    networks: Vec<NetworkView<'a>>,
    volumes: Vec<&'a str>,
    secrets: Vec<SecretView<'a>>,
    endpoints: Vec<EndpointView<'a>>,
    /// The label naming each container's log class (Logtail selects by it).
    log_label: &'static str,
    /// The label holding the hash of the files a service mounts.
    mounts_label: &'static str,
    /// compose-lint findings accepted on purpose: rule → (service, reason).
    exceptions: Vec<(&'static str, Vec<(&'a str, String)>)>,
    /// On a new host (the stack owns it): the systemd unit that keeps
    /// containers from the metadata service.
    metadata_guard: bool,
    existing_host: bool,
    unit: String,
    rule: String,
    /// Scheduled backups: whether, what, where.
    backup: bool,
    dumps: Vec<crate::model::backup::Dump>,
    snapshots: Vec<crate::model::backup::Snapshot>,
    oss: Option<crate::model::backup::OssTarget>,
    backup_dir: String,
    backup_unit: String,
    stack_dir: String,
    retention: u32,
    hour: String,
}

#[derive(Serialize)]
struct ServiceView<'a> {
    name: &'a str,
    description: Option<&'a str>,
    image: &'a str,
    restart: &'a str,
    user: Option<&'a str>,
    command: Option<&'a [String]>,
    entrypoint: Option<&'a [String]>,
    env: Vec<(&'a str, minijinja::Value)>,
    ports: Vec<String>,
    expose: Vec<String>,
    /// Each network with its aliases: the bare name on the stack's own
    /// networks when the key is `<project>-<name>`, none on external ones.
    networks: Vec<(&'a str, Vec<&'a str>)>,
    /// Whether any network has aliases (the long form is written).
    aliased: bool,
    depends_on: Vec<(&'a str, &'static str)>,
    /// `(name, uid, gid, mode)`: the long syntax, with the image's contract.
    secrets: Vec<(&'a str, Option<String>, Option<String>, String)>,
    volumes: Vec<(&'a str, &'a str)>,
    /// `(source, target, read_only, create_host_path)`, written in the long
    /// syntax; with `bind.create_host_path: false` Compose mounts through the Engine's
    /// mount API, whose daemon refuses a missing source instead of creating an
    /// empty directory there (docker/compose `pkg/compose/create.go`,
    /// `bindRequiresMountAPI`, v2.0.0 to v5.5.0; docker/compose#13602 reports
    /// Docker Desktop ignoring it, so the deploy checks the TLS files itself).
    binds: Vec<(&'a str, &'a str, bool, bool)>,
    healthcheck: Option<HealthView>,
    /// `no-new-privileges` and `cap_drop: [ALL]` (see `model::contracts::confinement`).
    confined: bool,
    cap_add: &'a [String],
    /// `(label, max-size, max-file)` of the service's log class.
    logs: (String, String, String),
    /// The hash of the generated files the service mounts ([`mounts_hash`]).
    mounts: Option<String>,
    read_only: bool,
    tmpfs: &'a [String],
    pids_limit: Option<u32>,
    cpus: String,
    memory: String,
}

#[derive(Serialize)]
struct HealthView {
    test: Vec<String>,
    interval: String,
    timeout: String,
    retries: u32,
    start_period: String,
}

#[derive(Serialize)]
struct NetworkView<'a> {
    key: &'a str,
    description: Option<&'a str>,
    external: Option<&'a str>,
    internal: bool,
    /// The Linux bridge's name (existing hosts: the metadata guard names it).
    bridge: Option<String>,
}

#[derive(Serialize)]
struct EndpointView<'a> {
    var: &'a str,
    service: &'a str,
}

#[derive(Serialize)]
struct SecretView<'a> {
    name: &'a str,
    env: &'a str,
    description: Option<&'a str>,
    used_by: String,
}

pub fn render(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    dir: &str,
    before: &Files,
) -> Result<Files, Error> {
    // Endpoints of managed services, filled in `.env` by the cloud bootstrap.
    let endpoints: Vec<(String, String)> = stack
        .services
        .iter()
        .filter_map(|s| {
            s.managed
                .as_ref()
                .map(|m| (m.endpoint_var.clone(), s.name.clone()))
        })
        .collect();
    let dumps = crate::model::backup::dumps(stack);
    // The compose key of each service that has another one than its name
    // (looked up for every dependency: a map, not a search).
    let renamed: BTreeMap<&str, &str> = stack
        .services
        .iter()
        .filter(|s| s.compose_name != s.name)
        .map(|s| (s.name.as_str(), s.compose_name.as_str()))
        .collect();
    let mut view = View {
        project: &stack.project,
        services: stack
            .services
            .iter()
            .filter(|s| !s.external)
            .map(|s| service_view(stack, s, &endpoints, before, &renamed))
            .collect(),
        endpoints: endpoints
            .iter()
            .map(|(var, service)| EndpointView { var, service })
            .collect(),
        networks: stack
            .used_networks()
            .map(|n| NetworkView {
                key: &n.key,
                description: n.description.as_deref(),
                external: n.external.as_deref(),
                internal: n.internal,
                bridge: crate::model::deploy::bridge_name(stack, n),
            })
            .collect(),
        volumes: stack.volumes.iter().map(|v| v.name.as_str()).collect(),
        secrets: stack
            .secrets
            .iter()
            .map(|s| SecretView {
                name: &s.name,
                env: &s.env,
                description: s.description.as_deref(),
                used_by: s.used_by.join(", "),
            })
            .collect(),
        log_label: crate::model::logging::LABEL,
        mounts_label: MOUNTS_LABEL,
        exceptions: lint_exceptions(stack),
        backup: crate::model::backup::has_backup(stack),
        dumps,
        snapshots: crate::model::backup::snapshots(stack),
        oss: crate::model::backup::oss(stack),
        backup_dir: crate::model::backup::dir(stack),
        backup_unit: crate::model::backup::unit_name(stack),
        stack_dir: crate::model::deploy::stack_dir(stack),
        retention: stack.backups.retention_days,
        hour: format!("{:02}", stack.backups.hour),
        metadata_guard: crate::model::deploy::has_metadata_guard(stack),
        existing_host: stack.host.mode == crate::spec::HostMode::Existing,
        unit: crate::model::deploy::metadata_guard_unit(stack),
        rule: crate::model::deploy::metadata_guard_rule(stack),
    };
    if templates.overrides(COMPOSE_TEMPLATE) {
        return render::render_target(templates, env, dir, stack, &view);
    }
    let others: Vec<&str> = templates
        .names_under(dir)
        .into_iter()
        .filter(|name| *name != COMPOSE_TEMPLATE)
        .collect();
    let path = "docker-compose.yml";
    let compose = render::with_banner(path, stack, &write::docker_compose(&view));
    if !templates.is_overridden() {
        // No other embedded template reads the services: they are not
        // handed to the template engine (an override may read them).
        view.services = Vec::new();
    }
    let mut files = render::render_templates(env, dir, &others, stack, &view)?;
    files.insert(path.to_owned(), compose);
    Ok(files)
}

/// What compose-lint reports that the stack does on purpose, with the reason
/// written beside the finding (compose-lint 0.36 rules CL-0001, CL-0005, CL-0013).
fn lint_exceptions(stack: &Stack) -> Vec<(&'static str, Vec<(&str, String)>)> {
    use crate::spec::Kind;
    let mut socket = Vec::new();
    let mut exposed = Vec::new();
    let mut etc = Vec::new();
    for s in stack.services.iter().filter(|s| !s.external) {
        if s.kind == Kind::NodeExporter {
            socket.push((
                s.compose_name.as_str(),
                "node-exporter reads the host's / read-only for its filesystem collector, as prometheus/node_exporter's README runs it; an empty tmpfs over /host/run hides the Docker and containerd sockets".to_owned(),
            ));
        }
        if s.kind == Kind::Nginx {
            if s.ports
                .iter()
                .any(|p| p.host.is_some() && p.host_ip() == "0.0.0.0")
            {
                exposed.push((
                    s.compose_name.as_str(),
                    "nginx is the stack's public entry point (`edge.public`); every other service binds 127.0.0.1 or nothing".to_owned(),
                ));
            }
            if s.binds.iter().any(|b| b.source.starts_with("/etc/")) {
                etc.push((
                    s.compose_name.as_str(),
                    "the TLS certificate and key `edge.tls` names, mounted read-only one file each: nginx must read them to serve HTTPS".to_owned(),
                ));
            }
        }
    }
    [("CL-0001", socket), ("CL-0005", exposed), ("CL-0013", etc)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// An environment value for compose: `$` doubled, except in references to the
/// endpoints of managed services, which compose fills from `.env` (and refuses to
/// start without).
fn env_value(value: &str, endpoints: &[(String, String)]) -> minijinja::Value {
    let mut parts: Vec<(usize, &str, &str)> = Vec::new();
    for (var, service) in endpoints {
        let reference = format!("${{{var}}}");
        for (i, m) in value.match_indices(reference.as_str()) {
            parts.push((i, m, service.as_str()));
        }
    }
    if parts.is_empty() {
        return minijinja::Value::from(value);
    }
    parts.sort();
    let mut out = String::new();
    let mut at = 0;
    for (i, reference, service) in parts {
        out.push_str(&value[at..i].replace('$', "$$"));
        let var = &reference[2..reference.len() - 1];
        out.push_str(&format!("${{{var}:?endpoint of the managed service {service}; the cloud bootstrap writes it to .env}}"));
        at = i + reference.len();
    }
    out.push_str(&value[at..].replace('$', "$$"));
    minijinja::Value::from_safe_string(serde_json::to_string(&out).expect("strings serialize"))
}

/// The label that holds [`mounts_hash`]: a change of a file a service mounts
/// changes its definition, so Compose recreates exactly that container (it
/// recreates when the hash of a service's definition changes, docker/compose
/// `pkg/compose/convergence.go` `mustRecreate`, v2.40.3), where it would keep
/// a running container whose mounted file changed on the host.
pub const MOUNTS_LABEL: &str = "futurestack.mounts";

/// `sha256:` and the SHA-256 of the `sha256sum` listing (`<hex>  <path>`
/// lines, by path) of the generated files below the service's relative bind
/// sources; `None` when it mounts none. Reproducible on the host:
/// `sha256sum nginx/nginx.conf | sha256sum`.
pub fn mounts_hash<'f>(
    sources: impl IntoIterator<Item = &'f str>,
    files: &Files,
) -> Option<String> {
    use crate::model::deploy::{sha256_hex, sha256sum_line};
    let roots: Vec<&str> = sources
        .into_iter()
        .filter_map(|s| s.strip_prefix("./"))
        .map(|s| s.trim_end_matches('/'))
        .collect();
    let listing: String = files
        .iter()
        .filter(|(path, _)| {
            roots.iter().any(|root| {
                path.as_str() == *root
                    || path
                        .strip_prefix(root)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .map(|(path, text)| sha256sum_line(path, text) + "\n")
        .collect();
    (!listing.is_empty()).then(|| format!("sha256:{}", sha256_hex(listing.as_bytes())))
}

fn service_view<'a>(
    stack: &'a Stack,
    s: &'a Service,
    endpoints: &[(String, String)],
    mounted: &Files,
    renamed: &BTreeMap<&'a str, &'a str>,
) -> ServiceView<'a> {
    let compose_name = |name: &'a str| -> &'a str { renamed.get(name).copied().unwrap_or(name) };
    let networks: Vec<(&str, Vec<&str>)> = s
        .networks
        .iter()
        .map(|n| {
            let external = stack
                .networks
                .iter()
                .any(|net| net.key == *n && net.external.is_some());
            let aliases = if s.compose_name != s.name && !external {
                vec![s.name.as_str()]
            } else {
                Vec::new()
            };
            (n.as_str(), aliases)
        })
        .collect();
    let logs = crate::model::logging::of_service(stack, s);
    ServiceView {
        mounts: mounts_hash(s.binds.iter().map(|b| b.source.as_str()), mounted),
        logs: (
            logs.label,
            logs.max_size.docker(),
            logs.max_files.to_string(),
        ),
        name: &s.compose_name,
        description: s.description.as_deref(),
        image: s.image.as_deref().unwrap_or_default(),
        restart: s.restart.as_str(),
        user: s.user.as_deref(),
        command: s.command.as_deref(),
        entrypoint: s.entrypoint.as_deref(),
        env: s
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), env_value(v, endpoints)))
            .collect(),
        ports: s
            .ports
            .iter()
            .filter_map(|p| {
                p.host
                    .map(|host| format!("{}:{}:{}", p.host_ip(), host, p.container))
            })
            .collect(),
        expose: s.ports.iter().map(|p| p.container.to_string()).collect(),
        networks: networks.clone(),
        aliased: networks.iter().any(|(_, aliases)| !aliases.is_empty()),
        depends_on: s
            .depends_on
            .iter()
            .map(|d| {
                (
                    compose_name(d.service.as_str()),
                    if d.completed {
                        "service_completed_successfully"
                    } else if d.healthy {
                        "service_healthy"
                    } else {
                        "service_started"
                    },
                )
            })
            .collect(),
        secrets: s
            .secrets
            .iter()
            .map(|name| {
                let file = crate::model::contracts::contract(s.kind).secret_file;
                (
                    name.as_str(),
                    file.uid.map(|u| u.to_string()),
                    file.gid.map(|g| g.to_string()),
                    format!("{:04o}", file.mode),
                )
            })
            .collect(),
        binds: s
            .binds
            .iter()
            .map(|b| {
                (
                    b.source.as_str(),
                    b.target.as_str(),
                    b.read_only,
                    b.create_host_path,
                )
            })
            .collect(),
        volumes: s
            .volumes
            .iter()
            .map(|m| (m.volume.as_str(), m.target.as_str()))
            .collect(),
        healthcheck: s.healthcheck.as_ref().map(|h| HealthView {
            test: match &h.test {
                HealthTest::Shell(command) => vec!["CMD-SHELL".to_owned(), command.clone()],
                HealthTest::Exec(args) => std::iter::once("CMD".to_owned())
                    .chain(args.iter().cloned())
                    .collect(),
            },
            interval: format!("{}s", h.interval_s),
            timeout: format!("{}s", h.timeout_s),
            retries: h.retries,
            start_period: format!("{}s", h.start_period_s),
        }),
        confined: s.hardening.confined,
        cap_add: &s.hardening.cap_add,
        read_only: s.hardening.read_only,
        tmpfs: &s.hardening.tmpfs,
        pids_limit: s.hardening.pids_limit,
        cpus: format_cpus(s.cpus),
        memory: s.memory.docker(),
    }
}

/// `1` → `"1.0"`, `0.25` → `"0.25"`: always a decimal, never float noise.
pub fn format_cpus(cpus: f64) -> String {
    let hundredths = (cpus * 100.0).round() as i64;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => format!("{whole}.0"),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpus_are_formatted_stably() {
        assert_eq!(super::format_cpus(1.0), "1.0");
        assert_eq!(super::format_cpus(0.5), "0.5");
        assert_eq!(super::format_cpus(0.25), "0.25");
        assert_eq!(super::format_cpus(2.0000001), "2.0");
    }
}
