//! The cloud side of the model: the ECS host, its network, the security group
//! rules derived from what the stack publishes, the secrets the templates take as
//! parameters, and the first-boot script. The ROS and Terraform targets render
//! the same facts, so the two never disagree.

use super::{ManagedService, Service, Stack};
use crate::spec::Kind;

/// Address space of the VPC and of the one vSwitch the host lives in.
pub const VPC_CIDR: &str = "10.42.0.0/16";
pub const VSWITCH_CIDR: &str = "10.42.1.0/24";
/// ECS user data limit, on the raw text before Base64 encoding (RunInstances).
pub const USER_DATA_LIMIT: usize = 32 * 1024;
/// Where the generated files live on the host.
pub const STACK_DIR: &str = "/opt/futurestack";

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
    let mut rules = vec![Ingress {
        port: 22,
        admin_only: true,
        description: "SSH from the admin network".into(),
    }];
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
    let scheme = if stack.edge.as_ref().is_some_and(|e| e.tls) {
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

/// How a target writes a reference to a secret and escapes literal text in the
/// first-boot script (ROS `Fn::Sub` and Terraform `templatefile` differ).
pub struct Substitution {
    pub secret: fn(&CloudSecret) -> String,
    pub literal: fn(&str) -> String,
    /// The endpoint of a managed service, as the template refers to it.
    pub endpoint: fn(&Service) -> String,
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

/// The first-boot script: installs Docker, mounts the data disk at
/// `/var/lib/docker`, lays down the generated files (downloaded as a bundle, or
/// embedded), writes `.env` from the secret parameters, and starts the stack.
pub fn bootstrap_script(stack: &Stack, files: &[(String, String)], sub: &Substitution) -> String {
    let lit = sub.literal;
    let mut script = Script {
        out: String::new(),
        lit,
    };
    let mut line = |s: &str| script.line(s);
    line("#!/bin/bash");
    line(&format!(
        "# First boot of {} ({}), generated by futurestack.",
        stack.project, stack.file
    ));
    line("set -euo pipefail");
    line("export DEBIAN_FRONTEND=noninteractive");
    line("");
    line("# Docker Engine and the Compose plugin, from Alibaba Cloud's mirror.");
    line("if ! command -v docker >/dev/null; then");
    line("  curl -fsSL https://get.docker.com | sh -s -- --mirror Aliyun");
    line("fi");
    line("systemctl enable --now docker");
    if stack.host.data_disk.is_some() {
        line("");
        line("# The data disk holds Docker's volumes.");
        line("disk=/dev/vdb");
        line(
            "if ! blkid \"$disk\" >/dev/null 2>&1; then mkfs.ext4 -q -L futurestack \"$disk\"; fi",
        );
        line("if ! grep -q LABEL=futurestack /etc/fstab; then");
        line("  systemctl stop docker");
        line("  mkdir -p /var/lib/docker");
        line("  echo 'LABEL=futurestack /var/lib/docker ext4 defaults,nofail 0 2' >> /etc/fstab");
        line("  mount /var/lib/docker");
        line("  systemctl start docker");
        line("fi");
    }
    line("");
    line(&format!("mkdir -p {STACK_DIR}"));
    line(&format!("cd {STACK_DIR}"));
    match &stack.host.bootstrap.bundle_url {
        Some(url) => {
            line("# The generated files, as a bundle of golden/<env>/.");
            line(&format!("curl -fsSL '{url}' | tar -xz"));
        }
        None => {
            line("# The generated files, embedded.");
            for (i, (path, contents)) in files.iter().enumerate() {
                let marker = format!("FUTURESTACK_FILE_{i}");
                if let Some((dir, _)) = path.rsplit_once('/') {
                    line(&format!("mkdir -p {dir}"));
                }
                line(&format!("cat > {path} <<'{marker}'"));
                for l in contents.lines() {
                    line(l);
                }
                line(&marker);
            }
        }
    }
    line("");
    line("# Secrets, from the template's parameters; readable by root only.");
    line("umask 077");
    line("cat > .env <<'FUTURESTACK_ENV'");
    for secret in secrets(stack) {
        script.raw(&lit(&format!("{}=", secret.env)));
        script.raw(&(sub.secret)(&secret));
        script.raw("\n");
    }
    for (service, m) in managed(stack) {
        script.raw(&lit(&format!("{}=", m.endpoint_var)));
        script.raw(&(sub.endpoint)(service));
        script.raw("\n");
    }
    let mut line = |s: &str| script.line(s);
    line("FUTURESTACK_ENV");
    line("");
    line("docker compose up -d");
    script.out
}

struct Script {
    out: String,
    lit: fn(&str) -> String,
}

impl Script {
    fn line(&mut self, s: &str) {
        self.out.push_str(&(self.lit)(s));
        self.out.push('\n');
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }
}
