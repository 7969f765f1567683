//! NetworkPolicies from the reachability model: everything is denied, then
//! each pod may open exactly the connections [`Cluster::reach`] lists (its
//! `uses`, Prometheus's scrapes), resolve names, and take requests from the
//! Ingress controller on its routed ports.

use std::collections::BTreeMap;

use super::workloads::{metadata, selector};
use super::yaml::{Y, i, s};
use crate::model::Stack;
use crate::model::kubernetes::{Cluster, VPC_CIDR};
use crate::spec::{IngressClass, PrometheusDiscovery};

fn policy(
    stack: &Stack,
    cluster: &Cluster,
    name: &str,
    pods: Y,
    ingress: Option<Vec<Y>>,
    egress: Option<Vec<Y>>,
) -> Y {
    let mut types = Vec::new();
    let mut spec = Y::map([("podSelector", pods)]);
    if let Some(rules) = ingress {
        types.push(s("Ingress"));
        spec.push("ingress", Y::Seq(rules));
    }
    if let Some(rules) = egress {
        types.push(s("Egress"));
        spec.push("egress", Y::Seq(rules));
    }
    spec.push("policyTypes", Y::Seq(types));
    let mut meta = metadata(stack, cluster, name, name);
    if let Y::Map(m) = &mut meta {
        // The shared policies belong to no service.
        if name.starts_with("futurestack-") {
            m.retain(|(k, _)| k != "labels");
        }
    }
    Y::map([
        ("apiVersion", s("networking.k8s.io/v1")),
        ("kind", s("NetworkPolicy")),
        ("metadata", meta),
        ("spec", spec),
    ])
}

fn ports(list: &[u16]) -> Y {
    Y::seq(
        list.iter()
            .map(|p| Y::map([("protocol", s("TCP")), ("port", i(*p))])),
    )
}

fn pod_peer(service: &str) -> Y {
    Y::map([("podSelector", Y::map([("matchLabels", selector(service))]))])
}

/// A peer outside the namespace's pods: an external service anywhere but in
/// the cluster's own address ranges.
fn outside_peer() -> Y {
    Y::map([("ipBlock", Y::map([("cidr", s("0.0.0.0/0"))]))])
}

/// Where the Ingress controller's requests come from.
fn ingress_peer(class: IngressClass) -> Y {
    match class {
        // ALB sends from its own addresses in the cluster's VPC (Terway gives
        // pods VPC addresses, and ALB forwards to them directly).
        IngressClass::Alb => Y::map([("ipBlock", Y::map([("cidr", s(VPC_CIDR))]))]),
        // ACK's NGINX Ingress controller runs in kube-system as `app: ingress-nginx`.
        IngressClass::Nginx => Y::map([
            (
                "namespaceSelector",
                Y::map([(
                    "matchLabels",
                    Y::map([("kubernetes.io/metadata.name", s("kube-system"))]),
                )]),
            ),
            (
                "podSelector",
                Y::map([("matchLabels", Y::map([("app", s("ingress-nginx"))]))]),
            ),
        ]),
    }
}

/// Every NetworkPolicy of the namespace.
pub fn policies(stack: &Stack, cluster: &Cluster) -> Vec<Y> {
    let mut out = vec![
        policy(
            stack,
            cluster,
            "futurestack-default-deny",
            Y::map::<&str>([]),
            Some(vec![]),
            Some(vec![]),
        ),
        policy(
            stack,
            cluster,
            "futurestack-dns",
            Y::map::<&str>([]),
            None,
            Some(vec![Y::map([
                (
                    "to",
                    Y::seq([Y::map([
                        (
                            "namespaceSelector",
                            Y::map([(
                                "matchLabels",
                                Y::map([("kubernetes.io/metadata.name", s("kube-system"))]),
                            )]),
                        ),
                        (
                            "podSelector",
                            Y::map([("matchLabels", Y::map([("k8s-app", s("kube-dns"))]))]),
                        ),
                    ])]),
                ),
                (
                    "ports",
                    Y::seq([
                        Y::map([("protocol", s("UDP")), ("port", i(53))]),
                        Y::map([("protocol", s("TCP")), ("port", i(53))]),
                    ]),
                ),
            ])]),
        ),
    ];
    let routed = routed_ports(stack);
    let local_prometheus = cluster.workload("prometheus").is_some();
    for w in &cluster.workloads {
        let name = w.service.as_str();
        // Peer → ports, in order.
        let mut inbound: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
        let mut outbound: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
        for r in &cluster.reach {
            if r.to == name {
                inbound.entry(r.from.as_str()).or_default().push(r.port);
            }
            if r.from == name {
                outbound.entry(r.to.as_str()).or_default().push(r.port);
            }
        }
        let mut ingress = Vec::new();
        for (from, list) in &inbound {
            let peer = if *from == "prometheus" && !local_prometheus {
                // The Operator's (or ACK's managed) Prometheus, in its own namespace.
                Y::map([
                    ("namespaceSelector", Y::map::<&str>([])),
                    (
                        "podSelector",
                        Y::map([(
                            "matchLabels",
                            Y::map([("app.kubernetes.io/name", s("prometheus"))]),
                        )]),
                    ),
                ])
            } else {
                pod_peer(from)
            };
            ingress.push(Y::map([("from", Y::seq([peer])), ("ports", ports(list))]));
        }
        if let (Some(list), Some(class)) = (routed.get(name), cluster.ingress_class) {
            ingress.push(Y::map([
                ("from", Y::seq([ingress_peer(class)])),
                ("ports", ports(list)),
            ]));
        }
        let mut egress = Vec::new();
        for (to, list) in &outbound {
            let peer = if cluster.workload(to).is_some() {
                pod_peer(to)
            } else if stack.service(to).is_some_and(|t| t.managed.is_some()) {
                // The cloud templates create managed services in the cluster's VPC.
                Y::map([("ipBlock", Y::map([("cidr", s(VPC_CIDR))]))])
            } else {
                outside_peer()
            };
            egress.push(Y::map([("to", Y::seq([peer])), ("ports", ports(list))]));
        }
        if name == "prometheus" && cluster.discovery == PrometheusDiscovery::ServiceDiscovery {
            // Service discovery asks the API server, whose address is the cluster's.
            egress.push(Y::map([
                ("to", Y::seq([outside_peer()])),
                ("ports", ports(&[443, 6443])),
            ]));
        }
        out.push(policy(
            stack,
            cluster,
            name,
            Y::map([("matchLabels", selector(name))]),
            Some(ingress),
            Some(egress),
        ));
    }
    out
}

/// The container ports the Ingress routes reach, by service.
pub fn routed_ports(stack: &Stack) -> BTreeMap<&str, Vec<u16>> {
    let mut out: BTreeMap<&str, Vec<u16>> = BTreeMap::new();
    if let Some(edge) = &stack.edge {
        for u in &edge.upstreams {
            if let Some(port) = u.address.rsplit_once(':').and_then(|(_, p)| p.parse().ok()) {
                out.entry(u.service.as_str()).or_default().push(port);
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
        list.dedup();
    }
    out
}
