//! The Ingress: the nginx target's routes, TLS, body limits, timeouts, rate
//! limits and blocked paths, for ACK's ALB or NGINX Ingress controller.

use super::workloads::metadata;
use super::yaml::{Y, i, s};
use crate::model::Stack;
use crate::model::edge::RouteModel;
use crate::model::kubernetes::Cluster;
use crate::spec::IngressClass;

/// The Service the blocked paths go to: it selects no pod, so the controller
/// answers 503 and the request never reaches an app.
pub const BLOCKED: &str = "futurestack-blocked";

/// The Secret of the TLS certificate and key (`kubectl create secret tls`).
pub fn tls_secret(stack: &Stack) -> String {
    format!("{}-tls", stack.project)
}

/// The routes' Ingresses, and the one for the blocked paths (none without `edge`).
pub fn ingresses(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    let (Some(edge), Some(class)) = (&stack.edge, cluster.ingress_class) else {
        return Vec::new();
    };
    let domains: Vec<&str> = edge.servers.iter().map(|s| s.domain.as_str()).collect();
    let mut routes: Vec<&RouteModel> = Vec::new();
    for server in &edge.servers {
        for r in &server.routes {
            if !routes
                .iter()
                .any(|x| x.service == r.service && x.name == r.name)
            {
                routes.push(r);
            }
        }
    }
    routes.sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    let mut out = Vec::new();
    for r in &routes {
        let port = r
            .address
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .unwrap_or(0);
        let name = format!("{}-{}", r.service, r.name);
        let (path, kind) = if r.strip_prefix {
            (
                format!("{}(.*)", r.path.trim_end_matches('/').to_owned() + "/"),
                "ImplementationSpecific",
            )
        } else if r.exact {
            (r.path.clone(), "Exact")
        } else {
            (r.path.clone(), "Prefix")
        };
        let rate = r
            .limit
            .as_ref()
            .and_then(|(zone, _)| edge.zones.iter().find(|z| &z.name == zone))
            .map(|z| z.per_second);
        let annotations = route_annotations(class, r, rate, edge.tls());
        out.push(ingress(
            stack,
            cluster,
            &name,
            &r.service,
            class,
            annotations,
            &domains,
            &[(path, kind, r.service.clone(), port)],
            edge.tls(),
        ));
    }
    let mut blocked = Vec::new();
    for r in &routes {
        for b in &r.blocked {
            match class {
                // ingress-nginx writes regex paths as case-insensitive locations (`~*`).
                IngressClass::Nginx => blocked.push((
                    format!("{b}([^a-z0-9_-].*)?$"),
                    "ImplementationSpecific",
                    BLOCKED.to_owned(),
                    80,
                )),
                IngressClass::Alb => {
                    blocked.push((b.clone(), "Exact", BLOCKED.to_owned(), 80));
                    blocked.push((format!("{b}/"), "Prefix", BLOCKED.to_owned(), 80));
                }
            }
        }
    }
    if !blocked.is_empty() {
        let mut annotations = Vec::new();
        if class == IngressClass::Nginx {
            annotations.push((
                "nginx.ingress.kubernetes.io/use-regex".to_owned(),
                s("true"),
            ));
        }
        out.push(ingress(
            stack,
            cluster,
            BLOCKED,
            BLOCKED,
            class,
            annotations,
            &domains,
            &blocked,
            edge.tls(),
        ));
    }
    out
}

fn route_annotations(
    class: IngressClass,
    r: &RouteModel,
    rate: Option<u32>,
    tls: bool,
) -> Vec<(String, Y)> {
    let mut out: Vec<(String, Y)> = Vec::new();
    let mut put = |k: &str, v: String| out.push((k.to_owned(), s(v)));
    match class {
        IngressClass::Nginx => {
            let p = "nginx.ingress.kubernetes.io/";
            put(
                &format!("{p}proxy-body-size"),
                format!("{}m", r.max_body.mib()),
            );
            put(&format!("{p}proxy-read-timeout"), r.timeout_s.to_string());
            put(&format!("{p}proxy-send-timeout"), r.timeout_s.to_string());
            if let Some((_, burst)) = &r.limit {
                if let Some(rps) = rate {
                    put(&format!("{p}limit-rps"), rps.to_string());
                    put(
                        &format!("{p}limit-burst-multiplier"),
                        (burst.div_ceil(rps.max(1))).max(1).to_string(),
                    );
                }
            }
            if r.strip_prefix {
                put(&format!("{p}use-regex"), "true".into());
                put(&format!("{p}rewrite-target"), "/$1".into());
            }
            if tls {
                put(&format!("{p}ssl-redirect"), "true".into());
            }
        }
        IngressClass::Alb => {
            let p = "alb.ingress.kubernetes.io/";
            if let Some(rps) = rate {
                put(&format!("{p}traffic-limit-qps"), rps.to_string());
            }
            if r.strip_prefix {
                put(&format!("{p}use-regex"), "true".into());
                put(&format!("{p}rewrite-target"), "/${1}".into());
            }
            if tls {
                put(&format!("{p}ssl-redirect"), "true".into());
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn ingress(
    stack: &Stack,
    cluster: &Cluster,
    name: &str,
    service: &str,
    class: IngressClass,
    annotations: Vec<(String, Y)>,
    domains: &[&str],
    paths: &[(String, &str, String, u16)],
    tls: bool,
) -> Y {
    let mut meta = metadata(stack, cluster, name, service);
    if !annotations.is_empty() {
        meta.push("annotations", Y::Map(annotations));
    }
    let http = Y::map([(
        "paths",
        Y::seq(paths.iter().map(|(path, kind, backend, port)| {
            Y::map([
                ("path", s(path.as_str())),
                ("pathType", s(*kind)),
                (
                    "backend",
                    Y::map([(
                        "service",
                        Y::map([
                            ("name", s(backend.as_str())),
                            ("port", Y::map([("number", i(*port))])),
                        ]),
                    )]),
                ),
            ])
        })),
    )]);
    let mut spec = Y::map([("ingressClassName", s(class.as_str()))]);
    if tls {
        spec.push(
            "tls",
            Y::seq([Y::map([
                ("hosts", Y::seq(domains.iter().map(|d| s(*d)))),
                ("secretName", s(tls_secret(stack))),
            ])]),
        );
    }
    spec.push(
        "rules",
        Y::seq(
            domains
                .iter()
                .map(|d| Y::map([("host", s(*d)), ("http", http.clone())])),
        ),
    );
    Y::map([
        ("apiVersion", s("networking.k8s.io/v1")),
        ("kind", s("Ingress")),
        ("metadata", meta),
        ("spec", spec),
    ])
}
