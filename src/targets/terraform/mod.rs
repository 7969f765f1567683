//! The Terraform target (`aliyun/alicloud`): `terraform/versions.tf`,
//! `variables.tf`, `main.tf`, `outputs.tf` and the deploy script template
//! (`deploy.sh.tftpl`). The same infrastructure as the ROS template, from the
//! same model: a new host (VPC, vSwitch, security group, instance, data disk,
//! elastic IP) or the ingress rules of an existing one, the secrets as OOS
//! encrypted parameters, and the deploy as a Cloud Assistant command whose
//! invocation Terraform waits for.

use crate::error::Error;
use crate::model::Stack;
use crate::model::cloud::{self, VPC_CIDR, VSWITCH_CIDR};
use crate::model::deploy::{self, Substitution};
use crate::render::{Files, with_banner};
use crate::spec::HostMode;

mod backup;
mod cluster;
mod logging;
mod managed;

use super::hcl::{Block, list, raw, render as hcl, string};

/// The alicloud provider version the configuration is written for: the newest
/// release in the provider's CHANGELOG (1.289.0, 2026-08-17, at commit
/// 81c43b6727a0 of aliyun/terraform-provider-alicloud). It must be at least the
/// "Available since" of every argument written: `alicloud_security_group`'s
/// `security_group_name` needs 1.239.0, `alicloud_ram_role`'s `role_name` and
/// `assume_role_policy_document` 1.252.0 (website/docs/r/*.html.markdown).
/// `tests/terraform_provider.rs` checks every resource and argument written
/// against `data/alicloud-provider.tsv` at this version: present, not
/// deprecated, not removed.
pub const PROVIDER_VERSION: &str = "1.289.0";

/// Minutes the apply waits for the deploy beyond the command's own timeout.
const INVOCATION_MARGIN_MINUTES: u32 = 5;

/// `templatefile` reads `${...}` and `%{...}`; literal ones are doubled.
fn tf_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

fn tf_endpoint(service: &crate::model::Service) -> String {
    format!("${{{}_endpoint}}", cloud::tf_name(service))
}

pub fn render(stack: &Stack, embedded: &crate::model::deploy::Bundle) -> Result<Files, Error> {
    if let Some(k8s) = &stack.kubernetes {
        return Ok(cluster::render(stack, k8s));
    }
    let mut files = Files::new();
    files.insert("terraform/versions.tf".into(), hcl(&versions(stack)));
    files.insert("terraform/variables.tf".into(), hcl(&variables(stack)));

    let existing = stack.host.mode == HostMode::Existing;
    let mut main = if existing {
        Vec::new()
    } else {
        new_host(stack)
    };
    main.extend(ingress(stack, existing));
    main.extend(managed::blocks(stack, VSWITCH_CIDR));
    main.extend(backup::blocks(stack));
    main.extend(logging::blocks(stack));
    main.extend(deploy_blocks(stack, existing));
    files.insert("terraform/main.tf".into(), hcl(&main));
    files.insert(
        "terraform/outputs.tf".into(),
        hcl(&outputs(stack, existing)),
    );

    let sub = Substitution {
        literal: tf_literal,
        endpoint: tf_endpoint,
        data_disk: "${data_disk_id}",
        notify: None,
    };
    files.insert(
        "terraform/deploy.sh.tftpl".into(),
        deploy::script(stack, embedded, &sub),
    );

    Ok(files
        .into_iter()
        .map(|(path, body)| {
            let text = if path.ends_with(".tftpl") {
                crate::render::normalize_newlines(&body)
            } else {
                with_banner(&path, stack, &body)
            };
            (path, text)
        })
        .collect())
}

pub(super) fn versions(stack: &Stack) -> Vec<Block> {
    let mut terraform = Block::new("terraform", &[])
        .attr("required_version", string(">= 1.5.0"))
        .blank()
        .block(Block::new("required_providers", &[]).attr(
            "alicloud",
            format!("{{\n      source  = \"aliyun/alicloud\"\n      version = \"{PROVIDER_VERSION}\"\n    }}"),
        ));
    // The state holds the secrets' values (the OOS parameters are set from
    // variables): on OSS it is encrypted at rest and private, never a local
    // file (Terraform's `oss` backend: bucket, prefix, key, region, encrypt,
    // acl, tablestore_endpoint, tablestore_table; developer.hashicorp.com
    // /terraform/language/backend/oss).
    if let Some(state) = &stack.host.terraform_state {
        let mut backend = Block::new("backend", &["oss"])
            .attr("bucket", string(&state.bucket))
            .attr(
                "prefix",
                string(&format!("futurestack/{}/{}", stack.name, stack.env)),
            )
            .attr("key", string("terraform.tfstate"))
            .attr("region", string(&stack.host.region))
            .attr("encrypt", raw("true"))
            .attr("acl", string("private"));
        if let (Some(endpoint), Some(table)) = (&state.lock_endpoint, &state.lock_table) {
            backend = backend
                .attr("tablestore_endpoint", string(endpoint))
                .attr("tablestore_table", string(table));
        }
        terraform = terraform.blank().block(backend);
    }
    vec![
        terraform,
        Block::new("provider", &["alicloud"]).attr("region", raw("var.region")),
    ]
}

fn variables(stack: &Stack) -> Vec<Block> {
    let host = &stack.host;
    let mut variables = vec![variable(
        "region",
        "string",
        "Region of every resource.",
        Some(string(&host.region)),
    )];
    if host.mode == HostMode::Existing {
        for p in &cloud::EXISTING_HOST_PARAMETERS {
            variables.push(variable(p.tf, "string", p.description, None));
        }
    } else {
        variables.extend([
            variable(
                "zone_id",
                "string",
                "Zone of the instance and its vSwitch.",
                host.zone.as_deref().map(string),
            ),
            variable(
                "instance_type",
                "string",
                "ECS instance type; the spec's host section sizes the stack for it.",
                Some(string(&host.instance_type)),
            ),
            variable(
                "image_id",
                "string",
                "Image of the instance.",
                Some(string(&host.image)),
            ),
            variable(
                "system_disk_size",
                "number",
                "System disk size in GiB.",
                Some(raw((host.disk.mib() / 1024).to_string())),
            ),
        ]);
        if let Some(data) = host.data_disk {
            variables.push(variable(
                "data_disk_size",
                "number",
                "Size in GiB of the data disk mounted at /var/lib/docker.",
                Some(raw((data.mib() / 1024).to_string())),
            ));
        }
        variables.push(
            variable(
                "admin_cidr",
                "string",
                "Network allowed to reach SSH, for example 203.0.113.0/24.",
                None,
            )
            .block(
                Block::new("validation", &[])
                    .attr("condition", raw("can(cidrhost(var.admin_cidr, 0))"))
                    .attr(
                        "error_message",
                        string("admin_cidr must be a CIDR block such as 203.0.113.0/24."),
                    ),
            ),
        );
        variables.push(variable(
            "key_pair_name",
            "string",
            "Key pair for SSH.",
            None,
        ));
    }
    if crate::model::logging::sls(stack).is_some() {
        variables.push(variable(
            crate::model::logging::ACTION_POLICY_TF,
            "string",
            crate::model::logging::ACTION_POLICY_DESCRIPTION,
            None,
        ));
    }
    for s in cloud::secrets(stack) {
        variables.push(secret_variable(&s));
    }
    variables
}

/// A secret's variable: sensitive, and checked against what the deploy accepts.
pub(super) fn secret_variable(s: &cloud::CloudSecret) -> Block {
    variable(&s.tf_variable, "string", &s.description, None)
        .attr("sensitive", raw("true"))
        .block(
            Block::new("validation", &[])
                .attr(
                    "condition",
                    raw(format!(
                        "can(regex({}, var.{}))",
                        string(cloud::SECRET_PATTERN),
                        s.tf_variable
                    )),
                )
                .attr("error_message", string(cloud::SECRET_RULE)),
        )
}

/// The host the templates create: network, security group, instance, its data
/// disk (a resource of its own, so it outlives the instance) and elastic IP.
fn new_host(stack: &Stack) -> Vec<Block> {
    let host = &stack.host;
    let name = &stack.project;
    let mut main = vec![
        Block::new("resource", &["alicloud_vpc", "main"])
            .attr("vpc_name", string(name))
            .attr("cidr_block", string(VPC_CIDR)),
        Block::new("resource", &["alicloud_vswitch", "main"])
            .attr("vswitch_name", string(name))
            .attr("vpc_id", raw("alicloud_vpc.main.id"))
            .attr("zone_id", raw("var.zone_id"))
            .attr("cidr_block", string(VSWITCH_CIDR)),
        Block::new("resource", &["alicloud_security_group", "main"])
            .attr("security_group_name", string(name))
            .attr(
                "description",
                string("Derived from the ports the stack publishes."),
            )
            .attr("vpc_id", raw("alicloud_vpc.main.id")),
        Block::new("resource", &["alicloud_ram_role", "deploy"])
            .attr("role_name", string(&cloud::ram_name(stack)))
            .attr(
                "assume_role_policy_document",
                string(&cloud::ecs_trust_policy().to_string()),
            )
            .attr("description", string(cloud::RAM_ROLE_DESCRIPTION)),
        Block::new("resource", &["alicloud_instance", "main"])
            .attr("instance_name", string(name))
            .attr("host_name", string(name))
            .attr("instance_type", raw("var.instance_type"))
            .attr("image_id", raw("var.image_id"))
            .attr("availability_zone", raw("var.zone_id"))
            .attr("vswitch_id", raw("alicloud_vswitch.main.id"))
            .attr(
                "security_groups",
                list(&[raw("alicloud_security_group.main.id")]),
            )
            .attr("key_name", raw("var.key_pair_name"))
            .attr("system_disk_category", string(host.disk_category.as_str()))
            .attr("system_disk_size", raw("var.system_disk_size"))
            .attr("internet_max_bandwidth_out", raw("0")),
        // `role_name` on the instance is deprecated since 1.275.0; the
        // attachment resource (since 1.250.0) replaces it
        // (website/docs/r/instance.html.markdown at 81c43b6727a0).
        Block::new("resource", &["alicloud_ecs_ram_role_attachment", "deploy"])
            .attr("ram_role_name", raw("alicloud_ram_role.deploy.role_name"))
            .attr("instance_id", raw("alicloud_instance.main.id")),
    ];
    if host.data_disk.is_some() {
        // The data outlives the instance: its own resource, never deleted with
        // the instance, refused by `terraform destroy` unless the lifecycle rule
        // is removed on purpose, and snapshotted every day.
        main.push(
            Block::new("resource", &["alicloud_ecs_disk", "data"])
                .attr("disk_name", string(&format!("{name}-data")))
                .attr("category", string(host.disk_category.as_str()))
                .attr("size", raw("var.data_disk_size"))
                .attr("zone_id", raw("var.zone_id"))
                .attr("delete_with_instance", raw("false"))
                .blank()
                .block(Block::new("lifecycle", &[]).attr("prevent_destroy", raw("true"))),
        );
        main.push(
            Block::new("resource", &["alicloud_ecs_disk_attachment", "data"])
                .attr("disk_id", raw("alicloud_ecs_disk.data.id"))
                .attr("instance_id", raw("alicloud_instance.main.id")),
        );
        let snapshots = host.snapshots;
        main.push(
            Block::new("resource", &["alicloud_ecs_auto_snapshot_policy", "data"])
                .attr("auto_snapshot_policy_name", string(&format!("{name}-data")))
                .attr(
                    "repeat_weekdays",
                    list(&(1..=7).map(|d| string(&d.to_string())).collect::<Vec<_>>()),
                )
                .attr("time_points", list(&[string(&snapshots.hour.to_string())]))
                .attr("retention_days", raw(snapshots.retention_days.to_string())),
        );
        main.push(
            Block::new(
                "resource",
                &["alicloud_ecs_auto_snapshot_policy_attachment", "data"],
            )
            .attr(
                "auto_snapshot_policy_id",
                raw("alicloud_ecs_auto_snapshot_policy.data.id"),
            )
            .attr("disk_id", raw("alicloud_ecs_disk.data.id")),
        );
    }
    main.push(
        Block::new("resource", &["alicloud_eip_address", "main"])
            .attr("address_name", string(name))
            .attr("bandwidth", string(&host.bandwidth.to_string()))
            .attr("internet_charge_type", string("PayByTraffic"))
            .attr("payment_type", string("PayAsYouGo")),
    );
    main.push(
        Block::new("resource", &["alicloud_eip_association", "main"])
            .attr("allocation_id", raw("alicloud_eip_address.main.id"))
            .attr("instance_id", raw("alicloud_instance.main.id")),
    );
    main
}

/// Security group rules for what the stack publishes (and SSH on a new host).
fn ingress(stack: &Stack, existing: bool) -> Vec<Block> {
    let group = if existing {
        "var.security_group_id"
    } else {
        "alicloud_security_group.main.id"
    };
    cloud::ingress(stack)
        .into_iter()
        .map(|rule| {
            let source = if rule.admin_only {
                raw("var.admin_cidr")
            } else {
                string("0.0.0.0/0")
            };
            Block::new(
                "resource",
                &[
                    "alicloud_security_group_rule",
                    &format!("ingress_{}", rule.port),
                ],
            )
            .attr("type", string("ingress"))
            .attr("ip_protocol", string("tcp"))
            .attr("nic_type", string("intranet"))
            .attr("policy", string("accept"))
            .attr(
                "port_range",
                string(&format!("{}/{}", rule.port, rule.port)),
            )
            .attr("priority", raw("1"))
            .attr("security_group_id", raw(group))
            .attr("cidr_ip", source)
            .attr("description", string(&rule.description))
        })
        .collect()
}

/// The secrets as OOS encrypted parameters, the deploy command, and its invocation,
/// which Terraform waits for (a failed deploy fails the apply). A changed script
/// (new files, new bundle sums) replaces the command and so runs the deploy again.
fn deploy_blocks(stack: &Stack, existing: bool) -> Vec<Block> {
    let name = &stack.project;
    let ram = cloud::ram_name(stack);
    let role = if existing {
        raw("var.ram_role_name")
    } else {
        raw("alicloud_ram_role.deploy.role_name")
    };
    let mut blocks = vec![
        Block::new("resource", &["alicloud_ram_policy", "deploy"])
            .attr("policy_name", string(&ram))
            .attr(
                "policy_document",
                string(&cloud::ram_policy(stack).to_string()),
            )
            .attr("description", string(cloud::ram_policy_description(stack))),
        Block::new(
            "resource",
            &["alicloud_ram_role_policy_attachment", "deploy"],
        )
        .attr("policy_name", raw("alicloud_ram_policy.deploy.policy_name"))
        .attr("policy_type", string("Custom"))
        .attr("role_name", role),
    ];
    let mut depends = vec![raw("alicloud_ram_role_policy_attachment.deploy")];
    for s in cloud::secrets(stack) {
        let resource = format!("alicloud_oos_secret_parameter.{}", s.tf_variable);
        blocks.push(
            Block::new(
                "resource",
                &["alicloud_oos_secret_parameter", &s.tf_variable],
            )
            .attr("secret_parameter_name", string(&cloud::oos_name(stack, &s)))
            .attr("description", string(&s.description))
            .attr("value", raw(format!("var.{}", s.tf_variable))),
        );
        depends.push(raw(resource));
    }
    let mut vars = Vec::new();
    if !existing && stack.host.data_disk.is_some() {
        vars.push("    data_disk_id = alicloud_ecs_disk.data.id".to_owned());
        depends.push(raw("alicloud_ecs_disk_attachment.data"));
    }
    for (service, _) in cloud::managed(stack) {
        let (resource, attribute) = cloud::tf_resource(service.kind);
        let tf = cloud::tf_name(service);
        vars.push(format!("    {tf}_endpoint = {resource}.{tf}.{attribute}"));
    }
    if !existing {
        depends.push(raw("alicloud_ecs_ram_role_attachment.deploy"));
        depends.push(raw("alicloud_eip_association.main"));
    }
    let vars = if vars.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{\n{}\n  }}", align_map(&vars))
    };
    blocks.push(
        Block::new("resource", &["alicloud_ecs_command", "deploy"])
            .attr("name", string(&format!("{name}-deploy")))
            .attr(
                "description",
                string("Deploys the stack; generated by futurestack."),
            )
            .attr("type", string("RunShellScript"))
            .attr(
                "command_content",
                format!("base64encode(templatefile(\"${{path.module}}/deploy.sh.tftpl\", {vars}))"),
            )
            .attr("enable_parameter", raw("true"))
            .attr("timeout", raw(deploy::TIMEOUT_SECONDS.to_string())),
    );
    let instance = if existing {
        "var.instance_id"
    } else {
        "alicloud_instance.main.id"
    };
    // `depends` always holds the policy attachment, at least.
    let mut invocation = Block::new("resource", &["alicloud_ecs_invocation", "deploy"])
        .attr("command_id", raw("alicloud_ecs_command.deploy.id"))
        .attr("instance_id", list(&[raw(instance)]))
        .attr("depends_on", list(&depends));
    // The provider waits for the invocation's success for its create timeout,
    // 1 minute unless set (resource_alicloud_ecs_invocation.go at 81c43b6727a0),
    // and fails the apply while the deploy still runs: wait as long as the
    // command may run, plus a margin for Cloud Assistant to start it.
    let wait = format!(
        "{}m",
        deploy::TIMEOUT_SECONDS.div_ceil(60) + INVOCATION_MARGIN_MINUTES
    );
    invocation = invocation
        .blank()
        .block(Block::new("timeouts", &[]).attr("create", string(&wait)))
        .blank()
        .block(Block::new("lifecycle", &[]).attr(
            "replace_triggered_by",
            list(&[raw("alicloud_ecs_command.deploy")]),
        ));
    blocks.push(invocation);
    blocks
}

fn outputs(stack: &Stack, existing: bool) -> Vec<Block> {
    let mut outputs = Vec::new();
    if !existing {
        outputs.push(
            Block::new("output", &["public_ip"])
                .attr("description", string("Public address of the host."))
                .attr("value", raw("alicloud_eip_address.main.ip_address")),
        );
        outputs.push(
            Block::new("output", &["instance_id"])
                .attr("description", string("ECS instance id."))
                .attr("value", raw("alicloud_instance.main.id")),
        );
    }
    outputs.push(
        Block::new("output", &["deploy_invocation"])
            .attr("description", string(cloud::DEPLOY_OUTPUT_DESCRIPTION))
            .attr("value", raw("alicloud_ecs_invocation.deploy.id")),
    );
    for (service, _) in cloud::managed(stack) {
        let (resource, attribute) = cloud::tf_resource(service.kind);
        let tf = cloud::tf_name(service);
        outputs.push(
            Block::new("output", &[&format!("{tf}_endpoint")])
                .attr(
                    "description",
                    string(&format!(
                        "Private endpoint of the managed `{}`.",
                        service.name
                    )),
                )
                .attr("value", raw(format!("{resource}.{tf}.{attribute}"))),
        );
    }
    let urls = cloud::urls(stack);
    if !urls.is_empty() {
        outputs.push(
            Block::new("output", &["urls"])
                .attr("description", string("Public URLs of the stack."))
                .attr(
                    "value",
                    list(&urls.iter().map(|u| string(u)).collect::<Vec<_>>()),
                ),
        );
    }
    outputs
}

pub(super) fn variable(
    name: &str,
    kind: &str,
    description: &str,
    default: Option<String>,
) -> Block {
    let mut block = Block::new("variable", &[name])
        .attr("description", string(description))
        .attr("type", raw(kind));
    if let Some(value) = default {
        block = block.attr("default", value);
    }
    block
}

/// Aligns `key = value` lines of an object constructor like `terraform fmt`.
fn align_map(lines: &[String]) -> String {
    let pairs: Vec<(&str, &str)> = lines.iter().filter_map(|l| l.split_once(" = ")).collect();
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$} = {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}
