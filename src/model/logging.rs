//! The stack's logs (`spec.logging`): the class each container's output
//! belongs to and its rotation, the databases' slow-query threshold, the
//! fields of nginx's JSON access log, and with `mode: sls` the Simple Log
//! Service plan both cloud targets write (project, one logstore per class with
//! its index, the host's machine group, the Logtail configurations, an error
//! alert per class) and the deploy's Logtail install.
//!
//! Logtail picks containers by the label [`LABEL`] (`<project>.<class>`),
//! which compose puts on every container: one exact label, so containers of
//! the host's other stacks are never collected (ilogtail `service_docker_stdout`
//! `IncludeContainerLabel`: exact match unless the value is `^...$`;
//! `IncludeLabel` is its deprecated name; ilogtail@7b0021b
//! `plugins/input/docker/stdout`).

use serde::Serialize;
use serde_json::{Value, json};

use super::{Service, Stack};
use crate::spec::{ByteSize, Kind, LogMode};

/// The label that names a container's log class.
pub const LABEL: &str = "futurestack.logs";

/// Where MySQL writes its slow-query log: in its data directory, which its
/// user owns in every image version (a relative `slow_query_log_file` is
/// relative to `datadir`).
pub const MYSQL_SLOW_LOG_DIR: &str = "/var/lib/mysql";
pub const MYSQL_SLOW_LOG_FILE: &str = "slow.log";

/// The persistent journal Logtail reads (the deploy makes it exist, so the
/// journal is kept there and not only in `/run/log/journal`; ilogtail
/// `service_journal` `JournalPaths`, its docs' example).
pub const JOURNAL_DIR: &str = "/var/log/journal";

/// A class of log: one logstore, one rotation, one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    App,
    Database,
    System,
    Access,
}

impl Class {
    pub const ALL: [Class; 4] = [Class::App, Class::Database, Class::System, Class::Access];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::App => "app",
            Class::Database => "database",
            Class::System => "system",
            Class::Access => "access",
        }
    }

    /// The class of a container's output.
    pub fn of(kind: Kind) -> Class {
        match kind {
            Kind::App => Class::App,
            Kind::Mysql
            | Kind::Postgres
            | Kind::Redis
            | Kind::Elasticsearch
            | Kind::Neo4j
            | Kind::Weaviate => Class::Database,
            Kind::Nginx => Class::Access,
            _ => Class::System,
        }
    }

    fn default_retention_days(self) -> u32 {
        match self {
            Class::App | Class::Database => 30,
            Class::System => 14,
            Class::Access => 90,
        }
    }

    fn settings(self, stack: &Stack) -> &crate::spec::LogClass {
        let c = &stack.logging.classes;
        match self {
            Class::App => &c.app,
            Class::Database => &c.database,
            Class::System => &c.system,
            Class::Access => &c.access,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Class::App => "the apps' output",
            Class::Database => "the databases' output, error and slow-query logs",
            Class::System => "the host's journal and the monitoring and helper containers",
            Class::Access => "nginx's JSON access log",
        }
    }
}

/// What futurestack decides for one class.
#[derive(Debug, Clone)]
pub struct ClassPlan {
    pub class: Class,
    pub max_size: ByteSize,
    pub max_files: u32,
    pub retention_days: u32,
    pub daily: ByteSize,
    pub errors: u32,
    /// The value of [`LABEL`] on its containers.
    pub label: String,
}

/// The plan of one class.
pub fn class(stack: &Stack, class: Class) -> ClassPlan {
    let l = &stack.logging;
    let c = class.settings(stack);
    ClassPlan {
        class,
        max_size: c.max_size.unwrap_or(l.max_size),
        max_files: c.max_files.unwrap_or(l.max_files),
        retention_days: c
            .retention_days
            .unwrap_or_else(|| class.default_retention_days()),
        daily: c.daily.unwrap_or(ByteSize::from_mib(200)),
        errors: c.errors.unwrap_or(10),
        label: format!("{}.{}", stack.project, class.as_str()),
    }
}

/// The plan of a container's class.
pub fn of_service(stack: &Stack, service: &Service) -> ClassPlan {
    class(stack, Class::of(service.kind))
}

/// The slow-query threshold in milliseconds, unless logging is off.
pub fn slow_query_ms(logging: &crate::spec::Logging) -> Option<u32> {
    (logging.mode != LogMode::Off).then_some(logging.slow_query_ms)
}

/// How an SLS index reads a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Long,
    Double,
}

/// One field of nginx's JSON access log: its name, the nginx variable it
/// holds, how the index reads it. The log format and the `access` index are
/// both made from this table.
pub struct AccessField {
    pub name: &'static str,
    pub variable: &'static str,
    pub kind: FieldType,
}

const fn field(name: &'static str, variable: &'static str, kind: FieldType) -> AccessField {
    AccessField {
        name,
        variable,
        kind,
    }
}

pub const ACCESS_FIELDS: &[AccessField] = &[
    field("time", "$time_iso8601", FieldType::Text),
    field("request_id", "$futurestack_request_id", FieldType::Text),
    field("remote_addr", "$remote_addr", FieldType::Text),
    field("host", "$host", FieldType::Text),
    field("method", "$request_method", FieldType::Text),
    field("uri", "$request_uri", FieldType::Text),
    field("status", "$status", FieldType::Long),
    field("bytes_sent", "$body_bytes_sent", FieldType::Long),
    field("request_time", "$request_time", FieldType::Double),
    field("upstream", "$upstream_addr", FieldType::Text),
    field("upstream_status", "$upstream_status", FieldType::Text),
    // Several upstreams tried make these lists (`0.010, 0.020`): text.
    field(
        "upstream_connect_time",
        "$upstream_connect_time",
        FieldType::Text,
    ),
    field(
        "upstream_response_time",
        "$upstream_response_time",
        FieldType::Text,
    ),
    field("user_agent", "$http_user_agent", FieldType::Text),
];

/// nginx's `log_format futurestack_json escape=json` string (without quotes):
/// numbers bare, everything else a JSON string (`escape=json` escapes it).
pub fn access_log_format() -> String {
    let fields: Vec<String> = ACCESS_FIELDS
        .iter()
        .map(|f| match f.kind {
            FieldType::Text => format!("\"{}\":\"{}\"", f.name, f.variable),
            FieldType::Long | FieldType::Double => format!("\"{}\":{}", f.name, f.variable),
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The Simple Log Service plan of a stack with `logging.mode: sls`.
#[derive(Debug, Clone, Serialize)]
pub struct SlsPlan {
    pub project: String,
    pub description: String,
    /// The machine group's name, also the host's user-defined id.
    pub machine_group: String,
    pub logstores: Vec<Logstore>,
    pub configs: Vec<LogtailConfig>,
    pub alerts: Vec<LogAlert>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Logstore {
    /// Its class, whose name (`app`) is the logstore's.
    pub class: Class,
    pub description: &'static str,
    pub retention_days: u32,
    pub shards: u32,
    /// `(field, type)` of the key indices, all with analytics on.
    pub keys: Vec<(&'static str, FieldType)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogtailConfig {
    pub name: String,
    pub logstore: &'static str,
    /// `plugin` or `file`.
    pub input_type: &'static str,
    /// Logtail's `inputDetail` (the same object in ROS and Terraform).
    pub detail: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogAlert {
    pub name: String,
    pub display_name: String,
    pub logstore: &'static str,
    pub query: String,
    pub condition: String,
}

/// The shards of each logstore: two write at 10 MB/s, far above one host's
/// logs (SLS "Shard" limits); auto-split stays off, so the cost does not move.
const SHARDS: u32 = 2;

/// How often alerts run, and the window each looks at.
pub const ALERT_WINDOW: &str = "5m";
/// How long SLS waits before it notifies again of a firing alert.
pub const ALERT_REPEAT: &str = "1h";
/// The SLS severity of every error alert (2 report ... 10 critical): 8, high.
pub const ALERT_SEVERITY: u32 = 8;
/// SLS's built-in alert policy, which hands every alert to the action policy
/// the alert names (SLS "Alert policies": `sls.builtin.dynamic`).
pub const ALERT_POLICY: &str = "sls.builtin.dynamic";

/// Which classes have a source in this stack (the journal is always there).
pub fn classes_in_use(stack: &Stack) -> Vec<Class> {
    Class::ALL
        .into_iter()
        .filter(|c| *c == Class::System || containers(stack, *c).next().is_some())
        .collect()
}

/// The stack's containers whose output is of `class`.
pub fn containers(stack: &Stack, class: Class) -> impl Iterator<Item = &Service> {
    stack
        .services
        .iter()
        .filter(move |s| !s.external && Class::of(s.kind) == class)
}

fn docker_stdout(label: &str, json_lines: bool) -> Value {
    let mut plugin = json!({
        "inputs": [{
            "type": "service_docker_stdout",
            "detail": {
                "Stdout": true,
                "Stderr": true,
                "IncludeContainerLabel": { LABEL: label },
            },
        }],
    });
    if json_lines {
        // Each access-log line becomes its fields; nginx's error lines (not
        // JSON) stay whole in `content`.
        plugin["processors"] = json!([{
            "type": "processor_json",
            "detail": {
                "SourceKey": "content",
                "KeepSource": false,
                "KeepSourceIfParseError": true,
                "ExpandDepth": 1,
                "ExpandConnector": "",
            },
        }]);
    }
    json!({ "plugin": plugin })
}

fn keys_of(class: Class) -> Vec<(&'static str, FieldType)> {
    let container = [
        ("content", FieldType::Text),
        ("_container_name_", FieldType::Text),
        ("_image_name_", FieldType::Text),
        ("_source_", FieldType::Text),
    ];
    match class {
        Class::App | Class::Database => container.to_vec(),
        Class::System => container
            .into_iter()
            .chain([
                ("MESSAGE", FieldType::Text),
                ("PRIORITY", FieldType::Long),
                ("_SYSTEMD_UNIT", FieldType::Text),
            ])
            .collect(),
        Class::Access => ACCESS_FIELDS
            .iter()
            .map(|f| (f.name, f.kind))
            .chain([("content", FieldType::Text), ("_source_", FieldType::Text)])
            .collect(),
    }
}

/// The search part of each class's alert query: what counts as an error.
fn errors_query(class: Class) -> &'static str {
    match class {
        // Sanic and Python log levels, and uncaught exceptions.
        Class::App => "ERROR or CRITICAL or Traceback",
        // MySQL `[ERROR]`, PostgreSQL `ERROR:`, `FATAL:`, `PANIC:`.
        Class::Database => "ERROR or FATAL or PANIC",
        // The journal's priorities 0 (emerg) to 3 (err), and the containers' errors.
        Class::System => "PRIORITY <= 3 or ERROR or FATAL or CRITICAL",
        Class::Access => "status >= 500",
    }
}

/// The SLS plan, with `logging.mode: sls`.
pub fn sls(stack: &Stack) -> Option<SlsPlan> {
    if stack.logging.mode != LogMode::Sls {
        return None;
    }
    let project = stack.logging.sls.as_ref()?.project.clone();
    let classes = classes_in_use(stack);
    let logstores = classes
        .iter()
        .map(|&c| Logstore {
            class: c,
            description: c.description(),
            retention_days: class(stack, c).retention_days,
            shards: SHARDS,
            keys: keys_of(c),
        })
        .collect();
    let mut configs = Vec::new();
    for &c in &classes {
        let plan = class(stack, c);
        configs.push(LogtailConfig {
            name: format!("{}-stdout", c.as_str()),
            logstore: c.as_str(),
            input_type: "plugin",
            detail: docker_stdout(&plan.label, c == Class::Access),
        });
        if c == Class::Database && has_kind(stack, Kind::Mysql) {
            configs.push(LogtailConfig {
                name: "database-mysql-slow".into(),
                logstore: c.as_str(),
                input_type: "file",
                detail: json!({
                    "logType": "common_reg_log",
                    "logPath": MYSQL_SLOW_LOG_DIR,
                    "filePattern": MYSQL_SLOW_LOG_FILE,
                    "maxDepth": 0,
                    "dockerFile": true,
                    "dockerIncludeLabel": { LABEL: plan.label },
                    // One entry per statement: each starts with `# Time:`.
                    "logBeginRegex": "# Time: .*",
                    "regex": "([\\s\\S]*)",
                    "key": ["content"],
                    "fileEncoding": "utf8",
                    "topicFormat": "none",
                }),
            });
        }
        if c == Class::System {
            configs.push(LogtailConfig {
                name: "system-journal".into(),
                logstore: c.as_str(),
                input_type: "plugin",
                detail: json!({
                    "plugin": {
                        "inputs": [{
                            "type": "service_journal",
                            "detail": {
                                "JournalPaths": [JOURNAL_DIR],
                                "Kernel": true,
                                "ParsePriority": false,
                                "ParseSyslogFacility": false,
                            },
                        }],
                    },
                }),
            });
        }
    }
    let alerts = classes
        .iter()
        .map(|&c| {
            let plan = class(stack, c);
            LogAlert {
                name: format!("futurestack-{}-errors", c.as_str()),
                display_name: format!(
                    "{}: more than {} {} errors in {ALERT_WINDOW}",
                    stack.project,
                    plan.errors,
                    c.as_str()
                ),
                logstore: c.as_str(),
                query: format!("{} | select count(1) as errors", errors_query(c)),
                condition: format!("errors > {}", plan.errors),
            }
        })
        .collect();
    Some(SlsPlan {
        // ROS takes at most 64 characters.
        description: "One logstore per class of log. Generated by futurestack.".to_owned(),
        machine_group: format!("futurestack-{}", stack.project),
        project,
        logstores,
        configs,
        alerts,
    })
}

fn has_kind(stack: &Stack, kind: Kind) -> bool {
    stack.services.iter().any(|s| !s.external && s.kind == kind)
}

/// The template parameter naming the SLS action policy the alerts notify
/// through: the bridge to the receivers (see the README's "Logs"). The policy
/// holds the robots' webhooks and the addresses, so no secret is in a template.
pub const ACTION_POLICY_ROS: &str = "SlsActionPolicyId";
pub const ACTION_POLICY_TF: &str = "sls_action_policy_id";
pub const ACTION_POLICY_DESCRIPTION: &str = "Id of the SLS action policy the log alerts notify through (made once in the SLS console with the same receivers as Alertmanager's).";

/// The index's delimiters: SLS's default token set.
pub const TOKENS: &str = ", '\";=()[]{}?@&<>/:\n\t\r";

/// Where Logtail reads the host's user-defined ids, one per line (SLS
/// "Create a machine group based on a custom identifier").
pub const USER_DEFINED_ID: &str = "/etc/ilogtail/user_defined_id";

/// The deploy's lines that install Logtail and give the host its id, with
/// `mode: sls`. Another stack's ids in the file are kept.
pub fn deploy_lines(stack: &Stack) -> Vec<String> {
    let Some(plan) = sls(stack) else {
        return Vec::new();
    };
    let region = &stack.host.region;
    let url = format!(
        "https://logtail-release-{region}.oss-{region}-internal.aliyuncs.com/linux64/logtail.sh"
    );
    let id = crate::shell::quote(&plan.machine_group);
    vec![
        "# Logtail, SLS's agent, from its release bucket over the region's internal".into(),
        "# network (as Alibaba Cloud's ACS-ECS-InstallLogtail does), unless the host has it."
            .into(),
        "if [ ! -x /etc/init.d/ilogtaild ]; then".into(),
        format!(
            "  fetch -o \"$work/logtail.sh\" {}",
            crate::shell::quote(&url)
        ),
        format!(
            "  bash \"$work/logtail.sh\" install {}",
            crate::shell::quote(region)
        ),
        "fi".into(),
        "# The journal is kept on disk, where Logtail reads it.".into(),
        format!("if [ ! -d {JOURNAL_DIR} ]; then"),
        format!("  mkdir -p {JOURNAL_DIR}"),
        format!("  systemd-tmpfiles --create --prefix {JOURNAL_DIR}"),
        "  journalctl --flush".into(),
        "fi".into(),
        format!(
            "# The host joins the machine group {} by its user-defined id.",
            plan.machine_group
        ),
        "mkdir -p /etc/ilogtail".into(),
        format!("touch {USER_DEFINED_ID}"),
        format!("if ! grep -qxF {id} {USER_DEFINED_ID}; then"),
        format!("  echo {id} >> {USER_DEFINED_ID}"),
        "  /etc/init.d/ilogtaild restart".into(),
        "fi".into(),
    ]
}
