//! The public entry in the model: the nginx service futurestack adds for `edge`,
//! its upstreams, server blocks, routes and rate-limit zones.

use std::collections::{BTreeMap, BTreeSet};

use super::acme::{self, Acme};
use super::{Bind, Dependency, Hardening, HealthTest, Healthcheck, Port, Service, kinds};
use crate::spec::{ByteSize, Kind, Restart, ServiceClass, Spec, TlsSource};

/// Where the TLS certificate and key are mounted in the nginx container
/// (`files` and `self_signed`; ACME's are in [`acme::NGINX_CERTIFICATES`]).
pub const TLS_CERTIFICATE: &str = "/etc/nginx/tls/tls.crt";
pub const TLS_KEY: &str = "/etc/nginx/tls/tls.key";
/// Where the deploy keeps a self-signed certificate, relative to the compose file.
pub const SELF_SIGNED_CERTIFICATE: &str = "./tls/fullchain.pem";
pub const SELF_SIGNED_KEY: &str = "./tls/privkey.pem";

/// The certificate and key nginx serves, as the deploy must provide them.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub source: TlsSource,
    /// Host paths, absolute or relative to the compose file.
    pub certificate: String,
    pub key: String,
    /// Where nginx reads them.
    pub nginx_certificate: String,
    pub nginx_key: String,
    /// Common name of a self-signed (or placeholder) certificate: the first domain.
    pub domain: String,
    /// With `source: acme`: what lego needs.
    pub acme: Option<Acme>,
}

impl TlsFiles {
    /// What `edge.tls` asks for (validation made sure that `files` names both paths).
    fn of(tls: &crate::spec::Tls, domains: &[String]) -> TlsFiles {
        let (certificate, key) = match tls.source {
            TlsSource::SelfSigned => (SELF_SIGNED_CERTIFICATE.into(), SELF_SIGNED_KEY.into()),
            TlsSource::Files => (
                tls.certificate.clone().unwrap_or_default(),
                tls.key.clone().unwrap_or_default(),
            ),
            TlsSource::Acme => (acme::certificate_file(), acme::key_file()),
        };
        let (nginx_certificate, nginx_key) = match tls.source {
            TlsSource::Acme => (
                format!("{}/{}.crt", acme::NGINX_CERTIFICATES, acme::CERT_NAME),
                format!("{}/{}.key", acme::NGINX_CERTIFICATES, acme::CERT_NAME),
            ),
            _ => (TLS_CERTIFICATE.into(), TLS_KEY.into()),
        };
        TlsFiles {
            source: tls.source,
            certificate,
            key,
            nginx_certificate,
            nginx_key,
            domain: domains.first().cloned().unwrap_or_default(),
            acme: (tls.source == TlsSource::Acme).then(|| Acme {
                domains: domains.to_vec(),
                email: tls.email.clone(),
                directory: tls
                    .directory
                    .clone()
                    .unwrap_or_else(|| acme::LETS_ENCRYPT.into()),
            }),
        }
    }

    /// nginx's bind mounts: the two files, or for ACME lego's certificate folder
    /// and the challenge webroot (folders, so that renewed files are seen).
    fn binds(&self) -> Vec<Bind> {
        let bind = |source: String, target: &str| Bind {
            source,
            target: target.into(),
            read_only: true,
            create_host_path: false,
        };
        match self.source {
            TlsSource::Acme => vec![
                bind(
                    format!("./{}/certificates", acme::DATA_DIR),
                    acme::NGINX_CERTIFICATES,
                ),
                bind(format!("./{}/webroot", acme::DATA_DIR), acme::NGINX_WEBROOT),
            ],
            _ => vec![
                bind(self.certificate.clone(), TLS_CERTIFICATE),
                bind(self.key.clone(), TLS_KEY),
            ],
        }
    }
}

/// Open WebSocket connections one client address may hold on WebSocket routes
/// (nginx `limit_conn`): enough for a few browser tabs, not for a flood.
pub const WEBSOCKET_CONNECTIONS_PER_CLIENT: u32 = 20;

/// Docker's embedded DNS server, on every user-defined network (Docker docs,
/// "Container networking: DNS services"). nginx resolves the servers of an
/// `upstream` block when it loads its config, unless a server has `resolve`
/// (open source since 1.27.3, newer than the Debian nginx the tests run), while
/// a `proxy_pass` to a variable is resolved per request with `resolver`
/// (nginx.org at 3924a7f8: `ngx_http_upstream_module.xml` "resolve",
/// `ngx_http_proxy_module.xml` "When variables are used in proxy_pass").
pub const DOCKER_DNS: &str = "127.0.0.11";

/// The internal-only listener for `stub_status`.
pub const STATUS_PORT: u16 = 8081;

#[derive(Debug, Clone)]
pub struct Model {
    /// The certificate and key on the host, when nginx serves TLS.
    pub tls_files: Option<TlsFiles>,
    pub redirect_http: bool,
    pub max_body: ByteSize,
    /// Upstreams, sorted by service name.
    pub upstreams: Vec<Upstream>,
    /// One server block per domain, sorted.
    pub servers: Vec<Server>,
    /// Rate-limit zones, sorted.
    pub zones: Vec<Zone>,
}

impl Model {
    /// Whether nginx serves TLS.
    pub fn tls(&self) -> bool {
        self.tls_files.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub service: String,
    /// `host:port` on the network nginx shares with the service.
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub domain: String,
    /// Sorted by path (exact before prefix for the same path).
    pub routes: Vec<RouteModel>,
}

#[derive(Debug, Clone)]
pub struct RouteModel {
    pub name: String,
    pub service: String,
    /// `host:port` of the app, as nginx looks it up per request.
    pub address: String,
    pub path: String,
    pub exact: bool,
    pub strip_prefix: bool,
    pub websocket: bool,
    pub max_body: ByteSize,
    pub timeout_s: u64,
    /// Rate-limit zone and burst.
    pub limit: Option<(String, u32)>,
    /// Public paths under this route that reach the app's metrics or admin
    /// endpoints, answered with 404 instead, together with every path that
    /// continues them with anything but a name character (`/admin/x`,
    /// `/admin;x`, `/admin` and a newline, in any case).
    pub blocked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Zone {
    pub name: String,
    pub per_second: u32,
}

/// App paths that must never be reachable from outside.
fn private_paths(service: &Service) -> Vec<String> {
    let mut paths = vec![
        service
            .metrics_path
            .clone()
            .unwrap_or_else(|| "/metrics".into()),
        "/admin".to_owned(),
    ];
    paths.sort();
    paths.dedup();
    paths
}

/// The public path that reaches app path `app_path` through a route, if any.
fn public_path(route_path: &str, exact: bool, strip: bool, app_path: &str) -> Option<String> {
    if exact {
        return None;
    }
    if strip {
        Some(format!(
            "{}{}",
            route_path,
            app_path.trim_start_matches('/')
        ))
    } else if app_path.starts_with(route_path) {
        Some(app_path.to_owned())
    } else {
        None
    }
}

/// Adds the nginx service for `edge` and returns the edge model.
pub fn add(spec: &Spec, services: &mut Vec<Service>) -> Option<Model> {
    let edge = spec.edge.as_ref()?;
    if services.iter().any(|s| s.name == "nginx") {
        return None; // reported by validation
    }
    let by_name: BTreeMap<&str, &Service> = services.iter().map(|s| (s.name.as_str(), s)).collect();

    let mut upstreams = Vec::new();
    let mut zones = BTreeSet::new();
    let mut servers: BTreeMap<String, Vec<RouteModel>> = edge
        .domains
        .iter()
        .map(|d| (d.clone(), Vec::new()))
        .collect();
    for (name, spec_service) in &spec.services {
        if spec_service.routes.is_empty() {
            continue;
        }
        let Some(service) = by_name.get(name.as_str()) else {
            continue;
        };
        let Some(port) = service.main_port() else {
            continue;
        };
        let address = format!("{}:{}", service.address, port.container);
        upstreams.push(Upstream {
            service: name.clone(),
            address: address.clone(),
        });
        for (route_name, r) in &spec_service.routes {
            let limit = r.rate_limit.map(|l| {
                let zone = format!("{name}-{route_name}");
                zones.insert(Zone {
                    name: zone.clone(),
                    per_second: l.per_second,
                });
                (zone, l.burst)
            });
            let blocked = private_paths(service)
                .iter()
                .filter_map(|p| public_path(&r.path, r.exact, r.strip_prefix, p))
                .collect();
            let model = RouteModel {
                name: route_name.clone(),
                service: name.clone(),
                address: address.clone(),
                path: r.path.clone(),
                exact: r.exact,
                strip_prefix: r.strip_prefix,
                websocket: r.websocket,
                max_body: r.max_body.unwrap_or(edge.max_body),
                timeout_s: r.timeout.map(|t| t.seconds()).unwrap_or(60),
                limit,
                blocked,
            };
            match &r.host {
                Some(host) => {
                    if let Some(list) = servers.get_mut(host) {
                        list.push(model);
                    }
                }
                None => {
                    for list in servers.values_mut() {
                        list.push(model.clone());
                    }
                }
            }
        }
    }
    let servers: Vec<Server> = servers
        .into_iter()
        .map(|(domain, mut routes)| {
            routes.sort_by(|a, b| (&a.path, !a.exact).cmp(&(&b.path, !b.exact)));
            Server { domain, routes }
        })
        .collect();

    // nginx joins the apps' default networks, and a network of every upstream.
    let mut networks: Vec<String> = spec
        .networks
        .iter()
        .filter(|(_, n)| n.default_for.contains(&ServiceClass::Apps))
        .map(|(k, _)| k.clone())
        .collect();
    for up in &upstreams {
        if let Some(service) = by_name.get(up.service.as_str()) {
            if !service.networks.iter().any(|n| networks.contains(n)) {
                if let Some(first) = service.networks.first() {
                    networks.push(first.clone());
                }
            }
        }
    }
    networks.sort();
    networks.dedup();

    let info = kinds::info(Kind::Nginx);
    let tls_files = edge.tls.as_ref().map(|t| TlsFiles::of(t, &edge.domains));
    let tls = tls_files.is_some();
    let mut ports = vec![
        Port {
            name: "http".into(),
            container: 80,
            host: Some(edge.http_port),
            public: edge.public,
        },
        Port {
            name: "status".into(),
            container: STATUS_PORT,
            host: None,
            public: false,
        },
    ];
    if tls {
        ports.push(Port {
            name: "https".into(),
            container: 443,
            host: Some(edge.https_port),
            public: edge.public,
        });
    }
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let mut binds = vec![Bind {
        source: "./nginx/nginx.conf".into(),
        target: "/etc/nginx/nginx.conf".into(),
        read_only: true,
        create_host_path: false,
    }];
    if let Some(t) = &tls_files {
        binds.extend(t.binds());
    }
    let nginx = Service {
        name: "nginx".into(),
        kind: Kind::Nginx,
        engine: Kind::Nginx,
        external: false,
        description: Some("Public entry: routes requests to the app services.".into()),
        image: info.default_image.map(str::to_owned),
        address: "nginx".into(),
        group: None,
        ports,
        networks,
        networks_explicit: false,
        compose_name: "nginx".into(),
        uses: upstreams.iter().map(|u| u.service.clone()).collect(),
        depends_on: upstreams
            .iter()
            .map(|u| Dependency {
                service: u.service.clone(),
                healthy: by_name
                    .get(u.service.as_str())
                    .is_some_and(|s| s.healthcheck.is_some()),
                completed: false,
            })
            .collect(),
        env: BTreeMap::new(),
        env_overrides: Vec::new(),
        secrets: Vec::new(),
        secret_roles: BTreeMap::new(),
        accounts: Vec::new(),
        healthcheck: kinds::healthcheck(Kind::Nginx, 80, &|_| None).map(|command| Healthcheck {
            test: HealthTest::Shell(command),
            interval_s: 30,
            timeout_s: 5,
            retries: 3,
            start_period_s: kinds::start_period_seconds(Kind::Nginx),
        }),
        command: None,
        cpus: info.cpus,
        memory: ByteSize::from_mib(info.memory_mib),
        volumes: Vec::new(),
        restart: Restart::UnlessStopped,
        accept_image_risk: None,
        user: None,
        hardening: Hardening::default(),
        health_path: Some("/healthz".into()),
        metrics_path: None,
        heap: None,
        security: true,
        binds,
        entrypoint: None,
        generated: true,
        managed: None,
    };
    services.push(nginx);
    services.sort_by(|a, b| a.name.cmp(&b.name));

    Some(Model {
        tls_files,
        redirect_http: tls && edge.redirect_http,
        max_body: edge.max_body,
        upstreams,
        servers,
        zones: zones.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::public_path;

    #[test]
    fn public_paths_of_private_endpoints() {
        assert_eq!(
            public_path("/api/nlp/", false, true, "/metrics"),
            Some("/api/nlp/metrics".into())
        );
        assert_eq!(
            public_path("/", false, false, "/metrics"),
            Some("/metrics".into())
        );
        assert_eq!(public_path("/api/", false, false, "/metrics"), None);
        assert_eq!(public_path("/ask", true, false, "/metrics"), None);
    }
}
