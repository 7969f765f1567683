//! The resolved services of a stack: what each container is (image, ports,
//! networks, dependencies, secrets, volumes, health check, confinement), as
//! every target reads it.

use std::collections::BTreeMap;

use super::kinds;
use crate::spec::{ByteSize, Kind, Restart};

/// How a container is confined: `no-new-privileges` and `cap_drop: [ALL]`
/// always (when `confined`), these capabilities back, a read-only root with
/// these tmpfs folders, a process limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hardening {
    pub confined: bool,
    pub cap_add: Vec<String>,
    pub read_only: bool,
    pub tmpfs: Vec<String>,
    pub pids_limit: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The kind written in the spec.
    pub kind: Kind,
    /// What the service is: the kind, or for `external` services their `engine`.
    pub engine: Kind,
    pub external: bool,
    pub description: Option<String>,
    /// Image with tag; `None` for external services.
    pub image: Option<String>,
    /// Host name other containers reach it by.
    pub address: String,
    pub group: Option<String>,
    /// Sorted by name.
    pub ports: Vec<Port>,
    /// Networks joined, sorted.
    pub networks: Vec<String>,
    /// Whether `networks` was written in the spec (else it was derived).
    pub networks_explicit: bool,
    /// Its key in the compose file, which Docker registers as a name on every
    /// network the service joins: `<project>-<name>` for a service on an
    /// external network (a name the host's other stacks cannot also have; the
    /// bare name is then only an alias on the stack's own networks), else the
    /// name.
    pub compose_name: String,
    /// Services used, as written (unknown names dropped).
    pub uses: Vec<String>,
    /// Services to wait for before starting (used, non-external), with whether to
    /// wait for them to be healthy.
    pub depends_on: Vec<Dependency>,
    /// Environment, sorted by name.
    pub env: BTreeMap<String, String>,
    /// Keys of the spec's `env` that replace a variable futurestack sets itself
    /// (the kind's own settings, or a connection to a used service): an error.
    pub env_overrides: Vec<String>,
    /// Secrets mounted under `/run/secrets/`, sorted.
    pub secrets: Vec<String>,
    /// The service's own secrets by role (`password: mysql-password`), as in the spec.
    pub secret_roles: BTreeMap<String, String>,
    /// Databases: the apps' own accounts (`accounts:`), sorted by app.
    pub accounts: Vec<super::accounts::AppAccount>,
    pub healthcheck: Option<Healthcheck>,
    pub command: Option<Vec<String>>,
    pub cpus: f64,
    pub memory: ByteSize,
    /// Sorted by volume name.
    pub volumes: Vec<Mount>,
    pub restart: Restart,
    /// The spec's reason for keeping a risky image (`accept_image_risk`).
    pub accept_image_risk: Option<String>,
    /// `user:` in compose (`uid:gid`), when the image's own user is not the one
    /// to run as.
    pub user: Option<String>,
    /// Least privilege (from [`contracts::confinement`]); empty for external services.
    pub hardening: Hardening,
    /// For apps: HTTP paths of the health check and the metrics endpoint.
    pub health_path: Option<String>,
    pub metrics_path: Option<String>,
    /// Elasticsearch heap.
    pub heap: Option<ByteSize>,
    /// Elasticsearch security.
    pub security: bool,
    /// Files generated next to the compose file, mounted read-only (monitoring configs).
    pub binds: Vec<Bind>,
    /// Replaces the image's entrypoint (exporters that read a secret file first;
    /// an app's `entrypoint`).
    pub entrypoint: Option<Vec<String>>,
    /// Added by futurestack (monitoring), not written in the spec.
    pub generated: bool,
    /// Run by the cloud (RDS, Redis, Elasticsearch) instead of as a container.
    pub managed: Option<ManagedService>,
}

/// A database the cloud templates create instead of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedService {
    pub class: String,
    pub storage_gib: u64,
    /// Nodes the service runs on, each with `class` and `storage_gib`: two data
    /// nodes for Elasticsearch (a cluster that survives one node), one instance
    /// otherwise.
    pub nodes: u64,
    pub version: String,
    /// Variable in `.env` holding its endpoint; the bootstrap fills it from the
    /// template's resources.
    pub endpoint_var: String,
}

/// A host path mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Path on the host, relative to the compose file (`./prometheus`) or absolute (`/`).
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// Whether Compose may create a missing source (an empty folder owned by
    /// root); otherwise the daemon refuses to start without it.
    pub create_host_path: bool,
}

impl Service {
    /// The main port: the kind's first usual port if present, else the first by name.
    pub fn main_port(&self) -> Option<&Port> {
        kinds::info(self.engine)
            .ports
            .first()
            .and_then(|(name, _)| self.ports.iter().find(|p| p.name == *name))
            .or_else(|| self.ports.first())
    }

    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub container: u16,
    /// Host port, when published.
    pub host: Option<u16>,
    /// Published on all interfaces rather than 127.0.0.1.
    pub public: bool,
}

impl Port {
    /// The address the port is published on.
    pub fn host_ip(&self) -> &'static str {
        if self.public { "0.0.0.0" } else { "127.0.0.1" }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub service: String,
    pub healthy: bool,
    /// Wait for it to finish successfully (a one-off job).
    pub completed: bool,
}

#[derive(Debug, Clone)]
pub struct Healthcheck {
    pub test: HealthTest,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

/// What Docker runs to check a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthTest {
    /// A shell command (`CMD-SHELL`).
    Shell(String),
    /// A program and its arguments, without a shell (`CMD`).
    Exec(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Mount {
    /// Stack-level volume name (`<service>-<volume>`).
    pub volume: String,
    pub target: String,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub service: String,
    pub size: Option<ByteSize>,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    /// Environment variable holding the value at deploy time.
    pub env: String,
    pub description: Option<String>,
    /// Services that receive it, sorted.
    pub used_by: Vec<String>,
}
