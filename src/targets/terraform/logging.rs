//! Terraform blocks of the Simple Log Service plan (`logging.mode: sls`): the
//! project, a logstore and its index per class, the host's machine group, the
//! Logtail configurations applied to it, and an error alert per class. The
//! same resources as the ROS template's `Logs*`, from `model::logging::sls`.

use crate::model::Stack;
use crate::model::logging::{self, FieldType};

use super::super::hcl::{Block, raw, string};

fn ident(name: &str) -> String {
    name.replace('-', "_")
}

fn type_name(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Text => "text",
        FieldType::Long => "long",
        FieldType::Double => "double",
    }
}

const PROJECT: &str = "alicloud_log_project.logs.project_name";

pub fn blocks(stack: &Stack) -> Vec<Block> {
    let Some(plan) = logging::sls(stack) else {
        return Vec::new();
    };
    let mut blocks = vec![
        Block::new("resource", &["alicloud_log_project", "logs"])
            .attr("project_name", string(&plan.project))
            .attr("description", string(&plan.description)),
    ];
    for store in &plan.logstores {
        let name = ident(store.class.as_str());
        blocks.push(
            Block::new("resource", &["alicloud_log_store", &name])
                .comment(store.description)
                .attr("project_name", raw(PROJECT))
                .attr("logstore_name", string(store.class.as_str()))
                .attr("retention_period", raw(store.retention_days.to_string()))
                .attr("shard_count", raw(store.shards.to_string()))
                .attr("auto_split", raw("false"))
                .attr("append_meta", raw("true")),
        );
        let mut index = Block::new("resource", &["alicloud_log_store_index", &name])
            .attr("project", raw(PROJECT))
            .attr(
                "logstore",
                raw(format!("alicloud_log_store.{name}.logstore_name")),
            )
            .blank()
            .block(
                Block::new("full_text", &[])
                    .attr("case_sensitive", raw("false"))
                    .attr("include_chinese", raw("true"))
                    .attr("token", string(logging::TOKENS)),
            );
        for (field, kind) in &store.keys {
            let mut search = Block::new("field_search", &[])
                .attr("name", string(field))
                .attr("type", string(type_name(*kind)))
                .attr("enable_analytics", raw("true"));
            if *kind == FieldType::Text {
                search = search
                    .attr("case_sensitive", raw("false"))
                    .attr("include_chinese", raw("true"))
                    .attr("token", string(logging::TOKENS));
            }
            index = index.blank().block(search);
        }
        blocks.push(index);
    }
    blocks.push(
        Block::new("resource", &["alicloud_log_machine_group", "host"])
            .comment("The host joins by its user-defined id, which the deploy writes to /etc/ilogtail/user_defined_id.")
            .attr("project", raw(PROJECT))
            .attr("name", string(&plan.machine_group))
            .attr("identify_type", string("userdefined"))
            .attr("identify_list", format!("[{}]", string(&plan.machine_group))),
    );
    for config in &plan.configs {
        let name = ident(&config.name);
        let detail = serde_json::to_string(&config.detail).expect("JSON serializes");
        blocks.push(
            Block::new("resource", &["alicloud_logtail_config", &name])
                .attr("project", raw(PROJECT))
                .attr(
                    "logstore",
                    raw(format!(
                        "alicloud_log_store.{}.logstore_name",
                        ident(config.logstore)
                    )),
                )
                .attr("name", string(&config.name))
                .attr("input_type", string(config.input_type))
                .attr("output_type", string("LogService"))
                .attr("input_detail", string(&detail)),
        );
        blocks.push(
            Block::new("resource", &["alicloud_logtail_attachment", &name])
                .attr("project", raw(PROJECT))
                .attr(
                    "logtail_config_name",
                    raw(format!("alicloud_logtail_config.{name}.name")),
                )
                .attr(
                    "machine_group_name",
                    raw("alicloud_log_machine_group.host.name"),
                ),
        );
    }
    for alert in &plan.alerts {
        let name = ident(&alert.name);
        blocks.push(
            Block::new("resource", &["alicloud_log_alert", &name])
                .attr("version", string("2.0"))
                .attr("type", string("default"))
                .attr("project_name", raw(PROJECT))
                .attr("alert_name", string(&alert.name))
                .attr("alert_displayname", string(&alert.display_name))
                .blank()
                .block(
                    Block::new("schedule", &[])
                        .attr("type", string("FixedRate"))
                        .attr("interval", string(logging::ALERT_WINDOW)),
                )
                .blank()
                .block(
                    Block::new("query_list", &[])
                        .attr(
                            "store",
                            raw(format!("alicloud_log_store.{}.logstore_name", ident(alert.logstore))),
                        )
                        .attr("store_type", string("log"))
                        .attr("query", string(&alert.query))
                        .attr("project", raw(PROJECT))
                        .attr("region", string(&stack.host.region))
                        .attr("start", string(&format!("-{}", logging::ALERT_WINDOW)))
                        .attr("end", string("now")),
                )
                .blank()
                .block(
                    Block::new("severity_configurations", &[])
                        .attr("severity", raw(logging::ALERT_SEVERITY.to_string()))
                        .attr(
                            "eval_condition",
                            format!(
                                "{{\n      condition       = {}\n      count_condition = \"\"\n    }}",
                                string(&alert.condition)
                            ),
                        ),
                )
                .blank()
                .block(Block::new("group_configuration", &[]).attr("type", string("no_group")))
                .blank()
                .block(
                    Block::new("policy_configuration", &[])
                        .attr("alert_policy_id", string(logging::ALERT_POLICY))
                        .attr(
                            "action_policy_id",
                            raw(format!("var.{}", logging::ACTION_POLICY_TF)),
                        )
                        .attr("repeat_interval", string(logging::ALERT_REPEAT)),
                ),
        );
    }
    blocks
}
