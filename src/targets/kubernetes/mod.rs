//! The Kubernetes target (`platform: ack`): `k8s/`, one file per kind of
//! object, from the cluster model (`model::kubernetes`), and the script that
//! creates the Secrets from the deploy's variables and applies them.

mod ingress;
mod network;
mod observe;
mod workloads;
pub mod yaml;

use yaml::{Y, documents, i, s};

use crate::model::Stack;
use crate::model::kubernetes::{Cluster, Controller};
use crate::render::{Files, with_banner};
use crate::shell::quote;
use crate::spec::PrometheusDiscovery;
use workloads::{labels, metadata, selector};

/// The folder every file of this target is in.
pub const DIR: &str = "k8s/";

/// Files in the order `apply.sh` applies them (objects before those that refer to them).
const ORDER: &[&str] = &[
    "namespace.yaml",
    "rbac.yaml",
    "configmaps.yaml",
    "persistentvolumeclaims.yaml",
    "services.yaml",
    "networkpolicies.yaml",
    "statefulsets.yaml",
    "jobs.yaml",
    "deployments.yaml",
    "poddisruptionbudgets.yaml",
    "horizontalpodautoscalers.yaml",
    "ingress.yaml",
    "monitoring.yaml",
];

/// The manifests of `k8s/`, in the order `apply.sh` applies them, as one
/// multi-document YAML text (what the ROS template's ClusterApplication applies).
pub fn manifests(files: &Files) -> String {
    let mut out = String::new();
    for name in ORDER {
        if let Some(text) = files.get(&format!("{DIR}{name}")) {
            if !out.is_empty() {
                out.push_str("---\n");
            }
            out.push_str(text);
        }
    }
    out
}

/// Renders `k8s/` (nothing unless the stack runs on ACK). `before` holds the
/// monitoring target's rule files, which Prometheus loads.
pub fn render(stack: &Stack, before: &Files) -> Files {
    let Some(cluster) = &stack.kubernetes else {
        return Files::new();
    };
    let mut by_file: Vec<(&str, Vec<Y>)> = Vec::new();
    let mut add = |file: &'static str, docs: Vec<Y>| {
        if !docs.is_empty() {
            by_file.push((file, docs));
        }
    };
    add("namespace.yaml", vec![namespace(stack, cluster)]);
    let config = observe::config_items(before);
    let mut files = Files::new();
    if cluster.discovery == PrometheusDiscovery::ServiceDiscovery {
        if let Some(config_doc) = observe::prometheus_config(stack, cluster) {
            let path = format!("{DIR}prometheus.yml");
            let text = with_banner(&path, stack, &documents(&[config_doc]));
            let mut maps = vec![observe::config_map(stack, cluster, &text, before)];
            maps.extend(observe::alertmanager_config_map(stack, cluster, before));
            add("configmaps.yaml", maps);
            files.insert(path, text);
        }
        add("rbac.yaml", observe::rbac(stack, cluster));
    } else {
        add("monitoring.yaml", observe::operator(stack, cluster));
    }
    add(
        "persistentvolumeclaims.yaml",
        workloads::claims(stack, cluster),
    );
    add("services.yaml", services(stack, cluster));
    add("networkpolicies.yaml", network::policies(stack, cluster));
    for (file, controller) in [
        ("statefulsets.yaml", Controller::StatefulSet),
        ("jobs.yaml", Controller::Job),
        ("deployments.yaml", Controller::Deployment),
    ] {
        let docs = cluster
            .workloads
            .iter()
            .filter(|w| w.controller == controller)
            .filter_map(|w| {
                Some(workloads::workload(
                    stack,
                    cluster,
                    w,
                    stack.service(&w.service)?,
                    &config,
                ))
            })
            .collect();
        add(file, docs);
    }
    add(
        "poddisruptionbudgets.yaml",
        disruption_budgets(stack, cluster),
    );
    add("horizontalpodautoscalers.yaml", autoscalers(stack, cluster));
    add("ingress.yaml", ingress::ingresses(stack, cluster));
    let applied: Vec<&str> = ORDER
        .iter()
        .copied()
        .filter(|f| by_file.iter().any(|(name, _)| name == f))
        .collect();
    for (file, docs) in by_file {
        let path = format!("{DIR}{file}");
        let text = with_banner(&path, stack, &documents(&docs));
        files.insert(path, text);
    }
    let path = format!("{DIR}apply.sh");
    files.insert(
        path.clone(),
        with_banner(&path, stack, &apply_script(stack, cluster, &applied)),
    );
    files
}

fn namespace(stack: &Stack, cluster: &Cluster) -> Y {
    let mut l = labels(stack, &stack.project);
    // The API server refuses any pod of the namespace that the Restricted Pod
    // Security Standard forbids (Kubernetes "Pod Security Admission", stable since 1.25).
    l.push("pod-security.kubernetes.io/enforce", s("restricted"));
    l.push(
        "pod-security.kubernetes.io/enforce-version",
        s(format!("v{}", minor(&cluster.version))),
    );
    Y::map([
        ("apiVersion", s("v1")),
        ("kind", s("Namespace")),
        (
            "metadata",
            Y::map([("name", s(cluster.namespace.as_str())), ("labels", l)]),
        ),
    ])
}

/// `1.35` of `1.35.2-aliyun.1`.
pub fn minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn services(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    let mut out = Vec::new();
    for w in &cluster.workloads {
        let Some(svc) = stack.service(&w.service) else {
            continue;
        };
        if svc.ports.is_empty() {
            continue;
        }
        let ports = Y::seq(svc.ports.iter().map(|p| {
            Y::map([
                ("name", s(p.name.as_str())),
                ("port", i(p.container)),
                ("targetPort", s(p.name.as_str())),
            ])
        }));
        let mut spec = Y::map([("selector", selector(&w.service))]);
        if w.controller == Controller::StatefulSet {
            // Headless: the StatefulSet's governing Service, its name resolving to the pods.
            spec.push("clusterIP", s("None"));
        }
        spec.push("ports", ports);
        out.push(Y::map([
            ("apiVersion", s("v1")),
            ("kind", s("Service")),
            ("metadata", metadata(stack, cluster, &w.service, &w.service)),
            ("spec", spec),
        ]));
        let public: Vec<_> = svc
            .ports
            .iter()
            .filter(|p| p.public && p.host.is_some())
            .collect();
        if !public.is_empty() {
            let name = format!("{}-public", w.service);
            out.push(Y::map([
                ("apiVersion", s("v1")),
                ("kind", s("Service")),
                ("metadata", metadata(stack, cluster, &name, &w.service)),
                (
                    "spec",
                    Y::map([
                        ("type", s("LoadBalancer")),
                        ("selector", selector(&w.service)),
                        (
                            "ports",
                            Y::seq(public.iter().map(|p| {
                                Y::map([
                                    ("name", s(p.name.as_str())),
                                    ("port", i(p.host.unwrap_or(p.container))),
                                    ("targetPort", s(p.name.as_str())),
                                ])
                            })),
                        ),
                    ]),
                ),
            ]));
        }
    }
    for name in &cluster.outside {
        let Some(svc) = stack.service(name) else {
            continue;
        };
        if !svc.external || svc.address == svc.name {
            continue;
        }
        // An external service the cluster reaches by a DNS name.
        out.push(Y::map([
            ("apiVersion", s("v1")),
            ("kind", s("Service")),
            ("metadata", metadata(stack, cluster, name, name)),
            (
                "spec",
                Y::map([
                    ("type", s("ExternalName")),
                    ("externalName", s(svc.address.as_str())),
                ]),
            ),
        ]));
    }
    if stack.edge.as_ref().is_some_and(|e| {
        e.servers
            .iter()
            .any(|s| s.routes.iter().any(|r| !r.blocked.is_empty()))
    }) {
        out.push(Y::map([
            ("apiVersion", s("v1")),
            ("kind", s("Service")),
            (
                "metadata",
                metadata(stack, cluster, ingress::BLOCKED, ingress::BLOCKED),
            ),
            (
                "spec",
                Y::map([
                    ("selector", selector(ingress::BLOCKED)),
                    (
                        "ports",
                        Y::seq([Y::map([("name", s("http")), ("port", i(80))])]),
                    ),
                ]),
            ),
        ]));
    }
    out
}

fn disruption_budgets(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    cluster
        .workloads
        .iter()
        .filter(|w| w.disruption_budget())
        .map(|w| {
            Y::map([
                ("apiVersion", s("policy/v1")),
                ("kind", s("PodDisruptionBudget")),
                ("metadata", metadata(stack, cluster, &w.service, &w.service)),
                (
                    "spec",
                    Y::map([
                        ("maxUnavailable", i(1)),
                        ("selector", Y::map([("matchLabels", selector(&w.service))])),
                    ]),
                ),
            ])
        })
        .collect()
}

fn autoscalers(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    cluster
        .workloads
        .iter()
        .filter_map(|w| Some((w, w.autoscale?)))
        .map(|(w, a)| {
            Y::map([
                ("apiVersion", s("autoscaling/v2")),
                ("kind", s("HorizontalPodAutoscaler")),
                ("metadata", metadata(stack, cluster, &w.service, &w.service)),
                (
                    "spec",
                    Y::map([
                        (
                            "scaleTargetRef",
                            Y::map([
                                ("apiVersion", s("apps/v1")),
                                ("kind", s("Deployment")),
                                ("name", s(w.service.as_str())),
                            ]),
                        ),
                        ("minReplicas", i(a.min)),
                        ("maxReplicas", i(a.max)),
                        (
                            "metrics",
                            Y::seq([Y::map([
                                ("type", s("Resource")),
                                (
                                    "resource",
                                    Y::map([
                                        ("name", s("cpu")),
                                        (
                                            "target",
                                            Y::map([
                                                ("type", s("Utilization")),
                                                ("averageUtilization", i(a.cpu_percent)),
                                            ]),
                                        ),
                                    ]),
                                ),
                            ])]),
                        ),
                    ]),
                ),
            ])
        })
        .collect()
}

/// `k8s/apply.sh`: checks the deploy's variables, creates the namespace and
/// every Secret from them (the value on standard input, never in a command
/// line), then applies the files in order. Jobs are replaced, since a Job's
/// pod template cannot change in place (each job is idempotent).
fn apply_script(stack: &Stack, cluster: &Cluster, files: &[&str]) -> String {
    let ns = quote(&cluster.namespace);
    let mut vars: Vec<&str> = stack.secrets.iter().map(|s| s.env.as_str()).collect();
    let endpoints: Vec<(&str, &str)> = stack
        .services
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.managed.as_ref()?.endpoint_var.as_str())))
        .collect();
    vars.extend(endpoints.iter().map(|(_, v)| *v));
    let mut out = String::new();
    out.push_str("# Applies the manifests to the cluster kubectl points at: the namespace, the\n");
    out.push_str("# Secrets from this shell's variables, then every object. Run it from the\n");
    out.push_str("# environment's output folder: `bash k8s/apply.sh`.\n");
    out.push_str("set -euo pipefail\ncd \"$(dirname \"$0\")\"\n");
    out.push_str(&format!("ns={ns}\n\nmissing=0\nfor var in"));
    for v in &vars {
        out.push_str(&format!(" {}", quote(v)));
    }
    out.push_str("; do\n  if [ -z \"${!var:-}\" ]; then\n    echo \"futurestack: \\$$var is not set\" >&2\n    missing=1\n  fi\ndone\n");
    if stack.edge.as_ref().is_some_and(|e| e.tls()) {
        out.push_str("for var in FUTURESTACK_TLS_CERT FUTURESTACK_TLS_KEY; do\n  if [ ! -r \"${!var:-}\" ]; then\n    echo \"futurestack: \\$$var must name the certificate's readable PEM file\" >&2\n    missing=1\n  fi\ndone\n");
    }
    out.push_str("[ \"$missing\" -eq 0 ] || exit 1\n\n");
    out.push_str("kubectl apply -f namespace.yaml\n\n");
    out.push_str(
        "# secret NAME KEY VARIABLE: the Secret NAME holding the variable's value under KEY.\n",
    );
    out.push_str("secret() {\n  printf '%s' \"${!3}\" | kubectl -n \"$ns\" create secret generic \"$1\" --from-file=\"$2\"=/dev/stdin --dry-run=client -o yaml | kubectl apply -f -\n}\n");
    for s in &stack.secrets {
        out.push_str(&format!(
            "secret {} value {}\n",
            quote(&s.name),
            quote(&s.env)
        ));
    }
    if !endpoints.is_empty() {
        out.push_str("# The managed services' endpoints (the ROS or Terraform outputs).\n");
    }
    for (name, var) in &endpoints {
        out.push_str(&format!(
            "kubectl -n \"$ns\" create configmap {} --from-literal=host=\"${{{var}}}\" --dry-run=client -o yaml | kubectl apply -f -\n",
            quote(&format!("{name}-endpoint"))
        ));
    }
    if stack.edge.as_ref().is_some_and(|e| e.tls()) {
        out.push_str(&format!(
            "kubectl -n \"$ns\" create secret tls {} --cert=\"$FUTURESTACK_TLS_CERT\" --key=\"$FUTURESTACK_TLS_KEY\" --dry-run=client -o yaml | kubectl apply -f -\n",
            quote(&ingress::tls_secret(stack))
        ));
    }
    let jobs: Vec<&str> = cluster
        .workloads
        .iter()
        .filter(|w| w.controller == Controller::Job)
        .map(|w| w.service.as_str())
        .collect();
    if !jobs.is_empty() {
        out.push_str("\nkubectl -n \"$ns\" delete job --ignore-not-found");
        for j in &jobs {
            out.push_str(&format!(" {}", quote(j)));
        }
        out.push('\n');
    }
    out.push('\n');
    for f in files.iter().filter(|f| **f != "namespace.yaml") {
        out.push_str(&format!("kubectl apply -f {f}\n"));
    }
    out
}
