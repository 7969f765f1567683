//! The cost of a stack on ACK: the node pool, its disks and the disk claims,
//! the cluster's fee and its NAT gateway; and, as the host report recommends
//! the smallest type that fits, the node type of the host's generation whose
//! pool costs least for the same pods.

use serde::Serialize;

use super::{Billing, HOURS_PER_MONTH, Line, Pricer, Total, catalog};
use crate::model::Stack;
use crate::model::kubernetes::{self, CLUSTER_SPEC, Cluster};

/// The node pool a report prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodePool {
    pub instance_type: String,
    pub nodes: u32,
    /// Whether the count is the capacity budget's (else `kubernetes.nodes`).
    pub from_budget: bool,
    /// What the long-running pods ask for at their most replicas.
    pub cpus: f64,
    pub memory_mib: u64,
    /// The disk claims and the GiB they provision.
    pub disk_claims: u64,
    pub claimed_gib: u64,
    pub headroom_percent: u32,
    /// The node type whose pool costs least for the same pods, when it is
    /// not this one and the table prices it.
    pub cheaper: Option<NodeChoice>,
}

/// Another node type for the same pods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeChoice {
    pub instance_type: String,
    pub vcpus: u32,
    pub memory_gib: u32,
    pub nodes: u32,
    /// What the node instances cost a month more (negative: less), each way.
    pub change: Total,
}

/// The SKU of the managed control plane's fee: `cs.<cluster spec>`.
fn fee_sku() -> String {
    format!("cs.{CLUSTER_SPEC}")
}

/// The priced lines of the cluster, in the order the report shows them.
pub(super) fn lines(
    pricer: &mut Pricer,
    stack: &Stack,
    cluster: &Cluster,
    cost: &crate::spec::Cost,
    notes: &mut Vec<String>,
) -> Vec<Line> {
    let host = &stack.host;
    let nodes = u64::from(cluster.nodes);
    let mut out = Vec::new();
    out.extend(pricer.line(
        format!("worker nodes {}", host.instance_type),
        host.instance_type.clone(),
        nodes,
        "node",
        Billing::Rate,
    ));
    out.extend(pricer.line(
        "node system disks".into(),
        format!("disk.{}", host.disk_category.as_str()),
        kubernetes::system_disk_gib(stack) * nodes,
        "GiB",
        Billing::Rate,
    ));
    if cluster.claimed_gib() > 0 {
        out.extend(pricer.line(
            format!("disk claims ({})", cluster.storage_class),
            format!("disk.{}", cluster.disk_category()),
            cluster.claimed_gib(),
            "GiB",
            Billing::Rate,
        ));
    }
    out.extend(pricer.line(
        format!("cluster fee ({CLUSTER_SPEC})"),
        fee_sku(),
        1,
        "cluster",
        Billing::Rate,
    ));
    // The nodes have no public addresses: they reach the internet (image
    // pulls, webhooks) through the NAT gateway the cluster creates, and its
    // elastic IP.
    out.extend(pricer.line(
        "NAT gateway".into(),
        "nat.gateway".into(),
        1,
        "instance",
        Billing::Rate,
    ));
    out.extend(pricer.line(
        "elastic IP (NAT)".into(),
        "eip".into(),
        1,
        "instance",
        Billing::Rate,
    ));
    match cost.egress {
        Some(egress) => out.extend(pricer.line(
            "internet traffic out".into(),
            "internet.egress".into(),
            egress.mib().div_ceil(1024),
            "GiB",
            Billing::Usage,
        )),
        None => notes.push(
            "no internet traffic is priced: set `cost.egress` to the GiB the cluster sends out a month".to_owned(),
        ),
    }
    notes.push(
        "the load balancers the cluster creates (the Ingress controller's, the `-public` Services', the API server's internal one) are billed by Server Load Balancer and are not priced".to_owned(),
    );
    out
}

/// The node pool of `lines` (the first line is its instances) and the
/// cheapest pool of another type of the host's generation.
pub(super) fn pool(
    pricer: &Pricer,
    stack: &Stack,
    cluster: &Cluster,
    headroom: u32,
    lines: &[Line],
) -> NodePool {
    let host = &stack.host;
    let (cpus, memory_mib) = cluster.requests(stack);
    let current = lines
        .first()
        .filter(|l| l.sku == host.instance_type)
        .map(|l| Total {
            pay_as_you_go: l.pay_as_you_go,
            subscription: l.subscription,
        });
    NodePool {
        instance_type: host.instance_type.clone(),
        nodes: cluster.nodes,
        from_budget: cluster.nodes_from_budget,
        cpus: (cpus * 100.0).round() / 100.0,
        memory_mib,
        disk_claims: cluster.disks(),
        claimed_gib: cluster.claimed_gib(),
        headroom_percent: headroom,
        cheaper: current.and_then(|current| cheaper(pricer, stack, cluster, headroom, current)),
    }
}

/// Every type of the host's generation that runs the largest pod, sized by
/// the same budget, priced by the table: the one costing least a month
/// pay-as-you-go (then fewer nodes, then the name), when it costs less than
/// `current`.
fn cheaper(
    pricer: &Pricer,
    stack: &Stack,
    cluster: &Cluster,
    headroom: u32,
    current: Total,
) -> Option<NodeChoice> {
    let host = &stack.host;
    let generation = catalog::generation_of(&host.instance_type);
    let (pod_cpus, pod_mib) = cluster.largest_pod(stack);
    let reserved = &host.reserved;
    let mut best: Option<NodeChoice> = None;
    for t in catalog::all()
        .iter()
        .filter(|t| t.generation() == generation)
    {
        if t.name == host.instance_type {
            continue;
        }
        let mib = u64::from(t.memory_gib) * 1024;
        if f64::from(t.vcpus) - reserved.cpus + 1e-9 < pod_cpus
            || mib.saturating_sub(reserved.memory.mib()) < pod_mib
        {
            continue;
        }
        let Some(price) = pricer.table.prices.get(t.name) else {
            continue;
        };
        let (Some(hourly), Some(monthly)) = (price.hourly, price.monthly) else {
            continue;
        };
        let nodes = kubernetes::nodes_for(stack, cluster, headroom, f64::from(t.vcpus), mib);
        let n = u64::from(nodes);
        let change = Total {
            pay_as_you_go: hourly
                .times(HOURS_PER_MONTH)
                .times(n)
                .minus(current.pay_as_you_go),
            subscription: monthly.times(n).minus(current.subscription),
        };
        let choice = NodeChoice {
            instance_type: t.name.to_owned(),
            vcpus: t.vcpus,
            memory_gib: t.memory_gib,
            nodes,
            change,
        };
        let key = |c: &NodeChoice| (c.change.pay_as_you_go, c.nodes, c.instance_type.clone());
        if best.as_ref().is_none_or(|b| key(&choice) < key(b)) {
            best = Some(choice);
        }
    }
    best.filter(|b| b.change.pay_as_you_go < super::Money::default())
}
