//! The public entry of the stack (nginx) and the routes of app services.

use schemars::JsonSchema;
use serde::Deserialize;

use super::units::{ByteSize, Duration};

/// The public entry: nginx in front of the app services.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// Domains nginx serves, one server block each. Routes may pick one with `host`.
    pub domains: Vec<String>,
    /// TLS certificate and key. Omit for plain HTTP (development).
    #[serde(default)]
    pub tls: Option<Tls>,
    /// With TLS: answer plain HTTP with a redirect to HTTPS.
    #[serde(default = "Edge::default_true")]
    pub redirect_http: bool,
    /// Host port for HTTP.
    #[serde(default = "Edge::default_http_port")]
    #[schemars(range(min = 1))]
    pub http_port: u16,
    /// Host port for HTTPS.
    #[serde(default = "Edge::default_https_port")]
    #[schemars(range(min = 1))]
    pub https_port: u16,
    /// Publish on every interface (`0.0.0.0`); `false` binds to 127.0.0.1.
    #[serde(default = "Edge::default_true")]
    pub public: bool,
    /// Largest request body accepted unless a route says otherwise.
    #[serde(default = "Edge::default_max_body")]
    pub max_body: ByteSize,
}

impl Edge {
    fn default_true() -> bool {
        true
    }
    fn default_http_port() -> u16 {
        80
    }
    fn default_https_port() -> u16 {
        443
    }
    fn default_max_body() -> ByteSize {
        ByteSize::from_mib(1)
    }
}

/// TLS certificate and key, as paths on the host. They are mounted read-only into
/// the nginx container; their contents never pass through futurestack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Certificate chain (PEM), an absolute path on the host.
    pub certificate: String,
    /// Private key (PEM), an absolute path on the host.
    pub key: String,
}

/// A public route to an app service.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Domain (one of `edge.domains`) the route belongs to. Defaults to every domain.
    #[serde(default)]
    pub host: Option<String>,
    /// Path the route matches, starting with `/`. A prefix route's path ends with `/`.
    pub path: String,
    /// Match the path exactly instead of as a prefix.
    #[serde(default)]
    pub exact: bool,
    /// Remove the path prefix before passing the request on (`/api/nlp/ask` → `/ask`).
    #[serde(default)]
    pub strip_prefix: bool,
    /// Pass WebSocket upgrades through.
    #[serde(default)]
    pub websocket: bool,
    /// Largest request body, overriding `edge.max_body`.
    #[serde(default)]
    pub max_body: Option<ByteSize>,
    /// How long to wait for the app's response.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Requests per second allowed from one client address.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
}

/// A per-client request rate limit (nginx `limit_req`).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    #[schemars(range(min = 1, max = 100000))]
    pub per_second: u32,
    /// Requests allowed above the rate in a burst.
    #[serde(default)]
    #[schemars(range(max = 100000))]
    pub burst: u32,
}
