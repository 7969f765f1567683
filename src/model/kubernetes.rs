//! The stack on ACK (`platform: ack`): which services become which workloads,
//! how many pods each runs, the disks they claim, the cluster's nodes, and the
//! one reachability graph the NetworkPolicies are written from.
//!
//! Every decision is made here; `targets::kubernetes` only writes objects.

mod alerting;

use std::collections::BTreeSet;

use super::{Service, Stack};
use crate::spec::{Autoscale, IngressClass, Kind, PrometheusDiscovery, Restart, Spec};

/// The Kubernetes version new clusters get unless `kubernetes.version` says
/// otherwise: ACK's 1.35 (help.aliyun.com ACK "Kubernetes 1.35 release notes",
/// 1.35.2-aliyun.1; released February 2026, supported until 2027-02-28 by
/// ACK's "Support for Kubernetes versions"). The manifests are validated
/// against this minor's schemas.
pub const DEFAULT_VERSION: &str = "1.35.2-aliyun.1";

/// The cluster's VPC, which the cloud templates create: the ALB sends from
/// addresses in it, and Terway gives the pods addresses in it.
pub const VPC_CIDR: &str = "192.168.0.0/16";
/// Worker nodes' vSwitch (in the host's zone), and the pods' (Terway).
pub const NODE_CIDR: &str = "192.168.0.0/20";
pub const POD_CIDR: &str = "192.168.16.0/20";
/// Cluster IPs of Services, outside the VPC.
pub const SERVICE_CIDR: &str = "172.21.0.0/20";

/// The disk StorageClasses every ACK cluster has (the csi-provisioner
/// component creates them: kubernetes-sigs/alibaba-cloud-csi-driver 8aacf900
/// `deploy/charts/alibaba-cloud-csi-driver/templates/storage-class.yaml`; ACK
/// "Storage classes"). `alicloud-disk-topology-alltype` binds when the pod is
/// scheduled (WaitForFirstConsumer), in its zone, trying ESSD, SSD and ultra
/// disks in turn; the others bind at once. `alicloud-disk-available` is a
/// legacy class that newer clusters lack.
pub const STORAGE_CLASSES: &[&str] = &[
    "alicloud-disk-essd",
    "alicloud-disk-ssd",
    "alicloud-disk-efficiency",
    "alicloud-disk-topology-alltype",
];

pub const DEFAULT_STORAGE_CLASS: &str = "alicloud-disk-essd";

/// The smallest disk the ESSD, SSD and ultra classes provision (ECS
/// "Block storage limits": cloud_essd PL1, cloud_ssd and cloud_efficiency
/// start at 20 GiB); a smaller request is rounded up to it.
pub const MIN_DISK_GIB: u64 = 20;

/// Disk volumes a node can mount: ACK's "Disk volume overview" says at most 16
/// disks per node, the system disk included, and the CSI node plugin reports
/// the instance type's disk quantity minus the disks it did not attach (the
/// system disk), 15 by default (alibaba-cloud-csi-driver `pkg/disk/nodeserver.go`
/// `NodeGetInfo`, `DefaultMaxVolumesPerNode`).
pub const DISKS_PER_NODE: u64 = 15;

/// Image of the init containers that wait for a dependency's port
/// (busybox `nc -z`), pinned: Docker Hub `library/busybox` 1.37.0.
pub const WAIT_IMAGE: &str = "busybox:1.37.0";

/// What runs a service's pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Controller {
    /// A stateless service (apps, exporters).
    Deployment,
    /// A database with its disks (`volumeClaimTemplates`).
    StatefulSet,
    /// Runs once to completion (the accounts jobs).
    Job,
}

/// A disk a workload claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// The volume's name in the pod and in the claim (`data`).
    pub name: String,
    pub mount: String,
    pub size_gib: u64,
}

/// One service as Kubernetes runs it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The service's name: the workload's, its Service's and its pods' `app` label.
    pub service: String,
    pub controller: Controller,
    /// Pods at start (an autoscaled app's `min`).
    pub replicas: u32,
    pub autoscale: Option<Autoscale>,
    pub disks: Vec<Disk>,
    /// `runAsUser`, `runAsGroup` and `fsGroup` (see [`run_as`]).
    pub uid: u32,
    pub gid: u32,
    /// Whether its root filesystem can be read-only (apps always: their
    /// writable paths are the data disk and an empty `/tmp`).
    pub read_only: bool,
    /// How the kubelet checks it, from the same health definition as Docker's check.
    pub probe: Option<Probe>,
}

/// A readiness or liveness check, with the health check's timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub check: Check,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

/// What the kubelet does to check a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// An HTTP GET of a path on a port (the app's `health_path` or `healthcheck.http`).
    Http { path: String, port: u16 },
    /// A TCP connection (the app's `healthcheck.tcp`).
    Tcp { port: u16 },
    /// A program in the container (a database's own check, or the app's `healthcheck.command`).
    Exec(Vec<String>),
}

impl Workload {
    /// Most pods it can run (what the nodes are sized for).
    pub fn max_replicas(&self) -> u32 {
        self.autoscale
            .map_or(self.replicas, |a| a.max.max(self.replicas))
    }

    /// A PodDisruptionBudget keeps one pod up while nodes drain.
    pub fn disruption_budget(&self) -> bool {
        self.controller != Controller::Job && self.max_replicas() > 1
    }
}

/// Why one pod may open connections to another's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// The spec's `uses` (or the dependency futurestack adds: an accounts job
    /// on its database, an exporter on its database).
    Uses,
    /// Prometheus scrapes a metrics port.
    Scrape,
    /// Prometheus sends alerts to Alertmanager; Alertmanager to a receiver.
    Alerts,
}

/// One allowed connection: from a workload to a workload's port (or an
/// external service's), and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reach {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub why: Why,
}

/// The stack's cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub namespace: String,
    pub version: String,
    pub ingress_class: Option<IngressClass>,
    pub storage_class: String,
    pub discovery: PrometheusDiscovery,
    /// Worker nodes, each of `host.instance_type`.
    pub nodes: u32,
    /// Whether `nodes` came from the capacity budget (not the spec).
    pub nodes_from_budget: bool,
    /// Sorted by service name.
    pub workloads: Vec<Workload>,
    /// Every allowed connection between pods (and to external services),
    /// sorted: the NetworkPolicies allow exactly these, plus DNS and the
    /// Ingress controller's connections to the routed ports.
    pub reach: Vec<Reach>,
    /// Services in the spec that are not run in the cluster: managed ones
    /// (their endpoint comes from a Secret) and external ones.
    pub outside: Vec<String>,
}

impl Cluster {
    pub fn workload(&self, service: &str) -> Option<&Workload> {
        self.workloads.iter().find(|w| w.service == service)
    }

    /// CPUs and MiB the long-running pods ask for at their most replicas
    /// (requests equal limits; a Job's pod ends before the others need it).
    pub fn requests(&self, stack: &Stack) -> (f64, u64) {
        let (mut cpus, mut mib) = (0.0, 0);
        for w in self
            .workloads
            .iter()
            .filter(|w| w.controller != Controller::Job)
        {
            if let Some(s) = stack.service(&w.service) {
                cpus += s.cpus * f64::from(w.max_replicas());
                mib += s.memory.mib() * u64::from(w.max_replicas());
            }
        }
        (cpus, mib)
    }

    /// Disks the pods claim at most (every replica of every StatefulSet).
    pub fn disks(&self) -> u64 {
        self.workloads
            .iter()
            .map(|w| w.disks.len() as u64 * u64::from(w.max_replicas()))
            .sum()
    }

    /// GiB the disk claims provision at most (every replica's).
    pub fn claimed_gib(&self) -> u64 {
        self.workloads
            .iter()
            .map(|w| w.disks.iter().map(|d| d.size_gib).sum::<u64>() * u64::from(w.max_replicas()))
            .sum()
    }

    /// The largest pod of a long-running workload: its CPUs and MiB (what
    /// one node must have free for pods).
    pub fn largest_pod(&self, stack: &Stack) -> (f64, u64) {
        self.workloads
            .iter()
            .filter(|w| w.controller != Controller::Job)
            .filter_map(|w| stack.service(&w.service))
            .fold((0.0, 0), |(c, m), s| (c.max(s.cpus), m.max(s.memory.mib())))
    }

    /// The ECS disk category the storage class provisions (the one it tries
    /// first, for `alicloud-disk-topology-alltype`), as the price table names it.
    pub fn disk_category(&self) -> &'static str {
        match self.storage_class.as_str() {
            "alicloud-disk-ssd" => "cloud_ssd",
            "alicloud-disk-efficiency" => "cloud_efficiency",
            _ => "cloud_essd",
        }
    }
}

/// Whether futurestack runs `service` in the cluster: the spec's own
/// services (apps and self-hosted databases), the database exporters, the
/// accounts jobs, Prometheus and Alertmanager. What only makes sense on a
/// Docker host stays out: nginx (the Ingress replaces it), the node and
/// blackbox exporters, the backup and certificate jobs, Grafana and the chat
/// bridges (FS197 refuses their receivers on ACK).
pub fn runs_in_cluster(service: &Service) -> bool {
    if service.external || service.managed.is_some() {
        return false;
    }
    match service.kind {
        Kind::App
        | Kind::Mysql
        | Kind::Postgres
        | Kind::Redis
        | Kind::Elasticsearch
        | Kind::Neo4j
        | Kind::Weaviate
        | Kind::DatabaseAccounts
        | Kind::Prometheus
        | Kind::Alertmanager => true,
        Kind::Exporter(e) => e != crate::spec::ExporterFor::Nginx,
        _ => false,
    }
}

/// `runAsUser` and `runAsGroup` of a kind's pinned image, so that its
/// entrypoint runs without root (the docker-library entrypoints skip `gosu`
/// when they start as their own user). Sources: docker-library/mysql
/// `8.4/Dockerfile.oracle` (`groupadd --system --gid 999 mysql`, `useradd
/// --uid 999`), docker-library/postgres `17/bookworm/Dockerfile` (999:999),
/// redis `7.4/alpine/Dockerfile` (`addgroup -S -g 1000 redis`, `adduser -u
/// 999`), elastic/dockerfiles v8.19.10 (`USER 1000:0`), prom images (`USER
/// nobody`, 65534). Apps run as 10001 unless the spec's image says otherwise.
pub fn run_as(service: &Service) -> (u32, u32) {
    if let Some((u, g)) = service.user.as_deref().and_then(|u| u.split_once(':')) {
        if let (Ok(u), Ok(g)) = (u.parse(), g.parse()) {
            return (u, g);
        }
    }
    match service.kind {
        Kind::Mysql | Kind::Postgres | Kind::DatabaseAccounts => (999, 999),
        Kind::Redis => (999, 1000),
        Kind::Elasticsearch => (1000, 0),
        Kind::Neo4j => (7474, 7474),
        Kind::Weaviate | Kind::App => (10001, 10001),
        _ => (65534, 65534),
    }
}

/// Builds the cluster model (with `platform: ack`).
pub fn build(spec: &Spec, stack: &Stack) -> Cluster {
    let k = spec.kubernetes.clone().unwrap_or_default();
    let workloads: Vec<Workload> = stack
        .services
        .iter()
        .filter(|s| runs_in_cluster(s))
        // With the Operator, its own Prometheus scrapes the ServiceMonitors
        // (and its Alertmanager routes what the PrometheusRule fires).
        .filter(|s| {
            !matches!(s.kind, Kind::Prometheus | Kind::Alertmanager)
                || k.prometheus == PrometheusDiscovery::ServiceDiscovery
        })
        .map(|s| workload(spec, s))
        .collect();
    let running: BTreeSet<&str> = workloads.iter().map(|w| w.service.as_str()).collect();
    let mut reach = Vec::new();
    for w in &workloads {
        let Some(s) = stack.service(&w.service) else {
            continue;
        };
        let targets = s
            .uses
            .iter()
            .chain(s.depends_on.iter().map(|d| &d.service))
            .collect::<BTreeSet<_>>();
        for target in targets {
            let Some(t) = stack.service(target) else {
                continue;
            };
            if !running.contains(t.name.as_str()) && !t.external {
                continue;
            }
            for port in &t.ports {
                reach.push(Reach {
                    from: s.name.clone(),
                    to: t.name.clone(),
                    port: port.container,
                    why: Why::Uses,
                });
            }
        }
    }
    if let Some(m) = &stack.monitoring {
        {
            for job in &m.jobs {
                let Some(t) = stack.service(&job.endpoint_service) else {
                    continue;
                };
                if !running.contains(t.name.as_str()) || t.name == "prometheus" {
                    continue;
                }
                if let Some(port) = scrape_port(job, t) {
                    reach.push(Reach {
                        from: "prometheus".to_owned(),
                        to: t.name.clone(),
                        port,
                        why: Why::Scrape,
                    });
                }
            }
        }
    }
    if running.contains("alertmanager") {
        alerting::reach(spec, stack, &running, &mut reach);
    }
    reach.sort();
    reach.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.port == b.port);
    let nodes_from_budget = k.nodes.is_none();
    let mut cluster = Cluster {
        namespace: k
            .namespace
            .clone()
            .unwrap_or_else(|| format!("{}-{}", spec.stack, stack.env)),
        version: k
            .version
            .clone()
            .unwrap_or_else(|| DEFAULT_VERSION.to_owned()),
        ingress_class: k.ingress_class,
        storage_class: k
            .storage_class
            .clone()
            .unwrap_or_else(|| DEFAULT_STORAGE_CLASS.to_owned()),
        discovery: k.prometheus,
        nodes: k.nodes.unwrap_or(0),
        nodes_from_budget,
        workloads,
        reach,
        outside: stack
            .services
            .iter()
            .filter(|s| !s.generated && (s.external || s.managed.is_some()))
            .map(|s| s.name.clone())
            .collect(),
    };
    if nodes_from_budget {
        cluster.nodes = nodes_needed(spec, stack, &cluster);
    }
    cluster
}

/// The port of `t` a scrape job reads: the port in its address, else the main one.
fn scrape_port(job: &super::monitoring::ScrapeJob, t: &Service) -> Option<u16> {
    job.address
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .or_else(|| t.main_port().map(|p| p.container))
}

fn workload(spec: &Spec, s: &Service) -> Workload {
    let own = spec.services.get(&s.name);
    let controller = if s.restart == Restart::No || s.kind == Kind::DatabaseAccounts {
        Controller::Job
    } else if s.kind.is_data() || matches!(s.kind, Kind::Prometheus | Kind::Alertmanager) {
        Controller::StatefulSet
    } else {
        Controller::Deployment
    };
    let autoscale = own.and_then(|o| o.autoscale);
    let replicas = own
        .and_then(|o| o.replicas)
        .or(autoscale.map(|a| a.min))
        .unwrap_or(1);
    let disks = s
        .volumes
        .iter()
        .map(|m| {
            let local = m
                .volume
                .strip_prefix(&format!("{}-", s.name))
                .unwrap_or(&m.volume)
                .to_owned();
            let size = own
                .and_then(|o| o.volumes.get(&local))
                .and_then(|v| v.size)
                .map_or(0, |b| b.mib().div_ceil(1024));
            Disk {
                name: local,
                mount: m.target.clone(),
                size_gib: size.max(MIN_DISK_GIB),
            }
        })
        .collect();
    let (uid, gid) = run_as(s);
    let probe = s.healthcheck.as_ref().and_then(|h| {
        let check = match own.filter(|_| s.kind == Kind::App) {
            Some(app) => {
                let health = app.healthcheck.clone().unwrap_or_default();
                let port = s.main_port().map_or(0, |p| p.container);
                if health.disabled {
                    return None;
                } else if let Some(command) = health.command {
                    Check::Exec(command)
                } else if let Some(tcp) = health.tcp {
                    Check::Tcp { port: tcp }
                } else {
                    let path = health
                        .http
                        .or_else(|| s.health_path.clone())
                        .unwrap_or_else(|| "/health".to_owned());
                    Check::Http { path, port }
                }
            }
            None => match &h.test {
                super::HealthTest::Shell(cmd) => {
                    Check::Exec(vec!["sh".into(), "-c".into(), cmd.clone()])
                }
                super::HealthTest::Exec(args) => Check::Exec(args.clone()),
            },
        };
        Some(Probe {
            check,
            interval_s: h.interval_s,
            timeout_s: h.timeout_s,
            retries: h.retries,
            start_period_s: h.start_period_s,
        })
    });
    Workload {
        service: s.name.clone(),
        controller,
        replicas,
        autoscale,
        disks,
        uid,
        gid,
        read_only: s.kind == Kind::App || s.hardening.read_only,
        probe,
    }
}

/// Nodes the pods fit on with the spec's headroom kept free (`cost.headroom`,
/// else 20%), at most `max` replicas each, and never fewer than 2 (a node can
/// be drained without stopping the stack).
fn nodes_needed(spec: &Spec, stack: &Stack, cluster: &Cluster) -> u32 {
    let headroom = spec.cost.as_ref().map_or(20, |c| c.headroom);
    let host = &stack.host;
    nodes_for(
        stack,
        cluster,
        headroom,
        f64::from(host.vcpus),
        host.memory.mib(),
    )
}

/// Nodes of `vcpus` and `memory_mib` each (less the host's reservation) that
/// hold the pods' requests at their most replicas with `headroom` percent
/// kept free, and the disk claims: at least 2, at most 100.
pub fn nodes_for(
    stack: &Stack,
    cluster: &Cluster,
    headroom: u32,
    vcpus: f64,
    memory_mib: u64,
) -> u32 {
    let usable = f64::from(100 - headroom.min(90)) / 100.0;
    let reserved = &stack.host.reserved;
    let node_cpus = (vcpus - reserved.cpus) * usable;
    let node_mib = memory_mib.saturating_sub(reserved.memory.mib()) as f64 * usable;
    let (cpus, mib) = cluster.requests(stack);
    let mib = mib as f64;
    let by_cpu = if node_cpus > 0.0 {
        (cpus / node_cpus).ceil()
    } else {
        1.0
    };
    let by_mem = if node_mib > 0.0 {
        (mib / node_mib).ceil()
    } else {
        1.0
    };
    let by_disk = cluster.disks().div_ceil(DISKS_PER_NODE) as f64;
    by_cpu.max(by_mem).max(by_disk).clamp(2.0, 100.0) as u32
}

/// ACK Pro (`ack.pro.small`): the managed control plane with an SLA, which
/// ACK recommends for production (ACK "Cluster types").
pub const CLUSTER_SPEC: &str = "ack.pro.small";

/// kube-proxy's mode: IPVS, ACK's default (ROS `ProxyMode`, Terraform
/// `proxy_mode`: iptables or ipvs).
pub const PROXY_MODE: &str = "ipvs";

/// The cluster's components (ACK add-ons), with their config: Terway with
/// network policies (ACK enforces NetworkPolicies with Terway only), the disk
/// CSI plugin and its provisioner (the StorageClasses), and the Ingress
/// controller the routes need. Names and configs as in
/// aliyun/terraform-provider-alicloud 81c43b6727a0
/// `website/docs/r/cs_managed_kubernetes.html.markdown` and aliyun/ros-templates
/// 9cc3b8185ece `resources/cs/managed-kubernetes-cluster-case3.yml`; ACK's
/// "Configure add-ons by using Terraform" sets `"NetworkPolicy":"true"`.
/// metrics-server, which the autoscalers read, is a system component ACK
/// installs in every cluster ("Component overview").
///
/// The ALB controller creates no AlbConfig: an ALB needs vSwitches in two
/// zones, which the operator names in the `alb` AlbConfig (README, "Scaling
/// out to ACK").
pub fn addons(cluster: &Cluster) -> Vec<(&'static str, Option<&'static str>)> {
    let mut out = vec![
        (
            "terway-eniip",
            Some(r#"{"IPVlan":"false","NetworkPolicy":"true","ENITrunking":"false"}"#),
        ),
        ("csi-plugin", None),
        ("csi-provisioner", None),
    ];
    match cluster.ingress_class {
        Some(IngressClass::Alb) => out.push((
            "alb-ingress-controller",
            Some(r#"{"albIngress":{"CreateDefaultALBConfig":false}}"#),
        )),
        Some(IngressClass::Nginx) => out.push((
            "nginx-ingress-controller",
            Some(r#"{"IngressSlbNetworkType":"internet"}"#),
        )),
        None => {}
    }
    out
}

/// Why the node pool has its size, for the templates' parameter descriptions.
pub fn node_count_reason(cluster: &Cluster) -> String {
    if cluster.nodes_from_budget {
        format!(
            "Worker nodes: {}, what the pods' requests need with the headroom kept free (at least 2).",
            cluster.nodes
        )
    } else {
        format!(
            "Worker nodes: {}, as `kubernetes.nodes` says.",
            cluster.nodes
        )
    }
}

/// A node's system disk in GiB: the host's, at least ACK's 40 GiB minimum
/// (ROS `ALIYUN::CS::ClusterNodePool` `SystemDiskSize`: 40 to 500).
pub fn system_disk_gib(stack: &Stack) -> u64 {
    (stack.host.disk.mib() / 1024).clamp(40, 500)
}
