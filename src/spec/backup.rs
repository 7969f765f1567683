//! Scheduled logical backups of the stack's databases, and their copy to OSS.

use schemars::JsonSchema;
use serde::Deserialize;

/// Logical backups: every day at `hour` (the host's time) a systemd timer
/// dumps each PostgreSQL (`pg_dump`, custom format), MySQL (`mysqldump`, all
/// databases) and Redis (its RDB file) container and snapshots each
/// Elasticsearch container into `/var/backups/futurestack/<project>/<UTC time>/`,
/// with SHA-256 sums, and removes backups older than `retention_days`. With
/// `oss`, each backup is also copied to an OSS bucket the templates create. On
/// by default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backups {
    /// `false` turns the timer off.
    #[serde(default = "Backups::default_enabled")]
    pub enabled: bool,
    /// Hour of the day (0 to 23).
    #[serde(default = "Backups::default_hour")]
    #[schemars(range(min = 0, max = 23))]
    pub hour: u8,
    /// Days a backup is kept on the host (1 to 3650).
    #[serde(default = "Backups::default_retention")]
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: u32,
    /// A copy of every backup off the host, in an OSS bucket of the host's region.
    #[serde(default)]
    pub oss: Option<OssCopy>,
}

/// The OSS bucket backups are copied to. The ROS and Terraform templates create
/// it (private, public access blocked, encrypted at rest, kept when the stack is
/// deleted) with a lifecycle rule that removes a copy after `retention_days`;
/// the host may only add objects under `futurestack/<project>/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OssCopy {
    /// The bucket's name: 3 to 63 lowercase letters, digits and `-`, starting
    /// and ending with a letter or digit; unique across Alibaba Cloud.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"))]
    pub bucket: String,
    /// Days a copy is kept in the bucket (1 to 3650).
    #[serde(default = "OssCopy::default_retention")]
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: u32,
}

impl Backups {
    fn default_enabled() -> bool {
        true
    }
    fn default_hour() -> u8 {
        2
    }
    fn default_retention() -> u32 {
        7
    }
}

impl OssCopy {
    fn default_retention() -> u32 {
        30
    }
}

impl Default for Backups {
    fn default() -> Self {
        Backups {
            enabled: Self::default_enabled(),
            hour: Self::default_hour(),
            retention_days: Self::default_retention(),
            oss: None,
        }
    }
}
