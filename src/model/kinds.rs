//! What futurestack knows about each kind of service: pinned default images, usual
//! ports, where data lives, default limits, the secrets a kind needs, its health
//! check, and the connection settings it gives to the services that use it.

use super::HealthTest;
use crate::spec::{AppHealth, ExporterFor, HealthTool, Kind};

/// Built-in knowledge about one kind.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    /// Pinned image used when the spec gives none (`None`: the spec must give one).
    pub default_image: Option<&'static str>,
    /// Usual ports, `(name, container port)`; the first is the main one.
    pub ports: &'static [(&'static str, u16)],
    /// Where the `data` volume is mounted.
    pub data_mount: Option<&'static str>,
    /// Default CPU limit in cores.
    pub cpus: f64,
    /// Default memory limit in MiB.
    pub memory_mib: u64,
    /// Secret roles the kind cannot start without.
    pub secret_roles: &'static [&'static str],
    /// Fields of a service only this kind understands.
    pub fields: &'static [&'static str],
}

pub fn info(kind: Kind) -> KindInfo {
    match kind {
        Kind::App => KindInfo {
            default_image: None,
            ports: &[("http", 8000)],
            data_mount: Some("/app/data"),
            cpus: 1.0,
            memory_mib: 1024,
            secret_roles: &[],
            fields: &[
                "health_path",
                "healthcheck",
                "command",
                "entrypoint",
                "metrics_path",
                "routes",
                "replicas",
                "autoscale",
            ],
        },
        Kind::Mysql => KindInfo {
            default_image: Some("mysql:8.4.10"),
            ports: &[("mysql", 3306)],
            data_mount: Some("/var/lib/mysql"),
            cpus: 1.0,
            memory_mib: 1024,
            secret_roles: &["root_password", "password"],
            fields: &["database", "user", "accounts", "managed"],
        },
        Kind::Postgres => KindInfo {
            default_image: Some("postgres:17.9"),
            ports: &[("postgres", 5432)],
            data_mount: Some("/var/lib/postgresql/data"),
            cpus: 1.0,
            memory_mib: 1024,
            secret_roles: &["password"],
            fields: &["database", "user", "accounts", "managed"],
        },
        Kind::Redis => KindInfo {
            default_image: Some("redis:7.4.6-alpine"),
            ports: &[("redis", 6379)],
            data_mount: Some("/data"),
            cpus: 0.5,
            memory_mib: 512,
            secret_roles: &["password"],
            fields: &["managed"],
        },
        Kind::Elasticsearch => KindInfo {
            default_image: Some("elasticsearch:8.19.10"),
            ports: &[("http", 9200)],
            data_mount: Some("/usr/share/elasticsearch/data"),
            cpus: 1.0,
            memory_mib: 2048,
            secret_roles: &["password"],
            fields: &["heap", "security", "accounts", "managed"],
        },
        Kind::Neo4j => KindInfo {
            default_image: Some("neo4j:5.26.0"),
            ports: &[("bolt", 7687), ("http", 7474)],
            data_mount: Some("/data"),
            cpus: 1.0,
            memory_mib: 2048,
            secret_roles: &["auth"],
            fields: &[],
        },
        Kind::Weaviate => KindInfo {
            default_image: Some("semitechnologies/weaviate:1.27.6"),
            ports: &[("http", 8080)],
            data_mount: Some("/var/lib/weaviate"),
            cpus: 1.0,
            memory_mib: 2048,
            secret_roles: &[],
            fields: &[],
        },
        Kind::External => KindInfo {
            default_image: None,
            ports: &[],
            data_mount: None,
            cpus: 0.0,
            memory_mib: 0,
            secret_roles: &[],
            fields: &["engine", "hostname"],
        },
        // The current long-term support line (prometheus/docs c105550,
        // `introduction/release-cycle.md`: 3.13 is supported to 2027-07-31;
        // 2.53 ended 2025-07-31, 3.5 on 2026-07-31); 3.13.2 is its newest
        // patch (prometheus/prometheus tag v3.13.2, 2026-07-29, with the
        // busybox image, `nobody`, `/prometheus` and `/etc/prometheus` of 2.x).
        Kind::Prometheus => monitoring(
            "prom/prometheus:v3.13.2",
            &[("http", 9090)],
            Some("/prometheus"),
            0.25,
            1024,
        ),
        Kind::Alertmanager => monitoring(
            "prom/alertmanager:v0.27.0",
            &[("http", 9093)],
            Some("/alertmanager"),
            0.05,
            128,
        ),
        Kind::Grafana => monitoring(
            "grafana/grafana:11.3.1",
            &[("http", 3000)],
            Some("/var/lib/grafana"),
            0.1,
            256,
        ),
        Kind::Nginx => monitoring(
            "nginx:1.30.6-alpine",
            &[("http", 80), ("https", 443), ("status", 8081)],
            None,
            0.25,
            128,
        ),
        Kind::Exporter(ExporterFor::Nginx) => monitoring(
            "nginx/nginx-prometheus-exporter:1.3.0",
            &[("metrics", 9113)],
            None,
            0.05,
            32,
        ),
        Kind::NodeExporter => monitoring(
            "prom/node-exporter:v1.8.2",
            &[("metrics", 9100)],
            None,
            0.05,
            64,
        ),
        // prometheus/blackbox_exporter v0.28.0: `Dockerfile` (busybox base, so
        // `wget` is there), `main.go` (port 9115, `/-/healthy`, `--config.file`).
        Kind::BlackboxExporter => monitoring(
            "prom/blackbox-exporter:v0.28.0",
            &[("metrics", 9115)],
            None,
            0.02,
            32,
        ),
        // timonwong/prometheus-webhook-dingtalk v2.1.0 (its newest release):
        // distroless, `USER nobody`, port 8060, config at
        // /etc/prometheus-webhook-dingtalk/config.yml (`Dockerfile`, `main.go`).
        Kind::DingtalkBridge => monitoring(
            "timonwong/prometheus-webhook-dingtalk:v2.1.0",
            &[("http", 8060)],
            None,
            0.02,
            32,
        ),
        Kind::DingtalkConfig => monitoring("busybox:1.36.1", &[], None, 0.05, 16),
        // The database's own image (for its client), set by `accounts::job`.
        Kind::DatabaseAccounts => monitoring("-", &[], None, 0.1, 64),
        // The WeCom bridge is a script futurestack generates, run by the
        // official Python image (docker-library/python, tag 3.12.7-alpine3.20,
        // released 2024-10: Python's standard library only, Alpine's BusyBox).
        Kind::WecomBridge => monitoring(
            "python:3.12.7-alpine3.20",
            &[("http", 8061)],
            None,
            0.02,
            48,
        ),
        Kind::Exporter(ExporterFor::Mysql) => monitoring(
            "prom/mysqld-exporter:v0.16.0",
            &[("metrics", 9104)],
            None,
            0.05,
            64,
        ),
        Kind::Exporter(ExporterFor::Postgres) => monitoring(
            "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
            &[("metrics", 9187)],
            None,
            0.05,
            64,
        ),
        Kind::Exporter(ExporterFor::Redis) => monitoring(
            "oliver006/redis_exporter:v1.67.0-alpine",
            &[("metrics", 9121)],
            None,
            0.05,
            64,
        ),
        Kind::Exporter(ExporterFor::Elasticsearch) => monitoring(
            "quay.io/prometheuscommunity/elasticsearch-exporter:v1.8.0",
            &[("metrics", 9114)],
            None,
            0.05,
            64,
        ),
    }
}

const fn monitoring(
    image: &'static str,
    ports: &'static [(&'static str, u16)],
    data_mount: Option<&'static str>,
    cpus: f64,
    memory_mib: u64,
) -> KindInfo {
    KindInfo {
        default_image: Some(image),
        ports,
        data_mount,
        cpus,
        memory_mib,
        secret_roles: &[],
        fields: &[],
    }
}

/// The container port a kind usually has under `name`.
pub fn default_port(kind: Kind, name: &str) -> Option<u16> {
    info(kind)
        .ports
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// Path where a secret is mounted in a container.
pub fn secret_path(secret: &str) -> String {
    format!("/run/secrets/{secret}")
}

/// An app's health check: what `healthcheck` says, else an HTTP GET of
/// `health_path` with Python. Validation made sure exactly one way is given and
/// that paths are plain (letters, digits, `._~-/`), so they are safe in the
/// shell and Python strings below.
pub fn app_health(health: Option<&AppHealth>, port: u16, health_path: &str) -> Option<HealthTest> {
    let default = AppHealth::default();
    let health = health.unwrap_or(&default);
    if health.disabled {
        return None;
    }
    if let Some(command) = &health.command {
        return Some(HealthTest::Exec(command.clone()));
    }
    let tool = health.tool.unwrap_or_default();
    if let Some(tcp) = health.tcp {
        return Some(HealthTest::Shell(format!(
            "python -c \"import socket; socket.create_connection(('127.0.0.1', {tcp}), timeout=3).close()\""
        )));
    }
    let path = health.http.as_deref().unwrap_or(health_path);
    let url = format!("http://127.0.0.1:{port}{path}");
    Some(HealthTest::Shell(match tool {
        HealthTool::Python => format!(
            "python -c \"import urllib.request; urllib.request.urlopen('{url}', timeout=3)\""
        ),
        HealthTool::Curl => format!("curl -fsS -o /dev/null --max-time 3 '{url}'"),
        HealthTool::Wget => format!("wget -q -O /dev/null -T 3 '{url}' || exit 1"),
    }))
}

/// The health check command of a container (`CMD-SHELL` form), if the kind has one.
/// `port` is the main container port; `secret` looks up a role's secret name.
pub fn healthcheck(
    kind: Kind,
    port: u16,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let secret_file = |role: &str| secret(role).map(|s| secret_path(&s));
    match kind {
        // An app's check is `app_health`'s.
        Kind::App => None,
        Kind::Mysql => Some(format!(
            "mysqladmin ping --host=127.0.0.1 --port={port} --silent"
        )),
        Kind::Postgres => Some(format!(
            "pg_isready --host=127.0.0.1 --port={port} --username=\"$POSTGRES_USER\" --dbname=\"$POSTGRES_DB\""
        )),
        Kind::Redis => Some(match secret_file("password") {
            Some(file) => {
                format!("REDISCLI_AUTH=\"$(cat {file})\" redis-cli -p {port} ping | grep -q PONG")
            }
            None => format!("redis-cli -p {port} ping | grep -q PONG"),
        }),
        Kind::Elasticsearch => Some(match secret_file("password") {
            Some(file) => format!(
                "curl -fsS -u \"elastic:$(cat {file})\" 'http://127.0.0.1:{port}/_cluster/health?wait_for_status=yellow&timeout=5s' >/dev/null"
            ),
            None => format!(
                "curl -fsS 'http://127.0.0.1:{port}/_cluster/health?wait_for_status=yellow&timeout=5s' >/dev/null"
            ),
        }),
        Kind::Neo4j => Some("wget -q --spider http://127.0.0.1:7474 || exit 1".to_owned()),
        Kind::Weaviate => Some(format!(
            "wget -q --spider http://127.0.0.1:{port}/v1/.well-known/ready || exit 1"
        )),
        Kind::Prometheus | Kind::Alertmanager | Kind::BlackboxExporter => Some(format!(
            "wget -q --spider http://127.0.0.1:{port}/-/healthy || exit 1"
        )),
        Kind::Grafana => Some(format!(
            "wget -q --spider http://127.0.0.1:{port}/api/health || exit 1"
        )),
        Kind::WecomBridge => Some(format!(
            "wget -q -O /dev/null http://127.0.0.1:{port}/healthz || exit 1"
        )),
        // The nginx exporter and the DingTalk bridge images have no shell to run
        // a check with; the config writer exits when done.
        Kind::Exporter(ExporterFor::Nginx)
        | Kind::DingtalkBridge
        | Kind::DingtalkConfig
        | Kind::DatabaseAccounts => None,
        Kind::NodeExporter | Kind::Exporter(_) => Some(format!(
            "wget -q --spider http://127.0.0.1:{port}/metrics || exit 1"
        )),
        Kind::Nginx => Some(format!(
            "wget -q -O /dev/null http://127.0.0.1:{port}/healthz || exit 1"
        )),
        Kind::External => None,
    }
}

/// How long a kind may take to start before failed health checks count.
pub fn start_period_seconds(kind: Kind) -> u32 {
    match kind {
        Kind::Elasticsearch | Kind::Neo4j => 90,
        Kind::Mysql | Kind::Postgres | Kind::Weaviate | Kind::Grafana | Kind::Prometheus => 30,
        _ => 10,
    }
}
