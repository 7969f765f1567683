//! The monitoring target: Prometheus config, alert rules and their unit tests,
//! Alertmanager config, Grafana provisioning and the overview dashboard.

use serde::Serialize;
use serde_json::{Value as J, json};

use crate::error::Error;
use crate::model::monitoring::{Model, Rule};
use crate::model::probes;
use crate::model::{Stack, expand_labels};
use crate::render::{self, Files, Templates};
use crate::spec::{Kind, MonitoringMode, ReceiverKind};

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
                "labels": {"job": j.job, "service": j.service, "__metrics_path__": j.metrics_path}
            })
        })
        .collect();
    serde_json::to_string_pretty(&J::Array(groups)).expect("json")
}

/// The overview dashboard: availability, traffic, errors and latency per app,
/// one row per database, and host resources.
fn dashboard_json(stack: &Stack, model: &Model) -> String {
    let ds = json!({"type": "prometheus", "uid": "prometheus"});
    let mut panels: Vec<J> = Vec::new();
    let mut y = 0;
    let mut id = 1;
    let row = |title: &str, panels: &mut Vec<J>, y: &mut i64, id: &mut i64| {
        panels.push(json!({"type": "row", "title": title, "id": *id, "collapsed": false, "gridPos": {"h": 1, "w": 24, "x": 0, "y": *y}, "panels": []}));
        *id += 1;
        *y += 1;
    };
    let panel = |title: String,
                 kind: &str,
                 unit: &str,
                 exprs: Vec<(String, String)>,
                 x: i64,
                 w: i64,
                 y: i64,
                 id: &mut i64| {
        let targets: Vec<J> = exprs
            .into_iter()
            .enumerate()
            .map(|(i, (expr, legend))| json!({"datasource": ds, "expr": expr, "legendFormat": legend, "refId": ((b'A' + i as u8) as char).to_string()}))
            .collect();
        let p = json!({
            "type": kind, "title": title, "id": *id, "datasource": ds,
            "gridPos": {"h": 8, "w": w, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {},
            "targets": targets
        });
        *id += 1;
        p
    };
    let m = &model.app_metrics;
    for app in &model.apps {
        row(&format!("App {app}"), &mut panels, &mut y, &mut id);
        let sel = format!("service=\"{app}\"");
        panels.push(panel(
            "Up".into(),
            "stat",
            "none",
            vec![(format!("up{{{sel}}}"), "{{instance}}".into())],
            0,
            4,
            y,
            &mut id,
        ));
        panels.push(panel(
            "Requests per second".into(),
            "timeseries",
            "reqps",
            vec![(
                format!("sum(rate({}{{{sel}}}[5m]))", m.requests),
                app.clone(),
            )],
            4,
            7,
            y,
            &mut id,
        ));
        panels.push(panel(
            "5xx ratio".into(),
            "timeseries",
            "percentunit",
            vec![(
                format!(
                    "sum(rate({req}{{{sel},{st}=~\"5..\"}}[5m])) / sum(rate({req}{{{sel}}}[5m]))",
                    req = m.requests,
                    st = m.status_label
                ),
                app.clone(),
            )],
            11,
            6,
            y,
            &mut id,
        ));
        panels.push(panel(
            "Latency p95".into(),
            "timeseries",
            "s",
            vec![(
                format!(
                    "histogram_quantile(0.95, sum by (le) (rate({}_bucket{{{sel}}}[5m])))",
                    m.latency
                ),
                app.clone(),
            )],
            17,
            7,
            y,
            &mut id,
        ));
        y += 8;
    }
    for (db, kind) in &model.databases {
        row(
            &format!("{} {db}", kind.as_str()),
            &mut panels,
            &mut y,
            &mut id,
        );
        let sel = format!("service=\"{db}\"");
        let (up, extra): (String, Vec<(String, String, String)>) = match kind {
            Kind::Mysql => (
                format!("mysql_up{{{sel}}}"),
                vec![
                    (
                        "Connections".into(),
                        "none".into(),
                        format!("mysql_global_status_threads_connected{{{sel}}}"),
                    ),
                    (
                        "Queries per second".into(),
                        "ops".into(),
                        format!("rate(mysql_global_status_queries{{{sel}}}[5m])"),
                    ),
                ],
            ),
            Kind::Postgres => (
                format!("pg_up{{{sel}}}"),
                vec![
                    (
                        "Connections".into(),
                        "none".into(),
                        format!("sum(pg_stat_database_numbackends{{{sel}}})"),
                    ),
                    (
                        "Transactions per second".into(),
                        "ops".into(),
                        format!("sum(rate(pg_stat_database_xact_commit{{{sel}}}[5m]))"),
                    ),
                ],
            ),
            Kind::Redis => (
                format!("redis_up{{{sel}}}"),
                vec![
                    (
                        "Memory used".into(),
                        "bytes".into(),
                        format!("redis_memory_used_bytes{{{sel}}}"),
                    ),
                    (
                        "Commands per second".into(),
                        "ops".into(),
                        format!("rate(redis_commands_processed_total{{{sel}}}[5m])"),
                    ),
                ],
            ),
            Kind::Elasticsearch => (
                format!("elasticsearch_cluster_health_up{{{sel}}}"),
                vec![
                    (
                        "Cluster status (0 green, 1 yellow, 2 red)".into(),
                        "none".into(),
                        format!(
                            "max(elasticsearch_cluster_health_status{{{sel},color=\"yellow\"}}) + 2 * max(elasticsearch_cluster_health_status{{{sel},color=\"red\"}})"
                        ),
                    ),
                    (
                        "JVM heap used".into(),
                        "bytes".into(),
                        format!("sum(elasticsearch_jvm_memory_used_bytes{{{sel},area=\"heap\"}})"),
                    ),
                ],
            ),
            Kind::Nginx => (
                format!("nginx_up{{{sel}}}"),
                vec![
                    (
                        "Requests per second".into(),
                        "reqps".into(),
                        format!("rate(nginx_http_requests_total{{{sel}}}[5m])"),
                    ),
                    (
                        "Active connections".into(),
                        "none".into(),
                        format!("nginx_connections_active{{{sel}}}"),
                    ),
                ],
            ),
            _ => (format!("up{{{sel}}}"), vec![]),
        };
        panels.push(panel(
            "Up".into(),
            "stat",
            "none",
            vec![(up, db.clone())],
            0,
            4,
            y,
            &mut id,
        ));
        let mut x = 4;
        for (title, unit, expr) in extra {
            panels.push(panel(
                title,
                "timeseries",
                &unit,
                vec![(expr, db.clone())],
                x,
                10,
                y,
                &mut id,
            ));
            x += 10;
        }
        y += 8;
    }
    row("Host", &mut panels, &mut y, &mut id);
    panels.push(panel(
        "CPU used".into(),
        "timeseries",
        "percent",
        vec![(
            "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m])))"
                .into(),
            "{{instance}}".into(),
        )],
        0,
        8,
        y,
        &mut id,
    ));
    panels.push(panel(
        "Memory used".into(),
        "timeseries",
        "percent",
        vec![(
            "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)".into(),
            "{{instance}}".into(),
        )],
        8,
        8,
        y,
        &mut id,
    ));
    panels.push(panel(
        "Disk used".into(),
        "timeseries",
        "percent",
        vec![(
            "100 * (1 - node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay|squashfs\"} / node_filesystem_size_bytes{fstype!~\"tmpfs|overlay|squashfs\"})".into(),
            "{{mountpoint}}".into(),
        )],
        16,
        8,
        y,
        &mut id,
    ));
    let banner = render::banner_lines(stack).join(" ");
    let dashboard = json!({
        "uid": format!("{}-overview", stack.project),
        "title": format!("{} {} overview", stack.name, stack.env),
        "description": banner,
        "tags": ["futurestack", stack.env],
        "editable": false,
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "panels": panels,
        "templating": {"list": []},
        "annotations": {"list": []}
    });
    serde_json::to_string_pretty(&dashboard).expect("json")
}

/// Every PromQL expression of the dashboard, for checking with promtool.
pub fn dashboard_expressions(dashboard: &str) -> Vec<String> {
    let parsed: J = serde_json::from_str(dashboard).unwrap_or(J::Null);
    let mut out = Vec::new();
    for panel in parsed["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                out.push(expr.to_owned());
            }
        }
    }
    out
}
