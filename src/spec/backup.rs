//! Scheduled logical backups of the stack's databases.

use schemars::JsonSchema;
use serde::Deserialize;

/// Logical backups: every day at `hour` (the host's time) a systemd timer
/// dumps each PostgreSQL (`pg_dump`, custom format), MySQL (`mysqldump`, all
/// databases) and Redis (its RDB file) container into
/// `/var/backups/futurestack/<project>/<UTC time>/`, with SHA-256 sums, and
/// removes backups older than `retention_days`. On by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
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

impl Default for Backups {
    fn default() -> Self {
        Backups {
            enabled: Self::default_enabled(),
            hour: Self::default_hour(),
            retention_days: Self::default_retention(),
        }
    }
}
