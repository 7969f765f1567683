//! Names end up in host names, file paths and config directives: they must be DNS labels.

use super::Ctx;
use crate::error::Diagnostic;

/// Lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63.
pub fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// The nearest DNS label to `name` (`AI_Service 1` → `ai-service-1`).
pub fn to_dns_label(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-');
    let s: String = s.chars().take(63).collect();
    if s.is_empty() { "a-name".to_owned() } else { s }
}

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    if !is_dns_label(&spec.stack) {
        let d = Diagnostic::error(
            "FS110",
            format!("stack name `{}` is not a DNS label", spec.stack),
        )
        .at_opt(ctx.at(&["stack"]))
        .with_help(format!(
            "use lowercase letters, digits and `-`, for example `{}`",
            to_dns_label(&spec.stack)
        ));
        ctx.push(d);
    }
    let named: Vec<(&str, Vec<String>)> = vec![
        ("service", spec.services.keys().cloned().collect()),
        ("network", spec.networks.keys().cloned().collect()),
        ("group", spec.groups.keys().cloned().collect()),
        ("secret", spec.secrets.keys().cloned().collect()),
    ];
    for (what, names) in named {
        let section = match what {
            "service" => "services",
            "network" => "networks",
            "group" => "groups",
            _ => "secrets",
        };
        for name in names {
            if !is_dns_label(&name) {
                let d = Diagnostic::error("FS110", format!("{what} name `{}` is not a DNS label", name.escape_debug()))
                    .at_opt(ctx.key(&[section, &name]))
                    .with_help(format!(
                        "names become host names, file names and config keys: use lowercase letters, digits and `-`, for example `{}`",
                        to_dns_label(&name)
                    ));
                ctx.push(d);
            }
        }
    }
    for (service, s) in &spec.services {
        for name in s.volumes.keys().chain(s.ports.keys()) {
            if !is_dns_label(name) {
                let section = if s.volumes.contains_key(name) {
                    "volumes"
                } else {
                    "ports"
                };
                let d = Diagnostic::error(
                    "FS110",
                    format!(
                        "name `{}` in `services.{service}.{section}` is not a DNS label",
                        name.escape_debug()
                    ),
                )
                .at_opt(ctx.key(&["services", service, section, name]))
                .with_help(format!(
                    "use lowercase letters, digits and `-`, for example `{}`",
                    to_dns_label(name)
                ));
                ctx.push(d);
            }
        }
        for key in s.env.keys() {
            let valid = key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if !valid {
                let d = Diagnostic::error(
                    "FS110",
                    format!(
                        "environment variable name `{}` is not valid",
                        key.escape_debug()
                    ),
                )
                .at_opt(ctx.key(&["services", service, "env", key]))
                .with_help("use letters, digits, `_` and `.`, starting with a letter or `_`");
                ctx.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("ai-recommend"));
        assert!(is_dns_label("a1"));
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a_b",
            "a.b",
            "a/b",
            "../x",
            &"a".repeat(64),
        ] {
            assert!(!is_dns_label(bad), "{bad}");
        }
        assert_eq!(to_dns_label("AI_Service 1"), "ai-service-1");
    }
}
