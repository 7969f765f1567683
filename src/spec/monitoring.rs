//! The `monitoring` section of a spec: Prometheus, Alertmanager, Grafana and the
//! exporters, alert thresholds, extra rules and notification receivers.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::units::Duration;

/// How the stack is monitored. Every service the spec knows is scraped without
/// anyone writing a scrape job by hand.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// `own`: run Prometheus, Alertmanager, Grafana and node-exporter in the stack.
    /// `existing`: an existing Prometheus (an `external` service, named by
    /// `prometheus`) scrapes the stack; futurestack generates its scrape
    /// configuration and target files, and runs no Prometheus, Alertmanager or Grafana.
    #[serde(default)]
    pub mode: MonitoringMode,
    /// For `mode: existing`: the `external` service that is the Prometheus.
    #[serde(default)]
    pub prometheus: Option<String>,
    /// How often targets are scraped.
    #[serde(default = "Monitoring::default_scrape_interval")]
    pub scrape_interval: Duration,
    /// How often alert rules are evaluated.
    #[serde(default = "Monitoring::default_scrape_interval")]
    pub evaluation_interval: Duration,
    /// How long Prometheus keeps data.
    #[serde(default = "Monitoring::default_retention")]
    pub retention: Duration,
    /// Networks the monitoring containers join, besides those of the services they
    /// scrape. Defaults to the networks whose `default_for` lists `apps`.
    #[serde(default)]
    pub networks: Option<Vec<String>>,
    /// Names of the HTTP metrics the apps export (defaults: sanic-prometheus).
    #[serde(default)]
    pub app_metrics: AppMetrics,
    /// Thresholds of the built-in alerts.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Extra alert rules, keyed by alert name (`CamelCase`).
    #[serde(default)]
    pub rules: BTreeMap<String, AlertRule>,
    /// Where notifications go, keyed by receiver name.
    #[serde(default)]
    pub receivers: BTreeMap<String, Receiver>,
    /// A webhook receiver that gets the always-firing `Watchdog` alert every
    /// minute: a dead man's switch (e.g. healthchecks.io) that pages when the
    /// alerts stop, because Prometheus or Alertmanager is down.
    #[serde(default)]
    pub watchdog: Option<String>,
    /// Grafana settings.
    #[serde(default)]
    pub grafana: Grafana,
}

impl Monitoring {
    fn default_scrape_interval() -> Duration {
        Duration::from_seconds(15)
    }
    fn default_retention() -> Duration {
        Duration::from_seconds(15 * 86400)
    }
}

/// Who runs Prometheus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MonitoringMode {
    /// The stack runs its own monitoring containers.
    #[default]
    Own,
    /// An existing Prometheus scrapes the stack.
    Existing,
}

/// Metric names of the apps' HTTP instrumentation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppMetrics {
    /// Counter of HTTP requests.
    #[serde(default = "AppMetrics::default_requests")]
    #[schemars(regex(pattern = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"))]
    pub requests: String,
    /// Label of `requests` holding the HTTP status code.
    #[serde(default = "AppMetrics::default_status_label")]
    #[schemars(regex(pattern = r"^[a-zA-Z_][a-zA-Z0-9_]*$"))]
    pub status_label: String,
    /// Histogram of request latency in seconds (without `_bucket`).
    #[serde(default = "AppMetrics::default_latency")]
    #[schemars(regex(pattern = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"))]
    pub latency: String,
}

impl AppMetrics {
    fn default_requests() -> String {
        "sanic_request_count_total".into()
    }
    fn default_status_label() -> String {
        "http_status".into()
    }
    fn default_latency() -> String {
        "sanic_request_latency_sec".into()
    }
}

impl Default for AppMetrics {
    fn default() -> Self {
        AppMetrics {
            requests: Self::default_requests(),
            status_label: Self::default_status_label(),
            latency: Self::default_latency(),
        }
    }
}

/// Thresholds of the built-in alerts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Share of an app's requests answered with 5xx that alerts (0 to 1).
    #[serde(default = "Thresholds::default_error_ratio")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub error_ratio: f64,
    /// 95th percentile latency of an app, in seconds, that alerts.
    #[serde(default = "Thresholds::default_latency_p95")]
    #[schemars(range(min = 0.0))]
    pub latency_p95_seconds: f64,
    /// Host CPU use, in percent, that alerts.
    #[serde(default = "Thresholds::default_cpu")]
    #[schemars(range(min = 1.0, max = 100.0))]
    pub host_cpu_percent: f64,
    /// Host memory use, in percent, that alerts.
    #[serde(default = "Thresholds::default_memory")]
    #[schemars(range(min = 1.0, max = 100.0))]
    pub host_memory_percent: f64,
    /// Host disk use, in percent, that alerts.
    #[serde(default = "Thresholds::default_disk")]
    #[schemars(range(min = 1.0, max = 100.0))]
    pub host_disk_percent: f64,
    /// Redis memory use, in percent of `maxmemory`, that alerts.
    #[serde(default = "Thresholds::default_redis_memory")]
    #[schemars(range(min = 1.0, max = 100.0))]
    pub redis_memory_percent: f64,
}

impl Thresholds {
    fn default_error_ratio() -> f64 {
        0.05
    }
    fn default_latency_p95() -> f64 {
        1.0
    }
    fn default_cpu() -> f64 {
        85.0
    }
    fn default_memory() -> f64 {
        90.0
    }
    fn default_disk() -> f64 {
        85.0
    }
    fn default_redis_memory() -> f64 {
        90.0
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            error_ratio: Self::default_error_ratio(),
            latency_p95_seconds: Self::default_latency_p95(),
            host_cpu_percent: Self::default_cpu(),
            host_memory_percent: Self::default_memory(),
            host_disk_percent: Self::default_disk(),
            redis_memory_percent: Self::default_redis_memory(),
        }
    }
}

/// An extra alert rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// PromQL expression; the alert fires for every series it returns.
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    #[serde(default, rename = "for")]
    pub for_: Option<Duration>,
    /// How urgent the alert is.
    #[serde(default)]
    pub severity: AlertSeverity,
    /// One-line summary (Prometheus template syntax such as `{{ $labels.service }}` works).
    pub summary: String,
    /// Longer description.
    #[serde(default)]
    pub description: Option<String>,
}

/// How urgent an alert is; Alertmanager routes by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    /// Needs someone now.
    Critical,
    /// Needs attention soon.
    #[default]
    Warning,
    /// The Watchdog: routes to no one but the dead man's switch.
    #[doc(hidden)]
    #[serde(skip)]
    #[schemars(skip)]
    None,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Critical => "critical",
            AlertSeverity::Warning => "warning",
            AlertSeverity::None => "none",
        }
    }
}

/// A notification receiver.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// `webhook`, `email`, `dingtalk` or `wecom`.
    pub kind: ReceiverKind,
    /// Severities sent to this receiver. Defaults to all.
    #[serde(default)]
    pub severities: Option<Vec<AlertSeverity>>,
    /// For `webhook`: the URL alerts are posted to. It must not contain credentials:
    /// put a token in `token` instead.
    #[serde(default)]
    pub url: Option<String>,
    /// For `webhook`: secret sent as a bearer token. For `dingtalk`: secret
    /// holding the robot's access token (the `access_token` of its webhook URL).
    /// For `wecom`: secret holding the robot's key (the `key` of its webhook URL).
    #[serde(default)]
    pub token: Option<String>,
    /// For `dingtalk`: secret holding the robot's signing secret (`SEC...`),
    /// when the robot's security setting is "sign".
    #[serde(default)]
    pub sign: Option<String>,
    /// For `email`: recipient address.
    #[serde(default)]
    pub to: Option<String>,
    /// For `email`: sender address.
    #[serde(default)]
    pub from: Option<String>,
    /// For `email`: SMTP server as `host:port`.
    #[serde(default)]
    pub smarthost: Option<String>,
    /// For `email`: SMTP user name.
    #[serde(default)]
    pub username: Option<String>,
    /// For `email`: secret holding the SMTP password.
    #[serde(default)]
    pub password: Option<String>,
}

/// Kinds of receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverKind {
    /// HTTP POST of the alert as JSON.
    Webhook,
    /// An email.
    Email,
    /// A DingTalk group robot, through the bridge futurestack adds
    /// (prometheus-webhook-dingtalk): `token` is the robot's access token,
    /// `sign` its signing secret when the robot signs.
    Dingtalk,
    /// A WeCom (企业微信) group robot, through the bridge futurestack adds:
    /// `token` is the robot's webhook key.
    Wecom,
}

impl ReceiverKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiverKind::Webhook => "webhook",
            ReceiverKind::Email => "email",
            ReceiverKind::Dingtalk => "dingtalk",
            ReceiverKind::Wecom => "wecom",
        }
    }
}

/// Grafana settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grafana {
    /// Secret holding the password of Grafana's `admin` user.
    #[serde(default)]
    pub admin_password: Option<String>,
    /// Host port Grafana is published on (127.0.0.1). The host's existing Grafana
    /// already uses 3000.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub host_port: Option<u16>,
}
