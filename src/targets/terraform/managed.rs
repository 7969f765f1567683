//! Terraform blocks of the managed services: RDS (MySQL, PostgreSQL) with their
//! database, account and privilege, Redis (KVStore) and Elasticsearch, in the
//! host's (or the cluster's) vSwitch and reachable from it only.

use crate::model::Stack;
use crate::model::cloud;
use crate::spec::Kind;

use super::super::hcl::{Block, list, raw, string};

/// `allowed`: the network the services accept connections from (the host's
/// vSwitch, or the cluster's VPC, whose pods have addresses in it).
pub fn blocks(stack: &Stack, allowed: &str) -> Vec<Block> {
    let name = &stack.project;
    let mut main = Vec::new();
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
                    .attr("security_ips", list(&[string(allowed)]))
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
                    .attr("security_ips", list(&[string(allowed)]));
                if let Some(password) = &password {
                    block = block.attr("password", password.clone());
                }
                main.push(block);
            }
            _ => {
                let mut block = Block::new("resource", &["alicloud_elasticsearch_instance", &tf])
                    .attr("description", string(&label))
                    .attr("version", string(&m.version))
                    // `payment_type` and the `data_node_configuration` block
                    // (since 1.267.0) replace `instance_charge_type` and the
                    // `data_node_*` arguments, deprecated since 1.261.0
                    // (website/docs/r/elasticsearch_instance.html.markdown at
                    // 81c43b6727a0); ESSD needs a performance level.
                    .attr("payment_type", string("PayAsYouGo"))
                    .attr("vswitch_id", raw("alicloud_vswitch.main.id"));
                if let Some(password) = &password {
                    block = block.attr("password", password.clone());
                }
                let nodes = Block::new("data_node_configuration", &[])
                    .attr("amount", raw(m.nodes.to_string()))
                    .attr("spec", string(&m.class))
                    .attr("disk", raw(m.storage_gib.to_string()))
                    .attr("disk_type", string("cloud_essd"))
                    .attr("performance_level", string("PL1"));
                main.push(block.blank().block(nodes));
            }
        }
    }
    main
}
