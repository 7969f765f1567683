//! The overview dashboard, `grafana/dashboards/overview.json`. Its size does
//! not grow with the stack: a template variable per kind of service
//! (`label_values(up{kind="app"}, service)`, from the `kind` label every scrape
//! target carries) and one row per kind that Grafana repeats for each of its
//! services, then the host.
//!
//! Query variables with `label_values(<selector>, <label>)` and rows with
//! `repeat` are Grafana's Prometheus-datasource templating and dashboard JSON
//! (schemaVersion 39) as the pinned `grafana/grafana:11.3.1` reads them
//! (grafana/grafana `public/app/plugins/datasource/prometheus` and
//! docs/sources/dashboards/variables). The queries are checked on a real
//! Prometheus; no Grafana runs in the tests.

use serde_json::{Value as J, json};

use crate::model::Stack;
use crate::model::monitoring::Model;
use crate::render;
use crate::spec::Kind;

/// A panel: title, type, unit, and its queries with their legends.
struct Panel {
    title: &'static str,
    kind: &'static str,
    unit: &'static str,
    exprs: Vec<(String, String)>,
    width: i64,
}

fn timeseries(title: &'static str, unit: &'static str, expr: String, legend: &str) -> Panel {
    Panel {
        title,
        kind: "timeseries",
        unit,
        exprs: vec![(expr, legend.to_owned())],
        width: 10,
    }
}

fn up(expr: String, legend: &str) -> Panel {
    Panel {
        title: "Up",
        kind: "stat",
        unit: "none",
        exprs: vec![(expr, legend.to_owned())],
        width: 4,
    }
}

/// The panels of one service of `kind`, whose name the variable `$var` holds.
fn panels_of(kind: Kind, var: &str, model: &Model) -> Vec<Panel> {
    let sel = format!("service=\"${var}\"");
    let legend = format!("${var}");
    let m = &model.app_metrics;
    let mut panels = match kind {
        Kind::App => vec![
            up(format!("up{{{sel}}}"), "{{instance}}"),
            timeseries(
                "Requests per second",
                "reqps",
                format!("sum(rate({}{{{sel}}}[5m]))", m.requests),
                &legend,
            ),
            timeseries(
                "5xx ratio",
                "percentunit",
                format!(
                    "sum(rate({req}{{{sel},{st}=~\"5..\"}}[5m])) / sum(rate({req}{{{sel}}}[5m]))",
                    req = m.requests,
                    st = m.status_label
                ),
                &legend,
            ),
            timeseries(
                "Latency p95",
                "s",
                format!(
                    "histogram_quantile(0.95, sum by (le) (rate({}_bucket{{{sel}}}[5m])))",
                    m.latency
                ),
                &legend,
            ),
        ],
        Kind::Mysql => vec![
            up(format!("mysql_up{{{sel}}}"), &legend),
            timeseries(
                "Connections",
                "none",
                format!("mysql_global_status_threads_connected{{{sel}}}"),
                &legend,
            ),
            timeseries(
                "Queries per second",
                "ops",
                format!("rate(mysql_global_status_queries{{{sel}}}[5m])"),
                &legend,
            ),
        ],
        Kind::Postgres => vec![
            up(format!("pg_up{{{sel}}}"), &legend),
            timeseries(
                "Connections",
                "none",
                format!("sum(pg_stat_database_numbackends{{{sel}}})"),
                &legend,
            ),
            timeseries(
                "Transactions per second",
                "ops",
                format!("sum(rate(pg_stat_database_xact_commit{{{sel}}}[5m]))"),
                &legend,
            ),
        ],
        Kind::Redis => vec![
            up(format!("redis_up{{{sel}}}"), &legend),
            timeseries(
                "Memory used",
                "bytes",
                format!("redis_memory_used_bytes{{{sel}}}"),
                &legend,
            ),
            timeseries(
                "Commands per second",
                "ops",
                format!("rate(redis_commands_processed_total{{{sel}}}[5m])"),
                &legend,
            ),
        ],
        Kind::Elasticsearch => vec![
            up(format!("elasticsearch_cluster_health_up{{{sel}}}"), &legend),
            timeseries(
                "Cluster status (0 green, 1 yellow, 2 red)",
                "none",
                format!(
                    "max(elasticsearch_cluster_health_status{{{sel},color=\"yellow\"}}) + 2 * max(elasticsearch_cluster_health_status{{{sel},color=\"red\"}})"
                ),
                &legend,
            ),
            timeseries(
                "JVM heap used",
                "bytes",
                format!("sum(elasticsearch_jvm_memory_used_bytes{{{sel},area=\"heap\"}})"),
                &legend,
            ),
        ],
        Kind::Nginx => vec![
            up(format!("nginx_up{{{sel}}}"), &legend),
            timeseries(
                "Requests per second",
                "reqps",
                format!("rate(nginx_http_requests_total{{{sel}}}[5m])"),
                &legend,
            ),
            timeseries(
                "Active connections",
                "none",
                format!("nginx_connections_active{{{sel}}}"),
                &legend,
            ),
        ],
        _ => vec![up(format!("up{{{sel}}}"), &legend)],
    };
    if kind == Kind::App {
        // Up, then three graphs across the row.
        for (panel, width) in panels.iter_mut().zip([4, 7, 6, 7]) {
            panel.width = width;
        }
    }
    panels
}

/// The dashboard's JSON.
pub(super) fn dashboard_json(stack: &Stack, model: &Model) -> String {
    let ds = json!({"type": "prometheus", "uid": "prometheus"});
    let mut kinds: Vec<Kind> = Vec::new();
    if !model.apps.is_empty() {
        kinds.push(Kind::App);
    }
    for (_, kind) in &model.databases {
        if !kinds.contains(kind) {
            kinds.push(*kind);
        }
    }
    let mut panels: Vec<J> = Vec::new();
    let mut variables: Vec<J> = Vec::new();
    let (mut y, mut id) = (0i64, 1i64);
    let push = |panel: Panel, x: i64, y: i64, id: &mut i64, panels: &mut Vec<J>| {
        let targets: Vec<J> = panel
            .exprs
            .into_iter()
            .enumerate()
            .map(|(i, (expr, legend))| json!({"datasource": ds, "expr": expr, "legendFormat": legend, "refId": ((b'A' + i as u8) as char).to_string()}))
            .collect();
        panels.push(json!({
            "type": panel.kind, "title": panel.title, "id": *id, "datasource": ds,
            "gridPos": {"h": 8, "w": panel.width, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
            "options": {},
            "targets": targets
        }));
        *id += 1;
    };
    for kind in kinds {
        let var = kind.as_str().replace('-', "_");
        let query = format!("label_values(up{{kind=\"{}\"}}, service)", kind.as_str());
        variables.push(json!({
            "type": "query", "name": var, "label": kind.as_str(),
            "datasource": ds,
            "query": {"query": query, "refId": "variable"},
            "definition": query,
            "refresh": 1, "sort": 1, "multi": true, "includeAll": true,
            "current": {"selected": true, "text": ["All"], "value": ["$__all"]},
            "hide": 0, "options": []
        }));
        panels.push(json!({
            "type": "row", "title": format!("{} ${var}", if kind == Kind::App { "App" } else { kind.as_str() }), "id": id,
            "collapsed": false, "repeat": var,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []
        }));
        id += 1;
        y += 1;
        let mut x = 0;
        for panel in panels_of(kind, &var, model) {
            let width = panel.width;
            push(panel, x, y, &mut id, &mut panels);
            x += width;
        }
        y += 8;
    }
    panels.push(json!({"type": "row", "title": "Host", "id": id, "collapsed": false, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}));
    id += 1;
    y += 1;
    let fs = "fstype!~\"tmpfs|overlay|squashfs\"";
    for (x, panel) in [
        timeseries(
            "CPU used",
            "percent",
            "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m])))".into(),
            "{{instance}}",
        ),
        timeseries(
            "Memory used",
            "percent",
            "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)".into(),
            "{{instance}}",
        ),
        timeseries(
            "Disk used",
            "percent",
            format!("100 * (1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}})"),
            "{{mountpoint}}",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let panel = Panel { width: 8, ..panel };
        push(panel, 8 * x as i64, y, &mut id, &mut panels);
    }
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
        "templating": {"list": variables},
        "annotations": {"list": []}
    });
    serde_json::to_string_pretty(&dashboard).expect("json")
}

/// Every PromQL expression of the dashboard, for checking with promtool and
/// Prometheus: each panel's query with its variables set to one service (as
/// Grafana sets them in each repeated row), and each variable's selector.
pub fn dashboard_expressions(dashboard: &str) -> Vec<String> {
    let parsed: J = serde_json::from_str(dashboard).unwrap_or(J::Null);
    let variables: Vec<String> = parsed["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect();
    let mut out = Vec::new();
    for variable in parsed["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(query) = variable["definition"].as_str()
            && let Some(inner) = query
                .strip_prefix("label_values(")
                .and_then(|q| q.rsplit_once(", "))
                .map(|(selector, _)| selector)
        {
            out.push(inner.to_owned());
        }
    }
    for panel in parsed["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            if let Some(expr) = target["expr"].as_str() {
                let mut expr = expr.to_owned();
                for name in &variables {
                    expr = expr.replace(&format!("${name}"), "example");
                }
                out.push(expr);
            }
        }
    }
    out
}
