//! Rules for the `monitoring` section: the Prometheus it relies on, receivers,
//! secrets, networks, rule names, and names the added services would take.

use super::{Ctx, list};
use crate::error::Diagnostic;
use crate::model::generated_names;
use crate::spec::{Kind, MonitoringMode, ReceiverKind};
use crate::suggest::did_you_mean;

/// FS141: the Watchdog's receiver exists, is a webhook, and gets alerted by an
/// Alertmanager of the stack's own.
fn check_watchdog(ctx: &mut Ctx) {
    let spec = ctx.spec;
    let Some(mon) = &spec.monitoring else { return };
    let Some(name) = &mon.watchdog else { return };
    let at = ctx.at(&["monitoring", "watchdog"]);
    let problem = match mon.receivers.get(name) {
        None => Some((
            format!("`monitoring.watchdog` names `{name}`, which is not a receiver"),
            "name a webhook receiver from `monitoring.receivers`".to_owned(),
        )),
        Some(r) if r.kind != ReceiverKind::Webhook => Some((
            format!("the Watchdog would mail `{name}` every minute"),
            "point `watchdog` at a webhook receiver (a dead man's switch URL)".to_owned(),
        )),
        Some(_) if mon.mode != MonitoringMode::Own => Some((
            "`monitoring.watchdog` needs the stack's own Alertmanager".to_owned(),
            "with `mode: existing`, set up the dead man's switch in the existing Alertmanager"
                .to_owned(),
        )),
        Some(_) => None,
    };
    if let Some((message, help)) = problem {
        ctx.push(
            Diagnostic::error("FS141", message)
                .at_opt(at)
                .with_help(help),
        );
    }
}

/// FS145: the monitoring containers need a network that is not internal to
/// reach each other and the outside (alerts); without one, every one of them
/// would join none.
fn check_monitoring_network(ctx: &mut Ctx) {
    let stack = ctx.stack;
    let lonely: Vec<&str> = stack
        .services
        .iter()
        .filter(|s| s.generated && s.kind.is_monitoring() && s.networks.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    // Listed networks that are all external: the monitoring containers would
    // share only the host's network, where they answer to `<project>-<name>`
    // alone, while they reach each other by their bare names.
    let listed = ctx
        .spec
        .monitoring
        .as_ref()
        .and_then(|m| m.networks.as_ref());
    if let Some(listed) = listed.filter(|l| !l.is_empty()) {
        let all_external = listed.iter().all(|n| {
            ctx.spec
                .networks
                .get(n)
                .is_some_and(|net| net.external.is_some())
        });
        if all_external {
            let at = ctx.at(&["monitoring", "networks"]);
            ctx.push(
                Diagnostic::error("FS145", "`monitoring.networks` lists only external networks")
                    .at_opt(at)
                    .with_help("add one of the stack's own networks: Prometheus, Alertmanager and Grafana reach each other there by name (futurestack joins external networks itself where a target needs it)"),
            );
        }
    }
    if lonely.is_empty() {
        return;
    }
    let at = ctx.key(&["monitoring"]);
    ctx.push(
        Diagnostic::error("FS145", format!("monitoring joins no network ({} would be on none)", lonely.join(", ")))
            .at_opt(at)
            .with_help("give a network that is not internal `default_for: [apps]`, or list networks under `monitoring.networks`"),
    );
}

pub fn check(ctx: &mut Ctx) {
    check_watchdog(ctx);
    check_monitoring_network(ctx);
    let spec = ctx.spec;
    for name in generated_names(spec) {
        if spec.services.contains_key(&name) {
            let at = ctx.key(&["services", &name]);
            ctx.push(
                Diagnostic::error(
                    "FS143",
                    format!("service name `{name}` is taken by a service futurestack adds"),
                )
                .at_opt(at)
                .with_help("futurestack adds a service of this name (for `edge` or `monitoring`): rename yours"),
            );
        }
    }
    let Some(mon) = &spec.monitoring else { return };

    match (mon.mode, &mon.prometheus) {
        (MonitoringMode::Existing, None) => {
            let at = ctx.at(&["monitoring", "mode"]);
            ctx.push(
                Diagnostic::error("FS140", "`monitoring.mode: existing` needs `monitoring.prometheus`")
                    .at_opt(at)
                    .with_help("name the `external` service that is the existing Prometheus, for example `prometheus: prometheus-prod`"),
            );
        }
        (MonitoringMode::Existing, Some(name)) => match spec.services.get(name) {
            Some(s) if s.kind == Kind::External => {}
            Some(s) => {
                let at = ctx.at(&["monitoring", "prometheus"]);
                ctx.push(
                    Diagnostic::error("FS140", format!("`monitoring.prometheus` names `{name}`, a {} service, not an external one", s.kind.as_str()))
                        .at_opt(at)
                        .with_help("name the `external` service of the Prometheus that already runs on the host"),
                );
            }
            None => {
                let at = ctx.at(&["monitoring", "prometheus"]);
                let help = match did_you_mean(name, spec.services.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        "declare the existing Prometheus as a service of kind `external`".to_owned()
                    }
                };
                ctx.push(
                    Diagnostic::error(
                        "FS140",
                        format!("`monitoring.prometheus` names `{name}`, which is not a service"),
                    )
                    .at_opt(at)
                    .with_help(help),
                );
            }
        },
        (MonitoringMode::Own, Some(_)) => {
            let at = ctx.key(&["monitoring", "prometheus"]);
            ctx.push(
                Diagnostic::error("FS140", "`monitoring.prometheus` only applies to `mode: existing`")
                    .at_opt(at)
                    .with_help("remove it, or set `mode: existing` to use that Prometheus instead of running one"),
            );
        }
        (MonitoringMode::Own, None) => {}
    }

    if let Some(networks) = &mon.networks {
        for (i, network) in networks.iter().enumerate() {
            if !spec.networks.contains_key(network) {
                let at = ctx.at(&["monitoring", "networks", &i.to_string()]);
                ctx.push(
                    Diagnostic::error(
                        "FS102",
                        format!("monitoring joins network `{network}`, which is not declared"),
                    )
                    .at_opt(at)
                    .with_help(format!("known networks: {}", list(spec.networks.keys()))),
                );
            }
        }
    }

    let mut secret_refs: Vec<(Vec<&str>, &String)> = Vec::new();
    if let Some(secret) = &mon.grafana.admin_password {
        secret_refs.push((vec!["monitoring", "grafana", "admin_password"], secret));
    }
    for (name, r) in &mon.receivers {
        for (field, value) in [
            ("token", &r.token),
            ("password", &r.password),
            ("sign", &r.sign),
        ] {
            if let Some(secret) = value {
                secret_refs.push((
                    vec!["monitoring", "receivers", name.as_str(), field],
                    secret,
                ));
            }
        }
    }
    for (path, secret) in secret_refs {
        if !spec.secrets.contains_key(secret) {
            let at = ctx.at(&path);
            ctx.push(
                Diagnostic::error(
                    "FS104",
                    format!(
                        "`{}` refers to secret `{secret}`, which is not declared",
                        path.join(".")
                    ),
                )
                .at_opt(at)
                .with_help(format!(
                    "declare it under the top-level `secrets:` as `{secret}: {{env: <VARIABLE>}}`"
                )),
            );
        }
    }
    // On ACK, Grafana is not run in the cluster.
    if mon.mode == MonitoringMode::Own
        && mon.grafana.admin_password.is_none()
        && !ctx.stack.on_kubernetes()
    {
        let at = ctx.key(&["monitoring"]);
        ctx.push(
            Diagnostic::error("FS105", "Grafana needs an admin password secret")
                .at_opt(at)
                .with_help("add `grafana: {admin_password: <secret>}` under `monitoring` (without it Grafana's admin password is `admin`)"),
        );
    }

    for (name, r) in &mon.receivers {
        let bridged = match r.kind {
            ReceiverKind::Dingtalk => Some("DingTalk"),
            ReceiverKind::Wecom => Some("WeCom"),
            _ => None,
        };
        if let Some(app) = bridged.filter(|_| mon.mode != MonitoringMode::Own) {
            let at = ctx.at(&["monitoring", "receivers", name, "kind"]);
            ctx.push(
                Diagnostic::error("FS141", format!("{app} receiver `{name}` needs the stack's own Alertmanager"))
                    .at_opt(at)
                    .with_help(format!("with `mode: existing`, send alerts to {app} from the existing Alertmanager, or use `mode: own`")),
            );
        }
        // Every receiver field and whether it is set; each kind needs some of
        // them and allows a few more, and the rest do not apply to it.
        let fields = [
            ("url", r.url.is_some()),
            ("token", r.token.is_some()),
            ("sign", r.sign.is_some()),
            ("to", r.to.is_some()),
            ("from", r.from.is_some()),
            ("smarthost", r.smarthost.is_some()),
            ("username", r.username.is_some()),
            ("password", r.password.is_some()),
        ];
        let (needs, allows): (&[&str], &[&str]) = match r.kind {
            ReceiverKind::Webhook => (&["url"], &["url", "token"]),
            ReceiverKind::Email => (
                &["to", "from", "smarthost"],
                &["to", "from", "smarthost", "username", "password"],
            ),
            ReceiverKind::Dingtalk => (&["token"], &["token", "sign"]),
            ReceiverKind::Wecom => (&["token"], &["token"]),
        };
        let needed = fields.iter().filter(|(f, _)| needs.contains(f));
        let foreign = fields.iter().filter(|(f, _)| !allows.contains(f));
        let kind = r.kind.as_str();
        for (field, present) in needed {
            if !present {
                let at = ctx.key(&["monitoring", "receivers", name]);
                ctx.push(
                    Diagnostic::error(
                        "FS141",
                        format!("{kind} receiver `{name}` has no `{field}`"),
                    )
                    .at_opt(at)
                    .with_help(format!("add `{field}:` to the receiver")),
                );
            }
        }
        for (field, present) in foreign {
            if *present {
                let at = ctx.key(&["monitoring", "receivers", name, field]);
                ctx.push(
                    Diagnostic::error(
                        "FS141",
                        format!("`{field}` does not apply to {kind} receiver `{name}`"),
                    )
                    .at_opt(at)
                    .with_help("remove it"),
                );
            }
        }
        if let Some(url) = &r.url {
            let lower = url.to_ascii_lowercase();
            let has_userinfo = lower
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .is_some_and(|authority| authority.contains('@'));
            let has_secret_query = [
                "token=",
                "access_token=",
                "key=",
                "secret=",
                "password=",
                "sign=",
            ]
            .iter()
            .any(|k| lower.contains(k));
            if has_userinfo || has_secret_query {
                let at = ctx.at(&["monitoring", "receivers", name, "url"]);
                ctx.push(
                    Diagnostic::error("FS142", format!("the URL of receiver `{name}` contains a credential"))
                        .at_opt(at)
                        .with_help("secret values never go in a spec: put the token in a secret and name it in `token:` (sent as a bearer token), or keep it in the bridge's own configuration"),
                );
            }
            let odd = url.chars().find(|c| c.is_control() || c.is_whitespace());
            if !(lower.starts_with("http://") || lower.starts_with("https://")) || odd.is_some() {
                let at = ctx.at(&["monitoring", "receivers", name, "url"]);
                let what = match odd {
                    Some(c) => format!("holds {}", c.escape_debug()),
                    None => "is not an http(s) URL".to_owned(),
                };
                ctx.push(
                    Diagnostic::error("FS141", format!("the URL of receiver `{name}` {what}"))
                        .at_opt(at)
                        .with_help("write it like `https://bridge.example.com/alerts`, with no spaces or control characters (percent-encode them)"),
                );
            }
        }
    }

    for alert in mon.rules.keys() {
        let valid = alert
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && alert.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let at = ctx.key(&["monitoring", "rules", alert]);
            ctx.push(
                Diagnostic::error("FS144", format!("alert name `{}` is not valid", alert.escape_debug()))
                    .at_opt(at)
                    .with_help("use letters, digits and `_`, starting with a letter, for example `QueueTooLong`"),
            );
        }
    }
    // The expressions Prometheus will evaluate, parsed now rather than by
    // promtool after generating (promql-parser, GreptimeTeam's PromQL grammar).
    for (alert, rule) in &mon.rules {
        if let Err(why) = promql_parser::parser::parse(&rule.expr) {
            let at = ctx.at(&["monitoring", "rules", alert, "expr"]);
            let why: String = why
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            ctx.push(
                Diagnostic::error("FS144", format!("the expression of alert `{alert}` is not PromQL: {why}"))
                    .at_opt(at)
                    .with_help("fix the expression; try it in Prometheus' expression browser, e.g. `sum by (service) (rate(http_requests_total[5m])) > 10`"),
            );
        }
    }
}
