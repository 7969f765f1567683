//! Where the stack runs (`platform`), and how it runs on Alibaba Cloud ACK,
//! the managed Kubernetes service (`kubernetes`, `replicas`, `autoscale`).

use schemars::JsonSchema;
use serde::Deserialize;

/// What runs the stack's containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Docker Compose on one ECS host (`host`): the compose file, nginx and the
    /// monitoring containers, with the host in ROS and Terraform.
    #[default]
    Compose,
    /// An ACK managed Kubernetes cluster: `k8s/` manifests, the cluster and its
    /// node pool in ROS and Terraform. `host` then describes one node.
    Ack,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Compose => "compose",
            Platform::Ack => "ack",
        }
    }
}

/// The IngressClass the public routes go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IngressClass {
    /// ACK's ALB Ingress controller (an Application Load Balancer).
    Alb,
    /// The NGINX Ingress controller (ACK's `ack-ingress-nginx` component).
    Nginx,
}

impl IngressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IngressClass::Alb => "alb",
            IngressClass::Nginx => "nginx",
        }
    }
}

/// How Prometheus finds what to scrape in the cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PrometheusDiscovery {
    /// A Prometheus in the namespace, with Kubernetes service discovery
    /// (`k8s/prometheus.yml`) and the alert rules in a ConfigMap.
    #[default]
    ServiceDiscovery,
    /// The Prometheus Operator (or ACK's Managed Service for Prometheus) is
    /// installed: ServiceMonitor and PrometheusRule objects instead.
    Operator,
}

/// The ACK cluster (with `platform: ack`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// Namespace of every object. Defaults to `<stack>-<environment>`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub namespace: Option<String>,
    /// IngressClass of the public routes (`edge`): `alb` or `nginx`.
    #[serde(default)]
    pub ingress_class: Option<IngressClass>,
    /// StorageClass of the databases' disks. Defaults to `alicloud-disk-essd`;
    /// `alicloud-disk-topology-alltype` waits for the pod's zone.
    #[serde(default)]
    pub storage_class: Option<String>,
    /// How Prometheus discovers the metrics endpoints.
    #[serde(default)]
    pub prometheus: PrometheusDiscovery,
    /// Kubernetes version of the cluster (ACK's spelling, for example `1.31.1-aliyun.1`).
    #[serde(default)]
    #[schemars(regex(pattern = r"^1\.[0-9]+\.[0-9]+-aliyun\.[0-9]+$"))]
    pub version: Option<String>,
    /// Worker nodes (each one `host`'s instance type). Defaults to what the
    /// capacity budget needs, and at least 2.
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub nodes: Option<u32>,
}

/// Horizontal autoscaling of an app (a HorizontalPodAutoscaler on ACK).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscale {
    /// Fewest replicas.
    #[schemars(range(min = 1, max = 100))]
    pub min: u32,
    /// Most replicas.
    #[schemars(range(min = 1, max = 100))]
    pub max: u32,
    /// Average CPU use, in percent of the CPU request, the autoscaler keeps.
    #[serde(default = "Autoscale::default_cpu")]
    #[schemars(range(min = 10, max = 100))]
    pub cpu_percent: u32,
}

impl Autoscale {
    fn default_cpu() -> u32 {
        70
    }
}
