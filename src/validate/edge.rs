//! Rules for `edge` and `routes`: values that end up in nginx directives must be
//! safe there (no `;`, braces, quotes, whitespace, `$`, `..`), routes must point
//! somewhere real, and in production only nginx faces the internet.

use std::collections::BTreeSet;

use super::{Ctx, list};
use crate::error::Diagnostic;
use crate::spec::{Kind, Tier};

/// `/`, then letters, digits and `._~-/`, with no `//` and no `.` or `..` segment.
pub fn route_path_ok(path: &str) -> bool {
    path.starts_with('/')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~-/".contains(c))
        && !path.contains("//")
        && !path.split('/').any(|seg| seg == "." || seg == "..")
}

/// A lowercase DNS name with at least two labels.
pub fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| crate::validate::naming::is_dns_label(l))
}

/// An absolute host path of safe characters.
pub fn host_path_ok(path: &str) -> bool {
    path.starts_with('/') && route_path_ok(path) && !path.ends_with('/')
}

fn shown(value: &str) -> String {
    value.escape_debug().to_string()
}

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    if spec.tier == Tier::Production {
        for service in &ctx.stack.services {
            if service.kind == Kind::Nginx || service.external {
                continue;
            }
            for port in service
                .ports
                .iter()
                .filter(|p| p.public && p.host.is_some())
            {
                let at = ctx.at(&["services", &service.name, "ports", &port.name, "public"]);
                ctx.push(
                    Diagnostic::error("FS156", format!("`{}` is published on all interfaces in production", service.name))
                        .at_opt(at)
                        .with_help("in production only nginx faces the internet: route to the service through `routes` and remove `public: true`"),
                );
            }
        }
    }

    let routed: Vec<(&String, &crate::spec::Service)> = spec
        .services
        .iter()
        .filter(|(_, s)| !s.routes.is_empty())
        .collect();
    let Some(edge) = &spec.edge else {
        for (name, _) in routed {
            let at = ctx.key(&["services", name, "routes"]);
            ctx.push(
                Diagnostic::error("FS153", format!("`{name}` has routes but the spec has no `edge`"))
                    .at_opt(at)
                    .with_help("add a top-level `edge:` (domains, TLS) so nginx serves the routes, or remove `routes`"),
            );
        }
        return;
    };

    let mut domains = BTreeSet::new();
    for (i, domain) in edge.domains.iter().enumerate() {
        let at = ctx.at(&["edge", "domains", &i.to_string()]);
        if !domain_ok(domain) {
            ctx.push(
                Diagnostic::error("FS151", format!("`{}` is not a valid domain name", shown(domain)))
                    .at_opt(at)
                    .with_help("use lowercase letters, digits, `-` and `.`, for example `api.future.example.com`"),
            );
        } else if !domains.insert(domain.as_str()) {
            ctx.push(
                Diagnostic::error("FS151", format!("domain `{domain}` is listed twice"))
                    .at_opt(at)
                    .with_help("remove the repeated entry"),
            );
        }
    }
    if edge.domains.is_empty() {
        let at = ctx.at(&["edge", "domains"]);
        ctx.push(
            Diagnostic::error("FS151", "`edge` serves no domain")
                .at_opt(at)
                .with_help("list at least one domain in `edge.domains`"),
        );
    }
    if let Some(tls) = &edge.tls {
        check_tls(ctx, tls);
    }
    if routed.is_empty() {
        let at = ctx.key(&["edge"]);
        ctx.push(
            Diagnostic::warning("FS153", "`edge` is set but no service has `routes`")
                .at_opt(at)
                .with_help("add `routes:` to the app services nginx should serve"),
        );
    }

    let mut seen = BTreeSet::new();
    for (service, s) in &routed {
        for (route_name, route) in &s.routes {
            let base = ["services", service.as_str(), "routes", route_name.as_str()];
            if !crate::validate::naming::is_dns_label(route_name) {
                let at = ctx.key(&base);
                ctx.push(
                    Diagnostic::error("FS110", format!("route name `{}` is not a DNS label", shown(route_name)))
                        .at_opt(at)
                        .with_help("route names become nginx zone names: use lowercase letters, digits and `-`"),
                );
            }
            let path_at = ctx.at(&[&base[..], &["path"]].concat());
            if !route_path_ok(&route.path) {
                ctx.push(
                    Diagnostic::error("FS150", format!("route path `{}` of `{service}` is not safe in nginx", shown(&route.path)))
                        .at_opt(path_at.clone())
                        .with_help("a path starts with `/` and has only letters, digits and `._~-/`, without `//` or `..` (`;`, braces, quotes, spaces and `$` would break out of the nginx directive)"),
                );
            } else if !route.exact && !route.path.ends_with('/') {
                ctx.push(
                    Diagnostic::error(
                        "FS150",
                        format!(
                            "prefix route path `{}` of `{service}` must end with `/`",
                            route.path
                        ),
                    )
                    .at_opt(path_at.clone())
                    .with_help(format!(
                        "write `{}/`, so `{}x` does not match too; or set `exact: true`",
                        route.path, route.path
                    )),
                );
            }
            if route.exact && route.strip_prefix {
                let at = ctx.at(&[&base[..], &["strip_prefix"]].concat());
                ctx.push(
                    Diagnostic::error(
                        "FS155",
                        format!(
                            "route `{route_name}` of `{service}` is exact and strips its prefix"
                        ),
                    )
                    .at_opt(at)
                    .with_help(
                        "stripping applies to prefix routes: remove `strip_prefix` or `exact`",
                    ),
                );
            }
            match &route.host {
                Some(host) if !edge.domains.contains(host) => {
                    let at = ctx.at(&[&base[..], &["host"]].concat());
                    ctx.push(
                        Diagnostic::error("FS151", format!("route `{route_name}` of `{service}` is for `{}`, which `edge.domains` does not list", shown(host)))
                            .at_opt(at)
                            .with_help(format!("domains: {}", list(&edge.domains))),
                    );
                }
                _ => {}
            }
            let hosts: Vec<&String> = match &route.host {
                Some(h) => vec![h],
                None => edge.domains.iter().collect(),
            };
            for host in hosts {
                if !seen.insert((host.clone(), route.path.clone(), route.exact)) {
                    ctx.push(
                        Diagnostic::error(
                            "FS154",
                            format!("path `{}` on `{host}` is routed twice", route.path),
                        )
                        .at_opt(path_at.clone())
                        .with_help(
                            "each path of a domain goes to one service: change one of the paths",
                        ),
                    );
                }
            }
        }
    }
}

/// An ACME account contact: `local@domain`, nothing a shell or URL would read.
pub fn email_ok(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
            && domain_ok(domain)
    })
}

/// An ACME directory: `https://host[:port]/path` of plain characters.
pub fn directory_ok(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.split_once(':').map_or(authority, |(h, port)| {
        if port.parse::<u16>().is_ok_and(|p| p > 0) && port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            ""
        }
    });
    (domain_ok(host) || host == "localhost")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~-/".contains(c))
}

/// FS152: a TLS source with what it needs, and nothing it would ignore.
fn check_tls(ctx: &mut Ctx, tls: &crate::spec::Tls) {
    use crate::spec::TlsSource;
    let source = match tls.source {
        TlsSource::Files => "files",
        TlsSource::SelfSigned => "self_signed",
        TlsSource::Acme => "acme",
    };
    let unused = |ctx: &mut Ctx, field: &str, value: bool, used_by: &str| {
        if value {
            let at = ctx.key(&["edge", "tls", field]);
            ctx.push(
                Diagnostic::error(
                    "FS152",
                    format!("`edge.tls.{field}` has no effect with `source: {source}`"),
                )
                .at_opt(at)
                .with_help(format!(
                    "remove `{field}`, or set `source: {used_by}`, which uses it"
                )),
            );
        }
    };
    if tls.source != TlsSource::Files {
        unused(ctx, "certificate", tls.certificate.is_some(), "files");
        unused(ctx, "key", tls.key.is_some(), "files");
    }
    if tls.source != TlsSource::Acme {
        unused(ctx, "email", tls.email.is_some(), "acme");
        unused(ctx, "directory", tls.directory.is_some(), "acme");
    }
    match tls.source {
        TlsSource::Files => {
            for (field, path) in [("certificate", &tls.certificate), ("key", &tls.key)] {
                match path {
                    Some(path) if !host_path_ok(path) => {
                        let at = ctx.at(&["edge", "tls", field]);
                        ctx.push(
                            Diagnostic::error("FS152", format!("TLS {field} path `{}` is not a plain absolute path", shown(path)))
                                .at_opt(at)
                                .with_help("use an absolute path of letters, digits and `._-/`, for example `/etc/ssl/future/fullchain.pem`"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        let at = ctx.key(&["edge", "tls"]);
                        ctx.push(
                            Diagnostic::error("FS152", format!("`edge.tls` takes its certificate from files on the host, but names no `{field}`"))
                                .at_opt(at)
                                .with_help(format!("add `{field}:` with the absolute path of the PEM file on the host, or set `source: acme` to get a certificate from Let's Encrypt")),
                        );
                    }
                }
            }
        }
        TlsSource::SelfSigned => {
            if ctx.spec.tier == Tier::Production {
                let at = ctx.at(&["edge", "tls", "source"]);
                ctx.push(
                    Diagnostic::error("FS152", "a self-signed certificate in production")
                        .at_opt(at)
                        .with_help(
                            "browsers refuse it: use `source: acme`, or `source: files` with a certificate from a CA",
                        ),
                );
            }
        }
        TlsSource::Acme => check_acme(ctx, tls),
    }
}

/// Where the CA fetches HTTP-01 challenges (RFC 8555, 8.3).
const ACME_PREFIX: &str = "/.well-known/acme-challenge/";

/// FS152: what HTTP-01 needs. The CA connects to port 80 of every domain
/// (RFC 8555, section 8.3), so nginx must listen there, on every interface.
fn check_acme(ctx: &mut Ctx, tls: &crate::spec::Tls) {
    let Some(edge) = &ctx.spec.edge else { return };
    if edge.http_port != 80 {
        let at = ctx.at(&["edge", "http_port"]);
        ctx.push(
            Diagnostic::error("FS152", format!("ACME's HTTP-01 challenge comes to port 80, but nginx listens on {} on the host", edge.http_port))
                .at_opt(at)
                .with_help("remove `http_port` (80 is the default), or use `source: files` with a certificate obtained elsewhere"),
        );
    }
    if !edge.public {
        let at = ctx.at(&["edge", "public"]);
        ctx.push(
            Diagnostic::error("FS152", "ACME's HTTP-01 challenge cannot reach nginx bound to 127.0.0.1")
                .at_opt(at)
                .with_help("remove `public: false`, or use `source: files` with a certificate obtained elsewhere"),
        );
    }
    // nginx's challenge location is `^~ /.well-known/acme-challenge/`; a route
    // there would be a duplicate location, or a longer prefix taking the challenges.
    let spec = ctx.spec;
    for (service, s) in &spec.services {
        for (name, route) in &s.routes {
            if route.path.starts_with(ACME_PREFIX) {
                let at = ctx.at(&["services", service, "routes", name, "path"]);
                ctx.push(
                    Diagnostic::error("FS152", format!("route `{name}` of `{service}` takes `{}`, where ACME's challenges must reach nginx's webroot", shown(&route.path)))
                        .at_opt(at)
                        .with_help(format!("move the route off `{ACME_PREFIX}`, or use `source: files`")),
                );
            }
        }
    }
    if let Some(email) = tls.email.as_deref().filter(|e| !email_ok(e)) {
        let at = ctx.at(&["edge", "tls", "email"]);
        ctx.push(
            Diagnostic::error("FS152", format!("`{}` is not a plain e-mail address", shown(email)))
                .at_opt(at)
                .with_help("use `name@example.com`: letters, digits and `._+-` before the `@`, a domain after it"),
        );
    }
    if let Some(url) = tls.directory.as_deref().filter(|u| !directory_ok(u)) {
        let at = ctx.at(&["edge", "tls", "directory"]);
        ctx.push(
            Diagnostic::error("FS152", format!("`{}` is not a plain https:// ACME directory URL", shown(url)))
                .at_opt(at)
                .with_help("use the CA's directory URL, for example `https://acme-staging-v02.api.letsencrypt.org/directory`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_and_domains_are_rejected() {
        for bad in [
            "api", "/a;b", "/a{", "/a}", "/\"x", "/a b", "/a\nb", "/$host", "/../etc", "/a//b",
            "/a/./b", "/a'",
        ] {
            assert!(!route_path_ok(bad), "{bad:?}");
        }
        for good in ["/", "/api/nlp/", "/ask", "/v1.2/x_y-z~"] {
            assert!(route_path_ok(good), "{good}");
        }
        for bad in [
            "localhost",
            "a..b",
            "-a.com",
            "A.com",
            "a.com;",
            "a.com/x",
            "*.a.com",
            "a.com ",
        ] {
            assert!(!domain_ok(bad), "{bad:?}");
        }
        assert!(domain_ok("future.example.com"));
        for bad in [
            "",
            "@a.com",
            "a@",
            "a b@c.com",
            "a@localhost",
            "'a'@b.com",
            "a@b.com\n",
            "$x@b.com",
        ] {
            assert!(!email_ok(bad), "{bad:?}");
        }
        assert!(email_ok("ops+future@example.com"));
        for bad in [
            "http://acme.example.com/directory",
            "https://",
            "https://a.com/dir?x=$(id)",
            "https://a.com:99999/d",
            "https://a.com/d'",
            "https://user@a.com/d",
        ] {
            assert!(!directory_ok(bad), "{bad:?}");
        }
        assert!(directory_ok(
            "https://acme-v02.api.letsencrypt.org/directory"
        ));
        assert!(directory_ok("https://localhost:14000/dir"));
    }
}
