//! The rules of `platform: ack`: what Kubernetes would refuse or do wrong,
//! at the spec's lines (disks on replicated Deployments, storage classes,
//! databases behind a LoadBalancer, the IngressClass, disks per node, pods
//! larger than a node, what the cluster cannot reach).

use super::Ctx;
use crate::error::Diagnostic;
use crate::model::kubernetes::{self, Cluster, Controller, DISKS_PER_NODE, STORAGE_CLASSES};
use crate::spec::{HostMode, IngressClass, Platform};
use crate::suggest::did_you_mean;

/// ALB's listener answers 504 after its request timeout, 60 s unless the
/// AlbConfig's listener sets `requestTimeout` (1 to 180 s: ROS
/// `ALIYUN::ALB::Listener` RequestTimeout; ACK "ALB Ingress configuration
/// dictionary": timeouts are the listener's, not an Ingress annotation).
const ALB_DEFAULT_TIMEOUT_S: u64 = 60;
const ALB_MAX_TIMEOUT_S: u64 = 180;

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    let Some(cluster) = &ctx.stack.kubernetes else {
        compose_only(ctx);
        return;
    };
    if spec.host.mode == HostMode::Existing {
        let at = ctx.at(&["platform"]);
        ctx.push(
            Diagnostic::error("FS185", "`platform: ack` runs on new nodes, but `host.mode` is `existing`")
                .at_opt(at)
                .with_help("set `host.mode: new`: on ACK, `host` describes the instance type of the cluster's nodes"),
        );
    }
    storage_class(ctx);
    for w in &cluster.workloads {
        replicated_disks(ctx, w);
        too_large(ctx, w);
        port_names(ctx, &w.service);
    }
    for (name, s) in &spec.services {
        if let Some(a) = s.autoscale {
            if a.min > a.max {
                let at = ctx.at(&["services", name, "autoscale", "min"]);
                ctx.push(
                    Diagnostic::error(
                        "FS186",
                        format!(
                            "`{name}` autoscales from {} to {} pods: `min` is more than `max`",
                            a.min, a.max
                        ),
                    )
                    .at_opt(at)
                    .with_help("make `autoscale.min` at most `autoscale.max`"),
                );
            }
            if s.replicas.is_some() {
                let at = ctx.at(&["services", name, "replicas"]);
                ctx.push(
                    Diagnostic::error("FS186", format!("`{name}` has both `replicas` and `autoscale`"))
                        .at_opt(at)
                        .with_help("the autoscaler sets the replicas: keep `autoscale.min` and remove `replicas`"),
                );
            }
        }
        if s.kind.is_data()
            && s.managed.is_none()
            && s.ports.values().any(|p| p.public && p.host.is_some())
        {
            let at = ctx.at(&["services", name, "ports"]);
            ctx.push(
                Diagnostic::error("FS188", format!("database `{name}` would be exposed through a LoadBalancer"))
                    .at_opt(at)
                    .with_help("remove `public` (and `host`) from its ports: in the cluster, only the services that use it reach it; use `kubectl port-forward` for administration"),
            );
        }
    }
    let routed = ctx
        .stack
        .edge
        .as_ref()
        .is_some_and(|e| e.servers.iter().any(|s| !s.routes.is_empty()));
    if routed && cluster.ingress_class.is_none() {
        let at = ctx.key(&["edge"]);
        ctx.push(
            Diagnostic::error("FS189", "the routes need an IngressClass on ACK, and `kubernetes.ingress_class` is not set")
                .at_opt(at)
                .with_help("set `kubernetes.ingress_class: alb` (ACK's ALB Ingress controller) or `nginx` (the NGINX Ingress controller)"),
        );
    }
    if cluster.ingress_class == Some(IngressClass::Alb) {
        alb_timeouts(ctx);
    }
    if cluster.workload("alertmanager").is_some() {
        chat_receivers(ctx);
    }
    let per_node = cluster.disks().div_ceil(u64::from(cluster.nodes.max(1)));
    if per_node > DISKS_PER_NODE {
        let at = ctx.at(&["kubernetes", "nodes"]);
        ctx.push(
            Diagnostic::error(
                "FS190",
                format!("the pods claim {} disks, {per_node} per node on {} nodes: more than the {DISKS_PER_NODE} disk volumes a node mounts", cluster.disks(), cluster.nodes),
            )
            .at_opt(at)
            .with_help(format!("raise `kubernetes.nodes` to at least {}, or give fewer services their own disk", cluster.disks().div_ceil(DISKS_PER_NODE))),
        );
    }
    unreachable_external(ctx, cluster);
}

/// The ACK settings mean nothing on a Docker host.
fn compose_only(ctx: &mut Ctx) {
    debug_assert_eq!(ctx.spec.platform, Platform::Compose);
    if ctx.spec.kubernetes.is_some() {
        let at = ctx.key(&["kubernetes"]);
        ctx.push(
            Diagnostic::error(
                "FS187",
                "`kubernetes` is set, but the stack runs on Docker Compose",
            )
            .at_opt(at)
            .with_help("add `platform: ack` to run it on ACK, or remove `kubernetes`"),
        );
    }
    for (name, s) in &ctx.spec.services {
        for field in ["replicas", "autoscale"] {
            let set = match field {
                "replicas" => s.replicas.is_some(),
                _ => s.autoscale.is_some(),
            };
            if set {
                let at = ctx.key(&["services", name, field]);
                ctx.push(
                    Diagnostic::error("FS187", format!("`{field}` of `{name}` needs `platform: ack`"))
                        .at_opt(at)
                        .with_help("one Docker host runs one container per service: add `platform: ack`, or remove it"),
                );
            }
        }
    }
}

fn storage_class(ctx: &mut Ctx) {
    let Some(class) = ctx
        .spec
        .kubernetes
        .as_ref()
        .and_then(|k| k.storage_class.as_deref())
    else {
        return;
    };
    if STORAGE_CLASSES.contains(&class) {
        return;
    }
    let at = ctx.at(&["kubernetes", "storage_class"]);
    let help = match did_you_mean(class, STORAGE_CLASSES.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!(
            "use one of ACK's disk classes: {}",
            super::list(STORAGE_CLASSES)
        ),
    };
    ctx.push(
        Diagnostic::error(
            "FS191",
            format!("storage class `{class}` is not one ACK creates"),
        )
        .at_opt(at)
        .with_help(help),
    );
}

fn replicated_disks(ctx: &mut Ctx, w: &kubernetes::Workload) {
    if w.controller != Controller::Deployment || w.disks.is_empty() || w.max_replicas() < 2 {
        return;
    }
    let name = &w.service;
    let at = ctx.at(&["services", name, "volumes"]);
    ctx.push(
        Diagnostic::error(
            "FS192",
            format!("`{name}` runs up to {} pods, but its volume `{}` is a disk, which one node mounts at a time", w.max_replicas(), w.disks[0].name),
        )
        .at_opt(at)
        .with_help("keep the app's state in a database and remove `volumes`, or run one pod"),
    );
}

fn too_large(ctx: &mut Ctx, w: &kubernetes::Workload) {
    let Some(s) = ctx.stack.service(&w.service) else {
        return;
    };
    let host = &ctx.stack.host;
    let cpus = f64::from(host.vcpus) - host.reserved.cpus;
    let mib = host.memory.mib().saturating_sub(host.reserved.memory.mib());
    if s.cpus <= cpus + 1e-9 && s.memory.mib() <= mib {
        return;
    }
    let at = ctx.service_at(&w.service, &["resources"]);
    ctx.push(
        Diagnostic::error(
            "FS193",
            format!(
                "a pod of `{}` asks for {} CPUs and {} MiB, more than a node of `{}` has for pods ({cpus:.2} CPUs, {mib} MiB)",
                w.service, s.cpus, s.memory.mib(), host.instance_type
            ),
        )
        .at_opt(at)
        .with_help("no node could run it: lower its `resources`, or choose a larger `host.instance_type` for the nodes"),
    );
}

/// DingTalk and WeCom robots are reached through bridges that run on a
/// Docker host only: on ACK their alerts would go nowhere.
fn chat_receivers(ctx: &mut Ctx) {
    let Some(mon) = &ctx.spec.monitoring else {
        return;
    };
    for (name, r) in &mon.receivers {
        if matches!(
            r.kind,
            crate::spec::ReceiverKind::Dingtalk | crate::spec::ReceiverKind::Wecom
        ) {
            let at = ctx.at(&["monitoring", "receivers", name, "kind"]);
            ctx.push(
                Diagnostic::error(
                    "FS197",
                    format!("receiver `{name}` is a `{}` robot, whose bridge does not run in the cluster", r.kind.as_str()),
                )
                .at_opt(at)
                .with_help("on ACK, send alerts to a `webhook` or `email` receiver (a robot's own webhook service, or ACK's alert contacts)"),
            );
        }
    }
}

/// Kubernetes port names are IANA service names: at most 15 lowercase
/// letters, digits and `-`, with a letter.
fn port_names(ctx: &mut Ctx, service: &str) {
    let Some(s) = ctx.stack.service(service) else {
        return;
    };
    for p in &s.ports {
        let n = &p.name;
        let ok = n.len() <= 15
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && n.chars().any(|c| c.is_ascii_lowercase())
            && !n.starts_with('-')
            && !n.ends_with('-')
            && !n.contains("--");
        if !ok {
            let at = ctx.service_at(service, &["ports", n]);
            ctx.push(
                Diagnostic::error("FS194", format!("port name `{n}` of `{service}` is not a Kubernetes port name"))
                    .at_opt(at)
                    .with_help("name it with at most 15 lowercase letters, digits and single `-`, with at least one letter"),
            );
        }
    }
}

fn alb_timeouts(ctx: &mut Ctx) {
    let Some(edge) = &ctx.stack.edge else { return };
    let mut seen = Vec::new();
    for r in edge.servers.iter().flat_map(|s| &s.routes) {
        if r.timeout_s <= ALB_DEFAULT_TIMEOUT_S || seen.contains(&(&r.service, &r.name)) {
            continue;
        }
        seen.push((&r.service, &r.name));
        let at = ctx.at(&["services", &r.service, "routes", &r.name, "timeout"]);
        let diag = if r.timeout_s > ALB_MAX_TIMEOUT_S {
            Diagnostic::error("FS195", format!("route `{}` of `{}` waits {} s, longer than an ALB listener's request timeout can be ({ALB_MAX_TIMEOUT_S} s)", r.name, r.service, r.timeout_s))
                .with_help("lower `timeout` to 180s or less, or use `kubernetes.ingress_class: nginx`, whose timeouts are per route")
        } else {
            Diagnostic::warning("FS195", format!("route `{}` of `{}` waits {} s, but an ALB listener times out after {ALB_DEFAULT_TIMEOUT_S} s unless its AlbConfig says otherwise", r.name, r.service, r.timeout_s))
                .with_help(format!("set `requestTimeout: {}` on the HTTPS listener of the AlbConfig the `alb` IngressClass names", r.timeout_s))
        };
        ctx.push(diag.at_opt(at));
    }
}

fn unreachable_external(ctx: &mut Ctx, cluster: &Cluster) {
    for r in &cluster.reach {
        let Some(t) = ctx.stack.service(&r.to) else {
            continue;
        };
        if !t.external || t.managed.is_some() {
            continue;
        }
        let named = ctx
            .spec
            .services
            .get(&r.to)
            .and_then(|s| s.hostname.as_deref());
        if named.is_some_and(|h| h.contains('.')) {
            continue;
        }
        let at = ctx.uses_at(&r.from, &r.to);
        ctx.push(
            Diagnostic::error("FS196", format!("`{}` uses `{}`, which runs outside the cluster on a Docker network pods cannot join", r.from, r.to))
                .at_opt(at)
                .with_help(format!("give `{}` a `hostname:` the cluster's VPC resolves (a PrivateZone or other DNS name), or stop using it", r.to)),
        );
    }
}
