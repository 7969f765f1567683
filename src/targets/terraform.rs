//! The Terraform target (`aliyun/alicloud`): `terraform/versions.tf`,
//! `variables.tf`, `main.tf`, `outputs.tf` and the first-boot script template.
//! The same infrastructure as the ROS template, from the same model.

use crate::error::Error;
use crate::model::Stack;
use crate::model::cloud::{self, Substitution, VPC_CIDR, VSWITCH_CIDR};
use crate::render::{Files, with_banner};
use crate::spec::Kind;

use super::hcl::{Block, list, raw, render as hcl, string};

/// The alicloud provider version the configuration is written for.
pub const PROVIDER_VERSION: &str = "1.235.0";

/// `templatefile` reads `${...}` and `%{...}`; literal ones are doubled.
fn tf_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

fn tf_secret(secret: &cloud::CloudSecret) -> String {
    format!("${{{}}}", secret.tf_variable)
}

fn tf_endpoint(service: &crate::model::Service) -> String {
    format!("${{{}_endpoint}}", cloud::tf_name(service))
}

pub fn render(stack: &Stack, embedded: &[(String, String)]) -> Result<Files, Error> {
    let host = &stack.host;
    let name = &stack.project;
    let secrets = cloud::secrets(stack);
    let mut files = Files::new();

    let versions = vec![
        Block::new("terraform", &[]).attr("required_version", string(">= 1.5.0")).blank().block(
            Block::new("required_providers", &[]).attr(
                "alicloud",
                format!("{{\n      source  = \"aliyun/alicloud\"\n      version = \"{PROVIDER_VERSION}\"\n    }}"),
            ),
        ),
        Block::new("provider", &["alicloud"]).attr("region", raw("var.region")),
    ];
    files.insert("terraform/versions.tf".into(), hcl(&versions));

    let mut variables = vec![
        variable(
            "region",
            "string",
            "Region of every resource.",
            Some(string(&host.region)),
        ),
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
    ];
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
    for s in &secrets {
        variables.push(
            variable(&s.tf_variable, "string", &s.description, None)
                .attr("sensitive", raw("true"))
                .block(
                    Block::new("validation", &[])
                        .attr(
                            "condition",
                            raw(format!(
                                "can(regex(\"^[^'\\\\s]{{8,}}$\", var.{}))",
                                s.tf_variable
                            )),
                        )
                        .attr(
                            "error_message",
                            string("At least 8 characters, without quotes or whitespace."),
                        ),
                ),
        );
    }
    files.insert("terraform/variables.tf".into(), hcl(&variables));

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
    ];
    for rule in cloud::ingress(stack) {
        let source = if rule.admin_only {
            raw("var.admin_cidr")
        } else {
            string("0.0.0.0/0")
        };
        main.push(
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
            .attr("security_group_id", raw("alicloud_security_group.main.id"))
            .attr("cidr_ip", source)
            .attr("description", string(&rule.description)),
        );
    }
    let mut instance = Block::new("resource", &["alicloud_instance", "main"])
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
        .attr("internet_max_bandwidth_out", raw("0"));
    let template_vars: Vec<String> = secrets
        .iter()
        .map(|s| format!("    {} = var.{}", s.tf_variable, s.tf_variable))
        .collect();
    instance = instance.attr(
        "user_data",
        format!(
            "base64encode(templatefile(\"${{path.module}}/bootstrap.sh.tftpl\", {{\n{}\n  }}))",
            align_map(&template_vars)
        ),
    );
    if host.data_disk.is_some() {
        instance = instance.blank().block(
            Block::new("data_disks", &[])
                .attr("name", string(&format!("{name}-data")))
                .attr("category", string(host.disk_category.as_str()))
                .attr("size", raw("var.data_disk_size")),
        );
    }
    main.push(instance);
    for (service, m) in cloud::managed(stack) {
        let tf = cloud::tf_name(service);
        let password = cloud::secret_for(stack, service, "password")
            .map(|sec| raw(format!("var.{}", sec.tf_variable)));
        let label = format!("{name}-{}", service.name);
        let env = |key: &str| service.env.get(key).cloned();
        match service.kind {
            Kind::Mysql | Kind::Postgres => {
                let (engine, charset) = if service.kind == Kind::Mysql {
                    ("MySQL", "utf8mb4")
                } else {
                    ("PostgreSQL", "UTF8")
                };
                let mut db = Block::new("resource", &["alicloud_db_instance", &tf]);
                if service.kind == Kind::Mysql {
                    db = db.comment(
                        "checkov:skip=CKV_ALI_35,CKV_ALI_36,CKV_ALI_37:log_duration, log_disconnections and log_connections are PostgreSQL parameters; MySQL has none (its SQL audit is on below)",
                    );
                }
                db = db
                    .attr("instance_name", string(&label))
                    .attr("engine", string(engine))
                    .attr("engine_version", string(&m.version))
                    .attr("instance_type", string(&m.class))
                    .attr("instance_storage", raw(m.storage_gib.to_string()))
                    .attr("instance_charge_type", string("Postpaid"))
                    .attr("zone_id", raw("var.zone_id"))
                    .attr("vswitch_id", raw("alicloud_vswitch.main.id"))
                    .attr("security_ips", list(&[string(VSWITCH_CIDR)]))
                    .attr("ssl_action", string("Open"))
                    .attr("auto_upgrade_minor_version", string("Auto"))
                    .attr("sql_collector_status", string("Enabled"))
                    .attr("sql_collector_config_value", raw("180"));
                if service.kind == Kind::Mysql {
                    db = db.attr("tde_status", string("Enabled"));
                } else {
                    for param in ["log_connections", "log_disconnections", "log_duration"] {
                        db = db.blank().block(
                            Block::new("parameters", &[])
                                .attr("name", string(param))
                                .attr("value", string("on")),
                        );
                    }
                }
                main.push(db);
                let user = env("MYSQL_USER").or_else(|| env("POSTGRES_USER"));
                let database = env("MYSQL_DATABASE").or_else(|| env("POSTGRES_DB"));
                if let Some(db) = &database {
                    main.push(
                        Block::new("resource", &["alicloud_db_database", &tf])
                            .attr("instance_id", raw(format!("alicloud_db_instance.{tf}.id")))
                            .attr("data_base_name", string(db))
                            .attr("character_set", string(charset)),
                    );
                }
                if let (Some(user), Some(password)) = (&user, &password) {
                    main.push(
                        Block::new("resource", &["alicloud_rds_account", &tf])
                            .attr(
                                "db_instance_id",
                                raw(format!("alicloud_db_instance.{tf}.id")),
                            )
                            .attr("account_name", string(user))
                            .attr("account_password", password.clone())
                            .attr("account_type", string("Normal")),
                    );
                    if let Some(db) = &database {
                        main.push(
                            Block::new("resource", &["alicloud_db_account_privilege", &tf])
                                .attr("instance_id", raw(format!("alicloud_db_instance.{tf}.id")))
                                .attr(
                                    "account_name",
                                    raw(format!("alicloud_rds_account.{tf}.account_name")),
                                )
                                .attr("privilege", string("ReadWrite"))
                                .attr("db_names", list(&[string(db)])),
                        );
                    }
                }
            }
            Kind::Redis => {
                let mut block = Block::new("resource", &["alicloud_kvstore_instance", &tf])
                    .attr("db_instance_name", string(&label))
                    .attr("instance_class", string(&m.class))
                    .attr("engine_version", string(&m.version))
                    .attr("payment_type", string("PostPaid"))
                    .attr("zone_id", raw("var.zone_id"))
                    .attr("vswitch_id", raw("alicloud_vswitch.main.id"))
                    .attr("security_ips", list(&[string(VSWITCH_CIDR)]));
                if let Some(password) = &password {
                    block = block.attr("password", password.clone());
                }
                main.push(block);
            }
            _ => {
                let mut block = Block::new("resource", &["alicloud_elasticsearch_instance", &tf])
                    .attr("description", string(&label))
                    .attr("version", string(&m.version))
                    .attr("instance_charge_type", string("PostPaid"))
                    .attr("data_node_amount", raw("2"))
                    .attr("data_node_spec", string(&m.class))
                    .attr("data_node_disk_size", raw(m.storage_gib.to_string()))
                    .attr("data_node_disk_type", string("cloud_essd"))
                    .attr("vswitch_id", raw("alicloud_vswitch.main.id"));
                if let Some(password) = &password {
                    block = block.attr("password", password.clone());
                }
                main.push(block);
            }
        }
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
    files.insert("terraform/main.tf".into(), hcl(&main));

    let mut outputs = vec![
        Block::new("output", &["public_ip"])
            .attr("description", string("Public address of the host."))
            .attr("value", raw("alicloud_eip_address.main.ip_address")),
        Block::new("output", &["instance_id"])
            .attr("description", string("ECS instance id."))
            .attr("value", raw("alicloud_instance.main.id")),
    ];
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
    files.insert("terraform/outputs.tf".into(), hcl(&outputs));

    let sub = Substitution {
        secret: tf_secret,
        literal: tf_literal,
        endpoint: tf_endpoint,
    };
    files.insert(
        "terraform/bootstrap.sh.tftpl".into(),
        cloud::bootstrap_script(stack, embedded, &sub),
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

fn variable(name: &str, kind: &str, description: &str, default: Option<String>) -> Block {
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
