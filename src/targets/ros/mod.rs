//! The Alibaba Cloud ROS target: `ros/template.yaml`. On a new host it creates
//! the VPC, vSwitch, security group, ECS instance, data disk and elastic IP; on an
//! existing one it adds the stack's ingress rules to the host's security group.
//! Either way the secrets become OOS encrypted parameters and the stack is
//! deployed by Cloud Assistant (`ALIYUN::ECS::RunCommand`); the script reports how it ended to a
//! wait condition, so a failed deploy fails the stack operation.

pub mod cluster;

use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;
use crate::model::cloud::{self, VPC_CIDR, VSWITCH_CIDR};
use crate::model::deploy::{self, Substitution};
use crate::render::{self, Files, Templates};
use crate::spec::{HostMode, Kind};

#[derive(Serialize)]
struct View {
    existing: bool,
    description: String,
    name: String,
    zone: Option<String>,
    instance_type: String,
    image: String,
    disk_category: &'static str,
    system_disk: u64,
    data_disk: Option<u64>,
    /// With a data disk: its daily snapshot `(hour, retention days)`.
    snapshots: (u8, u32),
    bandwidth: u32,
    vpc_cidr: &'static str,
    vswitch_cidr: &'static str,
    ingress: Vec<(u16, bool, String)>,
    /// `(parameter, description, OOS parameter name)`.
    secrets: Vec<(String, String, String)>,
    deploy: String,
    /// Logical names of the deploy's resources, after the script's hash.
    deploy_name: String,
    handle_name: String,
    done_name: String,
    ram_name: String,
    ram_policy: serde_json::Value,
    trust_policy: serde_json::Value,
    /// `(parameter, description, association)` of an existing host.
    host_parameters: Vec<(&'static str, &'static str, Option<&'static str>)>,
    secret_pattern: &'static str,
    secret_rule: &'static str,
    ram_role_description: &'static str,
    ram_policy_description: &'static str,
    /// With `backups.oss`: the bucket backups are copied to.
    backup_bucket: Option<crate::model::backup::OssTarget>,
    deploy_output_description: &'static str,
    deploy_timeout: u32,
    urls: Vec<String>,
    managed: Vec<ManagedView>,
    /// With `logging.mode: sls`: the Simple Log Service resources.
    logs: Option<LogsView>,
}

#[derive(Serialize)]
struct LogsView {
    project: String,
    description: String,
    machine_group: String,
    action_policy: &'static str,
    action_policy_description: &'static str,
    stores: Vec<StoreView>,
    configs: Vec<ConfigView>,
    alerts: Vec<AlertView>,
}

#[derive(Serialize)]
struct StoreView {
    resource: String,
    index: String,
    name: &'static str,
    description: &'static str,
    retention_days: u32,
    shards: u32,
    full_text: serde_json::Value,
    keys: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct ConfigView {
    resource: String,
    apply: String,
    name: String,
    store: String,
    raw: serde_json::Value,
}

#[derive(Serialize)]
struct AlertView {
    resource: String,
    store: String,
    detail: serde_json::Value,
}

/// `app-stdout` → `AppStdout`: a logical resource name part.
fn camel(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn logs_view(stack: &Stack) -> Option<LogsView> {
    use crate::model::logging::{self, FieldType};
    use serde_json::json;
    let plan = logging::sls(stack)?;
    let store_resource = |name: &str| format!("Logstore{}", camel(name));
    let text = |mut v: serde_json::Value| {
        v["CaseSensitive"] = json!(false);
        v["IncludeChinese"] = json!(true);
        v["Delimiter"] = json!(logging::TOKENS);
        v
    };
    Some(LogsView {
        project: plan.project.clone(),
        description: plan.description.clone(),
        machine_group: plan.machine_group.clone(),
        action_policy: logging::ACTION_POLICY_ROS,
        action_policy_description: logging::ACTION_POLICY_DESCRIPTION,
        stores: plan
            .logstores
            .iter()
            .map(|s| StoreView {
                resource: store_resource(s.class.as_str()),
                index: format!("LogIndex{}", camel(s.class.as_str())),
                name: s.class.as_str(),
                description: s.description,
                retention_days: s.retention_days,
                shards: s.shards,
                full_text: text(json!({"Enable": true})),
                keys: s
                    .keys
                    .iter()
                    .map(|(name, kind)| {
                        let key = json!({"Name": name, "Type": kind, "EnableAnalytics": true});
                        if *kind == FieldType::Text {
                            text(key)
                        } else {
                            key
                        }
                    })
                    .collect(),
            })
            .collect(),
        configs: plan
            .configs
            .iter()
            .map(|c| ConfigView {
                resource: format!("Logtail{}", camel(&c.name)),
                apply: format!("LogtailApply{}", camel(&c.name)),
                name: c.name.clone(),
                store: store_resource(c.logstore),
                raw: json!({
                    "configName": c.name,
                    "inputType": c.input_type,
                    "inputDetail": c.detail,
                    "outputType": "LogService",
                    "outputDetail": {"logstoreName": c.logstore, "projectName": plan.project},
                }),
            })
            .collect(),
        alerts: plan
            .alerts
            .iter()
            .map(|a| AlertView {
                resource: format!("LogAlert{}", camel(a.logstore)),
                store: store_resource(a.logstore),
                detail: json!({
                    "Name": a.name,
                    "DisplayName": a.display_name,
                    "Schedule": {"Type": "FixedRate", "Interval": logging::ALERT_WINDOW},
                    "Configuration": {
                        "Version": "2.0",
                        "Type": "default",
                        "Dashboard": "internal-alert-analysis",
                        "QueryList": [{
                            "Query": a.query,
                            "Start": format!("-{}", logging::ALERT_WINDOW),
                            "End": "now",
                            "TimeSpanType": "Custom",
                            "Store": a.logstore,
                            "StoreType": "log",
                            "Project": plan.project,
                            "Region": stack.host.region,
                        }],
                        "SeverityConfigurations": [{
                            "Severity": logging::ALERT_SEVERITY,
                            "EvalCondition": {"Condition": a.condition, "CountCondition": ""},
                        }],
                        "GroupConfiguration": {"Type": "no_group"},
                        "PolicyConfiguration": {
                            "AlertPolicyId": logging::ALERT_POLICY,
                            "ActionPolicyId": {"Ref": logging::ACTION_POLICY_ROS},
                            "RepeatInterval": logging::ALERT_REPEAT,
                        },
                    },
                }),
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct ManagedView {
    resource: String,
    service: String,
    /// `rds`, `redis` or `elasticsearch`.
    family: &'static str,
    engine: &'static str,
    version: String,
    class: String,
    storage: u64,
    nodes: u64,
    user: Option<String>,
    database: Option<String>,
    charset: &'static str,
    password: Option<String>,
    endpoint: &'static str,
}

/// `${` starts a substitution in `Fn::Sub`; a literal one is written `${!`.
fn ros_literal(s: &str) -> String {
    s.replace("${", "${!")
}

fn ros_endpoint(service: &crate::model::Service) -> String {
    format!(
        "${{{}.{}}}",
        cloud::ros_resource(service),
        cloud::ros_endpoint_attribute(service.kind)
    )
}

pub fn render(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    dir: &str,
    embedded: &deploy::Bundle,
) -> Result<Files, Error> {
    let host = &stack.host;
    // The deploy's resources are named after a hash of its script: a changed
    // script (new files, new bundle sums) is a new resource, which ROS runs.
    const HANDLE: &str = "${DeployHandle.CurlCli}";
    let sub = Substitution {
        literal: ros_literal,
        endpoint: ros_endpoint,
        data_disk: "${DataDisk}",
        notify: Some(HANDLE.to_owned()),
    };
    let script = deploy::script(stack, embedded, &sub);
    let hash = deploy::sha256_hex(script.as_bytes())[..8].to_owned();
    let script = script.replace(HANDLE, &format!("${{DeployHandle{hash}.CurlCli}}"));
    let existing = host.mode == HostMode::Existing;
    let view = View {
        existing,
        description: if existing {
            format!(
                "{} ({}): the stack, deployed with Docker Compose onto an existing ECS host. Generated by futurestack.",
                stack.project,
                stack.tier.as_str()
            )
        } else {
            format!(
                "{} ({}): one new ECS host running the stack with Docker Compose. Generated by futurestack.",
                stack.project,
                stack.tier.as_str()
            )
        },
        name: stack.project.clone(),
        zone: host.zone.clone(),
        instance_type: host.instance_type.clone(),
        image: host.image.clone(),
        disk_category: host.disk_category.as_str(),
        system_disk: host.disk.mib() / 1024,
        data_disk: host.data_disk.map(|d| d.mib() / 1024),
        snapshots: (host.snapshots.hour, host.snapshots.retention_days),
        bandwidth: host.bandwidth,
        vpc_cidr: VPC_CIDR,
        vswitch_cidr: VSWITCH_CIDR,
        ingress: cloud::ingress(stack)
            .into_iter()
            .map(|r| (r.port, r.admin_only, r.description))
            .collect(),
        secrets: cloud::secrets(stack)
            .into_iter()
            .map(|s| {
                let oos = cloud::oos_name(stack, &s);
                (s.ros_parameter, s.description, oos)
            })
            .collect(),
        deploy: script,
        deploy_name: format!("Deploy{hash}"),
        handle_name: format!("DeployHandle{hash}"),
        done_name: format!("DeployDone{hash}"),
        ram_name: cloud::ram_name(stack),
        ram_policy: cloud::ram_policy(stack),
        trust_policy: cloud::ecs_trust_policy(),
        host_parameters: cloud::EXISTING_HOST_PARAMETERS
            .iter()
            .map(|p| (p.ros, p.description, p.association))
            .collect(),
        secret_pattern: cloud::SECRET_PATTERN,
        secret_rule: cloud::SECRET_RULE,
        ram_role_description: cloud::RAM_ROLE_DESCRIPTION,
        ram_policy_description: cloud::ram_policy_description(stack),
        backup_bucket: crate::model::backup::oss(stack),
        deploy_output_description: cloud::DEPLOY_OUTPUT_DESCRIPTION,
        deploy_timeout: deploy::TIMEOUT_SECONDS,
        urls: cloud::urls(stack),
        logs: logs_view(stack),
        managed: cloud::managed(stack)
            .into_iter()
            .map(|(service, m)| {
                let (family, engine, charset) = match service.kind {
                    Kind::Mysql => ("rds", "MySQL", "utf8mb4"),
                    Kind::Postgres => ("rds", "PostgreSQL", "UTF8"),
                    Kind::Redis => ("redis", "Redis", ""),
                    _ => ("elasticsearch", "Elasticsearch", ""),
                };
                let env = |key: &str| service.env.get(key).cloned();
                ManagedView {
                    resource: cloud::ros_resource(service),
                    service: service.name.clone(),
                    family,
                    engine,
                    version: m.version.clone(),
                    class: m.class.clone(),
                    storage: m.storage_gib,
                    nodes: m.nodes,
                    user: env("MYSQL_USER").or_else(|| env("POSTGRES_USER")),
                    database: env("MYSQL_DATABASE").or_else(|| env("POSTGRES_DB")),
                    charset,
                    password: cloud::secret_for(stack, service, "password")
                        .map(|s| s.ros_parameter),
                    endpoint: cloud::ros_endpoint_attribute(service.kind),
                }
            })
            .collect(),
    };
    render::render_target(templates, env, dir, stack, &view)
}
