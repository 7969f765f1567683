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

/// Where nginx's TLS certificate and key come from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// `files`: a certificate and key already on the host (the deploy fails, naming
    /// them, when either is missing). `acme`: a certificate for every domain from an
    /// ACME CA (Let's Encrypt unless `directory` says otherwise), by HTTP-01 on
    /// port 80, renewed twice a day when due. `self_signed`: the deploy makes a
    /// self-signed certificate for the first domain (not allowed in production).
    #[serde(default)]
    pub source: TlsSource,
    /// With `source: files`: the certificate chain (PEM), an absolute path on the host.
    #[serde(default)]
    pub certificate: Option<String>,
    /// With `source: files`: the private key (PEM), an absolute path on the host.
    #[serde(default)]
    pub key: Option<String>,
    /// With `source: acme`: the contact address of the ACME account (expiry and
    /// policy notices). Optional.
    #[serde(default)]
    pub email: Option<String>,
    /// With `source: acme`: the CA's ACME directory URL (`https://`). Default:
    /// Let's Encrypt; its staging directory is good for trying things out.
    #[serde(default)]
    pub directory: Option<String>,
}

/// How the host gets its TLS certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsSource {
    /// Files already on the host (`certificate` and `key`), mounted read-only; their
    /// contents never pass through futurestack.
    #[default]
    Files,
    /// A self-signed certificate the deploy creates once, for development and staging.
    SelfSigned,
    /// A certificate from an ACME CA (lego, HTTP-01 on the webroot nginx serves),
    /// obtained by the deploy and renewed by a systemd timer, which reloads nginx.
    Acme,
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
