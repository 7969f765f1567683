//! The monitoring target: Prometheus config, alert rules and their unit tests,
//! Alertmanager config, Grafana provisioning and the overview dashboard.

use serde::Serialize;
use serde_json::{Value as J, json};

use crate::error::Error;
use crate::model::monitoring::{Model, Rule};
use crate::model::probes;
use crate::model::{Stack, expand_labels};
use crate::render::{self, Files, Templates};
use crate::spec::{MonitoringMode, ReceiverKind};

mod dashboard;
pub use dashboard::dashboard_expressions;
use dashboard::dashboard_json;

#[derive(Serialize)]
struct View<'a> {
    own: bool,
    /// A WeCom receiver exists: the bridge's script is generated.
    wecom: bool,
    scrape_interval: String,
    evaluation_interval: String,
    jobs: Vec<JobView<'a>>,
    groups: Vec<GroupView<'a>>,
    tests: Vec<TestView>,
    receivers: Vec<ReceiverView<'a>>,
    routes: Vec<RouteView<'a>>,
    prometheus_url: String,
    targets_json: String,
    dashboard_json: String,
    tls_probe: Option<ProbeView<'a>>,
    stack: &'a str,
    environment: &'a str,
    watchdog: Option<&'a str>,
}

#[derive(Serialize)]
struct ProbeView<'a> {
    job: &'static str,
    module: &'static str,
    target: &'a str,
    server_name: &'a str,
    exporter: &'a str,
}

#[derive(Serialize)]
struct JobView<'a> {
    job: &'a str,
    service: &'a str,
    kind: &'a str,
    address: &'a str,
    metrics_path: &'a str,
}

#[derive(Serialize)]
struct GroupView<'a> {
    name: &'a str,
    rules: Vec<RuleView<'a>>,
}

#[derive(Serialize)]
struct RuleView<'a> {
    alert: &'a str,
    expr: &'a str,
    for_: Option<String>,
    severity: &'static str,
    summary: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct TestView {
    name: String,
    eval_time: String,
    alert: String,
    series: Vec<(String, String)>,
    exp_labels: Vec<(String, String)>,
    exp_annotations: Vec<(String, String)>,
    firing: bool,
}

#[derive(Serialize)]
struct ReceiverView<'a> {
    name: &'a str,
    webhook: bool,
    email: bool,
    url: Option<&'a str>,
    token_file: Option<&'a str>,
    to: Option<&'a str>,
    from: Option<&'a str>,
    smarthost: Option<&'a str>,
    /// SMTPS (port 465): TLS from the start, no STARTTLS.
    implicit_tls: bool,
    username: Option<&'a str>,
    password_file: Option<&'a str>,
}

#[derive(Serialize)]
struct RouteView<'a> {
    receiver: &'a str,
    matcher: String,
}

pub fn render(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    dir: &str,
) -> Result<Files, Error> {
    let Some(model) = &stack.monitoring else {
        return Ok(Files::new());
    };
    let own = model.mode == MonitoringMode::Own;
    let view = View {
        stack: &stack.name,
        environment: &stack.env,
        watchdog: model.watchdog.as_deref(),
        tls_probe: model.tls_probe.as_ref().map(|p| ProbeView {
            job: probes::JOB,
            module: probes::MODULE,
            target: &p.target,
            server_name: &p.server_name,
            exporter: &p.exporter,
        }),
        own,
        wecom: model
            .receivers
            .iter()
            .any(|r| r.kind == ReceiverKind::Wecom),
        scrape_interval: model.scrape_interval.to_string(),
        evaluation_interval: model.evaluation_interval.to_string(),
        jobs: model
            .jobs
            .iter()
            .map(|j| JobView {
                job: &j.job,
                service: &j.service,
                kind: j.kind,
                address: &j.address,
                metrics_path: &j.metrics_path,
            })
            .collect(),
        groups: model
            .rule_files
            .iter()
            .map(|f| GroupView {
                name: &f.name,
                rules: f.rules.iter().map(rule_view).collect(),
            })
            .collect(),
        tests: tests(model),
        receivers: model
            .receivers
            .iter()
            .map(|r| ReceiverView {
                name: &r.name,
                webhook: r.kind != ReceiverKind::Email,
                email: r.kind == ReceiverKind::Email,
                url: r.url.as_deref(),
                token_file: r.token_file.as_deref(),
                to: r.to.as_deref(),
                from: r.from.as_deref(),
                smarthost: r.smarthost.as_deref(),
                implicit_tls: r.implicit_tls,
                username: r.username.as_deref(),
                password_file: r.password_file.as_deref(),
            })
            .collect(),
        // The dead man's switch gets the Watchdog only (its own route).
        routes: model
            .receivers
            .iter()
            .filter(|r| model.watchdog.as_deref() != Some(r.name.as_str()))
            .map(|r| {
                let severities: Vec<&str> = r.severities.iter().map(|s| s.as_str()).collect();
                RouteView {
                    receiver: &r.name,
                    matcher: format!("severity=~\"{}\"", severities.join("|")),
                }
            })
            .collect(),
        prometheus_url: format!("http://{}", model.prometheus_address),
        targets_json: if own {
            String::new()
        } else {
            targets_json(model)
        },
        dashboard_json: dashboard_json(stack, model),
    };
    render::render_target(templates, env, dir, stack, &view)
}

fn rule_view(r: &Rule) -> RuleView<'_> {
    RuleView {
        alert: &r.alert,
        expr: &r.expr,
        for_: r.for_.map(|d| d.to_string()),
        severity: r.severity.as_str(),
        summary: &r.summary,
        description: &r.description,
    }
}

/// Two promtool test cases per built-in rule: it fires on the synthetic failure,
/// and stays quiet on a healthy system.
fn tests(model: &Model) -> Vec<TestView> {
    let mut out = Vec::new();
    for file in &model.rule_files {
        for rule in &file.rules {
            let Some(test) = &rule.test else { continue };
            let mut all_labels = test.labels.clone();
            all_labels.insert("alertname".into(), rule.alert.clone());
            let annotations = vec![
                (
                    "description".to_owned(),
                    expand_labels(&rule.description, &all_labels),
                ),
                (
                    "summary".to_owned(),
                    expand_labels(&rule.summary, &all_labels),
                ),
            ];
            let eval_time = format!("{}m", test.eval_minutes);
            out.push(TestView {
                name: format!("{} fires", rule.alert),
                eval_time: eval_time.clone(),
                alert: rule.alert.clone(),
                series: test.firing.clone(),
                exp_labels: test
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                exp_annotations: annotations,
                firing: true,
            });
            // An alert that must always fire (the Watchdog) has no quiet case.
            if test.healthy.is_empty() {
                continue;
            }
            out.push(TestView {
                name: format!("{} stays quiet when healthy", rule.alert),
                eval_time,
                alert: rule.alert.clone(),
                series: test.healthy.clone(),
                exp_labels: Vec::new(),
                exp_annotations: Vec::new(),
                firing: false,
            });
        }
    }
    out
}

/// `file_sd` targets for an existing Prometheus: one group per job.
fn targets_json(model: &Model) -> String {
    let groups: Vec<J> = model
        .jobs
        .iter()
        .map(|j| {
            json!({
                "targets": [j.address],
                "labels": {"job": j.job, "service": j.service, "kind": j.kind, "__metrics_path__": j.metrics_path}
            })
        })
        .collect();
    serde_json::to_string_pretty(&J::Array(groups)).expect("json")
}
