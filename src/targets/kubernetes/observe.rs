//! Prometheus in the cluster: Kubernetes service discovery for the same
//! scrape jobs and alert rules as on a Docker host (`k8s/prometheus.yml`, a
//! ConfigMap, the service account that may list endpoints), or, with the
//! Prometheus Operator, ServiceMonitors and a PrometheusRule.

use super::workloads::{metadata, selector};
use super::yaml::{Y, s};
use crate::model::kubernetes::Cluster;
use crate::model::{Service, Stack};
use crate::render::Files;

/// The rule files the monitoring target wrote, which Prometheus loads.
const RULES: &str = "prometheus/rules/";

/// The scrape jobs whose endpoint runs in the cluster: (job, endpoint
/// service, its port name, metrics path, `service` label, `kind` label).
fn jobs<'a>(
    stack: &'a Stack,
    cluster: &Cluster,
) -> Vec<(&'a str, &'a Service, &'a str, &'a str, &'a str, &'a str)> {
    let Some(m) = &stack.monitoring else {
        return Vec::new();
    };
    m.jobs
        .iter()
        .filter(|j| cluster.workload(&j.endpoint_service).is_some())
        .filter_map(|j| {
            let svc = stack.service(&j.endpoint_service)?;
            let port: u16 = j.address.rsplit_once(':')?.1.parse().ok()?;
            let name = svc
                .ports
                .iter()
                .find(|p| p.container == port)?
                .name
                .as_str();
            Some((
                j.job.as_str(),
                svc,
                name,
                j.metrics_path.as_str(),
                j.service.as_str(),
                j.kind,
            ))
        })
        .collect()
}

/// `k8s/prometheus.yml`: the host's Prometheus config, with the namespace's
/// endpoints discovered instead of written down.
pub fn prometheus_config(stack: &Stack, cluster: &Cluster) -> Option<Y> {
    let m = stack.monitoring.as_ref()?;
    cluster.workload("prometheus")?;
    let scrape = jobs(stack, cluster)
        .into_iter()
        .map(|(job, svc, port, path, service, kind)| {
            Y::map([
                ("job_name", s(job)),
                ("metrics_path", s(path)),
                (
                    "kubernetes_sd_configs",
                    Y::seq([Y::map([
                        ("role", s("endpoints")),
                        (
                            "namespaces",
                            Y::map([("names", Y::seq([s(cluster.namespace.as_str())]))]),
                        ),
                    ])]),
                ),
                (
                    "relabel_configs",
                    Y::seq([
                        Y::map([
                            (
                                "source_labels",
                                Y::seq([
                                    s("__meta_kubernetes_service_name"),
                                    s("__meta_kubernetes_endpoint_port_name"),
                                ]),
                            ),
                            ("regex", s(format!("{};{}", svc.name, port))),
                            ("action", s("keep")),
                        ]),
                        Y::map([
                            ("source_labels", Y::seq([s("__meta_kubernetes_pod_name")])),
                            ("target_label", s("pod")),
                        ]),
                        Y::map([("target_label", s("service")), ("replacement", s(service))]),
                        Y::map([("target_label", s("kind")), ("replacement", s(kind))]),
                    ]),
                ),
            ])
        });
    let mut config = Y::map([
        (
            "global",
            Y::map([
                ("scrape_interval", s(m.scrape_interval.to_string())),
                ("evaluation_interval", s(m.evaluation_interval.to_string())),
                (
                    "external_labels",
                    Y::map([
                        ("stack", s(stack.name.as_str())),
                        ("environment", s(stack.env.as_str())),
                    ]),
                ),
            ]),
        ),
        ("rule_files", Y::seq([s("rules/*.yml")])),
    ]);
    if let Some(port) = alertmanager_port(stack, cluster) {
        config.push(
            "alerting",
            Y::map([(
                "alertmanagers",
                Y::seq([Y::map([(
                    "static_configs",
                    Y::seq([Y::map([(
                        "targets",
                        Y::seq([s(format!("alertmanager:{port}"))]),
                    )])]),
                )])]),
            )]),
        );
    }
    config.push("scrape_configs", Y::Seq(scrape.collect()));
    Some(config)
}

/// Alertmanager's port, when it runs in the cluster (its Service has the same name).
fn alertmanager_port(stack: &Stack, cluster: &Cluster) -> Option<u16> {
    cluster.workload("alertmanager")?;
    Some(stack.service("alertmanager")?.main_port()?.container)
}

/// The ConfigMap Alertmanager reads its routes and receivers from: the
/// monitoring target's `alertmanager/alertmanager.yml`, as on a Docker host.
pub fn alertmanager_config_map(stack: &Stack, cluster: &Cluster, before: &Files) -> Option<Y> {
    cluster.workload("alertmanager")?;
    let text = before.get(ALERTMANAGER_CONFIG)?;
    Some(Y::map([
        ("apiVersion", s("v1")),
        ("kind", s("ConfigMap")),
        (
            "metadata",
            metadata(stack, cluster, "alertmanager", "alertmanager"),
        ),
        (
            "data",
            Y::Map(vec![("alertmanager.yml".to_owned(), s(text.as_str()))]),
        ),
    ]))
}

/// The file the monitoring target writes Alertmanager's config to.
pub const ALERTMANAGER_CONFIG: &str = "alertmanager/alertmanager.yml";

/// The ConfigMap Prometheus reads its config and rules from.
pub fn config_map(stack: &Stack, cluster: &Cluster, config: &str, before: &Files) -> Y {
    let mut data = vec![("prometheus.yml".to_owned(), s(config))];
    for (path, text) in before.range(RULES.to_owned()..) {
        if !path.starts_with(RULES) {
            break;
        }
        data.push((
            path.trim_start_matches("prometheus/").replace('/', "_"),
            s(text.as_str()),
        ));
    }
    Y::map([
        ("apiVersion", s("v1")),
        ("kind", s("ConfigMap")),
        (
            "metadata",
            metadata(stack, cluster, "prometheus", "prometheus"),
        ),
        ("data", Y::Map(data)),
    ])
}

/// The ConfigMap volume of Prometheus: each key at its path under `/etc/prometheus`.
pub fn config_items(before: &Files) -> Vec<(String, String)> {
    let mut out = vec![("prometheus.yml".to_owned(), "prometheus.yml".to_owned())];
    for (path, _) in before.range(RULES.to_owned()..) {
        if !path.starts_with(RULES) {
            break;
        }
        let rel = path.trim_start_matches("prometheus/");
        out.push((rel.replace('/', "_"), rel.to_owned()));
    }
    out
}

/// Prometheus's service account, and the Role that lets it list the
/// namespace's Services, Endpoints and Pods (and nothing else).
pub fn rbac(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    if cluster.workload("prometheus").is_none() {
        return Vec::new();
    }
    let meta = || metadata(stack, cluster, "prometheus", "prometheus");
    vec![
        Y::map([
            ("apiVersion", s("v1")),
            ("kind", s("ServiceAccount")),
            ("metadata", meta()),
            ("automountServiceAccountToken", Y::Bool(false)),
        ]),
        Y::map([
            ("apiVersion", s("rbac.authorization.k8s.io/v1")),
            ("kind", s("Role")),
            ("metadata", meta()),
            (
                "rules",
                Y::seq([Y::map([
                    ("apiGroups", Y::seq([s("")])),
                    (
                        "resources",
                        Y::seq([s("endpoints"), s("pods"), s("services")]),
                    ),
                    ("verbs", Y::seq([s("get"), s("list"), s("watch")])),
                ])]),
            ),
        ]),
        Y::map([
            ("apiVersion", s("rbac.authorization.k8s.io/v1")),
            ("kind", s("RoleBinding")),
            ("metadata", meta()),
            (
                "roleRef",
                Y::map([
                    ("apiGroup", s("rbac.authorization.k8s.io")),
                    ("kind", s("Role")),
                    ("name", s("prometheus")),
                ]),
            ),
            (
                "subjects",
                Y::seq([Y::map([
                    ("kind", s("ServiceAccount")),
                    ("name", s("prometheus")),
                    ("namespace", s(cluster.namespace.as_str())),
                ])]),
            ),
        ]),
    ]
}

/// With the Operator: a ServiceMonitor per scrape job, and the alert rules.
pub fn operator(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    let Some(m) = &stack.monitoring else {
        return Vec::new();
    };
    let mut out: Vec<Y> = jobs(stack, cluster)
        .into_iter()
        .map(|(job, svc, port, path, service, kind)| {
            Y::map([
                ("apiVersion", s("monitoring.coreos.com/v1")),
                ("kind", s("ServiceMonitor")),
                ("metadata", metadata(stack, cluster, job, &svc.name)),
                (
                    "spec",
                    Y::map([
                        ("selector", Y::map([("matchLabels", selector(&svc.name))])),
                        (
                            "endpoints",
                            Y::seq([Y::map([
                                ("port", s(port)),
                                ("path", s(path)),
                                ("interval", s(m.scrape_interval.to_string())),
                                (
                                    "relabelings",
                                    Y::seq([
                                        Y::map([
                                            ("targetLabel", s("job")),
                                            ("replacement", s(job)),
                                        ]),
                                        Y::map([
                                            ("targetLabel", s("service")),
                                            ("replacement", s(service)),
                                        ]),
                                        Y::map([
                                            ("targetLabel", s("kind")),
                                            ("replacement", s(kind)),
                                        ]),
                                    ]),
                                ),
                            ])]),
                        ),
                    ]),
                ),
            ])
        })
        .collect();
    let groups = m.rule_files.iter().map(|f| {
        Y::map([
            ("name", s(f.name.as_str())),
            (
                "rules",
                Y::seq(f.rules.iter().map(|r| {
                    let mut rule =
                        Y::map([("alert", s(r.alert.as_str())), ("expr", s(r.expr.as_str()))]);
                    if let Some(d) = r.for_ {
                        rule.push("for", s(d.to_string()));
                    }
                    rule.push("labels", Y::map([("severity", s(r.severity.as_str()))]));
                    rule.push(
                        "annotations",
                        Y::map([
                            ("summary", s(r.summary.as_str())),
                            ("description", s(r.description.as_str())),
                        ]),
                    );
                    rule
                })),
            ),
        ])
    });
    out.push(Y::map([
        ("apiVersion", s("monitoring.coreos.com/v1")),
        ("kind", s("PrometheusRule")),
        (
            "metadata",
            metadata(stack, cluster, "futurestack-alerts", "prometheus"),
        ),
        ("spec", Y::map([("groups", Y::Seq(groups.collect()))])),
    ]));
    out
}
