//! The typed spec: what an `environments/*.yaml` file may say.
//!
//! Every field's doc comment becomes its description in the JSON Schema
//! (`schema/futurestack.schema.json`), which editors use for completion and
//! hover help. Maps are `BTreeMap`s so that the order of keys in the input never
//! changes the output.

mod accounts;
mod app;
mod backup;
mod cost;
mod edge;
mod host;
mod kind;
mod kubernetes;
mod logging;
mod monitoring;
mod units;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

pub use accounts::Account;
pub use app::{AppHealth, HealthTool};
pub use backup::{Backups, OssCopy};
pub use cost::Cost;
pub use edge::{Edge, RateLimit, Route, Tls, TlsSource};
pub use host::{
    Bootstrap, DiskCategory, Host, HostMode, Provider, Reserved, Snapshots, TerraformState,
};
pub use kind::{ExporterFor, Kind};
pub use kubernetes::{Autoscale, IngressClass, Kubernetes, Platform, PrometheusDiscovery};
pub use logging::{LogClass, LogClasses, LogMode, Logging, Sls};

pub use monitoring::{
    AlertRule, AlertSeverity, AppMetrics, Grafana, Monitoring, MonitoringMode, Receiver,
    ReceiverKind, Thresholds,
};
pub use units::{ByteSize, Duration, EnvValue};

/// One environment of a stack (or a shared base that environments extend).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "futurestack spec")]
pub struct Spec {
    /// Path of the spec this file overlays, relative to this file (for example `base.yaml`).
    /// Maps merge by key, scalars and lists replace, and an explicit `null` removes a key.
    #[serde(default)]
    pub extends: Option<String>,
    /// Marks a shared base that other specs extend. An abstract spec is never an
    /// environment of its own and gets no output folder.
    #[serde(default, rename = "abstract")]
    pub is_abstract: bool,
    /// Name of the stack (a DNS label). The compose project is named `<stack>-<environment>`.
    pub stack: String,
    /// How production-like this environment is. `production` turns some warnings into errors.
    #[serde(default)]
    pub tier: Tier,
    /// Why the images of this environment's services are pinned by tag, not by
    /// digest (FS178 warns in `tier: production` without it). A tag can be
    /// moved to other bits in the registry; a digest cannot.
    #[serde(default)]
    #[schemars(length(min = 10))]
    pub accept_unpinned_images: Option<String>,
    /// What runs the containers: `compose` (one ECS host, the default) or
    /// `ack` (an ACK managed Kubernetes cluster, see `kubernetes`).
    #[serde(default)]
    pub platform: Platform,
    /// The ACK cluster, with `platform: ack`.
    #[serde(default)]
    pub kubernetes: Option<Kubernetes>,
    /// The machine the whole stack runs on, or with `platform: ack` each node of the cluster.
    pub host: Host,
    /// Docker networks, keyed by the name services use to refer to them.
    pub networks: BTreeMap<String, Network>,
    /// Service groups, each owning a range of host ports (the seed plans 8100-8109 for
    /// AI service 1, 8110-8119 for AI service 2, 8120-8129 for shared services).
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// Secrets the stack needs, by reference only: each names the environment variable that
    /// holds the value at deploy time. Secret values never appear in a spec or in generated files.
    #[serde(default)]
    pub secrets: BTreeMap<String, Secret>,
    /// The services, keyed by name (a DNS label; also the host name other services use).
    pub services: BTreeMap<String, Service>,
    /// Where the logs go: rotation per class on the host, slow-query logs, and
    /// optionally Simple Log Service.
    #[serde(default)]
    pub logging: Logging,
    /// Scheduled logical backups of the databases (on by default).
    #[serde(default)]
    pub backups: Backups,
    /// The public entry (nginx) in front of the apps' `routes`. Omit for no proxy.
    #[serde(default)]
    pub edge: Option<Edge>,
    /// Prometheus, Alertmanager and Grafana. Omit to run no monitoring.
    #[serde(default)]
    pub monitoring: Option<Monitoring>,
    /// The capacity and cost report: the price table and what it assumes.
    /// Left out: no cost report.
    #[serde(default)]
    pub cost: Option<Cost>,
}

/// How production-like an environment is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// A developer's machine or a throw-away host.
    #[default]
    Development,
    /// A production-like environment for testing releases.
    Staging,
    /// Serves real users: the strictest checks apply.
    Production,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
}

/// A Docker network.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// What the network is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Name of an existing Docker network to join instead of creating one
    /// (for example the seed host's `production_production-network`).
    #[serde(default)]
    pub external: Option<String>,
    /// An internal network has no route to the outside world. Use it for databases.
    #[serde(default)]
    pub internal: bool,
    /// Services that do not list `networks` themselves join this network if their
    /// class is listed here: `apps` (kind `app`) or `data` (databases, caches, search).
    #[serde(default)]
    pub default_for: Vec<ServiceClass>,
}

/// Which services join a network by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceClass {
    /// Services of kind `app`.
    Apps,
    /// Databases, caches and search engines.
    Data,
}

/// A group of services sharing a range of host ports.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// What the group is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Host ports the group's services may publish.
    pub ports: PortRange,
}

/// An inclusive range of ports.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortRange {
    /// First port of the range.
    #[schemars(range(min = 1))]
    pub from: u16,
    /// Last port of the range (inclusive).
    #[schemars(range(min = 1))]
    pub to: u16,
}

/// A secret, referenced by the environment variable that holds its value at deploy time.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// What the secret is; shown in `.env.example`.
    #[serde(default)]
    pub description: Option<String>,
    /// Environment variable (in the deploy shell or the `.env` file next to the compose
    /// file) that holds the value.
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9_]*$"))]
    pub env: String,
}

/// How a container restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    /// Never restart.
    No,
    /// Always restart, also after `docker stop` and a daemon restart.
    Always,
    /// Restart when the process exits with an error.
    OnFailure,
    /// Restart unless it was stopped on purpose.
    #[default]
    UnlessStopped,
}

impl Restart {
    pub fn as_str(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::Always => "always",
            Restart::OnFailure => "on-failure",
            Restart::UnlessStopped => "unless-stopped",
        }
    }
}

/// One service of the stack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// What the service is; decides its defaults.
    pub kind: Kind,
    /// What the service does.
    #[serde(default)]
    pub description: Option<String>,
    /// For `external` services: what is running (for example `weaviate`), so that
    /// services using it get the right connection settings.
    #[serde(default)]
    pub engine: Option<Kind>,
    /// For `external` services: the host name other containers reach it by
    /// (its container name). Defaults to the service name.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Container image with a pinned tag (`repository:tag` or `repository@sha256:...`).
    /// Required for `app`; other kinds default to a pinned official image.
    #[serde(default)]
    pub image: Option<String>,
    /// Why this service keeps an image version past its end of life or below its
    /// family's known-vulnerable minimum (FS175, FS176): with a reason, those
    /// stay warnings in production.
    #[serde(default)]
    #[schemars(length(min = 10))]
    pub accept_image_risk: Option<String>,
    /// The group whose host port range this service's published ports must fall in.
    #[serde(default)]
    pub group: Option<String>,
    /// Ports, keyed by name. Kinds define their usual ports (`mysql: 3306`, ...), so a
    /// kind's port only needs the fields that differ. Ports without `host` are reachable
    /// only from containers on the same network.
    #[serde(default)]
    pub ports: BTreeMap<String, Port>,
    /// Services this one connects to. Each gives a `depends_on` (waiting until it is
    /// healthy), connection environment variables, and network membership.
    #[serde(default)]
    pub uses: Vec<String>,
    /// Networks to join. When omitted: the networks whose `default_for` lists this
    /// service's class, plus a network of each service it uses.
    #[serde(default)]
    pub networks: Option<Vec<String>>,
    /// Plain (non-secret) environment variables. Secret values belong in `secrets`.
    #[serde(default)]
    pub env: BTreeMap<String, EnvValue>,
    /// Secrets this service receives, as `role: secret-name`. Roles a kind needs:
    /// `mysql`: `root_password`, `password`; `postgres`, `redis`, `elasticsearch`:
    /// `password`; `neo4j`: `auth`. With `monitor_password`, `mysql`, `postgres` and
    /// `elasticsearch` get a monitoring account their exporter logs in with. For an
    /// `app`, every role is mounted as a file and announced as `<ROLE>_FILE`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// For `mysql`, `postgres` and `elasticsearch`: an account per app that uses
    /// it, keyed by the app's name, limited to the app's own database or indices.
    #[serde(default)]
    pub accounts: BTreeMap<String, Account>,
    /// CPU and memory limits. Kinds have defaults.
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Named volumes, keyed by name. Kinds with data define `data`.
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
    /// For `app`: public routes through nginx (`edge`), keyed by name.
    #[serde(default)]
    pub routes: BTreeMap<String, Route>,
    /// For `app`: HTTP path of the health check.
    #[serde(default)]
    pub health_path: Option<String>,
    /// For `app`: how Docker checks it (HTTP, TCP, a command, or not at all).
    #[serde(default)]
    pub healthcheck: Option<AppHealth>,
    /// For `app`: the command the container runs instead of the image's `CMD`.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// For `app`: the entrypoint instead of the image's `ENTRYPOINT`.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// For `app`: HTTP path of the Prometheus metrics endpoint.
    #[serde(default)]
    pub metrics_path: Option<String>,
    /// For `mysql` and `postgres`: database created at first start.
    #[serde(default)]
    pub database: Option<String>,
    /// For `mysql` and `postgres`: application user created at first start.
    #[serde(default)]
    pub user: Option<String>,
    /// For `elasticsearch`: JVM heap size. Defaults to half of the memory limit.
    #[serde(default)]
    pub heap: Option<ByteSize>,
    /// For `elasticsearch`: X-Pack security (authentication). On by default.
    #[serde(default)]
    pub security: Option<bool>,
    /// Restart policy.
    #[serde(default)]
    pub restart: Option<Restart>,
    /// For `app` with `platform: ack`: pods of the Deployment (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: Option<u32>,
    /// For `app` with `platform: ack`: scale between `min` and `max` pods on CPU use.
    #[serde(default)]
    pub autoscale: Option<Autoscale>,
    /// For `mysql`, `postgres`, `redis` and `elasticsearch`: run it as an Alibaba
    /// Cloud managed service (RDS, Tair/Redis, Elasticsearch) instead of a container.
    /// The compose file drops the container; the services that use it get its
    /// endpoint from the ROS or Terraform outputs at deploy time.
    #[serde(default)]
    pub managed: Option<Managed>,
}

/// A cloud-managed database, cache or search service.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    /// Instance class: `rds.mysql.s2.large`, `redis.master.small.default`,
    /// `elasticsearch.sn2ne.large` and so on.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]*$"))]
    pub class: String,
    /// Storage (RDS) or disk per data node (Elasticsearch).
    #[serde(default)]
    pub storage: Option<ByteSize>,
    /// Engine version; defaults per kind (MySQL `8.0`, PostgreSQL `14.0`, Redis `7.0`,
    /// Elasticsearch `7.10_with_X-Pack`).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub version: Option<String>,
}

/// A port of a service.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Port inside the container (or, for `external` services, on their network).
    /// Defaults to the kind's usual port of the same name.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub container: Option<u16>,
    /// Port published on the host. Omit to keep the port off the host.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub host: Option<u16>,
    /// Publish on every interface (`0.0.0.0`) instead of `127.0.0.1`.
    #[serde(default)]
    pub public: bool,
}

/// CPU and memory limits of a container.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPU limit, in cores (for example `0.5`).
    #[serde(default)]
    #[schemars(range(min = 0.01, max = 1024.0))]
    pub cpus: Option<f64>,
    /// Memory limit, for example `512MiB` or `2GiB`.
    #[serde(default)]
    pub memory: Option<ByteSize>,
}

/// A named volume.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Absolute path in the container. Kinds know where their `data` volume goes.
    #[serde(default)]
    #[schemars(regex(pattern = r"^/"))]
    pub mount: Option<String>,
    /// Expected size, counted against the host's disk.
    #[serde(default)]
    pub size: Option<ByteSize>,
}
