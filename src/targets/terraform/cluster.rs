//! Terraform on ACK: the same cluster as the ROS template, from the same
//! model (VPC, the nodes' and pods' vSwitches, `alicloud_cs_managed_kubernetes`
//! with its components, `alicloud_cs_kubernetes_node_pool`, the managed
//! services in the VPC). The alicloud provider applies no manifests: after
//! `terraform apply`, `k8s/apply.sh` does (README, "Scaling out to ACK").

use super::super::hcl::{Block, list, raw, render as hcl, string};
use super::{managed, secret_variable, variable, versions};
use crate::model::Stack;
use crate::model::cloud;
use crate::model::kubernetes::{self as k8s, Cluster};
use crate::render::{Files, with_banner};
use crate::spec::Tier;

pub fn render(stack: &Stack, cluster: &Cluster) -> Files {
    let name = stack.project.as_str();
    let host = &stack.host;
    let mut vars = vec![
        variable(
            "region",
            "string",
            "Region of every resource.",
            Some(string(&host.region)),
        ),
        variable(
            "zone_id",
            "string",
            "Zone of the nodes and their vSwitches.",
            host.zone.as_deref().map(string),
        ),
        variable(
            "node_instance_type",
            "string",
            "ECS instance type of the nodes; the spec's host section sizes the pods for it.",
            Some(string(&host.instance_type)),
        ),
        variable(
            "node_count",
            "number",
            &k8s::node_count_reason(cluster),
            Some(raw(cluster.nodes.to_string())),
        ),
    ];
    for (service, _) in cloud::managed(stack) {
        if let Some(s) = cloud::secret_for(stack, service, "password") {
            vars.push(secret_variable(&s));
        }
    }
    let mut kubernetes = Block::new("resource", &["alicloud_cs_managed_kubernetes", "main"])
        .attr("name", string(name))
        .attr("cluster_spec", string(k8s::CLUSTER_SPEC))
        .attr("version", string(&cluster.version))
        .attr("vswitch_ids", list(&[raw("alicloud_vswitch.main.id")]))
        .attr("pod_vswitch_ids", list(&[raw("alicloud_vswitch.pods.id")]))
        .attr("service_cidr", string(k8s::SERVICE_CIDR))
        .attr("proxy_mode", string(k8s::PROXY_MODE))
        .attr("new_nat_gateway", raw("true"))
        .attr("slb_internet_enabled", raw("false"))
        .attr(
            "deletion_protection",
            raw(if stack.tier == Tier::Production {
                "true"
            } else {
                "false"
            }),
        );
    for (addon, config) in k8s::addons(cluster) {
        let mut block = Block::new("addons", &[]).attr("name", string(addon));
        if let Some(c) = config {
            block = block.attr("config", string(c));
        }
        kubernetes = kubernetes.blank().block(block);
    }
    let mut main = vec![
        Block::new("resource", &["alicloud_vpc", "main"])
            .attr("vpc_name", string(name))
            .attr("cidr_block", string(k8s::VPC_CIDR)),
        Block::new("resource", &["alicloud_vswitch", "main"])
            .attr("vswitch_name", string(&format!("{name}-nodes")))
            .attr("vpc_id", raw("alicloud_vpc.main.id"))
            .attr("zone_id", raw("var.zone_id"))
            .attr("cidr_block", string(k8s::NODE_CIDR)),
        Block::new("resource", &["alicloud_vswitch", "pods"])
            .attr("vswitch_name", string(&format!("{name}-pods")))
            .attr("vpc_id", raw("alicloud_vpc.main.id"))
            .attr("zone_id", raw("var.zone_id"))
            .attr("cidr_block", string(k8s::POD_CIDR)),
        kubernetes,
        Block::new("resource", &["alicloud_cs_kubernetes_node_pool", "main"])
            .attr("cluster_id", raw("alicloud_cs_managed_kubernetes.main.id"))
            .attr("node_pool_name", string(&format!("{name}-nodes")))
            .attr("vswitch_ids", list(&[raw("alicloud_vswitch.main.id")]))
            .attr("instance_types", list(&[raw("var.node_instance_type")]))
            .attr("desired_size", raw("var.node_count"))
            .attr("system_disk_category", string("cloud_essd"))
            .attr(
                "system_disk_size",
                raw(k8s::system_disk_gib(stack).to_string()),
            )
            .blank()
            // Managed nodes: repaired and patched by ACK, one node at a time.
            .block(
                Block::new("management", &[])
                    .attr("enable", raw("true"))
                    .attr("auto_repair", raw("true"))
                    .attr("auto_upgrade", raw("true"))
                    .attr("max_unavailable", raw("1")),
            ),
    ];
    main.extend(managed::blocks(stack, k8s::VPC_CIDR));
    let mut outputs = vec![
        Block::new("output", &["cluster_id"])
            .attr(
                "description",
                string(
                    "ACK cluster id (`aliyun cs GET /k8s/<id>/user_config` gives its kubeconfig).",
                ),
            )
            .attr("value", raw("alicloud_cs_managed_kubernetes.main.id")),
    ];
    for (service, m) in cloud::managed(stack) {
        let (resource, attribute) = cloud::tf_resource(service.kind);
        let tf = cloud::tf_name(service);
        outputs.push(
            Block::new("output", &[&format!("{tf}_endpoint")])
                .attr(
                    "description",
                    string(&format!(
                        "Private endpoint of the managed `{}`: `${}` for `k8s/apply.sh`.",
                        service.name, m.endpoint_var
                    )),
                )
                .attr("value", raw(format!("{resource}.{tf}.{attribute}"))),
        );
    }
    [
        ("terraform/versions.tf", hcl(&versions(stack))),
        ("terraform/variables.tf", hcl(&vars)),
        ("terraform/main.tf", hcl(&main)),
        ("terraform/outputs.tf", hcl(&outputs)),
    ]
    .into_iter()
    .map(|(path, body)| (path.to_owned(), with_banner(path, stack, &body)))
    .collect()
}
