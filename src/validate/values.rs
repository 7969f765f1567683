//! Values handed to other programs whole: an image reference to Docker, a user
//! or database name to MySQL's and PostgreSQL's entrypoints, a network name to
//! Docker, mail addresses and a smarthost to Alertmanager, annotation templates
//! to Prometheus. Each must be what that program accepts, or the deploy fails
//! late (or does something else); refused here, with the field's position.

use super::Ctx;
use crate::error::Diagnostic;
use crate::spec::Kind;

/// A Docker image reference: `[registry[:port]/]path[:tag][@sha256:hex]`,
/// following the grammar of distribution/reference (regexp.go, v2.8): path
/// components of lowercase letters and digits joined by `.`, `_`, `__` or `-`,
/// a tag of at most 128 word characters, `.` and `-`.
pub fn is_image_reference(image: &str) -> bool {
    if image.is_empty() || image.len() > 512 {
        return false;
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let Some(hex) = d.strip_prefix("sha256:") else {
            return false;
        };
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return false;
        }
    }
    // The tag follows the last `:` after the last `/` (a registry port comes before a `/`).
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
        None => (name, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.as_bytes()[0] != b'.'
            && tag.as_bytes()[0] != b'-'
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return false;
        }
    }
    let mut parts = path.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let is_registry = first
            && parts.peek().is_some()
            && (part.contains('.') || part.contains(':') || part == "localhost");
        first = false;
        let ok = if is_registry {
            let (host, port) = match part.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (part, None),
            };
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                && port.is_none_or(|p| {
                    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
                })
        } else {
            path_component(part)
        };
        if !ok {
            return false;
        }
    }
    true
}

fn path_component(part: &str) -> bool {
    let b = part.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    b.iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
        && !part.contains("..")
        && !part.contains("___")
}

/// A MySQL or PostgreSQL identifier the images' entrypoints put into SQL: a
/// letter or `_`, then letters, digits and `_`, at most 32 (MySQL's limit for
/// user names, MySQL 8.0 reference 6.2.3; PostgreSQL allows 63).
pub fn is_sql_identifier(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// A Docker object name: moby's `RestrictedNamePattern`
/// (`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, daemon/names/names.go), at most 255.
pub fn is_docker_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b.len() <= 255
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// A plain mail address (`local@domain`), without display names or comments.
pub fn is_mail_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
        && is_host_name(domain)
        && domain.contains('.')
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// `host:port`, as Alertmanager's `smarthost` wants it.
pub fn is_smarthost(value: &str) -> bool {
    let Some((host, port)) = value.rsplit_once(':') else {
        return false;
    };
    is_host_name(host) && port.parse::<u16>().is_ok_and(|p| p > 0)
}

/// A label or value reference of an alerting rule's template
/// (`$value`, `$labels.NAME`, `$externalLabels.NAME`, `.Value`, `.Labels.NAME`,
/// or the whole `$labels` map).
fn reference(w: &str) -> bool {
    let name_ok = |name: &str| {
        name.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    matches!(w, "$value" | ".Value" | "$labels" | ".Labels")
        || ["$labels.", "$externalLabels.", ".Labels."]
            .iter()
            .any(|p| w.strip_prefix(p).is_some_and(name_ok))
}

/// Functions of Prometheus's alert templates taking one value
/// (docs: configuration/template_reference).
const FUNCTIONS: &[&str] = &[
    "humanize",
    "humanize1024",
    "humanizePercentage",
    "humanizeDuration",
    "humanizeTimestamp",
    "toUpper",
    "toLower",
    "title",
];

/// `REF`, `FUNC REF`, `printf "FORMAT" REF`, each optionally piped through
/// `| FUNC`.
fn action_ok(action: &str) -> bool {
    let mut segments = action.split('|').map(str::trim);
    let first = segments.next().unwrap_or("");
    let head_ok = if let Some(rest) = first.strip_prefix("printf ") {
        let rest = rest.trim();
        rest.strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .is_some_and(|(format, tail)| {
                !format.contains(['\\', '{', '}']) && reference(tail.trim())
            })
    } else {
        match first.split_whitespace().collect::<Vec<_>>().as_slice() {
            [w] => reference(w),
            [f, w] => FUNCTIONS.contains(f) && reference(w),
            _ => false,
        }
    };
    head_ok && segments.all(|f| FUNCTIONS.contains(&f))
}

/// Template actions an alert's text may use: label and value references,
/// through the value functions and `printf` (see [`action_ok`]). Anything else
/// could fail Prometheus's rule loading, which would then stop with every rule
/// unloaded.
pub fn template_problem(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Some("has `{{` without `}}`".to_owned());
        };
        let action = after[..close]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let ok = action_ok(action);
        if !ok {
            return Some(format!("uses the template action `{{{{ {action} }}}}`"));
        }
        rest = &after[close + 2..];
    }
    if rest.contains("}}") {
        return Some("has `}}` without `{{`".to_owned());
    }
    None
}

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    for (name, s) in &spec.services {
        if let Some(image) = &s.image {
            if !is_image_reference(image) {
                let d = Diagnostic::error("FS170", format!("image `{}` of `{name}` is not an image reference", image.escape_debug()))
                    .at_opt(ctx.at(&["services", name, "image"]))
                    .with_help("write `registry/path:tag` or `path@sha256:<digest>`: lowercase path components, a tag of letters, digits, `_`, `.` and `-`");
                ctx.push(d);
            }
        }
        if matches!(s.kind, Kind::Mysql | Kind::Postgres) {
            for (field, value) in [("user", &s.user), ("database", &s.database)] {
                if let Some(value) = value.as_deref().filter(|v| !is_sql_identifier(v)) {
                    let d = Diagnostic::error("FS171", format!("`{field}` `{}` of `{name}` is not a plain SQL name", value.escape_debug()))
                        .at_opt(ctx.at(&["services", name, field]))
                        .with_help("use letters, digits and `_`, starting with a letter or `_`, at most 32: the image's entrypoint puts it into SQL");
                    ctx.push(d);
                }
            }
        }
    }
    for (name, n) in &spec.networks {
        if let Some(external) = n.external.as_deref().filter(|e| !is_docker_name(e)) {
            let d = Diagnostic::error(
                "FS172",
                format!(
                    "external network `{}` of `{name}` is not a Docker network name",
                    external.escape_debug()
                ),
            )
            .at_opt(ctx.at(&["networks", name, "external"]))
            .with_help(
                "write the name `docker network ls` shows: letters, digits, `_`, `.` and `-`",
            );
            ctx.push(d);
        }
    }
    let Some(monitoring) = &spec.monitoring else {
        return;
    };
    for (name, r) in &monitoring.receivers {
        let addresses = [("to", &r.to), ("from", &r.from)];
        for (field, value) in addresses {
            let Some(value) = value else { continue };
            let all_ok = value.split(',').map(str::trim).all(is_mail_address);
            if !all_ok {
                let d = Diagnostic::error(
                    "FS173",
                    format!(
                        "`{field}` of receiver `{name}` is not a plain mail address: `{}`",
                        value.escape_debug()
                    ),
                )
                .at_opt(ctx.at(&["monitoring", "receivers", name, field]))
                .with_help(
                    "write `name@example.com` (several: separated by `, `), without display names",
                );
                ctx.push(d);
            }
        }
        if let Some(host) = r.smarthost.as_deref().filter(|h| !is_smarthost(h)) {
            let d = Diagnostic::error(
                "FS173",
                format!(
                    "smarthost `{}` of receiver `{name}` is not `host:port`",
                    host.escape_debug()
                ),
            )
            .at_opt(ctx.at(&["monitoring", "receivers", name, "smarthost"]))
            .with_help(
                "write `smtp.example.com:465` (implicit TLS) or `smtp.example.com:587` (STARTTLS)",
            );
            ctx.push(d);
        }
    }
    for (alert, rule) in &monitoring.rules {
        let texts = [
            ("summary", Some(&rule.summary)),
            ("description", rule.description.as_ref()),
        ];
        for (field, text) in texts {
            if let Some(problem) = text.and_then(|t| template_problem(t)) {
                let d = Diagnostic::error("FS174", format!("the {field} of alert `{alert}` {}", problem.escape_debug()))
                    .at_opt(ctx.at(&["monitoring", "rules", alert, field]))
                    .with_help("inside `{{ }}` use `$labels.NAME`, `$externalLabels.NAME` or `$value`, optionally after `humanize`, `humanizePercentage` or `humanizeDuration`");
                ctx.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for good in [
            "mysql:8.0.40",
            "registry.cn-hangzhou.aliyuncs.com/future/ai-nlp:1.0.0",
            "localhost:5000/a/b:v1",
            "nginx/nginx-prometheus-exporter:1.3.0",
            "a_b/c__d/e-f:tag",
            &format!("redis@sha256:{}", "a".repeat(64)),
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "",
            "Upper/case:1",
            "a:`id`",
            "a:b c",
            "a b",
            "a:1\nx",
            "a@sha256:zz",
            "a//b:1",
            "-a:1",
            "a:.1",
            "a/b:$(id)",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }

    #[test]
    fn names_addresses_and_templates() {
        assert!(
            is_sql_identifier("future_user")
                && !is_sql_identifier("a'b")
                && !is_sql_identifier("1a")
        );
        assert!(
            is_docker_name("production_production-network")
                && !is_docker_name("a b")
                && !is_docker_name("x")
        );
        assert!(
            is_mail_address("ops@future.example.com")
                && !is_mail_address("a@b\r\nX: 1")
                && !is_mail_address("Ops <o@x.com>")
        );
        assert!(
            is_smarthost("smtp.example.com:465")
                && !is_smarthost("smtp.example.com")
                && !is_smarthost("a b:25")
        );
        assert_eq!(
            template_problem("{{ $labels.service }} is at {{ humanizePercentage $value }}"),
            None
        );
        assert!(template_problem("{{FSPWN}}").is_some());
        for good in [
            "{{ $value | humanize }}",
            "{{ printf \"%.2f\" $value }}",
            "{{ .Labels.instance }} at {{ .Value | humanizePercentage }}",
            "{{ $labels }}",
            "{{ humanizeDuration $value | toUpper }}",
        ] {
            assert_eq!(template_problem(good), None, "{good}");
        }
        for bad in [
            "{{ $value | js }}",
            "{{ printf \"%s\" (query \"up\") }}",
            "{{ template \"x\" }}",
        ] {
            assert!(template_problem(bad).is_some(), "{bad}");
        }
        assert!(template_problem("{{ $labels.x").is_some());
        assert!(template_problem("a }} b").is_some());
    }
}
