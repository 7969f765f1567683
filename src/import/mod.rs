//! `futurestack import`: an existing docker-compose file → a spec. Pure: takes
//! the parsed compose document, returns spec text and what could not be mapped
//! (also written into the spec as `# TODO` comments). Secret values are never
//! copied: they become secret references.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value as J;

use crate::model::kinds;
use crate::spec::Kind;
use crate::validate::security::looks_secret;

mod settle;
mod values;

use values::{env_map, env_var, java_heap, kind_of, label, ports, secret_env, size, y};

/// The result of an import.
pub struct Imported {
    /// The spec, as YAML text.
    pub spec: String,
    /// What could not be mapped, one line each.
    pub notes: Vec<String>,
    /// What the user must decide before the spec validates (a service with
    /// no image): `import` then exits 1.
    pub decisions: Vec<String>,
}

/// `name`, or `name-2`, `name-3`, ... when it is taken; recorded as taken.
fn unique(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// A secret's role under `secrets:` from a variable's name: lowercase letters,
/// digits and `_` (the name comes from the compose file and becomes a key).
fn role_key(var: &str) -> String {
    var.chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect()
}

/// Service keys of a compose file the spec takes (`deploy` only its
/// `resources.limits`); every other key a service sets is named in a note.
const MAPPED: &[&str] = &[
    "deploy",
    "depends_on",
    "environment",
    "image",
    "networks",
    "ports",
    "restart",
    "volumes",
];

/// Top-level keys of a compose file the spec takes.
const MAPPED_TOP: &[&str] = &["name", "networks", "services", "version", "volumes"];

/// Turns a compose document into a spec that validates: a first pass, then,
/// when the rules refuse variables futurestack sets itself, a second one that
/// leaves them out (each named in a note).
pub fn import(compose: &J, stack: &str, source: &str) -> Imported {
    let first = render(compose, stack, source, &BTreeMap::new());
    let drop = settle::env_overrides(&first.spec);
    if drop.is_empty() {
        return first;
    }
    render(compose, stack, source, &drop)
}

/// One pass of [`import`]; `drop` holds the variables left out, by service.
fn render(
    compose: &J,
    stack: &str,
    source: &str,
    drop: &BTreeMap<String, BTreeSet<String>>,
) -> Imported {
    let mut notes: Vec<String> = Vec::new();
    let mut decisions: Vec<String> = Vec::new();
    let top: Vec<&str> = compose
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .map(String::as_str)
        .filter(|k| !MAPPED_TOP.contains(k) && !k.starts_with("x-"))
        .collect();
    if !top.is_empty() {
        notes.push(format!(
            "top level: not mapped: {}",
            crate::render::one_line(&top.join(", "))
        ));
    }
    let services_in = compose["services"].as_object().cloned().unwrap_or_default();
    // Service names as DNS labels, each its own (`a_b` and `a-b` would meet).
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for key in services_in.keys() {
        let base = label(key);
        let name = unique(&base, &mut taken);
        if name != base {
            notes.push(format!(
                "{name}: the compose service `{}` is named `{name}`: `{base}` is another service's name",
                crate::render::one_line(key)
            ));
        }
        names.insert(key.clone(), name);
    }
    // Container names and service names both resolve on compose networks.
    let mut aliases: BTreeMap<String, String> = names.clone().into_iter().collect();
    for (key, svc) in &services_in {
        if let Some(container) = svc["container_name"].as_str() {
            aliases.insert(container.to_owned(), names[key].clone());
        }
    }
    let mut secrets: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut body = String::new();
    let mut used_networks: BTreeSet<String> = BTreeSet::new();
    let mut any_default_network = false;

    for (key, svc) in &services_in {
        let name = &names[key];
        let mut todo: Vec<String> = Vec::new();
        let image = svc["image"].as_str().unwrap_or_default().to_owned();
        let kind = kind_of(&image);
        let info = kinds::info(kind);
        let _ = writeln!(body, "  {name}:");
        let _ = writeln!(body, "    kind: {}", kind.as_str());
        if image.is_empty() {
            todo.push("no image (built from source?): set `image:` to a pinned tag".to_owned());
            decisions.push(format!(
                "`{name}` has no `image`{}: futurestack deploys images, so set `image:` to the pinned tag your build pushes",
                if svc["build"].is_null() { "" } else { " (it is built from source)" }
            ));
        } else {
            let _ = writeln!(body, "    image: {}", y(&image));
            if crate::validate::security::image_pin(&image).is_err() {
                todo.push(format!("image `{image}` is not pinned: set a version tag"));
            }
        }

        // Environment: plain values stay; secrets become references; connection
        // variables of services it uses are set by futurestack from `uses`.
        let mut env = env_map(&svc["environment"]);
        let mut uses: BTreeSet<String> = BTreeSet::new();
        let depends: Vec<&str> = match &svc["depends_on"] {
            J::Array(items) => items.iter().filter_map(J::as_str).collect(),
            J::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for d in depends {
            // `${VAR:-db}` is the service `db` unless the variable says otherwise.
            match values::interpolation_default(d) {
                Some(name) => {
                    if name != d {
                        todo.push(format!(
                            "depends_on `{d}` became `{name}`, the variable's default"
                        ));
                    }
                    uses.insert(aliases.get(name).cloned().unwrap_or_else(|| label(name)));
                }
                None => todo.push(format!(
                    "depends_on `{d}` not mapped: the variable has no default; name the service in `uses`"
                )),
            }
        }
        let mut roles: BTreeMap<String, String> = BTreeMap::new();
        let mut fields: Vec<(String, String)> = Vec::new();
        let role_of = |k: Kind, var: &str| -> Option<&'static str> {
            match (k, var) {
                (Kind::Mysql, "MYSQL_ROOT_PASSWORD") => Some("root_password"),
                (Kind::Mysql, "MYSQL_PASSWORD") => Some("password"),
                (Kind::Postgres, "POSTGRES_PASSWORD") => Some("password"),
                (Kind::Redis, "REDIS_PASSWORD") => Some("password"),
                (Kind::Elasticsearch, "ELASTIC_PASSWORD") => Some("password"),
                (Kind::Neo4j, "NEO4J_AUTH") => Some("auth"),
                _ => None,
            }
        };
        for (var, value) in std::mem::take(&mut env) {
            let field = match (kind, var.as_str()) {
                (Kind::Mysql, "MYSQL_DATABASE") | (Kind::Postgres, "POSTGRES_DB") => {
                    Some("database")
                }
                (Kind::Mysql, "MYSQL_USER") | (Kind::Postgres, "POSTGRES_USER") => Some("user"),
                _ => None,
            };
            if let Some(field) = field {
                if value.contains("${") {
                    todo.push(format!(
                        "`{var}` is `{value}`, a compose variable: set `{field}:` to the name it stands for (the default applies)"
                    ));
                } else {
                    fields.push((field.to_owned(), value));
                }
                continue;
            }
            if kind == Kind::Elasticsearch && var == "ES_JAVA_OPTS" {
                match java_heap(&value) {
                    Some(heap) => {
                        todo.push(format!("`ES_JAVA_OPTS` became `heap: {heap}`"));
                        fields.push(("heap".to_owned(), heap));
                    }
                    None => todo.push(format!(
                        "dropped `ES_JAVA_OPTS` (`{value}`): futurestack sets it from `heap:`"
                    )),
                }
                continue;
            }
            if drop.get(name.as_str()).is_some_and(|d| d.contains(&var)) {
                todo.push(format!(
                    "dropped `{var}`: futurestack sets it itself (from `uses` or the kind's settings)"
                ));
                continue;
            }
            if kind == Kind::Elasticsearch && var == "discovery.type" {
                continue;
            }
            if kind == Kind::Elasticsearch && var == "xpack.security.enabled" {
                if value == "false" {
                    fields.push(("security".to_owned(), "false".to_owned()));
                }
                continue;
            }
            // MYSQL_HOST=future-mysql and friends: a connection futurestack derives.
            // A URL's host comes after its user and password (`u:p@db:5432`).
            let authority = value
                .split("://")
                .last()
                .unwrap_or(&value)
                .split('/')
                .next()
                .unwrap_or("");
            let (userinfo, hostport) = match authority.rsplit_once('@') {
                Some((user, host)) if value.contains("://") => (Some(user), host),
                _ => (None, authority),
            };
            let target = hostport.split(':').next().unwrap_or("");
            let connection =
                (var.ends_with("_HOST") || var.ends_with("_URL") || var.ends_with("_URI"))
                    && aliases.contains_key(target);
            // A secret-looking variable, then (unless it is a connection) a URL
            // with a password in it (`postgres://u:p@elsewhere/db`, or `${VAR}`
            // standing for one), which is a secret as a whole: never copied.
            let secret = if role_of(kind, &var).is_some()
                || (looks_secret(&var) && !value.is_empty())
            {
                let role = role_of(kind, &var)
                    .map(str::to_owned)
                    .unwrap_or_else(|| role_key(&var));
                Some((role, ""))
            } else if connection {
                uses.insert(aliases[target].clone());
                notes.push(format!("{name}: dropped `{var}` (futurestack sets connection variables from `uses: [{}]`)", aliases[target]));
                continue;
            } else if userinfo.is_some_and(|u| u.contains(':')) {
                Some((role_key(&var), " is a URL with a password: it"))
            } else {
                None
            };
            if let Some((role, what)) = secret {
                let secret = format!("{name}-{}", label(&role));
                let env_name = secret_env(stack, &secret);
                let described = if what.is_empty() {
                    ""
                } else {
                    ", a URL with a password"
                };
                secrets.insert(
                    secret.clone(),
                    (
                        env_name.clone(),
                        format!(
                            "`{var}` of `{name}`{described} (imported; the value was not copied)"
                        ),
                    ),
                );
                roles.insert(role.clone(), secret);
                if kind == Kind::App {
                    todo.push(format!(
                        "`{var}` is now a secret file: the app reads its path from `{}_FILE`",
                        env_var(&role)
                    ));
                }
                notes.push(format!(
                    "{name}: `{var}`{what} became secret `{name}-{}`; set {env_name} at deploy time",
                    label(&role)
                ));
                continue;
            }
            env.insert(var, value);
        }
        for (field, value) in &fields {
            let _ = writeln!(
                body,
                "    {field}: {}",
                if field == "security" {
                    value.clone()
                } else {
                    y(value)
                }
            );
        }
        for role in info.secret_roles {
            let disabled = kind == Kind::Elasticsearch
                && fields.iter().any(|(f, v)| f == "security" && v == "false");
            if !roles.contains_key(*role) && !disabled {
                let secret = format!("{name}-{}", label(role));
                let env_name = secret_env(stack, &secret);
                secrets.insert(
                    secret.clone(),
                    (
                        env_name,
                        format!("`{role}` of `{name}`: not set in the compose file"),
                    ),
                );
                roles.insert((*role).to_owned(), secret);
                todo.push(format!(
                    "the compose file sets no `{role}`: a new secret was declared for it"
                ));
            }
        }

        let mut port_lines = Vec::new();
        let mut port_names: BTreeSet<String> = BTreeSet::new();
        let mut app_port_named = false;
        let (mapped_ports, skipped_ports) = ports(&svc["ports"]);
        for raw in &skipped_ports {
            todo.push(format!(
                "port `{raw}` not mapped: a spec publishes single TCP ports, on a fixed host port, on 127.0.0.1 or every interface"
            ));
        }
        for (container, host, public) in mapped_ports {
            let port_name = info
                .ports
                .iter()
                .find(|(_, p)| *p == container)
                .map(|(n, _)| (*n).to_owned())
                .unwrap_or_else(|| {
                    if kind == Kind::App && !app_port_named {
                        app_port_named = true;
                        "http".to_owned()
                    } else {
                        format!("p{container}")
                    }
                });
            // Two entries for one container port get names of their own.
            let base = port_name;
            let port_name = unique(&base, &mut port_names);
            if port_name != base {
                todo.push(format!(
                    "port {container} is published twice: the second is named `{port_name}`"
                ));
            }
            let mut fields = vec![format!("container: {container}")];
            if let Some(h) = host {
                fields.push(format!("host: {h}"));
            }
            if public {
                if kind.is_data() {
                    todo.push(format!("port {container} was published on every interface; databases are bound to 127.0.0.1 now"));
                } else {
                    fields.push("public: true".to_owned());
                }
            }
            port_lines.push(format!("      {port_name}: {{{}}}", fields.join(", ")));
        }
        if !port_lines.is_empty() {
            let _ = writeln!(body, "    ports:");
            for l in port_lines {
                let _ = writeln!(body, "{l}");
            }
        }
        uses.remove(name);
        if !uses.is_empty() {
            let _ = writeln!(
                body,
                "    uses: [{}]",
                uses.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        match &svc["networks"] {
            J::Array(items) => {
                let list: Vec<String> = items.iter().filter_map(J::as_str).map(label).collect();
                used_networks.extend(list.iter().cloned());
                let _ = writeln!(body, "    networks: [{}]", list.join(", "));
            }
            J::Object(map) => {
                let list: Vec<String> = map.keys().map(|k| label(k)).collect();
                used_networks.extend(list.iter().cloned());
                let _ = writeln!(body, "    networks: [{}]", list.join(", "));
            }
            _ => any_default_network = true,
        }
        if !env.is_empty() {
            let _ = writeln!(body, "    env:");
            for (k, v) in &env {
                let _ = writeln!(body, "      {}: {}", y(k), y(v));
            }
        }
        if !roles.is_empty() {
            let _ = writeln!(body, "    secrets:");
            for (role, secret) in &roles {
                let _ = writeln!(body, "      {role}: {secret}");
            }
        }
        let mut volume_lines = Vec::new();
        for v in svc["volumes"].as_array().into_iter().flatten() {
            let (source, target) = match v {
                J::String(s) => {
                    let mut parts = s.split(':');
                    (
                        parts.next().unwrap_or_default().to_owned(),
                        parts.next().unwrap_or_default().to_owned(),
                    )
                }
                J::Object(o) => (
                    o.get("source")
                        .and_then(J::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    o.get("target")
                        .and_then(J::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ),
                _ => continue,
            };
            if source.starts_with('.') || source.starts_with('/') || source.starts_with('~') {
                todo.push(format!(
                    "bind mount `{source}:{target}` not mapped: futurestack uses named volumes"
                ));
            } else if Some(target.as_str()) == info.data_mount {
                volume_lines.push("      data: {}".to_owned());
            } else if !target.is_empty() {
                volume_lines.push(format!(
                    "      {}: {{mount: {}}}",
                    label(&source),
                    y(&target)
                ));
            }
        }
        if !volume_lines.is_empty() {
            let _ = writeln!(body, "    volumes:");
            for l in volume_lines {
                let _ = writeln!(body, "{l}");
            }
        }
        let limits = &svc["deploy"]["resources"]["limits"];
        let cpus = limits["cpus"]
            .as_f64()
            .or_else(|| limits["cpus"].as_str().and_then(|s| s.parse().ok()));
        let memory = size(&limits["memory"]);
        if cpus.is_some() || memory.is_some() {
            let mut parts = Vec::new();
            if let Some(c) = cpus {
                parts.push(format!("cpus: {c}"));
            }
            if let Some(m) = memory {
                parts.push(format!("memory: {m}"));
            }
            let _ = writeln!(body, "    resources: {{{}}}", parts.join(", "));
        }
        match svc["restart"].as_str() {
            // `unless-stopped` is the spec's default: not written.
            None | Some("unless-stopped") => {}
            Some(policy @ ("no" | "always" | "on-failure")) => {
                let _ = writeln!(body, "    restart: {policy}");
            }
            Some(other) => todo.push(format!(
                "not mapped: restart `{}` (a spec takes no, always, on-failure or unless-stopped, the default)",
                other.escape_debug()
            )),
        }
        let mut unmapped: Vec<String> = svc
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !MAPPED.contains(&k.as_str()) && !k.starts_with("x-"))
            .cloned()
            .collect();
        for (key, value) in svc["deploy"].as_object().into_iter().flatten() {
            match (key.as_str(), value) {
                ("resources", J::Object(res)) => unmapped.extend(
                    res.keys()
                        .filter(|k| *k != "limits")
                        .map(|k| format!("deploy.resources.{k}")),
                ),
                _ => unmapped.push(format!("deploy.{key}")),
            }
        }
        let unmapped: Vec<String> = unmapped
            .iter()
            .map(|k| crate::render::one_line(k))
            .collect();
        if !unmapped.is_empty() {
            todo.push(format!(
                "not mapped: {} (the kind's defaults apply; check they fit)",
                unmapped.join(", ")
            ));
        }
        for t in &todo {
            let _ = writeln!(body, "    # TODO: {}", crate::render::one_line(t));
            notes.push(format!("{name}: {t}"));
        }
        body.push('\n');
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../schema/futurestack.schema.json"
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# Imported by `futurestack import` from {}. Review every TODO,",
        crate::render::one_line(source)
    );
    let _ = writeln!(
        out,
        "# then run `futurestack validate`. Secret values were not copied."
    );
    let _ = writeln!(out, "stack: {}", label(stack));
    out.push_str(
        "\n# TODO: describe the machine the stack runs on.\nhost:\n  provider: alicloud\n  region: cn-hangzhou\n  instance_type: ecs.c7.2xlarge\n  vcpus: 8\n  memory: 16GiB\n  disk: 100GiB\n  bootstrap:\n    bundle_url: https://example-bucket.oss-cn-hangzhou.aliyuncs.com/bundles/imported.tar.gz\n",
    );
    out.push_str("\nnetworks:\n");
    let declared = compose["networks"].as_object().cloned().unwrap_or_default();
    let implicit_default = any_default_network || used_networks.is_empty();
    if implicit_default {
        out.push_str("  default:\n    default_for: [apps, data]\n");
    }
    // A service that names `default` joins the same network, written once.
    for network in used_networks
        .iter()
        .filter(|n| !(implicit_default && *n == "default"))
    {
        let def = declared
            .iter()
            .find(|(k, _)| label(k) == *network)
            .map(|(_, v)| v.clone())
            .unwrap_or(J::Null);
        let _ = writeln!(out, "  {network}:");
        let external = match &def["external"] {
            J::Bool(true) => Some(def["name"].as_str().unwrap_or(network).to_owned()),
            J::Object(o) => o
                .get("name")
                .and_then(J::as_str)
                .map(str::to_owned)
                .or(Some(network.clone())),
            _ => None,
        };
        match external {
            Some(name) => {
                let _ = writeln!(out, "    external: {}", y(&name));
            }
            None if def["internal"] == J::Bool(true) => out.push_str("    internal: true\n"),
            None => out.push_str("    internal: false\n"),
        }
    }
    if !secrets.is_empty() {
        out.push_str("\nsecrets:\n");
        for (name, (env, description)) in &secrets {
            let _ = writeln!(
                out,
                "  {name}:\n    description: {}\n    env: {env}",
                y(description)
            );
        }
    }
    out.push_str("\nservices:\n");
    out.push_str(&body);
    Imported {
        spec: crate::render::normalize_newlines(&out),
        notes,
        decisions,
    }
}
