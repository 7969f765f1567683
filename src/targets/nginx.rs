//! The nginx target: `nginx/nginx.conf`, the public entry routing to the apps.

use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;
use crate::model::acme;
use crate::model::edge::{self, STATUS_PORT};
use crate::render::{self, Files, Templates};

#[derive(Serialize)]
struct View<'a> {
    tls: bool,
    redirect_http: bool,
    max_body: String,
    certificate: &'a str,
    key: &'a str,
    /// Folder of the ACME challenges, when lego gets the certificate.
    acme_webroot: Option<&'static str>,
    /// The renewal script and its systemd units, when lego gets the certificate.
    acme: Option<AcmeView>,
    project: &'a str,
    /// Open WebSocket connections allowed per client, when a route upgrades.
    websocket_connections: Option<u32>,
    status_port: u16,
    zones: Vec<(&'a str, u32)>,
    upstreams: Vec<(&'a str, &'a str)>,
    /// Docker's embedded DNS server.
    resolver: &'static str,
    servers: Vec<ServerView<'a>>,
    /// The JSON access log's format, from `model::logging::ACCESS_FIELDS` (the
    /// `access` logstore's index is made from the same table). No spec value
    /// reaches it.
    access_log_format: String,
}

#[derive(Serialize)]
struct AcmeView {
    image: &'static str,
    args: Vec<String>,
    /// lego's data folder, relative to the compose file, and where lego sees it.
    dir: &'static str,
    lego_path: &'static str,
    certificate: String,
    unit: String,
    /// Absolute path of `renew.sh` on the host.
    script: String,
    /// nginx's compose service (`<project>-nginx` on an external network).
    nginx: String,
}

#[derive(Serialize)]
struct ServerView<'a> {
    domain: &'a str,
    /// A prefix route on `/` takes every path, so no catch-all 404 is needed (or allowed).
    has_root: bool,
    routes: Vec<RouteView<'a>>,
}

#[derive(Serialize)]
struct RouteView<'a> {
    name: &'a str,
    service: &'a str,
    /// `host:port` of the app, looked up per request.
    address: &'a str,
    path: &'a str,
    modifier: &'static str,
    strip_prefix: bool,
    websocket: bool,
    max_body: String,
    timeout: String,
    zone: Option<&'a str>,
    burst: u32,
    blocked: Vec<&'a str>,
}

pub fn render(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    dir: &str,
) -> Result<Files, Error> {
    let Some(edge) = &stack.edge else {
        return Ok(Files::new());
    };
    let tls = edge.tls_files.as_ref();
    let view = View {
        access_log_format: crate::model::logging::access_log_format(),
        tls: edge.tls(),
        redirect_http: edge.redirect_http,
        max_body: edge.max_body.docker(),
        certificate: tls.map_or("", |t| t.nginx_certificate.as_str()),
        key: tls.map_or("", |t| t.nginx_key.as_str()),
        acme_webroot: tls
            .and_then(|t| t.acme.as_ref())
            .map(|_| acme::NGINX_WEBROOT),
        acme: tls.and_then(|t| {
            t.acme.as_ref().map(|a| AcmeView {
                image: acme::LEGO_IMAGE,
                args: a.lego_args(),
                dir: acme::DATA_DIR,
                lego_path: acme::LEGO_PATH,
                certificate: t.certificate.clone(),
                unit: acme::unit_name(stack),
                script: acme::renew_script(stack),
                nginx: stack
                    .services
                    .iter()
                    .find(|s| s.kind == crate::spec::Kind::Nginx)
                    .map_or_else(|| "nginx".to_owned(), |s| s.compose_name.clone()),
            })
        }),
        project: &stack.project,
        resolver: edge::DOCKER_DNS,
        websocket_connections: edge
            .servers
            .iter()
            .flat_map(|s| &s.routes)
            .any(|r| r.websocket)
            .then_some(edge::WEBSOCKET_CONNECTIONS_PER_CLIENT),
        status_port: STATUS_PORT,
        zones: edge
            .zones
            .iter()
            .map(|z| (z.name.as_str(), z.per_second))
            .collect(),
        upstreams: edge
            .upstreams
            .iter()
            .map(|u| (u.service.as_str(), u.address.as_str()))
            .collect(),
        servers: edge
            .servers
            .iter()
            .map(|s| ServerView {
                domain: &s.domain,
                has_root: s.routes.iter().any(|r| r.path == "/" && !r.exact),
                routes: s
                    .routes
                    .iter()
                    .map(|r| RouteView {
                        name: &r.name,
                        service: &r.service,
                        address: &r.address,
                        path: &r.path,
                        modifier: if r.exact { "=" } else { "^~" },
                        strip_prefix: r.strip_prefix,
                        websocket: r.websocket,
                        max_body: r.max_body.docker(),
                        timeout: format!("{}s", r.timeout_s),
                        zone: r.limit.as_ref().map(|(z, _)| z.as_str()),
                        burst: r.limit.as_ref().map(|(_, b)| *b).unwrap_or(0),
                        blocked: r.blocked.iter().map(String::as_str).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    render::render_target(templates, env, dir, stack, &view)
}
