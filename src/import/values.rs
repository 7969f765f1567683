//! How import reads the values of a compose file: image → kind, names →
//! labels, sizes, environment lists, port entries, the JVM heap.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::render::yaml_scalar;
use crate::spec::Kind;

/// A published or exposed port: container, host, on every interface.
pub(super) type Port = (u16, Option<u16>, bool);

pub(super) fn y(s: &str) -> String {
    yaml_scalar(&minijinja::Value::from(s), false)
}

pub(super) fn kind_of(image: &str) -> Kind {
    let name = image
        .rsplit('/')
        .next()
        .unwrap_or(image)
        .split([':', '@'])
        .next()
        .unwrap_or("");
    match name {
        "mysql" | "mariadb" => Kind::Mysql,
        "postgres" | "postgis" => Kind::Postgres,
        "redis" | "valkey" => Kind::Redis,
        "elasticsearch" => Kind::Elasticsearch,
        "neo4j" => Kind::Neo4j,
        "weaviate" => Kind::Weaviate,
        _ => Kind::App,
    }
}

/// `future_ai-service 1` → `future-ai-service-1`.
pub(super) fn label(name: &str) -> String {
    crate::validate::naming::to_dns_label(name)
}

pub(super) fn env_var(s: &str) -> String {
    crate::model::env_name(s)
}

/// The variable holding a secret: `<STACK>_<SECRET>`, without repeating the
/// stack's name when the secret already starts with it.
pub(super) fn secret_env(stack: &str, secret: &str) -> String {
    let prefix = format!("{}-", label(stack));
    if secret.starts_with(&prefix) {
        env_var(secret)
    } else {
        format!("{}_{}", env_var(stack), env_var(secret))
    }
}

/// Compose's `512M`, `1g`, `1.5G` → a spec size.
pub(super) fn size(value: &J) -> Option<String> {
    let text = match value {
        J::String(s) => s.trim().to_ascii_lowercase(),
        J::Number(n) => return Some(format!("{}MiB", (n.as_f64()? / 1048576.0).ceil() as u64)),
        _ => return None,
    };
    let (num, factor) = if let Some(n) = text.strip_suffix("gb").or(text.strip_suffix('g')) {
        (n, 1024.0)
    } else if let Some(n) = text.strip_suffix("mb").or(text.strip_suffix('m')) {
        (n, 1.0)
    } else {
        return None;
    };
    let mib = (num.trim().parse::<f64>().ok()? * factor).round() as u64;
    Some(if mib % 1024 == 0 {
        format!("{}GiB", mib / 1024)
    } else {
        format!("{mib}MiB")
    })
}

pub(super) fn env_map(value: &J) -> BTreeMap<String, String> {
    match value {
        J::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map(str::to_owned).unwrap_or_else(|| {
                        if v.is_null() {
                            String::new()
                        } else {
                            v.to_string()
                        }
                    }),
                )
            })
            .collect(),
        J::Array(items) => items
            .iter()
            .filter_map(J::as_str)
            .map(|s| match s.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (s.to_owned(), String::new()),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Compose port entries → (container, host, public), and the entries a spec
/// cannot hold (udp, ranges, a host port from a variable), as written.
pub(super) fn ports(value: &J) -> (Vec<Port>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for item in value.as_array().into_iter().flatten() {
        match item {
            J::String(_) | J::Number(_) => {
                let raw = item
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| item.to_string());
                let (text, protocol) = raw.split_once('/').unwrap_or((raw.as_str(), "tcp"));
                let parts: Vec<&str> = text.rsplitn(3, ':').collect();
                let container = parts.first().and_then(|p| p.parse().ok());
                let host = parts.get(1).map(|p| p.parse::<u16>());
                let ip = parts.get(2).copied();
                match (container, host, public(ip)) {
                    (Some(c), None, _) if protocol == "tcp" && ip.is_none() => {
                        out.push((c, None, false))
                    }
                    (Some(c), Some(Ok(h)), Some(public)) if protocol == "tcp" => {
                        out.push((c, Some(h), public))
                    }
                    _ => skipped.push(crate::render::one_line(&raw)),
                }
            }
            J::Object(obj) => {
                let number = |key: &str| {
                    obj.get(key).and_then(|v| {
                        v.as_u64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    })
                };
                let container = number("target");
                let host = number("published");
                let ip = obj.get("host_ip").and_then(J::as_str);
                let tcp = obj
                    .get("protocol")
                    .and_then(J::as_str)
                    .is_none_or(|p| p == "tcp");
                let port = |n: Option<u64>| n.and_then(|n| u16::try_from(n).ok());
                let host_ok = obj.get("published").is_none() || port(host).is_some();
                match (port(container), public(ip)) {
                    (Some(c), Some(public)) if tcp && host_ok => {
                        out.push((c, port(host), port(host).is_some() && public))
                    }
                    _ => skipped.push(crate::render::one_line(&item.to_string())),
                }
            }
            _ => {}
        }
    }
    (out, skipped)
}

/// Whether a port bound to `ip` is published on every interface (`Some(true)`:
/// none given, `0.0.0.0`, `::`) or on loopback only (`Some(false)`); `None`
/// for one other address, which a spec cannot say.
fn public(ip: Option<&str>) -> Option<bool> {
    let ip = ip.map(|i| i.trim_start_matches('[').trim_end_matches(']'));
    match ip {
        None | Some("0.0.0.0" | "::" | "") => Some(true),
        Some("localhost" | "::1") => Some(false),
        Some(other) if other.starts_with("127.") => Some(false),
        Some(_) => None,
    }
}

/// A compose value that may be an interpolation: itself when it is none,
/// `db` for `${VAR:-db}` or `${VAR-db}`, `None` for a variable without a
/// default.
pub(super) fn interpolation_default(value: &str) -> Option<&str> {
    let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) else {
        return Some(value);
    };
    inner
        .split_once(":-")
        .or_else(|| inner.split_once('-'))
        .map(|(_, default)| default)
        .filter(|d| !d.is_empty() && !d.contains(['$', '{', '}']))
}

/// `-Xms512m -Xmx512m` → `512MiB`: the heap Elasticsearch's JVM gets.
pub(super) fn java_heap(options: &str) -> Option<String> {
    let max = options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("-Xmx"))?
        .to_ascii_lowercase();
    let (number, unit) = max.split_at(max.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok()?;
    match unit {
        "m" => Some(format!("{n}MiB")),
        "g" => Some(format!("{n}GiB")),
        _ => None,
    }
}
