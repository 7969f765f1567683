//! The `logging:` section: where the containers' logs go, how long each class
//! of log is kept, and when its errors raise an alert.

use schemars::JsonSchema;
use serde::Deserialize;

use super::ByteSize;

/// Where logs go. Every container logs to Docker's `json-file` driver with
/// rotation either way; the classes decide the rotation of their containers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// `local` (the default) keeps every log on the host, rotated per class, with
    /// the databases' slow-query logs on; `sls` also ships them to Simple Log
    /// Service (a project, one logstore per class, Logtail on the host, an alert
    /// per class); `off` keeps only the containers' rotated output.
    #[serde(default)]
    pub mode: LogMode,
    /// Largest size of one log file before it is rotated, for classes that do not
    /// set their own.
    #[serde(default = "Logging::default_max_size")]
    pub max_size: ByteSize,
    /// How many rotated files to keep, for classes that do not set their own.
    #[serde(default = "Logging::default_max_files")]
    #[schemars(range(min = 1, max = 100))]
    pub max_files: u32,
    /// A statement slower than this many milliseconds goes to the slow-query log
    /// (MySQL `long_query_time`, PostgreSQL `log_min_duration_statement`).
    #[serde(default = "Logging::default_slow_query_ms")]
    #[schemars(range(min = 1, max = 3600000))]
    pub slow_query_ms: u32,
    /// Per class of log: rotation, retention, volume and alert threshold.
    #[serde(default)]
    pub classes: LogClasses,
    /// The SLS project, with `mode: sls`.
    #[serde(default)]
    pub sls: Option<Sls>,
}

/// Where logs go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogMode {
    /// Only the containers' rotated output; no slow-query logs.
    Off,
    /// On the host, rotated per class; slow-query logs on.
    #[default]
    Local,
    /// On the host and in Simple Log Service.
    Sls,
}

/// The four classes of log, each with its own settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogClasses {
    /// The apps' output (the AI services and the shared service).
    #[serde(default)]
    pub app: LogClass,
    /// The databases' output, error logs and slow-query logs.
    #[serde(default)]
    pub database: LogClass,
    /// The host's journal and the monitoring and helper containers.
    #[serde(default)]
    pub system: LogClass,
    /// nginx's JSON access log (one line per request: user behaviour and latency).
    #[serde(default)]
    pub access: LogClass,
}

/// One class of log. What is left out takes the section's value or the class's
/// default (retention: app and database 30 days, system 14, access 90).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogClass {
    /// Largest size of one log file of this class before it is rotated.
    #[serde(default)]
    pub max_size: Option<ByteSize>,
    /// How many rotated files of this class to keep.
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub max_files: Option<u32>,
    /// Days SLS keeps this class (1 to 3650).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: Option<u32>,
    /// How much of this class the stack writes a day: what the cost report
    /// prices SLS's traffic and storage with (default 200MiB).
    #[serde(default)]
    pub daily: Option<ByteSize>,
    /// The SLS alert fires when more errors than this arrive in five minutes
    /// (default 10; for `access`, responses with a 5xx status).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000000))]
    pub errors: Option<u32>,
}

/// The Simple Log Service project of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sls {
    /// The project's name: 3 to 63 lowercase letters, digits and `-`, starting
    /// and ending with a letter or digit; unique in the region across Alibaba Cloud.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"))]
    pub project: String,
}

impl Logging {
    fn default_max_size() -> ByteSize {
        ByteSize::from_mib(10)
    }
    fn default_max_files() -> u32 {
        3
    }
    fn default_slow_query_ms() -> u32 {
        1000
    }
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            mode: LogMode::default(),
            max_size: Self::default_max_size(),
            max_files: Self::default_max_files(),
            slow_query_ms: Self::default_slow_query_ms(),
            classes: LogClasses::default(),
            sls: None,
        }
    }
}
