//! The cloud templates, checked offline with real data: every ROS resource type,
//! property (nested too), required property, allowed value, range, `Ref` and
//! `Fn::GetAtt` against the ROS resource specs shipped in the ros-cdk wheels
//! (`scripts/ros-spec.py` extracts them, `scripts/check-ros.py` checks); and ROS
//! and Terraform describe the same infrastructure.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;
use support::{golden_env_dirs, in_ci, repo, run_tool};

fn ros_spec() -> Option<PathBuf> {
    let spec = repo().join(".tools/ros-spec.json");
    if spec.is_file() {
        return Some(spec);
    }
    assert!(
        !in_ci(),
        ".tools/ros-spec.json is missing and CI=true: run ./scripts/test, which builds it"
    );
    eprintln!("SKIPPED: .tools/ros-spec.json is missing; run ./scripts/test to build it");
    None
}

fn yaml(path: &Path) -> J {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_ros(spec: &Path, templates: &[J]) -> (bool, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join("scripts/check-ros.py"))
        .arg("--spec")
        .arg(spec);
    for (i, t) in templates.iter().enumerate() {
        let file = tmp.path().join(format!("template-{i}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(t).unwrap()).unwrap();
        cmd.arg(file);
    }
    run_tool(&mut cmd)
}

/// Every golden environment's ROS template (the cluster's too, on ACK).
fn all_ros_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("ros/template.yaml").is_file())
        .collect()
}

/// The environments on one Docker host (`tests/kubernetes_cloud.rs` holds the
/// ACK ones' cluster templates to each other).
fn ros_dirs() -> Vec<PathBuf> {
    all_ros_dirs()
        .into_iter()
        .filter(|d| !d.join("k8s").is_dir())
        .collect()
}

#[test]
fn every_shipped_environment_has_both_cloud_templates() {
    for env in ["dev", "staging", "prod"] {
        let dir = repo().join("golden").join(env);
        assert!(dir.join("ros/template.yaml").is_file(), "{env}");
        for file in [
            "versions.tf",
            "variables.tf",
            "main.tf",
            "outputs.tf",
            "deploy.sh.tftpl",
        ] {
            assert!(dir.join("terraform").join(file).is_file(), "{env}/{file}");
        }
    }
}

#[test]
fn ros_templates_match_the_ros_resource_specs() {
    let Some(spec) = ros_spec() else { return };
    let templates: Vec<J> = all_ros_dirs()
        .iter()
        .map(|d| yaml(&d.join("ros/template.yaml")))
        .collect();
    assert!(templates.len() >= 5);
    assert!(
        templates
            .iter()
            .any(|t| t["Resources"]["Cluster"]["Type"] == "ALIYUN::CS::ManagedKubernetesCluster"),
        "no cluster template checked"
    );
    let (ok, out) = check_ros(&spec, &templates);
    assert!(ok, "{out}");
    assert!(out.starts_with("ok: "), "{out}");
}

#[test]
fn the_ros_check_would_catch_mistakes() {
    let Some(spec) = ros_spec() else { return };
    let template = yaml(&repo().join("tests/cases/fresh-host/golden/fresh/ros/template.yaml"));
    let mutations: Vec<(&str, Box<dyn Fn(&mut J)>)> = vec![
        (
            "misspelled property",
            Box::new(|t: &mut J| {
                let props = t["Resources"]["Vpc"]["Properties"].as_object_mut().unwrap();
                let v = props.remove("CidrBlock").unwrap();
                props.insert("CidrBlok".into(), v);
            }),
        ),
        (
            "nested property",
            Box::new(|t: &mut J| {
                t["Resources"]["SecurityGroup"]["Properties"]["SecurityGroupIngress"][0]["PortRnage"] =
                    J::from("1/1");
            }),
        ),
        (
            "missing required property",
            Box::new(|t: &mut J| {
                t["Resources"]["VSwitch"]["Properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("ZoneId");
            }),
        ),
        (
            "value not allowed",
            Box::new(|t: &mut J| {
                t["Resources"]["Eip"]["Properties"]["InternetChargeType"] = J::from("PayByHour");
            }),
        ),
        (
            "dangling Ref",
            Box::new(|t: &mut J| {
                t["Resources"]["Instance"]["Properties"]["VSwitchId"] =
                    serde_json::json!({"Ref": "Vswitch"});
            }),
        ),
        (
            "unknown attribute",
            Box::new(|t: &mut J| {
                t["Outputs"]["PublicIp"]["Value"] =
                    serde_json::json!({"Fn::GetAtt": ["Eip", "IpAddress"]});
            }),
        ),
        (
            "unknown resource type",
            Box::new(|t: &mut J| {
                t["Resources"]["Vpc"]["Type"] = J::from("ALIYUN::ECS::Vpcc");
            }),
        ),
    ];
    for (what, mutate) in mutations {
        let mut broken = template.clone();
        mutate(&mut broken);
        let (ok, out) = check_ros(&spec, &[broken]);
        assert!(!ok, "check-ros.py missed a {what}:\n{out}");
    }
}

fn tf_text(dir: &Path) -> String {
    ["main.tf", "variables.tf", "outputs.tf"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join("terraform").join(f)).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of `name = value` in the first block introduced by `header`.
fn tf_attr(text: &str, header: &str, name: &str) -> Option<String> {
    let start = text.find(header)?;
    let block = &text[start..];
    let end = block.find("\n}\n").unwrap_or(block.len());
    block[..end].lines().map(str::trim).find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// ROS and Terraform describe the same infrastructure: instance type, disks,
/// open ports and their sources, bandwidth, and the same secrets.
#[test]
fn ros_and_terraform_agree() {
    for dir in ros_dirs() {
        let ros = yaml(&dir.join("ros/template.yaml"));
        let tf = tf_text(&dir);
        let params = &ros["Parameters"];
        let res = &ros["Resources"];
        let shown = dir.display();
        let existing = params.get("InstanceId").is_some();
        if existing {
            for v in ["instance_id", "security_group_id", "ram_role_name"] {
                assert!(
                    tf.contains(&format!("variable \"{v}\"")),
                    "{shown}: an existing host's {v}"
                );
            }
            assert!(params.get("SecurityGroupId").is_some() && params.get("RamRoleName").is_some());
            for created in ["alicloud_instance", "alicloud_vpc", "alicloud_ecs_disk\""] {
                assert!(
                    !tf.contains(&format!("resource \"{created}")),
                    "{shown}: {created}"
                );
            }
            assert!(res.get("Instance").is_none() && res.get("Vpc").is_none());
        } else {
            assert_eq!(
                params["InstanceType"]["Default"].as_str(),
                tf_attr(&tf, "variable \"instance_type\"", "default").as_deref(),
                "{shown}: instance type"
            );
            assert_eq!(
                params["ImageId"]["Default"].as_str(),
                tf_attr(&tf, "variable \"image_id\"", "default").as_deref(),
                "{shown}: image"
            );
            assert_eq!(
                params["SystemDiskSize"]["Default"]
                    .as_u64()
                    .map(|n| n.to_string()),
                tf_attr(&tf, "variable \"system_disk_size\"", "default"),
                "{shown}: system disk size"
            );
            assert_eq!(
                params["DataDiskSize"]["Default"]
                    .as_u64()
                    .map(|n| n.to_string()),
                tf_attr(&tf, "variable \"data_disk_size\"", "default"),
                "{shown}: data disk size"
            );
            let instance = &res["Instance"]["Properties"];
            assert_eq!(
                instance["SystemDiskCategory"].as_str(),
                tf_attr(
                    &tf,
                    "resource \"alicloud_instance\"",
                    "system_disk_category"
                )
                .as_deref(),
                "{shown}: disk category"
            );
            assert_eq!(
                res["Eip"]["Properties"]["Bandwidth"]
                    .as_u64()
                    .map(|n| n.to_string()),
                tf_attr(&tf, "resource \"alicloud_eip_address\"", "bandwidth"),
                "{shown}: bandwidth"
            );
        }
        // Open ports and their sources.
        let ros_rule = |r: &J| {
            let source = match &r["SourceCidrIp"] {
                J::String(s) => s.clone(),
                other => format!("ref:{}", other["Ref"].as_str().unwrap_or_default()),
            };
            (r["PortRange"].as_str().unwrap().to_owned(), source)
        };
        let mut ros_rules: Vec<(String, String)> = if existing {
            res.as_object()
                .unwrap()
                .values()
                .filter(|r| r["Type"] == "ALIYUN::ECS::SecurityGroupIngress")
                .map(|r| ros_rule(&r["Properties"]))
                .collect()
        } else {
            res["SecurityGroup"]["Properties"]["SecurityGroupIngress"]
                .as_array()
                .unwrap()
                .iter()
                .map(ros_rule)
                .collect()
        };
        let mut tf_rules: Vec<(String, String)> = tf
            .match_indices("resource \"alicloud_security_group_rule\"")
            .map(|(i, _)| {
                let block = &tf[i..];
                let block = &block[..block.find("\n}\n").unwrap()];
                let port = tf_attr(block, "resource", "port_range").unwrap();
                let cidr = tf_attr(block, "resource", "cidr_ip").unwrap();
                let source = if cidr == "var.admin_cidr" {
                    "ref:AdminCidr".to_owned()
                } else {
                    cidr
                };
                (port, source)
            })
            .collect();
        ros_rules.sort();
        tf_rules.sort();
        assert_eq!(ros_rules, tf_rules, "{shown}: security group rules differ");
        // A new host gets SSH from the admin CIDR; an existing one has its own.
        assert_eq!(
            ros_rules
                .iter()
                .any(|(p, s)| p == "22/22" && s == "ref:AdminCidr"),
            !existing,
            "{shown}: SSH must come from the admin CIDR on a new host"
        );
        for (port, source) in &ros_rules {
            assert!(
                source != "0.0.0.0/0" || port == "80/80" || port == "443/443",
                "{shown}: {port} open to the world"
            );
        }

        // The same secrets: NoEcho parameters and sensitive variables.
        let mut ros_secrets: Vec<String> = params
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, p)| p["NoEcho"] == J::Bool(true))
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        let mut tf_secrets: Vec<String> = tf
            .match_indices("variable \"")
            .filter_map(|(i, _)| {
                let block = &tf[i..];
                let block = &block[..block.find("\n}\n").unwrap()];
                block.contains("sensitive   = true").then(|| {
                    block["variable \"".len()..]
                        .split('"')
                        .next()
                        .unwrap()
                        .replace('_', "")
                })
            })
            .collect();
        ros_secrets.sort();
        tf_secrets.sort();
        assert_eq!(ros_secrets, tf_secrets, "{shown}: secrets differ");

        // The same managed services, by kind.
        let kind_of = |ros_type: &str| match ros_type {
            "ALIYUN::RDS::DBInstance" => Some("rds"),
            "ALIYUN::REDIS::Instance" => Some("redis"),
            "ALIYUN::ElasticSearch::Instance" => Some("elasticsearch"),
            _ => None,
        };
        let mut ros_managed: Vec<&str> = res
            .as_object()
            .unwrap()
            .values()
            .filter_map(|r| kind_of(r["Type"].as_str().unwrap_or_default()))
            .collect();
        let mut tf_managed: Vec<&str> = [
            ("alicloud_db_instance", "rds"),
            ("alicloud_kvstore_instance", "redis"),
            ("alicloud_elasticsearch_instance", "elasticsearch"),
        ]
        .iter()
        .flat_map(|(t, k)| {
            std::iter::repeat_n(*k, tf.matches(&format!("resource \"{t}\"")).count())
        })
        .collect();
        ros_managed.sort();
        tf_managed.sort();
        assert_eq!(ros_managed, tf_managed, "{shown}: managed services differ");

        // The same deploy: the same files with the same SHA-256 sums, the same
        // OOS secret parameters read into `.env`.
        let deploy = res
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "ALIYUN::ECS::RunCommand")
            .expect("a deploy command");
        let ros_script = deploy["Properties"]["CommandContent"]["Fn::Sub"]
            .as_str()
            .unwrap();
        let tf_script = std::fs::read_to_string(dir.join("terraform/deploy.sh.tftpl")).unwrap();
        let facts = |script: &str| -> Vec<String> {
            script
                .lines()
                .filter(|l| {
                    l.contains("{{oos-secret:")
                        || (l.len() > 66 && l.as_bytes()[..64].iter().all(u8::is_ascii_hexdigit))
                })
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            facts(ros_script),
            facts(&tf_script),
            "{shown}: deploys differ"
        );
        assert!(!facts(&tf_script).is_empty(), "{shown}: no files deployed");
        assert!(!ros_secrets.is_empty(), "{shown}: no secrets");
    }
}

fn tf_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .map(|d| d.join("terraform"))
        .filter(|d| d.join("main.tf").is_file())
        .collect()
}

fn tools_python(venv: &str) -> Option<PathBuf> {
    let python = repo().join(".tools").join(venv).join("bin/python");
    if python.is_file() {
        return Some(python);
    }
    assert!(
        !in_ci(),
        ".tools/{venv} is missing and CI=true: run ./scripts/test, which installs it"
    );
    eprintln!("SKIPPED: .tools/{venv} is missing; run ./scripts/test to install it");
    None
}

fn check_terraform(dirs: &[PathBuf]) -> Option<(bool, String)> {
    let python = tools_python("tfvenv")?;
    let spec = repo().join(".tools/tf-spec.json");
    assert!(spec.is_file() || !in_ci(), ".tools/tf-spec.json is missing");
    if !spec.is_file() {
        return None;
    }
    Some(run_tool(
        Command::new(python)
            .arg(repo().join("scripts/check-terraform.py"))
            .arg("--spec")
            .arg(spec)
            .arg("--allow")
            .arg(repo().join("tests/terraform-allow.txt"))
            .args(dirs),
    ))
}

fn checkov(dir: &Path) -> Option<(bool, String)> {
    tools_python("ckvenv")?;
    let checkov = repo().join(".tools/ckvenv/bin/checkov");
    Some(run_tool(Command::new(checkov).arg("-d").arg(dir).args([
        "--framework",
        "terraform",
        "--skip-download",
        "--quiet",
        "--compact",
    ])))
}

#[test]
fn terraform_parses_with_hcl_rs() {
    let dirs = tf_dirs();
    assert!(dirs.len() >= 5);
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&path).unwrap();
                let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(body.iter().count() > 0, "{}", path.display());
            }
        }
    }
}

#[test]
fn terraform_loads_and_uses_only_real_alicloud_arguments() {
    let dirs = tf_dirs();
    let Some((ok, out)) = check_terraform(&dirs) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains(&format!("ok: {} dirs", dirs.len())), "{out}");
}

fn fmt_check(dirs: &[PathBuf]) -> Option<(bool, String)> {
    let python = tools_python("tfvenv")?;
    Some(run_tool(
        Command::new(python)
            .arg(repo().join("scripts/terraform-fmt-check.py"))
            .args(dirs),
    ))
}

#[test]
fn terraform_is_formatted_as_terraform_fmt_writes_it() {
    let dirs = tf_dirs();
    let Some((ok, out)) = fmt_check(&dirs) else {
        return;
    };
    assert!(
        ok && out.contains(&format!("ok: {} dirs", dirs.len())),
        "{out}"
    );
    // And it notices a misaligned `=`.
    let tmp = tempfile::tempdir().unwrap();
    support::copy_dir(
        &repo().join("tests/cases/fresh-host/golden/fresh/terraform"),
        tmp.path(),
    );
    let main = tmp.path().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replacen("vpc_name   =", "vpc_name =", 1)).unwrap();
    let Some((ok, out)) = fmt_check(&[tmp.path().to_path_buf()]) else {
        return;
    };
    assert!(!ok, "a misaligned attribute passed the fmt check:\n{out}");
}

#[test]
fn checkov_finds_no_failed_check() {
    for dir in tf_dirs() {
        let Some((ok, out)) = checkov(&dir) else {
            return;
        };
        // Checkov prints nothing at all when none of its checks applies (an
        // existing host's folder has only rules, OOS parameters and the deploy).
        assert!(
            ok && (out.contains("Failed checks: 0") || out.trim().is_empty()),
            "{}: {out}",
            dir.display()
        );
    }
}

#[test]
fn the_terraform_checks_would_catch_mistakes() {
    let source = repo().join("tests/cases/fresh-host/golden/fresh/terraform");
    let tmp = tempfile::tempdir().unwrap();
    support::copy_dir(&source, tmp.path());
    let main = tmp.path().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    // A misspelled argument.
    std::fs::write(&main, text.replace("vswitch_name =", "vswtich_name =")).unwrap();
    let Some((ok, out)) = check_terraform(&[tmp.path().to_path_buf()]) else {
        return;
    };
    assert!(!ok && out.contains("vswtich_name"), "{out}");
    // SSH open to the world.
    std::fs::write(
        &main,
        text.replace(
            "cidr_ip           = var.admin_cidr",
            "cidr_ip           = \"0.0.0.0/0\"",
        ),
    )
    .unwrap();
    let Some((ok, out)) = checkov(tmp.path()) else {
        return;
    };
    assert!(
        !ok && out.contains("CKV_ALI_2"),
        "checkov missed SSH open to the world:\n{out}"
    );
}
