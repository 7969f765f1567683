//! Model: the resolved stack. Every default is applied here (per service kind), so
//! targets only read facts and never decide them: one port, one name, one network
//! shows up the same way in every artifact.
//!
//! Building the model never fails: references that do not resolve are skipped here
//! and reported by `validate`, so all problems can be reported at once.

pub mod accounts;
pub mod acme;
mod alerts;
pub mod backup;
pub mod cloud;
mod confine;
pub mod contracts;
pub mod deploy;
pub mod dingtalk;
pub mod edge;
mod exporters;
pub mod kinds;
pub mod kubernetes;
pub mod logging;
pub mod monitoring;
mod names;
pub mod probes;
mod receivers;
mod service;
pub use service::*;
mod wecom;
mod wiring;
pub use wiring::connection_env;
use wiring::{default_managed_version, own_command, own_env, unique_names_on_external_networks};

pub use alerts::expand_labels;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::spec::{ByteSize, Host, Kind, Logging, ServiceClass, Spec, Tier};

/// A resolved environment.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Stack name from the spec.
    pub name: String,
    /// Environment name (the spec's file name).
    pub env: String,
    /// Compose project name: `<stack>-<env>`.
    pub project: String,
    pub tier: Tier,
    /// The environment's spec file and the files it extends (nearest first), as shown to users.
    pub file: Arc<str>,
    pub bases: Vec<Arc<str>>,
    pub host: Host,
    pub networks: Vec<Network>,
    /// Every service, sorted by name, external ones included.
    pub services: Vec<Service>,
    /// Secrets that some service receives, sorted by name.
    pub secrets: Vec<Secret>,
    /// Named volumes, sorted by name.
    pub volumes: Vec<Volume>,
    pub logging: Logging,
    /// Scheduled logical backups.
    pub backups: crate::spec::Backups,
    /// Where the spec's `host` section is, for problems found while rendering.
    pub host_origin: Option<crate::error::Origin>,
    /// Where each published host port was written: `(service, port)` → position.
    pub port_origins: BTreeMap<(String, String), crate::error::Origin>,
    /// Where some sections were written, by JSON pointer (`/edge/domains`), for
    /// rules across environments.
    pub origins: BTreeMap<String, crate::error::Origin>,
    /// Routes, upstreams and server blocks, when the spec has `edge`.
    pub edge: Option<edge::Model>,
    /// Scrape jobs, alert rules and receivers, when the spec has `monitoring`.
    pub monitoring: Option<monitoring::Model>,
    /// The capacity and cost report, when the spec names a price table (set by
    /// the pipeline once the table is read).
    pub cost: Option<crate::cost::Report>,
    /// What runs on ACK, with `platform: ack`.
    pub kubernetes: Option<kubernetes::Cluster>,
}

impl Stack {
    /// Whether the stack runs on ACK (`platform: ack`) rather than one Docker host.
    pub fn on_kubernetes(&self) -> bool {
        self.kubernetes.is_some()
    }
}

impl Stack {
    /// The service named `name` (services are sorted by name).
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.services[i])
    }
}

#[derive(Debug, Clone)]
pub struct Network {
    /// The name services use in the spec (and the compose file).
    pub key: String,
    pub description: Option<String>,
    /// Existing Docker network joined instead of created.
    pub external: Option<String>,
    pub internal: bool,
}

impl Stack {
    /// The networks the stack's own containers are on (those compose declares).
    pub fn used_networks(&self) -> impl Iterator<Item = &Network> {
        self.networks.iter().filter(|n| {
            self.services
                .iter()
                .any(|s| !s.external && s.networks.contains(&n.key))
        })
    }
}

/// Names of the services futurestack adds (nginx, monitoring), which a spec's
/// own services must not take.
pub fn generated_names(spec: &Spec) -> Vec<String> {
    let mut names = monitoring::added_names(spec);
    names.extend(
        spec.services
            .iter()
            .filter(|(_, s)| accounts::spec_has_job(s))
            .map(|(name, _)| accounts::job_name(name)),
    );
    if spec.edge.is_some() {
        names.push("nginx".into());
    }
    names.sort();
    names
}

/// The secret role a client of `kind` needs to connect.
pub fn client_secret_role(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Mysql | Kind::Postgres | Kind::Redis | Kind::Elasticsearch => Some("password"),
        Kind::Neo4j => Some("auth"),
        Kind::Weaviate => Some("api_key"),
        _ => None,
    }
}

/// `ai-recommend` → `AI_RECOMMEND`.
pub fn env_name(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Builds the resolved stack of environment `env` from a merged spec.
pub fn build(spec: &Spec, env: &str, file: Arc<str>, bases: Vec<Arc<str>>) -> Stack {
    let networks: Vec<Network> = spec
        .networks
        .iter()
        .map(|(key, n)| Network {
            key: key.clone(),
            description: n.description.clone(),
            external: n.external.clone(),
            internal: n.internal,
        })
        .collect();

    // Pass 1: each service on its own (ports, image, networks before `uses`).
    let mut services: Vec<Service> = spec
        .services
        .iter()
        .map(|(name, s)| resolve_service(spec, name, s))
        .collect();

    // Pass 2: `uses` adds networks (when derived), dependencies, env and secrets.
    let snapshot: BTreeMap<String, Service> = services
        .iter()
        .map(|s| (s.name.clone(), s.clone()))
        .collect();
    for service in &mut services {
        let spec_service = &spec.services[&service.name];
        for used_name in &spec_service.uses {
            let Some(used) = snapshot.get(used_name) else {
                continue;
            };
            if used_name == &service.name {
                continue;
            }
            service.uses.push(used_name.clone());
            if !service.networks_explicit
                && !service.networks.iter().any(|n| used.networks.contains(n))
            {
                if let Some(first) = used.networks.first() {
                    service.networks.push(first.clone());
                    service.networks.sort();
                }
            }
            if !used.external {
                service.depends_on.push(Dependency {
                    service: used.name.clone(),
                    healthy: used.healthcheck.is_some(),
                    completed: false,
                });
            }
            for (key, value) in connection_env(used, &service.name) {
                if spec_service.env.contains_key(&key) {
                    service.env_overrides.push(key.clone());
                }
                service.env.entry(key).or_insert(value);
            }
            if let Some(secret) = wiring::client_secret(used, &service.name) {
                if !service.secrets.contains(&secret) {
                    service.secrets.push(secret);
                }
            }
            if accounts::of(used, &service.name).is_some() {
                // Its account exists once the job has run.
                service.depends_on.push(Dependency {
                    service: accounts::job_name(&used.name),
                    healthy: false,
                    completed: true,
                });
            }
        }
        service.depends_on.sort_by(|a, b| a.service.cmp(&b.service));
        service.depends_on.dedup();
        service.secrets.sort();
        service.secrets.dedup();
    }

    let project = format!("{}-{}", spec.stack, env);
    unique_names_on_external_networks(spec, &project, &mut services);
    backup::add_repositories(&project, &spec.backups, &mut services);
    let jobs: Vec<Service> = services
        .iter()
        .filter_map(|db| accounts::job(db, monitoring::generated_service))
        .collect();
    services.extend(jobs);

    let edge = edge::add(spec, &mut services);
    let mut monitoring = monitoring::add(spec, edge.as_ref(), &mut services);
    let external: BTreeSet<String> = networks
        .iter()
        .filter(|n| n.external.is_some())
        .map(|n| n.key.clone())
        .collect();
    names::unique_compose_names(&project, &external, &mut services, monitoring.as_mut());
    confine::apply(&mut services);

    // Who receives each secret, in one pass (services are sorted, so lists are too).
    let mut users: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for svc in services.iter().filter(|svc| !svc.external) {
        for secret in &svc.secrets {
            users
                .entry(secret.as_str())
                .or_default()
                .push(svc.name.clone());
        }
    }
    let secrets = spec
        .secrets
        .iter()
        .filter_map(|(name, s)| {
            let used_by = users.remove(name.as_str())?;
            Some(Secret {
                name: name.clone(),
                env: s.env.clone(),
                description: s.description.clone(),
                used_by,
            })
        })
        .collect();

    let mut volumes: Vec<Volume> = services
        .iter()
        .filter(|s| !s.external)
        .flat_map(|s| {
            s.volumes.iter().map(move |m| Volume {
                name: m.volume.clone(),
                service: s.name.clone(),
                size: volume_size(spec, s, &m.volume),
            })
        })
        .collect();
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    // A volume two services share (the DingTalk config) is declared once.
    volumes.dedup_by(|a, b| a.name == b.name);

    let mut stack = Stack {
        name: spec.stack.clone(),
        env: env.to_owned(),
        project,
        tier: spec.tier,
        file,
        bases,
        host: spec.host.clone(),
        networks,
        services,
        secrets,
        volumes,
        logging: spec.logging.clone(),
        backups: spec.backups.clone(),
        host_origin: None,
        port_origins: BTreeMap::new(),
        origins: BTreeMap::new(),
        edge,
        monitoring,
        cost: None,
        kubernetes: None,
    };
    if spec.platform == crate::spec::Platform::Ack {
        stack.kubernetes = Some(kubernetes::build(spec, &stack));
    }
    stack
}

fn volume_size(spec: &Spec, service: &Service, volume: &str) -> Option<ByteSize> {
    let local = volume.strip_prefix(&format!("{}-", service.name))?;
    spec.services
        .get(&service.name)?
        .volumes
        .get(local)
        .and_then(|v| v.size)
}

fn resolve_service(spec: &Spec, name: &str, s: &crate::spec::Service) -> Service {
    // A managed service runs outside the host, like an external one, but its kind
    // is known and the cloud templates create it.
    let managed = s
        .managed
        .as_ref()
        .filter(|_| s.kind.is_data())
        .map(|m| ManagedService {
            class: m.class.clone(),
            storage_gib: m.storage.map(|st| st.mib().div_ceil(1024)).unwrap_or(20),
            nodes: if s.kind == Kind::Elasticsearch { 2 } else { 1 },
            version: m
                .version
                .clone()
                .unwrap_or_else(|| default_managed_version(s.kind).to_owned()),
            endpoint_var: format!("{}_{}_HOST", env_name(&spec.stack), env_name(name)),
        });
    let external = s.kind == Kind::External || managed.is_some();
    let engine = if s.kind == Kind::External {
        s.engine.unwrap_or(Kind::External)
    } else {
        s.kind
    };
    let info = kinds::info(s.kind);

    // Ports: the kind's usual ports, overridden and extended by the spec. An app
    // that declares none and is checked without HTTP is a worker: no port.
    let worker = s.kind == Kind::App
        && s.ports.is_empty()
        && s.healthcheck
            .as_ref()
            .is_some_and(|h| h.command.is_some() || h.disabled);
    let mut ports: BTreeMap<String, Port> = BTreeMap::new();
    if s.kind != Kind::External && !worker {
        for (port_name, container) in info.ports {
            ports.insert(
                (*port_name).to_owned(),
                Port {
                    name: (*port_name).to_owned(),
                    container: *container,
                    host: None,
                    public: false,
                },
            );
        }
    }
    for (port_name, p) in &s.ports {
        let container = p
            .container
            .or_else(|| kinds::default_port(engine, port_name))
            .or(if external { p.host } else { None })
            .unwrap_or(0);
        ports.insert(
            port_name.clone(),
            Port {
                name: port_name.clone(),
                container,
                host: p.host,
                public: p.public,
            },
        );
    }
    let ports: Vec<Port> = ports.into_values().collect();

    let (networks, networks_explicit) = match &s.networks {
        Some(list) => {
            let set: BTreeSet<String> = list
                .iter()
                .filter(|n| spec.networks.contains_key(*n))
                .cloned()
                .collect();
            (set.into_iter().collect(), true)
        }
        None => {
            let class = match s.kind {
                Kind::App => Some(ServiceClass::Apps),
                Kind::External => None,
                _ => Some(ServiceClass::Data),
            };
            let derived = spec
                .networks
                .iter()
                .filter(|(_, n)| class.is_some_and(|c| n.default_for.contains(&c)))
                .map(|(k, _)| k.clone())
                .collect();
            (derived, false)
        }
    };

    let resources = s.resources.clone().unwrap_or_default();
    let cpus = resources.cpus.unwrap_or(info.cpus);
    let memory = resources
        .memory
        .unwrap_or(ByteSize::from_mib(info.memory_mib));

    let mut volumes: BTreeMap<String, Mount> = BTreeMap::new();
    if let Some(mount) = info.data_mount {
        if !external && s.kind != Kind::App {
            volumes.insert(
                "data".into(),
                Mount {
                    volume: format!("{name}-data"),
                    target: mount.to_owned(),
                },
            );
        }
    }
    for (vol_name, v) in &s.volumes {
        let target = v
            .mount
            .clone()
            .or_else(|| {
                (vol_name == "data")
                    .then(|| info.data_mount.map(str::to_owned))
                    .flatten()
            })
            .unwrap_or_default();
        volumes.insert(
            vol_name.clone(),
            Mount {
                volume: format!("{name}-{vol_name}"),
                target,
            },
        );
    }

    let secret_of = |role: &str| s.secrets.get(role).cloned();
    let main_port = ports
        .iter()
        .find(|p| info.ports.first().is_some_and(|(n, _)| *n == p.name))
        .or_else(|| ports.first())
        .map(|p| p.container)
        .unwrap_or(0);
    let health_path =
        (s.kind == Kind::App).then(|| s.health_path.clone().unwrap_or_else(|| "/health".into()));
    let metrics_path =
        (s.kind == Kind::App).then(|| s.metrics_path.clone().unwrap_or_else(|| "/metrics".into()));
    let healthcheck = if external {
        None
    } else if s.kind == Kind::App {
        kinds::app_health(
            s.healthcheck.as_ref(),
            main_port,
            health_path.as_deref().unwrap_or("/"),
        )
    } else {
        kinds::healthcheck(s.kind, main_port, &secret_of).map(HealthTest::Shell)
    }
    .map(|test| Healthcheck {
        test,
        interval_s: 10,
        timeout_s: 5,
        retries: 5,
        start_period_s: kinds::start_period_seconds(s.kind),
    });

    let security = s.security.unwrap_or(true);
    let heap = (s.kind == Kind::Elasticsearch)
        .then(|| s.heap.unwrap_or(ByteSize::from_mib(memory.mib() / 2)));

    let mut env: BTreeMap<String, String> = own_env(s, memory, heap, security, &secret_of);
    let mut env_overrides = Vec::new();
    for (key, value) in &s.env {
        if env.insert(key.clone(), value.0.clone()).is_some() {
            env_overrides.push(key.clone());
        }
    }
    let slow_query = logging::slow_query_ms(&spec.logging);
    let command = own_command(s.kind, memory, slow_query, &secret_of).or_else(|| s.command.clone());

    // A database's monitoring password is for its accounts job and exporter,
    // not for its own container.
    let mut secrets: Vec<String> = if external {
        Vec::new()
    } else {
        s.secrets
            .iter()
            .filter(|(role, _)| s.kind == Kind::App || role.as_str() != accounts::MONITOR_ROLE)
            .map(|(_, secret)| secret.clone())
            .collect()
    };
    secrets.sort();
    secrets.dedup();

    let image = if external {
        None
    } else {
        s.image
            .clone()
            .or_else(|| info.default_image.map(str::to_owned))
    };
    let address = match &managed {
        Some(m) => format!("${{{}}}", m.endpoint_var),
        None if external => s.hostname.clone().unwrap_or_else(|| name.to_owned()),
        None => name.to_owned(),
    };

    Service {
        name: name.to_owned(),
        kind: s.kind,
        engine,
        external,
        description: s.description.clone(),
        image,
        address,
        group: s.group.clone(),
        ports,
        networks,
        networks_explicit,
        compose_name: name.to_owned(),
        uses: Vec::new(),
        depends_on: Vec::new(),
        env,
        env_overrides,
        secrets,
        secret_roles: s.secrets.clone(),
        accounts: accounts::resolve(s.kind, &s.accounts),
        healthcheck,
        command,
        cpus: if external {
            resources.cpus.unwrap_or(0.0)
        } else {
            cpus
        },
        memory: if external {
            resources.memory.unwrap_or(ByteSize::from_mib(0))
        } else {
            memory
        },
        volumes: volumes.into_values().collect(),
        restart: s.restart.unwrap_or_default(),
        accept_image_risk: s.accept_image_risk.clone(),
        user: None,
        hardening: Hardening::default(),
        health_path,
        metrics_path,
        heap,
        security,
        binds: Vec::new(),
        entrypoint: s.entrypoint.clone(),
        generated: false,
        managed,
    }
}
