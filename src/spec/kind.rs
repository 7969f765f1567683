//! What a service is: the kinds a spec names, and the ones futurestack adds.

use schemars::JsonSchema;
use serde::Deserialize;

/// What a service is. The kind decides defaults: image, ports, health check,
/// data volume, the secrets it needs and the connection settings it gives to the
/// services that use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A Python Sanic application (the AI services and the shared service).
    App,
    /// MySQL 8.
    Mysql,
    /// PostgreSQL.
    Postgres,
    /// Redis.
    Redis,
    /// Elasticsearch 8, single node.
    Elasticsearch,
    /// Neo4j graph database.
    Neo4j,
    /// Weaviate vector database.
    Weaviate,
    /// Already running on the host and not managed by futurestack. It is never rendered
    /// as a container, but its ports and network are known to every check.
    External,
    // The kinds below are added by futurestack (from `monitoring`), never written in a spec.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    Prometheus,
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    Alertmanager,
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    Grafana,
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    NodeExporter,
    /// Probes what clients see (the TLS certificate nginx serves).
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    BlackboxExporter,
    /// Passes Alertmanager's webhooks on to DingTalk robots.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    DingtalkBridge,
    /// Writes the DingTalk bridge's config from its secrets, once, then exits.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    DingtalkConfig,
    /// Creates or updates a database's least-privilege accounts, once, then exits.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    DatabaseAccounts,
    /// Passes Alertmanager's webhooks on to WeCom group robots.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    WecomBridge,
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    Nginx,
    /// A Prometheus exporter for a database service.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    Exporter(ExporterFor),
}

/// The database kinds futurestack adds an exporter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExporterFor {
    Nginx,
    Mysql,
    Postgres,
    Redis,
    Elasticsearch,
}

impl ExporterFor {
    pub fn of(kind: Kind) -> Option<ExporterFor> {
        match kind {
            Kind::Mysql => Some(ExporterFor::Mysql),
            Kind::Postgres => Some(ExporterFor::Postgres),
            Kind::Redis => Some(ExporterFor::Redis),
            Kind::Elasticsearch => Some(ExporterFor::Elasticsearch),
            Kind::Nginx => Some(ExporterFor::Nginx),
            _ => None,
        }
    }
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::App,
        Kind::Mysql,
        Kind::Postgres,
        Kind::Redis,
        Kind::Elasticsearch,
        Kind::Neo4j,
        Kind::Weaviate,
        Kind::External,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::App => "app",
            Kind::Mysql => "mysql",
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
            Kind::Elasticsearch => "elasticsearch",
            Kind::Neo4j => "neo4j",
            Kind::Weaviate => "weaviate",
            Kind::External => "external",
            Kind::Prometheus => "prometheus",
            Kind::Alertmanager => "alertmanager",
            Kind::Grafana => "grafana",
            Kind::NodeExporter => "node-exporter",
            Kind::BlackboxExporter => "blackbox-exporter",
            Kind::DingtalkBridge => "dingtalk-bridge",
            Kind::DingtalkConfig => "dingtalk-config",
            Kind::WecomBridge => "wecom-bridge",
            Kind::DatabaseAccounts => "database-accounts",
            Kind::Nginx => "nginx",
            Kind::Exporter(_) => "exporter",
        }
    }

    /// Databases, caches and search engines.
    pub fn is_data(self) -> bool {
        matches!(
            self,
            Kind::Mysql
                | Kind::Postgres
                | Kind::Redis
                | Kind::Elasticsearch
                | Kind::Neo4j
                | Kind::Weaviate
        )
    }

    /// Kinds futurestack adds for monitoring.
    pub fn is_monitoring(self) -> bool {
        matches!(
            self,
            Kind::Prometheus
                | Kind::Alertmanager
                | Kind::Grafana
                | Kind::NodeExporter
                | Kind::BlackboxExporter
                | Kind::DingtalkBridge
                | Kind::DingtalkConfig
                | Kind::WecomBridge
                | Kind::DatabaseAccounts
                | Kind::Exporter(_)
        )
    }
}
