//! What only an `app` service sets: how its container starts and how Docker
//! tells that it is healthy.

use schemars::JsonSchema;
use serde::Deserialize;

/// How Docker checks an app. Give exactly one of `http`, `tcp`, `command` or
/// `disabled: true`. Without `healthcheck`, the app is checked by an HTTP GET of
/// `health_path` (default `/health`) with Python.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppHealth {
    /// HTTP GET of this path on the main port; healthy on a 2xx or 3xx answer.
    #[serde(default)]
    pub http: Option<String>,
    /// A TCP connection to this container port.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub tcp: Option<u16>,
    /// A command run in the container (no shell); healthy when it exits 0. For
    /// workers without a port, e.g. `[celery, -A, app, inspect, ping]`.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// No health check: services that use this one only wait for it to start.
    #[serde(default)]
    pub disabled: bool,
    /// The program in the image that runs an `http` or `tcp` check.
    #[serde(default)]
    pub tool: Option<HealthTool>,
}

/// A program the image has, for `http` and `tcp` checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthTool {
    /// `python` (the Future apps are Python): `urllib` for http, `socket` for tcp.
    #[default]
    Python,
    /// `curl -f` (http only).
    Curl,
    /// `wget` (http only; BusyBox's is enough).
    Wget,
}

impl HealthTool {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthTool::Python => "python",
            HealthTool::Curl => "curl",
            HealthTool::Wget => "wget",
        }
    }
}
