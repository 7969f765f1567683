//! Rules for what only apps set: the health check (one way, plain paths, a
//! tool that can do it) and the command and entrypoint.

use super::Ctx;
use super::edge::route_path_ok;
use crate::error::Diagnostic;
use crate::model::kinds;
use crate::spec::{HealthTool, Kind};

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    for (name, s) in spec.services.iter().filter(|(_, s)| s.kind == Kind::App) {
        let base = ["services", name.as_str()];
        if let Some(path) = s.health_path.as_deref().filter(|p| !route_path_ok(p)) {
            let at = ctx.at(&[&base[..], &["health_path"]].concat());
            ctx.push(plain_path("health check", name, path).at_opt(at));
        }
        // The metrics path becomes a blocked path in nginx's regex locations and
        // a scrape path: plain characters only, so no regex or YAML syntax.
        if let Some(path) = s.metrics_path.as_deref().filter(|p| !route_path_ok(p)) {
            let at = ctx.at(&[&base[..], &["metrics_path"]].concat());
            ctx.push(plain_path("metrics", name, path).at_opt(at));
        }
        for (field, list) in [("command", &s.command), ("entrypoint", &s.entrypoint)] {
            if list
                .as_ref()
                .is_some_and(|l| l.first().is_none_or(|a| a.is_empty()))
            {
                let at = ctx.at(&[&base[..], &[field]].concat());
                ctx.push(
                    Diagnostic::error("FS124", format!("`{field}` of `{name}` names no program"))
                        .at_opt(at)
                        .with_help(format!("give the program and its arguments, for example `{field}: [celery, -A, app, worker]`, or remove `{field}`")),
                );
            }
        }
        let Some(h) = &s.healthcheck else { continue };
        let at = |ctx: &Ctx, field: &str| ctx.at(&[&base[..], &["healthcheck", field]].concat());
        let ways = [
            ("http", h.http.is_some()),
            ("tcp", h.tcp.is_some()),
            ("command", h.command.is_some()),
            ("disabled", h.disabled),
        ];
        let given: Vec<&str> = ways.iter().filter(|(_, on)| *on).map(|(w, _)| *w).collect();
        if given.len() != 1 {
            let at = ctx.key(&[&base[..], &["healthcheck"]].concat());
            let what = if given.is_empty() {
                "says no way to check".to_owned()
            } else {
                format!("gives {} ways at once", given.len())
            };
            ctx.push(
                Diagnostic::error("FS124", format!("the health check of `{name}` {what}"))
                    .at_opt(at)
                    .with_help("give exactly one of `http: /path`, `tcp: <port>`, `command: [...]` or `disabled: true`"),
            );
        }
        if s.health_path.is_some() {
            let at = ctx.key(&[&base[..], &["health_path"]].concat());
            ctx.push(
                Diagnostic::error(
                    "FS124",
                    format!("`{name}` sets both `health_path` and `healthcheck`"),
                )
                .at_opt(at)
                .with_help(
                    "move the path into `healthcheck: {http: <path>}` and remove `health_path`",
                ),
            );
        }
        if let Some(path) = h.http.as_deref().filter(|p| !route_path_ok(p)) {
            let at = at(ctx, "http");
            ctx.push(plain_path("health check", name, path).at_opt(at));
        }
        if let Some(port) = h.tcp {
            // Without `ports`, an app has the kind's usual `http` port.
            let usual =
                s.ports.is_empty() && kinds::info(Kind::App).ports.iter().any(|(_, p)| *p == port);
            if !usual && !s.ports.values().any(|p| p.container == Some(port)) {
                let at = at(ctx, "tcp");
                ctx.push(
                    Diagnostic::error(
                        "FS124",
                        format!("`{name}` is checked on port {port}, which it does not declare"),
                    )
                    .at_opt(at)
                    .with_help("check a `container` port from its `ports`, or declare the port"),
                );
            }
        }
        if let Some(tool) = h.tool {
            let wrong = if h.command.is_some() || h.disabled {
                Some("only `http` and `tcp` checks use a tool")
            } else if h.tcp.is_some() && tool != HealthTool::Python {
                Some("a `tcp` check runs with `python`")
            } else {
                None
            };
            if let Some(why) = wrong {
                let at = at(ctx, "tool");
                ctx.push(
                    Diagnostic::error(
                        "FS124",
                        format!(
                            "`tool: {}` does not fit the health check of `{name}`",
                            tool.as_str()
                        ),
                    )
                    .at_opt(at)
                    .with_help(format!(
                        "{why}: remove `tool`, or use `command: [...]` with what the image has"
                    )),
                );
            }
        }
        if h.command
            .as_ref()
            .is_some_and(|c| c.first().is_none_or(|a| a.is_empty()))
        {
            let at = at(ctx, "command");
            ctx.push(
                Diagnostic::error("FS124", format!("the health check command of `{name}` names no program"))
                    .at_opt(at)
                    .with_help("give the program and its arguments, for example `command: [celery, -A, app, inspect, ping]`"),
            );
        }
    }
}

fn plain_path(what: &str, name: &str, path: &str) -> Diagnostic {
    let into = if what == "metrics" {
        "nginx blocks it with a regex, and Prometheus scrapes it"
    } else {
        "the path is written into a shell command"
    };
    Diagnostic::error(
        "FS124",
        format!(
            "{what} path `{}` of `{name}` is not a plain path",
            path.escape_debug()
        ),
    )
    .with_help(format!(
        "use `/` then letters, digits and `._~-/`, for example `/health` ({into})"
    ))
}
