//! The log pipeline, checked where its parts meet: ROS and Terraform create the
//! same SLS resources; Logtail's container selectors match the labels compose
//! puts on the containers, and every container is collected; the JSON access
//! log real nginx writes has exactly the fields, of the types, the `access`
//! index reads; and the databases' slow-query logs are on with the spec's
//! threshold.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value as J, json};
use support::nginx::{namespace_tools, with_nginx_conf};
use support::{golden_env_dirs, yaml};

/// Golden folders with SLS resources.
fn sls_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| {
            std::fs::read_to_string(d.join("terraform/main.tf"))
                .is_ok_and(|t| t.contains("resource \"alicloud_log_project\""))
        })
        .collect()
}

/// Index keys: `(name, type)`.
type Keys = Vec<(String, String)>;

/// Everything that defines the log pipeline, in one comparable shape.
#[derive(Debug, PartialEq, Default)]
struct Pipeline {
    project: String,
    /// logstore → (retention days, shards, index keys `(name, type)`).
    stores: BTreeMap<String, (u64, u64, Keys)>,
    group: (String, Vec<String>),
    /// config → (logstore, input type, input detail).
    configs: BTreeMap<String, (String, String, J)>,
    /// alert name → (logstore, query, condition, severity).
    alerts: BTreeMap<String, (String, String, String, u64)>,
}

fn as_list(v: &J) -> Vec<J> {
    match v {
        J::Array(items) => items.clone(),
        J::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn ros_pipeline(ros: &J) -> Pipeline {
    let res = ros["Resources"].as_object().unwrap();
    let of_type = |t: &'static str| res.iter().filter(move |(_, r)| r["Type"] == t);
    // `Fn::GetAtt: [LogstoreApp, LogstoreName]` → the logstore's name.
    let store_name = |v: &J| -> String {
        let target = v["Fn::GetAtt"][0].as_str().unwrap();
        res[target]["Properties"]["LogstoreName"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut p = Pipeline::default();
    for (_, r) in of_type("ALIYUN::SLS::Project") {
        p.project = r["Properties"]["Name"].as_str().unwrap().to_owned();
    }
    let mut keys: BTreeMap<String, Keys> = BTreeMap::new();
    for (_, r) in of_type("ALIYUN::SLS::Index") {
        let props = &r["Properties"];
        assert_eq!(props["FullTextIndex"]["Enable"], true);
        keys.insert(
            store_name(&props["LogstoreName"]),
            as_list(&props["KeyIndices"])
                .iter()
                .map(|k| {
                    (
                        k["Name"].as_str().unwrap().into(),
                        k["Type"].as_str().unwrap().into(),
                    )
                })
                .collect(),
        );
    }
    for (_, r) in of_type("ALIYUN::SLS::Logstore") {
        let props = &r["Properties"];
        let name = props["LogstoreName"].as_str().unwrap().to_owned();
        let k = keys.remove(&name).unwrap_or_default();
        p.stores.insert(
            name,
            (
                props["TTL"].as_u64().unwrap(),
                props["ShardCount"].as_u64().unwrap(),
                k,
            ),
        );
    }
    assert!(keys.is_empty(), "indexes of no logstore: {keys:?}");
    for (_, r) in of_type("ALIYUN::SLS::MachineGroup") {
        let props = &r["Properties"];
        assert_eq!(props["MachineIdentifyType"], "userdefined");
        p.group = (
            props["GroupName"].as_str().unwrap().into(),
            as_list(&props["MachineList"])
                .iter()
                .map(|m| m.as_str().unwrap().into())
                .collect(),
        );
    }
    let applied: Vec<String> = of_type("ALIYUN::SLS::ApplyConfigToMachineGroup")
        .map(|(_, r)| {
            let target = r["Properties"]["ConfigName"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap();
            res[target]["Properties"]["LogtailConfigName"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for (_, r) in of_type("ALIYUN::SLS::LogtailConfig") {
        let props = &r["Properties"];
        let raw = &props["RawConfigData"];
        let name = props["LogtailConfigName"].as_str().unwrap().to_owned();
        assert_eq!(raw["configName"], name.as_str());
        assert_eq!(raw["outputType"], "LogService");
        let store = store_name(&props["LogstoreName"]);
        assert_eq!(raw["outputDetail"]["logstoreName"], store.as_str());
        assert!(
            applied.contains(&name),
            "{name} is applied to no machine group"
        );
        p.configs.insert(
            name,
            (
                store,
                raw["inputType"].as_str().unwrap().into(),
                raw["inputDetail"].clone(),
            ),
        );
    }
    for (_, r) in of_type("ALIYUN::SLS::Alert") {
        let d = &r["Properties"]["Detail"];
        let c = &d["Configuration"];
        let q = &c["QueryList"][0];
        assert_eq!(
            c["PolicyConfiguration"]["ActionPolicyId"]["Ref"],
            "SlsActionPolicyId"
        );
        assert!(ros["Parameters"]["SlsActionPolicyId"].is_object());
        p.alerts.insert(
            d["Name"].as_str().unwrap().into(),
            (
                q["Store"].as_str().unwrap().into(),
                q["Query"].as_str().unwrap().into(),
                c["SeverityConfigurations"][0]["EvalCondition"]["Condition"]
                    .as_str()
                    .unwrap()
                    .into(),
                c["SeverityConfigurations"][0]["Severity"].as_u64().unwrap(),
            ),
        );
    }
    p
}

fn tf_pipeline(main_tf: &str) -> Pipeline {
    let body: J = hcl::from_str(main_tf).unwrap();
    let res = &body["resource"];
    let all = |t: &str| -> Vec<(String, J)> {
        res[t].as_object().map_or_else(Vec::new, |m| {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        })
    };
    // `${alicloud_log_store.app.logstore_name}` → the logstore's name.
    let store_name = |v: &J| -> String {
        let s = v.as_str().unwrap();
        let key = s
            .trim_start_matches("${alicloud_log_store.")
            .split('.')
            .next()
            .unwrap();
        res["alicloud_log_store"][key]["logstore_name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut p = Pipeline::default();
    for (_, r) in all("alicloud_log_project") {
        p.project = r["project_name"].as_str().unwrap().into();
    }
    let mut keys: BTreeMap<String, Keys> = BTreeMap::new();
    for (_, r) in all("alicloud_log_store_index") {
        assert!(r["full_text"].is_object() || r["full_text"].is_array());
        keys.insert(
            store_name(&r["logstore"]),
            as_list(&r["field_search"])
                .iter()
                .map(|k| {
                    (
                        k["name"].as_str().unwrap().into(),
                        k["type"].as_str().unwrap().into(),
                    )
                })
                .collect(),
        );
    }
    for (_, r) in all("alicloud_log_store") {
        let name = r["logstore_name"].as_str().unwrap().to_owned();
        let k = keys.remove(&name).unwrap_or_default();
        p.stores.insert(
            name,
            (
                r["retention_period"].as_u64().unwrap(),
                r["shard_count"].as_u64().unwrap(),
                k,
            ),
        );
    }
    assert!(keys.is_empty(), "indexes of no logstore: {keys:?}");
    for (_, r) in all("alicloud_log_machine_group") {
        assert_eq!(r["identify_type"], "userdefined");
        p.group = (
            r["name"].as_str().unwrap().into(),
            as_list(&r["identify_list"])
                .iter()
                .map(|m| m.as_str().unwrap().into())
                .collect(),
        );
    }
    let configs = all("alicloud_logtail_config");
    let applied: Vec<String> = all("alicloud_logtail_attachment")
        .iter()
        .map(|(_, r)| {
            let key = r["logtail_config_name"]
                .as_str()
                .unwrap()
                .trim_start_matches("${alicloud_logtail_config.")
                .split('.')
                .next()
                .unwrap()
                .to_owned();
            res["alicloud_logtail_config"][key]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for (_, r) in configs {
        let name = r["name"].as_str().unwrap().to_owned();
        assert_eq!(r["output_type"], "LogService");
        assert!(
            applied.contains(&name),
            "{name} is applied to no machine group"
        );
        let detail: J = serde_json::from_str(r["input_detail"].as_str().unwrap()).unwrap();
        p.configs.insert(
            name,
            (
                store_name(&r["logstore"]),
                r["input_type"].as_str().unwrap().into(),
                detail,
            ),
        );
    }
    for (_, r) in all("alicloud_log_alert") {
        assert_eq!(r["version"], "2.0");
        assert_eq!(
            r["policy_configuration"]["action_policy_id"],
            "${var.sls_action_policy_id}"
        );
        let q = &as_list(&r["query_list"])[0];
        let s = &as_list(&r["severity_configurations"])[0];
        p.alerts.insert(
            r["alert_name"].as_str().unwrap().into(),
            (
                store_name(&q["store"]),
                q["query"].as_str().unwrap().into(),
                s["eval_condition"]["condition"].as_str().unwrap().into(),
                s["severity"].as_u64().unwrap(),
            ),
        );
    }
    p
}

#[test]
fn ros_and_terraform_create_the_same_log_pipeline() {
    let dirs = sls_dirs();
    assert!(
        dirs.iter().any(|d| d.ends_with("golden/prod")),
        "the shipped prod spec ships its logs to SLS"
    );
    for dir in dirs {
        let shown = dir.display();
        let ros = ros_pipeline(&yaml(&dir.join("ros/template.yaml")));
        let tf_text = std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap();
        let tf = tf_pipeline(&tf_text);
        assert_eq!(ros, tf, "{shown}: ROS and Terraform differ");
        assert!(
            !ros.stores.is_empty() && ros.alerts.len() == ros.stores.len(),
            "{shown}: an alert per logstore"
        );
        let vars = std::fs::read_to_string(dir.join("terraform/variables.tf")).unwrap();
        assert!(
            vars.contains("variable \"sls_action_policy_id\""),
            "{shown}"
        );
        // The deploy gives the host the machine group's id, in both templates.
        let id_line = format!(
            "  echo '{}' >> /etc/ilogtail/user_defined_id",
            ros.group.1[0]
        );
        let ros_script = std::fs::read_to_string(dir.join("ros/template.yaml")).unwrap();
        let tf_script = std::fs::read_to_string(dir.join("terraform/deploy.sh.tftpl")).unwrap();
        assert!(
            tf_script.lines().any(|l| l == id_line),
            "{shown}: {id_line}"
        );
        assert!(ros_script.contains(&id_line), "{shown}: {id_line}");
    }
}

/// The label value each container's output is collected by.
fn labels(dir: &Path) -> BTreeMap<String, String> {
    let compose = yaml(&dir.join("docker-compose.yml"));
    compose["services"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, s)| {
            let label = s["labels"]["futurestack.logs"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: `{name}` has no log class", dir.display()));
            (name.clone(), label.to_owned())
        })
        .collect()
}

/// Every container is picked by exactly one stdout configuration; none of them
/// selects a label that no container has; the four classes of the plan are
/// collected in prod.
#[test]
fn logtail_collects_every_container_and_only_the_stacks() {
    for dir in sls_dirs() {
        let shown = dir.display();
        let labels = labels(&dir);
        let tf = tf_pipeline(&std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap());
        let mut selected: BTreeMap<String, String> = BTreeMap::new();
        for (name, (store, _, detail)) in &tf.configs {
            let selectors: Vec<&J> = detail["plugin"]["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| &i["detail"]["IncludeContainerLabel"])
                .chain(std::iter::once(&detail["dockerIncludeLabel"]))
                .filter(|s| s.is_object())
                .collect();
            for selector in selectors {
                let value = selector["futurestack.logs"].as_str().unwrap_or_else(|| {
                    panic!("{shown}: {name} selects by {selector}, not by the stack's label")
                });
                assert!(
                    labels.values().any(|l| l == value),
                    "{shown}: {name} selects `{value}`, which no container has"
                );
                assert!(
                    value.ends_with(&format!(".{store}")),
                    "{shown}: {name} sends `{value}` to `{store}`"
                );
                if name.ends_with("-stdout") {
                    assert!(
                        selected.insert(value.to_owned(), name.clone()).is_none(),
                        "{shown}: `{value}` twice"
                    );
                }
            }
        }
        for (service, label) in &labels {
            assert!(
                selected.contains_key(label),
                "{shown}: `{service}` ({label}) is not collected"
            );
        }
        if dir.ends_with("golden/prod") {
            let stores: Vec<&str> = tf.stores.keys().map(String::as_str).collect();
            assert_eq!(stores, ["access", "app", "database", "system"]);
            assert!(tf.configs.contains_key("system-journal"));
            assert!(tf.configs.contains_key("database-mysql-slow"));
        }
    }
}

/// The slow-query logs are on with the spec's threshold (prod: 500 ms), and
/// MySQL writes its log where Logtail reads it.
#[test]
fn databases_log_slow_queries_with_the_spec_threshold() {
    let dir = support::repo().join("golden/prod");
    let compose = yaml(&dir.join("docker-compose.yml"));
    let command = |s: &str| -> Vec<String> {
        compose["services"][s]["command"]
            .as_array()
            .unwrap_or_else(|| panic!("{s} has no command"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        command("mysql"),
        [
            "mysqld",
            "--slow-query-log=ON",
            "--slow-query-log-file=slow.log",
            "--long-query-time=0.500"
        ]
    );
    assert_eq!(
        command("postgres"),
        ["postgres", "-c", "log_min_duration_statement=500"]
    );
    let tf = tf_pipeline(&std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap());
    let slow = &tf.configs["database-mysql-slow"].2;
    assert_eq!(slow["logPath"], "/var/lib/mysql");
    assert_eq!(slow["filePattern"], "slow.log");
    assert_eq!(slow["dockerFile"], true);
}

/// Real nginx, with the generated configuration: each access-log line is one
/// JSON object with exactly the fields of the `access` index, each of the type
/// the index reads it as, so the SLS queries (`status >= 500`, latency) work.
#[test]
fn nginx_writes_the_access_log_the_index_reads() {
    if namespace_tools(&[]).is_none() {
        return;
    }
    let dir = support::repo().join("golden/prod");
    let conf = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
    let tf = tf_pipeline(&std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap());
    let index: BTreeMap<String, String> = tf.stores["access"]
        .2
        .iter()
        .filter(|(name, _)| !name.starts_with('_') && name != "content")
        .cloned()
        .collect();
    // No app and no DNS run: the API route answers 502 once nginx's resolver
    // gives up (`resolver_timeout 5s`).
    let body = "for path in / '/%22quoted%22' /api/recommend/x; do \
                curl -sk --max-time 12 -o /dev/null -H 'User-Agent: a \"quoted\" agent' \
                --resolve future.example.com:443:127.0.0.1 \"https://future.example.com$path\" || true; done\n\
                sed 's/^/ACCESS /' /var/log/nginx/access.log";
    let empty = tempfile::tempdir().unwrap();
    let (ok, out) = with_nginx_conf(&dir, &conf, empty.path(), body);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("ACCESS "))
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    let mut statuses = Vec::new();
    for line in lines {
        let entry: J = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let fields: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(fields, index.keys().collect::<Vec<_>>(), "{line}");
        for (name, kind) in &index {
            let v = &entry[name];
            let fits = match kind.as_str() {
                "long" => v.is_i64(),
                "double" => v.is_number(),
                _ => v.is_string(),
            };
            assert!(fits, "`{name}` is {v}, not {kind}: {line}");
        }
        assert_eq!(entry["user_agent"], json!("a \"quoted\" agent"));
        statuses.push(entry["status"].as_i64().unwrap());
    }
    // What the access alert counts.
    assert_eq!(statuses, [404, 404, 502]);
}

/// The comparison would catch a difference: one changed retention fails it.
#[test]
fn guard_a_changed_retention_breaks_the_parity() {
    let dir = support::repo().join("golden/prod");
    let ros = ros_pipeline(&yaml(&dir.join("ros/template.yaml")));
    let text = std::fs::read_to_string(dir.join("terraform/main.tf")).unwrap();
    let broken = text.replacen("retention_period = 30", "retention_period = 31", 1);
    assert_ne!(broken, text);
    assert_ne!(ros, tf_pipeline(&broken));
    assert_eq!(ros, tf_pipeline(&text));
}

/// The SLS lines of prod's cost report, redone from the spec in floating
/// point: GiB sent a month (a day's volume of every class × 730 / 24) and GiB
/// kept (each class's day × its retention), rounded up.
#[test]
fn the_cost_report_prices_what_the_classes_write_and_keep() {
    let spec = yaml(&support::repo().join("environments/prod.yaml"));
    let classes = &spec["logging"]["classes"];
    let mib = |v: &J| -> f64 {
        let s = v.as_str().unwrap_or("200MiB");
        let (n, unit) = s.split_at(s.len() - 3);
        n.parse::<f64>().unwrap() * if unit == "GiB" { 1024.0 } else { 1.0 }
    };
    let defaults = [
        ("app", 30.0),
        ("database", 30.0),
        ("system", 14.0),
        ("access", 90.0),
    ];
    let (mut daily, mut kept) = (0.0, 0.0);
    for (class, retention) in defaults {
        let c = &classes[class];
        let day = mib(&c["daily"]);
        daily += day;
        kept += day * c["retention_days"].as_f64().unwrap_or(retention);
    }
    let report: J = serde_json::from_str(
        &std::fs::read_to_string(support::repo().join("golden/prod/cost.json")).unwrap(),
    )
    .unwrap();
    let quantity = |sku: &str| {
        report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .unwrap_or_else(|| panic!("no `{sku}` line"))["quantity"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(
        quantity("sls.ingest"),
        (daily * 730.0 / 24.0 / 1024.0).ceil()
    );
    assert_eq!(quantity("sls.storage"), (kept / 1024.0).ceil());
}
