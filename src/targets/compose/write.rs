//! `docker-compose.yml` written straight into its buffer: the embedded
//! template `templates/compose/docker-compose.yml.j2`, line for line, without
//! the template engine between the view and the text (the file grows with
//! every service, and the engine was a fifth of a large run).
//!
//! The template stays what users start an override from; with an override
//! the template renders instead. Every value goes through the escaping the
//! template's gets ([`render::compose_yaml`], what [`render::escape`] does
//! for compose YAML), and a test holds the two to the same bytes on every
//! golden case.

use std::fmt::Write as _;

use minijinja::Value;

use super::{ServiceView, View};
use crate::render;

/// `value` as the template writes `{{ value }}`.
fn put(out: &mut String, value: &Value) {
    out.push_str(&render::compose_yaml(value));
}

fn text(out: &mut String, value: &str) {
    put(out, &Value::from(value));
}

/// The value when the template's `{% if value %}` holds (minijinja's
/// truthiness: `None` and the empty string are false).
fn filled(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// The file's text before its banner.
pub(super) fn docker_compose(view: &View<'_>) -> String {
    let mut out = String::with_capacity(1024 + view.services.len() * 1024);
    out.push_str("name: ");
    text(&mut out, view.project);
    out.push_str("\n\nservices:\n");
    for (i, s) in view.services.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        service(&mut out, view, s);
    }
    out.push_str("\nnetworks:\n");
    for n in &view.networks {
        out.push_str("  ");
        text(&mut out, n.key);
        out.push_str(":\n");
        if let Some(description) = filled(n.description) {
            out.push_str("    # ");
            out.push_str(&render::one_line(description));
            out.push('\n');
        }
        if let Some(external) = filled(n.external) {
            out.push_str("    external: true\n    name: ");
            text(&mut out, external);
            out.push('\n');
        } else if n.internal {
            out.push_str("    internal: true\n");
        } else {
            out.push_str("    driver: bridge\n");
        }
        if let Some(bridge) = filled(n.bridge.as_deref()) {
            out.push_str("    driver_opts:\n      com.docker.network.bridge.name: ");
            text(&mut out, bridge);
            out.push('\n');
        }
    }
    if !view.volumes.is_empty() {
        out.push_str("\nvolumes:\n");
        for volume in &view.volumes {
            out.push_str("  ");
            text(&mut out, volume);
            out.push_str(": {}\n");
        }
    }
    if !view.secrets.is_empty() {
        out.push_str("\nsecrets:\n");
        for secret in &view.secrets {
            out.push_str("  ");
            text(&mut out, secret.name);
            out.push_str(":\n    environment: ");
            text(&mut out, secret.env);
            out.push('\n');
        }
    }
    out
}

/// A list of lines `<indent>- item`.
fn items<'a>(out: &mut String, indent: &str, list: impl IntoIterator<Item = &'a str>) {
    for item in list {
        out.push_str(indent);
        out.push_str("- ");
        text(out, item);
        out.push('\n');
    }
}

fn service(out: &mut String, view: &View<'_>, s: &ServiceView<'_>) {
    out.push_str("  ");
    text(out, s.name);
    out.push_str(":\n");
    if let Some(description) = filled(s.description) {
        out.push_str("    # ");
        out.push_str(&render::one_line(description));
        out.push('\n');
    }
    out.push_str("    image: ");
    text(out, s.image);
    out.push_str("\n    restart: ");
    text(out, s.restart);
    out.push('\n');
    if let Some(user) = filled(s.user) {
        out.push_str("    user: ");
        text(out, user);
        out.push('\n');
    }
    for (key, list) in [("entrypoint", s.entrypoint), ("command", s.command)] {
        if let Some(list) = list.filter(|l| !l.is_empty()) {
            let _ = write!(out, "    {key}: ");
            put(out, &Value::from(minijinja::value::Serde(list)));
            out.push('\n');
        }
    }
    if !s.env.is_empty() {
        out.push_str("    environment:\n");
        for (key, value) in &s.env {
            out.push_str("      ");
            text(out, key);
            out.push_str(": ");
            put(out, value);
            out.push('\n');
        }
    }
    if !s.ports.is_empty() {
        out.push_str("    ports:\n");
        items(out, "      ", s.ports.iter().map(String::as_str));
    }
    if !s.expose.is_empty() {
        out.push_str("    expose:\n");
        items(out, "      ", s.expose.iter().map(String::as_str));
    }
    out.push_str("    networks:\n");
    if s.aliased {
        for (network, aliases) in &s.networks {
            out.push_str("      ");
            text(out, network);
            if aliases.is_empty() {
                out.push_str(": {}\n");
            } else {
                out.push_str(":\n        aliases:\n");
                items(out, "          ", aliases.iter().copied());
            }
        }
    } else {
        items(out, "      ", s.networks.iter().map(|(n, _)| *n));
    }
    if !s.depends_on.is_empty() {
        out.push_str("    depends_on:\n");
        for (service, condition) in &s.depends_on {
            out.push_str("      ");
            text(out, service);
            out.push_str(":\n        condition: ");
            text(out, condition);
            out.push('\n');
        }
    }
    if !s.secrets.is_empty() {
        out.push_str("    secrets:\n");
        for (name, uid, gid, mode) in &s.secrets {
            out.push_str("      - source: ");
            text(out, name);
            out.push('\n');
            for (key, id) in [("uid", uid), ("gid", gid)] {
                if let Some(id) = id {
                    let _ = write!(out, "        {key}: ");
                    text(out, id);
                    out.push('\n');
                }
            }
            // `mode|safe`: an octal literal, written as it is.
            let _ = writeln!(out, "        mode: {mode}");
        }
    }
    if !s.volumes.is_empty() || !s.binds.is_empty() {
        out.push_str("    volumes:\n");
        for (volume, target) in &s.volumes {
            out.push_str("      - type: volume\n        source: ");
            text(out, volume);
            out.push_str("\n        target: ");
            text(out, target);
            out.push('\n');
        }
        for (source, target, read_only, create) in &s.binds {
            out.push_str("      - type: bind\n        source: ");
            text(out, source);
            out.push_str("\n        target: ");
            text(out, target);
            out.push('\n');
            if *read_only {
                out.push_str("        read_only: true\n");
            }
            let _ = writeln!(out, "        bind:\n          create_host_path: {create}");
        }
    }
    if s.confined {
        out.push_str("    security_opt:\n      - no-new-privileges:true\n    cap_drop: [ALL]\n");
        if !s.cap_add.is_empty() {
            out.push_str("    cap_add: ");
            put(out, &Value::from(minijinja::value::Serde(s.cap_add)));
            out.push('\n');
        }
    }
    if s.read_only {
        out.push_str("    read_only: true\n");
    }
    if !s.tmpfs.is_empty() {
        out.push_str("    tmpfs:\n");
        items(out, "      ", s.tmpfs.iter().map(String::as_str));
    }
    if let Some(h) = &s.healthcheck {
        out.push_str("    healthcheck:\n      test: ");
        put(out, &Value::from(minijinja::value::Serde(&h.test)));
        out.push_str("\n      interval: ");
        text(out, &h.interval);
        out.push_str("\n      timeout: ");
        text(out, &h.timeout);
        out.push_str("\n      retries: ");
        put(out, &Value::from(h.retries));
        out.push_str("\n      start_period: ");
        text(out, &h.start_period);
        out.push('\n');
    }
    out.push_str("    deploy:\n      resources:\n        limits:\n          cpus: ");
    text(out, &s.cpus);
    out.push_str("\n          memory: ");
    text(out, &s.memory);
    out.push('\n');
    if let Some(pids) = s.pids_limit.filter(|p| *p != 0) {
        out.push_str("          pids: ");
        put(out, &Value::from(pids));
        out.push('\n');
    }
    out.push_str("    labels:\n      ");
    text(out, view.log_label);
    out.push_str(": ");
    text(out, &s.logs.0);
    out.push('\n');
    if let Some(mounts) = filled(s.mounts.as_deref()) {
        out.push_str("      ");
        text(out, view.mounts_label);
        out.push_str(": ");
        text(out, mounts);
        out.push('\n');
    }
    out.push_str("    logging:\n      driver: json-file\n      options:\n        max-size: ");
    text(out, &s.logs.1);
    out.push_str("\n        max-file: ");
    text(out, &s.logs.2);
    out.push('\n');
}
