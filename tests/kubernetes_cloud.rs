//! On ACK, the ROS template and the Terraform configuration describe the same
//! cluster: version, edition, networks, components, node pool, the managed
//! services; and the ROS template applies exactly the `k8s/` manifests.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value as J;
use support::{golden_env_dirs, yaml};

fn ack_dirs() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("k8s").is_dir())
        .collect();
    assert!(!dirs.is_empty());
    dirs
}

/// The Terraform files as one JSON value (hcl-rs), blocks keyed by type and name.
fn terraform(dir: &Path) -> J {
    let mut text = String::new();
    for f in ["main.tf", "variables.tf", "outputs.tf"] {
        text.push_str(&std::fs::read_to_string(dir.join("terraform").join(f)).unwrap());
        text.push('\n');
    }
    hcl::from_str(&text).unwrap()
}

fn tf_default(tf: &J, variable: &str) -> J {
    tf["variable"][variable]["default"].clone()
}

#[test]
fn ros_and_terraform_describe_the_same_cluster() {
    for dir in ack_dirs() {
        let shown = dir.display();
        let ros = yaml(&dir.join("ros/template.yaml"));
        let tf = terraform(&dir);
        let params = &ros["Parameters"];
        let res = &ros["Resources"];
        let cluster = &res["Cluster"]["Properties"];
        let tcluster = &tf["resource"]["alicloud_cs_managed_kubernetes"]["main"];
        assert_eq!(
            res["Cluster"]["Type"], "ALIYUN::CS::ManagedKubernetesCluster",
            "{shown}"
        );
        assert_eq!(
            cluster["KubernetesVersion"], tcluster["version"],
            "{shown}: version"
        );
        assert_eq!(
            cluster["ClusterSpec"], tcluster["cluster_spec"],
            "{shown}: edition"
        );
        assert_eq!(
            cluster["ServiceCidr"], tcluster["service_cidr"],
            "{shown}: service CIDR"
        );
        assert_eq!(
            cluster["ProxyMode"], tcluster["proxy_mode"],
            "{shown}: proxy mode"
        );
        assert_eq!(
            cluster["DeletionProtection"], tcluster["deletion_protection"],
            "{shown}"
        );
        let ros_addons: Vec<(J, J)> = cluster["Addons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["Name"].clone(),
                    a.get("Config").cloned().unwrap_or(J::Null),
                )
            })
            .collect();
        let addons = match &tcluster["addons"] {
            J::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        let tf_addons: Vec<(J, J)> = addons
            .iter()
            .map(|a| {
                (
                    a["name"].clone(),
                    a.get("config").cloned().unwrap_or(J::Null),
                )
            })
            .collect();
        assert_eq!(ros_addons, tf_addons, "{shown}: components");
        assert!(
            ros_addons.iter().any(|(n, c)| n == "terway-eniip"
                && c.as_str().unwrap().contains(r#""NetworkPolicy":"true""#)),
            "{shown}: NetworkPolicies need Terway with policies on"
        );
        // Networks.
        assert_eq!(
            res["Vpc"]["Properties"]["CidrBlock"],
            tf["resource"]["alicloud_vpc"]["main"]["cidr_block"],
            "{shown}"
        );
        assert_eq!(
            res["VSwitch"]["Properties"]["CidrBlock"],
            tf["resource"]["alicloud_vswitch"]["main"]["cidr_block"],
            "{shown}"
        );
        assert_eq!(
            res["PodVSwitch"]["Properties"]["CidrBlock"],
            tf["resource"]["alicloud_vswitch"]["pods"]["cidr_block"],
            "{shown}"
        );
        // The node pool.
        let pool = &res["NodePool"]["Properties"];
        let tpool = &tf["resource"]["alicloud_cs_kubernetes_node_pool"]["main"];
        assert_eq!(
            params["NodeInstanceType"]["Default"],
            tf_default(&tf, "node_instance_type"),
            "{shown}: node type"
        );
        assert_eq!(
            params["NodeCount"]["Default"],
            tf_default(&tf, "node_count"),
            "{shown}: nodes"
        );
        assert!(
            params["NodeCount"]["Default"].as_u64().unwrap() >= 2,
            "{shown}: one node cannot be drained"
        );
        assert_eq!(
            pool["ScalingGroup"]["SystemDiskSize"], tpool["system_disk_size"],
            "{shown}: system disk"
        );
        assert_eq!(
            pool["ScalingGroup"]["SystemDiskCategory"], tpool["system_disk_category"],
            "{shown}"
        );
        assert_eq!(
            pool["Management"]["AutoRepair"], tpool["management"]["auto_repair"],
            "{shown}"
        );
        // The managed services: one ROS resource per Terraform instance, and an endpoint output each.
        let ros_managed: Vec<&String> = res
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("Managed"))
            .collect();
        let tf_managed: usize = [
            "alicloud_db_instance",
            "alicloud_kvstore_instance",
            "alicloud_elasticsearch_instance",
        ]
        .iter()
        .map(|t| tf["resource"][*t].as_object().map_or(0, |m| m.len()))
        .sum();
        assert_eq!(ros_managed.len(), tf_managed, "{shown}: managed services");
        for r in &ros_managed {
            assert!(
                ros["Outputs"].get(format!("{r}Endpoint")).is_some(),
                "{shown}: {r}"
            );
        }
        let tf_endpoints = tf["output"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.ends_with("_endpoint"))
            .count();
        assert_eq!(tf_endpoints, tf_managed, "{shown}: endpoint outputs");
    }
}

#[test]
fn the_cluster_template_applies_exactly_the_manifests() {
    for dir in ack_dirs() {
        let ros = yaml(&dir.join("ros/template.yaml"));
        let app = &ros["Resources"]["Manifests"];
        assert_eq!(app["Type"], "ALIYUN::CS::ClusterApplication");
        let applied: Vec<J> =
            serde_saphyr::from_multiple(app["Properties"]["YamlContent"].as_str().unwrap())
                .unwrap();
        let mut files: Vec<J> = Vec::new();
        for entry in std::fs::read_dir(dir.join("k8s")).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.extend(
                    serde_saphyr::from_multiple::<J>(&std::fs::read_to_string(&path).unwrap())
                        .unwrap(),
                );
            }
        }
        let key = |d: &J| format!("{}/{}", d["kind"], d["metadata"]["name"]);
        let mut a: Vec<String> = applied.iter().map(key).collect();
        let mut f: Vec<String> = files.iter().map(key).collect();
        a.sort();
        f.sort();
        assert_eq!(a, f, "{}", dir.display());
        // No Secret travels through the template: `apply.sh` creates them from the deploy's variables.
        assert!(!a.iter().any(|k| k.starts_with("\"Secret\"")), "{a:?}");
        assert_eq!(
            app["Properties"]["DefaultNamespace"],
            files.iter().find(|d| d["kind"] == "Namespace").unwrap()["metadata"]["name"]
        );
    }
}
