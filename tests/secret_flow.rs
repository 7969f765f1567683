//! Where secrets may flow in the cloud templates: a secret parameter (ROS
//! `NoEcho`, Terraform `sensitive`) may only become an OOS encrypted parameter,
//! or the password property of the managed service it is the password of.
//! The deploy command's text, the user data and every other resource reach a
//! secret only as `{{oos-secret:NAME}}`, which Cloud Assistant fills in on the
//! instance; so no secret value sits in the command, user data or outputs.

mod support;

use std::collections::BTreeSet;

use serde_json::Value as J;
use support::{golden_env_dirs, yaml};

/// Every place a ROS template uses one of `secrets` outside an
/// `ALIYUN::OOS::SecretParameter`: `Ref`, `Fn::GetAtt` or `${...}` in `Fn::Sub`.
fn ros_leaks(template: &J, secrets: &BTreeSet<String>) -> Vec<String> {
    fn walk(value: &J, secrets: &BTreeSet<String>, at: &str, out: &mut Vec<String>) {
        match value {
            J::Object(map) => {
                if let Some(J::String(r)) = map.get("Ref") {
                    if secrets.contains(r) {
                        out.push(format!("{at}: Ref {r}"));
                    }
                }
                if let Some(sub) = map.get("Fn::Sub") {
                    let text = match sub {
                        J::String(s) => s.clone(),
                        J::Array(items) => {
                            items.first().and_then(J::as_str).unwrap_or("").to_owned()
                        }
                        _ => String::new(),
                    };
                    for secret in secrets {
                        if text.contains(&format!("${{{secret}}}"))
                            || text.contains(&format!("${{{secret}."))
                        {
                            out.push(format!("{at}: Fn::Sub uses {secret}"));
                        }
                    }
                }
                for (k, v) in map {
                    walk(v, secrets, &format!("{at}.{k}"), out);
                }
            }
            J::Array(items) => items.iter().for_each(|v| walk(v, secrets, at, out)),
            _ => {}
        }
    }
    // Managed services take their account's password as a property.
    const PASSWORD_PROPERTIES: &[(&str, &str)] = &[
        ("ALIYUN::RDS::DBInstance", "MasterUserPassword"),
        ("ALIYUN::RDS::Account", "AccountPassword"),
        ("ALIYUN::REDIS::Instance", "Password"),
        ("ALIYUN::ElasticSearch::Instance", "Password"),
    ];
    let mut out = Vec::new();
    for (name, resource) in template["Resources"].as_object().into_iter().flatten() {
        if resource["Type"] == "ALIYUN::OOS::SecretParameter" {
            continue;
        }
        let mut resource = resource.clone();
        for (kind, property) in PASSWORD_PROPERTIES {
            if resource["Type"] == *kind {
                if let Some(props) = resource["Properties"].as_object_mut() {
                    props.remove(*property);
                }
            }
        }
        walk(&resource, secrets, &format!("Resources.{name}"), &mut out);
    }
    walk(&template["Outputs"], secrets, "Outputs", &mut out);
    out
}

fn ros_secrets(template: &J) -> BTreeSet<String> {
    template["Parameters"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["NoEcho"] == J::Bool(true))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Every place `main.tf` uses a sensitive variable outside an
/// `alicloud_oos_secret_parameter` (the templatefile map of the deploy
/// command included).
fn terraform_leaks(main_tf: &str, secrets: &BTreeSet<String>) -> Vec<String> {
    let body: hcl::Body = hcl::parse(main_tf).unwrap();
    let mut out = Vec::new();
    // Managed services take their account's password as an argument.
    const PASSWORD_ARGUMENTS: &[(&str, &str)] = &[
        ("alicloud_rds_account", "account_password"),
        ("alicloud_kvstore_instance", "password"),
        ("alicloud_elasticsearch_instance", "password"),
    ];
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        if block.identifier() == "resource"
            && labels.first() == Some(&"alicloud_oos_secret_parameter")
        {
            continue;
        }
        let mut block = block.clone();
        if let Some((_, argument)) = PASSWORD_ARGUMENTS
            .iter()
            .find(|(t, _)| labels.first() == Some(t))
        {
            let kept: Vec<hcl::Structure> = block
                .body
                .iter()
                .filter(|s| !matches!(s, hcl::Structure::Attribute(a) if a.key() == *argument))
                .cloned()
                .collect();
            block.body = hcl::Body::from(kept);
        }
        let identifier = block.identifier().to_owned();
        let text =
            hcl::format::to_string(&hcl::Body::from(vec![hcl::Structure::Block(block)])).unwrap();
        for secret in secrets {
            if text.contains(&format!("var.{secret}")) {
                out.push(format!("{identifier} {labels:?} uses var.{secret}"));
            }
        }
    }
    out
}

fn terraform_secrets(variables_tf: &str) -> BTreeSet<String> {
    let body: hcl::Body = hcl::parse(variables_tf).unwrap();
    body.blocks()
        .filter(|b| b.identifier() == "variable")
        .filter(|b| {
            b.body()
                .attributes()
                .any(|a| a.key() == "sensitive" && a.expr() == &hcl::Expression::Bool(true))
        })
        .filter_map(|b| b.labels().first().map(|l| l.as_str().to_owned()))
        .collect()
}

fn cloud_dirs() -> Vec<std::path::PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("ros/template.yaml").is_file())
        .collect()
}

#[test]
fn secrets_reach_the_host_only_as_oos_references() {
    let mut checked = 0;
    for dir in cloud_dirs() {
        let template = yaml(&dir.join("ros/template.yaml"));
        let secrets = ros_secrets(&template);
        assert!(
            !secrets.is_empty(),
            "{}: no secret parameter",
            dir.display()
        );
        let leaks = ros_leaks(&template, &secrets);
        assert!(leaks.is_empty(), "{}: {leaks:#?}", dir.display());

        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let tf_secrets = terraform_secrets(&read("terraform/variables.tf"));
        assert_eq!(tf_secrets.len(), secrets.len(), "{}", dir.display());
        let leaks = terraform_leaks(&read("terraform/main.tf"), &tf_secrets);
        assert!(leaks.is_empty(), "{}: {leaks:#?}", dir.display());
        // On ACK there is no host to deploy to: `k8s/apply.sh` creates the
        // Secrets (tests/kubernetes_validators.rs holds it to stdin only).
        if dir.join("k8s").is_dir() {
            assert!(
                !dir.join("terraform/deploy.sh.tftpl").exists(),
                "{}",
                dir.display()
            );
            checked += 1;
            continue;
        }
        // The deploy script is a template of no secret: its only variables are
        // the data disk's id and, for ROS, the wait condition.
        let script = read("terraform/deploy.sh.tftpl");
        for secret in &tf_secrets {
            assert!(
                !script.contains(&format!("${{{secret}}}")),
                "{}: {secret}",
                dir.display()
            );
        }
        assert!(
            script.contains("{{oos-secret:"),
            "{}: no OOS reference",
            dir.display()
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn guard_a_secret_in_the_command_text_is_found() {
    let dir = cloud_dirs().into_iter().next().unwrap();
    let text = std::fs::read_to_string(dir.join("ros/template.yaml")).unwrap();
    let template = yaml(&dir.join("ros/template.yaml"));
    let secret = ros_secrets(&template).into_iter().next().unwrap();
    let broken_text = text.replacen(
        "#!/bin/bash\n",
        &format!("#!/bin/bash\n          echo ${{{secret}}}\n"),
        1,
    );
    let broken: J = serde_saphyr::from_str(&broken_text).unwrap();
    assert!(!ros_leaks(&broken, &ros_secrets(&broken)).is_empty());

    let main_tf = std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap();
    let variables = std::fs::read_to_string(dir.join("terraform/variables.tf")).unwrap();
    let tf_secret = terraform_secrets(&variables).into_iter().next().unwrap();
    let broken = main_tf.replacen(
        "templatefile(\"${path.module}/deploy.sh.tftpl\", {",
        &format!(
            "templatefile(\"${{path.module}}/deploy.sh.tftpl\", {{\n    leaked = var.{tf_secret}"
        ),
        1,
    );
    assert_ne!(broken, main_tf, "the guard did not change main.tf");
    assert!(!terraform_leaks(&broken, &terraform_secrets(&variables)).is_empty());
}
