//! Deployments, StatefulSets and Jobs: one per service the cluster runs, with
//! the pod every one of them shares (least privilege, probes, secrets as
//! files, the dependencies waited for), and the claims of the data disks.

use super::yaml::{Y, i, s};
use crate::model::kubernetes::{Check, Cluster, Controller, Probe, WAIT_IMAGE, Workload};
use crate::model::{Service, Stack, contracts};

/// The labels every object of a service carries; `name` alone selects its pods.
pub fn labels(stack: &Stack, service: &str) -> Y {
    Y::map([
        ("app.kubernetes.io/name", s(service)),
        ("app.kubernetes.io/part-of", s(stack.name.as_str())),
        ("app.kubernetes.io/instance", s(stack.project.as_str())),
        ("app.kubernetes.io/managed-by", s("futurestack")),
    ])
}

pub fn selector(service: &str) -> Y {
    Y::map([("app.kubernetes.io/name", s(service))])
}

pub fn metadata(stack: &Stack, cluster: &Cluster, name: &str, service: &str) -> Y {
    Y::map([
        ("name", s(name)),
        ("namespace", s(cluster.namespace.as_str())),
        ("labels", labels(stack, service)),
    ])
}

/// `<millicores>m` of a CPU limit.
pub fn cpu(cpus: f64) -> String {
    format!("{}m", (cpus * 1000.0).round().max(1.0) as u64)
}

/// Checks checkov reports that a workload does not meet on purpose, with why
/// (checkov reads `checkov.io/skip<n>: <check>=<reason>` annotations).
fn skips(w: &Workload, service: &Service) -> Vec<(String, Y)> {
    let mut out = vec![(
        "CKV_K8S_43",
        "images are pinned by tag; FS178 asks production for digests",
    )];
    if !w.read_only {
        out.push((
            "CKV_K8S_22",
            "the image's entrypoint writes its run and configuration folders at start",
        ));
    }
    if w.uid < 10000 {
        out.push((
            "CKV_K8S_40",
            "the image's files belong to its own user, whose uid is below 10000",
        ));
    }
    if service.kind == crate::spec::Kind::Prometheus {
        out.push((
            "CKV_K8S_38",
            "Prometheus reads the namespace's endpoints with its service account's token",
        ));
    }
    out.into_iter()
        .enumerate()
        .map(|(n, (check, why))| {
            (
                format!("checkov.io/skip{}", n + 1),
                s(format!("{check}={why}")),
            )
        })
        .collect()
}

/// The Deployment, StatefulSet or Job of `w`.
/// `config`: the keys of Prometheus's ConfigMap and their paths.
pub fn workload(
    stack: &Stack,
    cluster: &Cluster,
    w: &Workload,
    service: &Service,
    config: &[(String, String)],
) -> Y {
    let kind = match w.controller {
        Controller::Deployment => "Deployment",
        Controller::StatefulSet => "StatefulSet",
        Controller::Job => "Job",
    };
    let api = if w.controller == Controller::Job {
        "batch/v1"
    } else {
        "apps/v1"
    };
    let mut meta = metadata(stack, cluster, &w.service, &w.service);
    meta.push("annotations", Y::Map(skips(w, service)));
    let template = Y::map([
        ("metadata", Y::map([("labels", labels(stack, &w.service))])),
        ("spec", pod(stack, cluster, w, service, config)),
    ]);
    let spec = match w.controller {
        Controller::Job => Y::map([("backoffLimit", i(10)), ("template", template)]),
        Controller::Deployment => {
            let mut spec = Y::map([
                ("replicas", i(w.replicas)),
                ("revisionHistoryLimit", i(5)),
                ("selector", Y::map([("matchLabels", selector(&w.service))])),
            ]);
            if !w.disks.is_empty() {
                // One pod holds the disk: the old pod lets go before the new one starts.
                spec.push("strategy", Y::map([("type", s("Recreate"))]));
            }
            spec.push("template", template);
            spec
        }
        Controller::StatefulSet => Y::map([
            ("replicas", i(w.replicas)),
            ("serviceName", s(w.service.as_str())),
            ("selector", Y::map([("matchLabels", selector(&w.service))])),
            ("template", template),
            (
                "volumeClaimTemplates",
                Y::seq(w.disks.iter().map(|d| {
                    Y::map([
                        ("metadata", Y::map([("name", s(d.name.as_str()))])),
                        ("spec", claim_spec(cluster, d.size_gib)),
                    ])
                })),
            ),
        ]),
    };
    Y::map([
        ("apiVersion", s(api)),
        ("kind", s(kind)),
        ("metadata", meta),
        ("spec", spec),
    ])
}

fn claim_spec(cluster: &Cluster, size_gib: u64) -> Y {
    Y::map([
        ("accessModes", Y::seq([s("ReadWriteOnce")])),
        ("storageClassName", s(cluster.storage_class.as_str())),
        (
            "resources",
            Y::map([(
                "requests",
                Y::map([("storage", s(format!("{size_gib}Gi")))]),
            )]),
        ),
    ])
}

/// The claims of a Deployment's disks (a StatefulSet claims its own).
pub fn claims(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    let mut out = Vec::new();
    for w in cluster
        .workloads
        .iter()
        .filter(|w| w.controller == Controller::Deployment)
    {
        for d in &w.disks {
            let name = format!("{}-{}", w.service, d.name);
            out.push(Y::map([
                ("apiVersion", s("v1")),
                ("kind", s("PersistentVolumeClaim")),
                ("metadata", metadata(stack, cluster, &name, &w.service)),
                ("spec", claim_spec(cluster, d.size_gib)),
            ]));
        }
    }
    out
}

fn restricted(read_only: bool, cap_add: &[String], uid: u32, gid: u32) -> Y {
    let mut caps = Y::map([("drop", Y::seq([s("ALL")]))]);
    if !cap_add.is_empty() {
        caps.push("add", Y::seq(cap_add.iter().map(|c| s(c.as_str()))));
    }
    Y::map([
        ("allowPrivilegeEscalation", Y::Bool(false)),
        ("privileged", Y::Bool(false)),
        ("readOnlyRootFilesystem", Y::Bool(read_only)),
        ("runAsNonRoot", Y::Bool(true)),
        ("runAsUser", i(uid)),
        ("runAsGroup", i(gid)),
        ("capabilities", caps),
    ])
}

fn probe(p: &Probe, liveness: bool) -> Y {
    let mut y = match &p.check {
        Check::Http { path, port } => Y::map([(
            "httpGet",
            Y::map([("path", s(path.as_str())), ("port", i(*port))]),
        )]),
        Check::Tcp { port } => Y::map([("tcpSocket", Y::map([("port", i(*port))]))]),
        Check::Exec(args) => Y::map([(
            "exec",
            Y::map([("command", Y::seq(args.iter().map(|a| s(a.as_str()))))]),
        )]),
    };
    // Readiness follows the health check as Docker runs it; liveness restarts
    // only after twice as long a failure, so a slow dependency takes a pod
    // out of its Service without killing it.
    let (period, failures) = if liveness {
        (p.interval_s.max(1) * 2, p.retries.max(1) + 1)
    } else {
        (p.interval_s.max(1), p.retries.max(1))
    };
    y.push("periodSeconds", i(period));
    y.push("timeoutSeconds", i(p.timeout_s.max(1)));
    y.push("failureThreshold", i(failures));
    y
}

/// The startup probe: the health check, given the start period to pass first.
fn startup(p: &Probe) -> Y {
    let mut y = probe(p, false);
    if let Y::Map(entries) = &mut y {
        let interval = p.interval_s.max(1);
        let failures = p.start_period_s.div_ceil(interval) + p.retries.max(1);
        for (k, v) in entries.iter_mut() {
            if k == "failureThreshold" {
                *v = i(failures);
            }
        }
    }
    y
}

/// An env value for Kubernetes: `$(` doubled (the kubelet expands `$(VAR)`),
/// and a managed service's `${VAR}` endpoint turned into `$(VAR)`, which the
/// container gets from the endpoint's ConfigMap first (an address, not a secret).
fn env_value(value: &str, endpoints: &[(&str, &str)]) -> String {
    let mut out = value.replace("$(", "$$(");
    for (var, _) in endpoints {
        out = out.replace(&format!("${{{var}}}"), &format!("$({var})"));
    }
    out
}

fn env(stack: &Stack, service: &Service) -> Y {
    let endpoints: Vec<(&str, &str)> = stack
        .services
        .iter()
        .filter_map(|m| Some((m.managed.as_ref()?.endpoint_var.as_str(), m.name.as_str())))
        .filter(|(var, _)| {
            service
                .env
                .values()
                .any(|v| v.contains(&format!("${{{var}}}")))
        })
        .collect();
    let mut out: Vec<Y> = endpoints
        .iter()
        .map(|(var, managed)| {
            Y::map([
                ("name", s(*var)),
                (
                    "valueFrom",
                    Y::map([(
                        "configMapKeyRef",
                        Y::map([
                            ("name", s(format!("{managed}-endpoint"))),
                            ("key", s("host")),
                        ]),
                    )]),
                ),
            ])
        })
        .collect();
    for (k, v) in &service.env {
        out.push(Y::map([
            ("name", s(k.as_str())),
            ("value", s(env_value(v, &endpoints))),
        ]));
    }
    Y::Seq(out)
}

/// The pod of a workload.
fn pod(
    stack: &Stack,
    cluster: &Cluster,
    w: &Workload,
    service: &Service,
    config: &[(String, String)],
) -> Y {
    let contract = contracts::contract(service.kind);
    let copy_secrets = contract.secret_file.uid.is_some() && !service.secrets.is_empty();
    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    let mut mount = |name: String, path: &str, read_only: bool, volume: Y| {
        let mut m = Y::map([("name", s(name.as_str())), ("mountPath", s(path))]);
        if read_only {
            m.push("readOnly", Y::Bool(true));
        }
        mounts.push(m);
        if let Y::Map(entries) = volume {
            if !entries.is_empty() {
                let mut v = vec![("name".to_owned(), s(name))];
                v.extend(entries);
                volumes.push(Y::Map(v));
            }
        }
    };
    for d in &w.disks {
        let volume = match w.controller {
            // The claim template's volume has the template's name.
            Controller::StatefulSet => None,
            _ => Some(Y::map([(
                "persistentVolumeClaim",
                Y::map([("claimName", s(format!("{}-{}", w.service, d.name)))]),
            )])),
        };
        match volume {
            Some(v) => mount(d.name.clone(), &d.mount, false, v),
            // A claim template's volume needs no entry under `volumes`.
            None => mount(d.name.clone(), &d.mount, false, Y::map::<&str>([])),
        }
    }
    let mut scratch: Vec<&str> = service
        .hardening
        .tmpfs
        .iter()
        .map(|t| t.split(':').next().unwrap_or(t))
        .collect();
    if w.read_only && !scratch.contains(&"/tmp") {
        scratch.insert(0, "/tmp");
    }
    for (n, path) in scratch.iter().enumerate() {
        mount(
            format!("scratch-{n}"),
            path,
            false,
            Y::map([("emptyDir", Y::map([("sizeLimit", s("64Mi"))]))]),
        );
    }
    if service.kind == crate::spec::Kind::Prometheus {
        mount(
            "config".into(),
            "/etc/prometheus",
            true,
            Y::map([(
                "configMap",
                Y::map([
                    ("name", s("prometheus")),
                    (
                        "items",
                        Y::seq(config.iter().map(|(key, path)| {
                            Y::map([("key", s(key.as_str())), ("path", s(path.as_str()))])
                        })),
                    ),
                ]),
            )]),
        );
    }
    if service.kind == crate::spec::Kind::Alertmanager {
        mount(
            "config".into(),
            "/etc/alertmanager",
            true,
            Y::map([("configMap", Y::map([("name", s("alertmanager"))]))]),
        );
    }
    if !service.secrets.is_empty() {
        let projected = Y::map([(
            "projected",
            Y::map([
                // 0440: the owner (root) and the pod's fsGroup read it.
                ("defaultMode", i(0o440)),
                (
                    "sources",
                    Y::seq(service.secrets.iter().map(|name| {
                        Y::map([(
                            "secret",
                            Y::map([
                                ("name", s(name.as_str())),
                                (
                                    "items",
                                    Y::seq([Y::map([
                                        ("key", s("value")),
                                        ("path", s(name.as_str())),
                                    ])]),
                                ),
                            ]),
                        )])
                    })),
                ),
            ]),
        )]);
        if copy_secrets {
            mount(
                "secret-sources".into(),
                "/run/secret-sources",
                true,
                projected,
            );
            mount(
                "secrets".into(),
                "/run/secrets",
                false,
                Y::map([(
                    "emptyDir",
                    Y::map([("medium", s("Memory")), ("sizeLimit", s("1Mi"))]),
                )]),
            );
        } else {
            mount("secrets".into(), "/run/secrets", true, projected);
        }
    }

    let mut init = Vec::new();
    if copy_secrets {
        // The image refuses a secret file it does not own with exactly this
        // mode (contracts: Elasticsearch wants 0400 or 0600), which a Secret
        // volume cannot give: its own user copies them first.
        let mode = format!("{:o}", contract.secret_file.mode);
        init.push(Y::map([
            ("name", s("secret-files")),
            ("image", s(service.image.clone().unwrap_or_default())),
            ("imagePullPolicy", s("Always")),
            (
                "command",
                Y::seq([s("sh"), s("-c"), s(format!(
                    "umask 077; for f in /run/secret-sources/*; do cat \"$f\" > \"/run/secrets/${{f##*/}}\"; chmod {mode} \"/run/secrets/${{f##*/}}\"; done"
                ))]),
            ),
            ("resources", small()),
            ("securityContext", restricted(true, &[], w.uid, w.gid)),
            (
                "volumeMounts",
                Y::seq([
                    Y::map([("name", s("secret-sources")), ("mountPath", s("/run/secret-sources")), ("readOnly", Y::Bool(true))]),
                    Y::map([("name", s("secrets")), ("mountPath", s("/run/secrets"))]),
                ]),
            ),
        ]));
    }
    for dep in service
        .depends_on
        .iter()
        .filter(|d| d.healthy && !d.completed)
    {
        let Some(target) = stack
            .service(&dep.service)
            .filter(|_| cluster.workload(&dep.service).is_some())
        else {
            continue;
        };
        let Some(port) = target.main_port() else {
            continue;
        };
        init.push(Y::map([
            ("name", s(format!("wait-for-{}", dep.service))),
            ("image", s(WAIT_IMAGE)),
            ("imagePullPolicy", s("Always")),
            (
                "command",
                Y::seq([
                    s("sh"),
                    s("-c"),
                    s(format!(
                        "until nc -z -w 2 {} {}; do echo waiting for {}; sleep 2; done",
                        dep.service, port.container, dep.service
                    )),
                ]),
            ),
            ("resources", small()),
            ("securityContext", restricted(true, &[], 65534, 65534)),
        ]));
    }

    let cap_add: Vec<String> = service
        .hardening
        .cap_add
        .iter()
        .filter(|c| c.as_str() == "NET_BIND_SERVICE")
        .cloned()
        .collect();
    let mut container = Y::map([
        ("name", s(w.service.as_str())),
        ("image", s(service.image.clone().unwrap_or_default())),
        ("imagePullPolicy", s("Always")),
    ]);
    if let Some(entry) = &service.entrypoint {
        container.push("command", Y::seq(entry.iter().map(|a| s(a.as_str()))));
    }
    if let Some(command) = &service.command {
        container.push("args", Y::seq(command.iter().map(|a| s(a.as_str()))));
    }
    if !service.env.is_empty() {
        container.push("env", env(stack, service));
    }
    if !service.ports.is_empty() {
        container.push(
            "ports",
            Y::seq(service.ports.iter().map(|p| {
                Y::map([
                    ("name", s(p.name.as_str())),
                    ("containerPort", i(p.container)),
                ])
            })),
        );
    }
    let limits = Y::map([
        ("cpu", s(cpu(service.cpus))),
        ("memory", s(format!("{}Mi", service.memory.mib()))),
    ]);
    container.push(
        "resources",
        Y::map([("requests", limits.clone()), ("limits", limits)]),
    );
    if let Some(p) = &w.probe {
        container.push("startupProbe", startup(p));
        container.push("readinessProbe", probe(p, false));
        container.push("livenessProbe", probe(p, true));
    }
    container.push(
        "securityContext",
        // Started as its own user, an image needs none of the capabilities its
        // entrypoint uses to drop root; binding a low port is the one the
        // Restricted Pod Security Standard allows back.
        restricted(w.read_only, &cap_add, w.uid, w.gid),
    );
    if !mounts.is_empty() {
        container.push("volumeMounts", Y::Seq(mounts));
    }

    let prometheus = service.kind == crate::spec::Kind::Prometheus;
    let mut pod = Y::map([("automountServiceAccountToken", Y::Bool(prometheus))]);
    if prometheus {
        pod.push("serviceAccountName", s("prometheus"));
    }
    if w.controller == Controller::Job {
        pod.push("restartPolicy", s("OnFailure"));
    }
    pod.push(
        "securityContext",
        Y::map([
            ("runAsNonRoot", Y::Bool(true)),
            ("runAsUser", i(w.uid)),
            ("runAsGroup", i(w.gid)),
            ("fsGroup", i(if w.gid == 0 { w.uid } else { w.gid })),
            ("seccompProfile", Y::map([("type", s("RuntimeDefault"))])),
        ]),
    );
    if w.max_replicas() > 1 {
        pod.push("topologySpreadConstraints", spread(&w.service));
    }
    if !init.is_empty() {
        pod.push("initContainers", Y::Seq(init));
    }
    pod.push("containers", Y::seq([container]));
    if !volumes.is_empty() {
        pod.push("volumes", Y::Seq(volumes));
    }
    pod
}

/// Replicas on different nodes (strictly), and across zones when they can be.
fn spread(service: &str) -> Y {
    let constraint = |key: &str, when: &str| {
        Y::map([
            ("maxSkew", i(1)),
            ("topologyKey", s(key)),
            ("whenUnsatisfiable", s(when)),
            (
                "labelSelector",
                Y::map([("matchLabels", selector(service))]),
            ),
        ])
    };
    Y::seq([
        constraint("kubernetes.io/hostname", "DoNotSchedule"),
        constraint("topology.kubernetes.io/zone", "ScheduleAnyway"),
    ])
}

fn small() -> Y {
    let r = Y::map([("cpu", s("10m")), ("memory", s("16Mi"))]);
    Y::map([("requests", r.clone()), ("limits", r)])
}
