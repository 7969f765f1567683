//! Security rules: no secret values inline, pinned images, no database on a public
//! interface, no Elasticsearch without authentication on a published port.

use super::Ctx;
use crate::error::Diagnostic;
use crate::spec::{Kind, Tier};

/// Words in a variable name that suggest its value is a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// A URL with a password in it: `scheme://user:password@host`.
pub fn has_url_credentials(value: &str) -> bool {
    value
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .is_some_and(|authority| {
            authority
                .split_once('@')
                .is_some_and(|(userinfo, _)| userinfo.contains(':'))
        })
}

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    !upper.ends_with("_FILE") && SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// `repo:tag` or `repo@sha256:...`, with a tag that is not `latest`.
pub fn image_pin(image: &str) -> Result<(), &'static str> {
    if let Some((_, digest)) = image.split_once('@') {
        return if digest.starts_with("sha256:") && digest.len() == 71 {
            Ok(())
        } else {
            Err("has a malformed digest")
        };
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Err("has no tag, so it means `latest`"),
        Some((_, "latest")) => Err("uses the `latest` tag"),
        Some((_, "")) => Err("has an empty tag"),
        Some(_) => Ok(()),
    }
}

/// A tag naming only a major or minor version (`8.0`, `7-alpine`, `v2`): it
/// moves to every new patch release, so two deploys can run different bits.
pub fn floating_tag(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let Some((_, tag)) = last.split_once(':') else {
        return false;
    };
    let version = tag.trim_start_matches('v');
    let version = version.split(['-', '_']).next().unwrap_or(version);
    let parts: Vec<&str> = version.split('.').collect();
    // PostgreSQL numbers its releases `major.minor` since 10
    // (postgresql.org/support/versioning): `17.9` is a full pin there.
    let repo = image[..image.len() - tag.len() - 1]
        .rsplit('/')
        .next()
        .unwrap_or("");
    let full = if repo == "postgres" && parts[0].parse::<u32>().is_ok_and(|m| m >= 10) {
        2
    } else {
        3
    };
    version.starts_with(|c: char| c.is_ascii_digit())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts.len() < full
}

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    for (name, s) in &spec.services {
        for (key, value) in &s.env {
            if has_url_credentials(&value.0) {
                let at = ctx.at(&["services", name, "env", key]);
                ctx.push(
                    Diagnostic::error("FS108", format!("`{key}` of `{name}` is a URL with a password in it"))
                        .at_opt(at)
                        .with_help("secret values never go in a spec: pass the password as a secret (mounted as a file) and build the URL in the app, or use `uses:` for a service futurestack knows"),
                );
            } else if looks_secret(key) && !value.0.is_empty() {
                let at = ctx.at(&["services", name, "env", key]);
                ctx.push(
                    Diagnostic::error("FS108", format!("`{key}` of `{name}` looks like a secret written inline"))
                        .at_opt(at)
                        .with_help(format!(
                            "secret values never go in a spec: declare a secret (`secrets: {{<name>: {{env: <VARIABLE>}}}}`) and give it to `{name}` under its `secrets:`; it is mounted as a file and announced as `{key}_FILE`"
                        )),
                );
            }
        }
        if let Some(image) = &s.image {
            if let Err(why) = image_pin(image) {
                let at = ctx.at(&["services", name, "image"]);
                let message = format!("image `{image}` of `{name}` {why}");
                let help = "pin a version (`repository:1.2.3`) or a digest (`repository@sha256:...`) so every deploy runs the same bits";
                let diag = if spec.tier == Tier::Production {
                    Diagnostic::error("FS109", message)
                } else {
                    Diagnostic::warning("FS109", format!("{message} (an error in production)"))
                };
                ctx.push(diag.at_opt(at).with_help(help));
            } else if s.kind != crate::spec::Kind::External && floating_tag(image) {
                let at = ctx.at(&["services", name, "image"]);
                ctx.push(
                    Diagnostic::warning("FS109", format!("image `{image}` of `{name}` names only a major or minor version"))
                        .at_opt(at)
                        .with_help("the tag moves with every patch release, so two deploys can run different bits: pin the full version (`8.0.40`) or a digest"),
                );
            }
        }
        if s.kind.is_data() {
            for (port_name, port) in &s.ports {
                if port.public && port.host.is_some() {
                    let at = ctx.at(&["services", name, "ports", port_name, "public"]);
                    ctx.push(
                        Diagnostic::error("FS115", format!("{} service `{name}` is published on all interfaces", s.kind.as_str()))
                            .at_opt(at)
                            .with_help("databases, caches and search engines must not face the internet: remove `public: true` (it is then bound to 127.0.0.1) or remove `host`"),
                    );
                }
            }
        }
    }
    check_digests(ctx);
    for service in &ctx.stack.services {
        if service.kind == Kind::Elasticsearch && !service.security {
            if let Some(port) = service.ports.iter().find(|p| p.host.is_some()) {
                let at = ctx.at(&["services", &service.name, "security"]);
                ctx.push(
                    Diagnostic::error("FS116", format!("elasticsearch `{}` has security disabled but publishes host port {}", service.name, port.host.unwrap_or_default()))
                        .at_opt(at)
                        .with_help("anyone who reaches the port can read and delete every index: enable `security` (the default), or remove `host` from its ports"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert!(image_pin("mysql:8.0.40").is_ok());
        assert!(image_pin("registry.example.com:5000/future/ai:1.2.0").is_ok());
        assert!(image_pin(&format!("redis@sha256:{}", "a".repeat(64))).is_ok());
        assert!(image_pin("mysql").is_err());
        assert!(image_pin("registry.example.com:5000/future/ai").is_err());
        assert!(image_pin("mysql:latest").is_err());
        assert!(
            !floating_tag("postgres:17.9")
                && floating_tag("postgres:17")
                && floating_tag("postgres:9.6")
        );
        for floating in ["mysql:8.0", "redis:7-alpine", "x/y:v2", "a:1.2-slim"] {
            assert!(floating_tag(floating), "{floating}");
        }
        for pinned in [
            "mysql:8.0.40",
            "redis:7.4.2-alpine",
            "prom/x:v0.28.0",
            "a:stable",
            "a@sha256:x",
        ] {
            assert!(!floating_tag(pinned), "{pinned}");
        }
        assert!(image_pin("redis@sha256:abc").is_err());
    }

    #[test]
    fn url_credentials() {
        assert!(has_url_credentials("mysql://root:hunter2@db:3306/x"));
        assert!(!has_url_credentials("http://user@host/"));
        assert!(!has_url_credentials("https://example.com/a:b@c"));
        assert!(!has_url_credentials("plain"));
    }

    #[test]
    fn secret_names() {
        assert!(looks_secret("MYSQL_PASSWORD"));
        assert!(looks_secret("jwt_secret"));
        assert!(!looks_secret("MYSQL_PASSWORD_FILE"));
        assert!(!looks_secret("LOG_LEVEL"));
    }
}

/// FS178: in production, each image of the spec's services (written or the
/// kind's default) pinned by a digest, or the spec says why not
/// (`accept_unpinned_images`). Images futurestack adds (monitoring, nginx,
/// jobs) are its own choice, pinned by full version in `model::kinds`.
fn check_digests(ctx: &mut Ctx) {
    let spec = ctx.spec;
    if spec.tier != Tier::Production || spec.accept_unpinned_images.is_some() {
        return;
    }
    for service in ctx
        .stack
        .services
        .iter()
        .filter(|s| !s.external && !s.generated && s.managed.is_none())
    {
        let Some(image) = service.image.as_deref() else {
            continue;
        };
        let written = spec
            .services
            .get(&service.name)
            .and_then(|s| s.image.as_deref());
        if image.contains('@') || written.is_some_and(|w| image_pin(w).is_err()) {
            continue;
        }
        let at = match written {
            Some(_) => ctx.at(&["services", &service.name, "image"]),
            None => ctx.key(&["services", &service.name]),
        };
        let whose = if written.is_some() {
            ""
        } else {
            " (the kind's default)"
        };
        ctx.push(
            Diagnostic::warning("FS178", format!("image `{image}` of `{}`{whose} is pinned by tag only, in production", service.name))
                .at_opt(at)
                .with_help(format!("a tag can be moved to other bits in the registry: pin `{image}@sha256:<digest>` (`docker buildx imagetools inspect {image}` prints it), or say why in the top-level `accept_unpinned_images`")),
        );
    }
}
