//! The nginx target: `nginx/nginx.conf`, the public entry routing to the apps.

use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;
use crate::model::edge::{STATUS_PORT, TLS_CERTIFICATE, TLS_KEY};
use crate::render::{self, Files, Templates};

#[derive(Serialize)]
struct View<'a> {
    tls: bool,
    redirect_http: bool,
    max_body: String,
    certificate: &'static str,
    key: &'static str,
    status_port: u16,
    zones: Vec<(&'a str, u32)>,
    upstreams: Vec<(&'a str, &'a str)>,
    servers: Vec<ServerView<'a>>,
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
    path: &'a str,
    modifier: &'static str,
    strip_prefix: bool,
    websocket: bool,
    max_body: String,
    timeout: String,
    zone: Option<&'a str>,
    burst: u32,
    blocked: Vec<(&'static str, &'a str)>,
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
    let view = View {
        tls: edge.tls(),
        redirect_http: edge.redirect_http,
        max_body: edge.max_body.docker(),
        certificate: TLS_CERTIFICATE,
        key: TLS_KEY,
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
                        path: &r.path,
                        modifier: if r.exact { "=" } else { "^~" },
                        strip_prefix: r.strip_prefix,
                        websocket: r.websocket,
                        max_body: r.max_body.docker(),
                        timeout: format!("{}s", r.timeout_s),
                        zone: r.limit.as_ref().map(|(z, _)| z.as_str()),
                        burst: r.limit.as_ref().map(|(_, b)| *b).unwrap_or(0),
                        blocked: r
                            .blocked
                            .iter()
                            .map(|(exact, p)| (if *exact { "=" } else { "^~" }, p.as_str()))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    render::render_target(templates, env, dir, stack, &view)
}
