//! The cloud side of the model: the ECS host, its network, the security group
//! rules derived from what the stack publishes, and the secrets the templates take
//! as parameters (the deploy script is in `deploy.rs`). The ROS and Terraform
//! targets render the same facts, so the two never disagree.

use super::{ManagedService, Service, Stack};
use crate::spec::Kind;

/// Address space of the VPC and of the one vSwitch the host lives in.
pub const VPC_CIDR: &str = "10.42.0.0/16";
pub const VSWITCH_CIDR: &str = "10.42.1.0/24";
/// Cloud Assistant's limit on a command's content, Base64-encoded (RunCommand,
/// CreateCommand: "cannot exceed 18 KB after Base64 encoding").
pub const COMMAND_LIMIT: usize = 18 * 1024;
/// Where the generated files live on the host: one folder per compose project.
pub const STACK_ROOT: &str = "/opt/futurestack";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    pub port: u16,
    /// `None`: anyone (`0.0.0.0/0`); `Some(..)`: the admin CIDR parameter.
    pub admin_only: bool,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct CloudSecret {
    /// Environment variable in `.env` on the host.
    pub env: String,
    /// ROS parameter name (`FutureMysqlPassword`).
    pub ros_parameter: String,
    /// Terraform variable name (`future_mysql_password`).
    pub tf_variable: String,
    pub description: String,
}

/// Security group rules: SSH from the admin CIDR, and every port published on all
/// interfaces open to anyone. Databases are never public (validation refuses).
pub fn ingress(stack: &Stack) -> Vec<Ingress> {
    let mut rules = Vec::new();
    // An existing host already has its SSH rule; a new one gets it from the admin CIDR.
    if stack.host.mode == crate::spec::HostMode::New {
        rules.push(Ingress {
            port: 22,
            admin_only: true,
            description: "SSH from the admin network".into(),
        });
    }
    for service in stack.services.iter().filter(|s| !s.external) {
        for port in service.ports.iter().filter(|p| p.public) {
            if let Some(host) = port.host {
                let what = if service.kind == Kind::Nginx {
                    format!("{} ({})", service.name, port.name)
                } else {
                    service.name.clone()
                };
                rules.push(Ingress {
                    port: host,
                    admin_only: false,
                    description: format!("{what} from anywhere"),
                });
            }
        }
    }
    rules.sort_by_key(|r| (r.port, r.admin_only));
    rules.dedup_by_key(|r| r.port);
    rules
}

fn pascal(env: &str) -> String {
    env.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lower = p.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Name of the OOS encrypted parameter holding a secret in the host's region
/// (`futurestack-future-prod-FUTURE_MYSQL_PASSWORD`). With `EnableParameter`, a
/// name inside `{{oos-secret:...}}` may only hold letters, digits, `_` and `-`
/// (ECS API reference, RunCommand), which project names and variables do.
pub fn oos_name(stack: &Stack, secret: &CloudSecret) -> String {
    format!("futurestack-{}-{}", stack.project, secret.env)
}

/// Name of the RAM role (or, on an existing host, of the policy given to its
/// role) that lets Cloud Assistant's agent read the stack's OOS parameters.
pub fn ram_name(stack: &Stack) -> String {
    format!("futurestack-{}-deploy", stack.project)
}

/// The RAM policy the agent needs: the stack's OOS encrypted parameters and the
/// KMS secret value behind them (AlibabaCloudDocs/ecs at 322eaab8, "Use OOS
/// Parameter Store in Cloud Assistant commands"); with `backups.oss`, adding
/// objects under the stack's prefix of the backup bucket, and nothing else
/// there (no read, list, delete: a compromised host cannot erase the copies).
pub fn ram_policy(stack: &Stack) -> serde_json::Value {
    let mut statements = vec![
        serde_json::json!({
            "Effect": "Allow",
            "Action": ["oos:GetSecretParameter", "oos:GetSecretParameters"],
            "Resource": [format!("acs:oos:*:*:secretparameter/futurestack-{}-*", stack.project)],
        }),
        serde_json::json!({"Effect": "Allow", "Action": ["kms:GetSecretValue"], "Resource": ["*"]}),
    ];
    if let Some(oss) = super::backup::oss(stack) {
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": ["oss:PutObject"],
            "Resource": [format!("acs:oss:*:*:{}/{}/*", oss.bucket, oss.prefix)],
        }));
    }
    serde_json::json!({"Version": "1", "Statement": statements})
}

/// The trust policy of a role that ECS instances assume.
pub fn ecs_trust_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "1",
        "Statement": [{
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": ["ecs.aliyuncs.com"]},
        }],
    })
}

pub const RAM_ROLE_DESCRIPTION: &str =
    "Role of the host: Cloud Assistant reads the stack's secrets with it.";
/// What the policy of [`ram_policy`] is for.
pub fn ram_policy_description(stack: &Stack) -> &'static str {
    if super::backup::oss(stack).is_some() {
        "Lets Cloud Assistant read the stack's OOS encrypted parameters on the host, and the host add backups to OSS."
    } else {
        "Lets Cloud Assistant read the stack's OOS encrypted parameters on the host."
    }
}

pub const DEPLOY_OUTPUT_DESCRIPTION: &str =
    "Cloud Assistant invocation of the deploy (its output is in the ECS console).";

/// What a secret's value may be, in both templates: it is written single-quoted
/// into `.env`, where Compose ends the value at a `'` and reads a `\` before the
/// closing quote as an escape (compose-go `dotenv/parser.go`, v2.0.0 to v2.13.0).
pub const SECRET_PATTERN: &str = r"^[^'\s]{7,}[^'\s\\]$";
pub const SECRET_RULE: &str =
    "At least 8 characters, without single quotes or whitespace, not ending in a backslash.";

/// A template parameter that names part of a host that already exists.
pub struct HostParameter {
    /// ROS parameter name.
    pub ros: &'static str,
    /// Terraform variable name.
    pub tf: &'static str,
    pub description: &'static str,
    /// ROS `AssociationProperty`, so the console offers the account's resources.
    pub association: Option<&'static str>,
}

/// The parameters of `host.mode: existing`, in both templates.
pub const EXISTING_HOST_PARAMETERS: [HostParameter; 3] = [
    HostParameter {
        ros: "InstanceId",
        tf: "instance_id",
        description: "The ECS instance that runs the stack (it already runs Docker).",
        association: Some("ALIYUN::ECS::Instance::InstanceId"),
    },
    HostParameter {
        ros: "SecurityGroupId",
        tf: "security_group_id",
        description: "Security group of that instance; the stack's ingress rules are added to it.",
        association: Some("ALIYUN::ECS::SecurityGroup::SecurityGroupId"),
    },
    HostParameter {
        ros: "RamRoleName",
        tf: "ram_role_name",
        description: "RAM role attached to that instance; it is granted read access to the stack's OOS encrypted parameters.",
        association: None,
    },
];

pub fn secrets(stack: &Stack) -> Vec<CloudSecret> {
    stack
        .secrets
        .iter()
        .map(|s| CloudSecret {
            env: s.env.clone(),
            ros_parameter: pascal(&s.env),
            tf_variable: s.env.to_ascii_lowercase(),
            description: s
                .description
                .clone()
                .unwrap_or_else(|| format!("Value of secret `{}`.", s.name)),
        })
        .collect()
}

/// The cloud secret behind a service's secret `role` (a managed database's password).
pub fn secret_for(stack: &Stack, service: &Service, role: &str) -> Option<CloudSecret> {
    let name = service.secret_roles.get(role)?;
    let env = &stack.secrets.iter().find(|s| &s.name == name)?.env;
    secrets(stack).into_iter().find(|s| &s.env == env)
}

/// Public URLs of the stack.
pub fn urls(stack: &Stack) -> Vec<String> {
    let Some(_) = &stack.edge else {
        return Vec::new();
    };
    let scheme = if stack.edge.as_ref().is_some_and(|e| e.tls()) {
        "https"
    } else {
        "http"
    };
    stack
        .edge
        .as_ref()
        .map(|e| {
            e.servers
                .iter()
                .map(|s| format!("{scheme}://{}/", s.domain))
                .collect()
        })
        .unwrap_or_default()
}

/// Managed services of a stack, sorted by name.
pub fn managed(stack: &Stack) -> Vec<(&Service, &ManagedService)> {
    stack
        .services
        .iter()
        .filter_map(|s| s.managed.as_ref().map(|m| (s, m)))
        .collect()
}

/// `ai-recommend` → `AiRecommend`.
pub fn pascal_name(name: &str) -> String {
    pascal(&name.replace('-', "_"))
}

/// The ROS resource name of a managed service.
pub fn ros_resource(service: &Service) -> String {
    format!("Managed{}", pascal_name(&service.name))
}

/// The ROS attribute holding a managed service's private endpoint.
pub fn ros_endpoint_attribute(kind: Kind) -> &'static str {
    match kind {
        Kind::Redis => "ConnectionDomain",
        Kind::Elasticsearch => "Domain",
        _ => "InnerConnectionString",
    }
}

/// The Terraform resource type of a managed service, and the attribute holding
/// its private endpoint.
pub fn tf_resource(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Redis => ("alicloud_kvstore_instance", "connection_domain"),
        Kind::Elasticsearch => ("alicloud_elasticsearch_instance", "domain"),
        _ => ("alicloud_db_instance", "connection_string"),
    }
}

/// The Terraform name of a managed service's resources (`ai-db` → `ai_db`).
pub fn tf_name(service: &Service) -> String {
    service.name.replace('-', "_")
}
