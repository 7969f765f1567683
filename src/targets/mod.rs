//! Targets: one module per kind of artifact. Each turns the resolved model into
//! files in memory and does nothing else (no I/O, no decisions the model should make).

pub mod compose;
pub mod hcl;
pub mod kubernetes;
pub mod monitoring;
mod nginx;
mod overview;
mod ros;
pub mod terraform;

use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;
use crate::render::{Files, Templates};

/// Every artifact futurestack generates. Iterate [`Target::ALL`]; never list targets by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Prometheus, alert rules and their tests, Alertmanager, Grafana.
    Monitoring,
    /// `nginx/nginx.conf`: the public entry.
    Nginx,
    /// `docker-compose.yml` and `.env.example`; after the files its services
    /// mount, whose hash each service carries as a label.
    Compose,
    /// `k8s/`: the Kubernetes manifests, with `platform: ack`; after the
    /// monitoring target, whose alert rules Prometheus loads.
    Kubernetes,
    /// `ros/template.yaml`: Alibaba Cloud ROS.
    Ros,
    /// `terraform/*.tf`: Terraform with the alicloud provider.
    Terraform,
    /// `STACK.md`: the overview reviewers read.
    Overview,
}

impl Target {
    pub const ALL: &'static [Target] = &[
        Target::Monitoring,
        Target::Nginx,
        Target::Compose,
        Target::Kubernetes,
        Target::Ros,
        Target::Terraform,
        Target::Overview,
    ];

    /// The target's name on the command line (`render --target compose`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Compose => "compose",
            Target::Kubernetes => "kubernetes",
            Target::Monitoring => "monitoring",
            Target::Nginx => "nginx",
            Target::Ros => "ros",
            Target::Terraform => "terraform",
            Target::Overview => "overview",
        }
    }

    /// The target named `name`.
    pub fn named(name: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Folder under `templates/` that holds this target's templates.
    pub fn template_dir(self) -> &'static str {
        match self {
            Target::Compose => "compose/",
            Target::Kubernetes => "kubernetes/",
            Target::Monitoring => "monitoring/",
            Target::Nginx => "nginx/",
            Target::Ros => "ros/",
            Target::Terraform => "terraform/",
            Target::Overview => "overview/",
        }
    }

    /// The targets whose files this one reads: compose hashes the files its
    /// services mount, the cloud targets bootstrap the host with everything
    /// before them, the overview lists every artifact.
    pub fn needs(self) -> &'static [Target] {
        let at = Target::ALL.iter().position(|t| *t == self).unwrap_or(0);
        match self {
            Target::Monitoring | Target::Nginx => &[],
            Target::Compose => &[Target::Monitoring, Target::Nginx],
            Target::Kubernetes => &[Target::Monitoring],
            Target::Ros | Target::Terraform | Target::Overview => &Target::ALL[..at],
        }
    }

    /// Whether the target provisions the host, and so bootstraps it with the
    /// files of the targets before it.
    pub fn provisions_host(self) -> bool {
        matches!(self, Target::Ros | Target::Terraform)
    }

    /// Whether this target's file at `path` belongs to the stack's platform:
    /// on ACK, the Docker host's files (compose, nginx, the host's monitoring
    /// containers) are not generated, but the alert rules and their tests are,
    /// which Prometheus in the cluster loads.
    pub fn applies(self, stack: &Stack, path: &str) -> bool {
        match (self, stack.on_kubernetes()) {
            (Target::Compose | Target::Nginx, ack) => !ack,
            (Target::Kubernetes, ack) => ack,
            (Target::Monitoring, true) => {
                path.starts_with("prometheus/rules/")
                    || path.starts_with("prometheus/tests/")
                    || (path.starts_with("alertmanager/")
                        && stack
                            .kubernetes
                            .as_ref()
                            .is_some_and(|k| k.workload("alertmanager").is_some()))
            }
            _ => true,
        }
    }

    /// Renders this target's files for one environment. `before` holds the files
    /// of the targets before it, `bootstrap` what a host bootstrap lays down
    /// (for the targets that provision the host).
    pub fn render(
        self,
        stack: &Stack,
        templates: &Templates,
        env: &minijinja::Environment<'_>,
        before: &Files,
        bootstrap: &crate::model::deploy::Bundle,
    ) -> Result<Files, Error> {
        match self {
            Target::Compose => compose::render(stack, templates, env, self.template_dir(), before),
            Target::Kubernetes => Ok(kubernetes::render(stack, before)),
            Target::Monitoring => monitoring::render(stack, templates, env, self.template_dir()),
            Target::Nginx => nginx::render(stack, templates, env, self.template_dir()),
            Target::Ros => match &stack.kubernetes {
                Some(cluster) => Ok(ros::cluster::render(stack, cluster, before)),
                None => ros::render(stack, templates, env, self.template_dir(), bootstrap),
            },
            Target::Terraform => terraform::render(stack, bootstrap),
            Target::Overview => {
                overview::render(stack, templates, env, self.template_dir(), before)
            }
        }
    }
}

/// Generated files that only the repository's checks read, never deployed.
const REPOSITORY_ONLY: &[&str] = &[".compose-lint.yml"];

/// Cloud Assistant refuses a command over its size limit: fail before rendering a
/// template that could not be deployed, and say what to do instead.
fn check_command_size(stack: &Stack, embedded: &crate::model::deploy::Bundle) -> Result<(), Error> {
    use crate::model::cloud::COMMAND_LIMIT;
    use crate::model::deploy;
    // Endpoints of managed services are filled in at deploy time; count each at 96 characters.
    let sub = deploy::Substitution {
        literal: |s| s.to_owned(),
        endpoint: |_| "x".repeat(96),
        data_disk: "d-xxxxxxxxxxxxxxxxxxxx",
        notify: Some("x".repeat(400)),
    };
    let raw = deploy::script(stack, embedded, &sub).len();
    let size = raw.div_ceil(3) * 4;
    // With `EnableParameter`, Cloud Assistant reads every `{{...}}` in the command
    // as a parameter: an embedded file holding one would not arrive intact.
    let braces = stack.host.bootstrap.bundle_url.is_none()
        && embedded.files.iter().any(|(_, text)| text.contains("{{"));
    if size <= COMMAND_LIMIT && !braces {
        return Ok(());
    }
    let message = if braces {
        "the generated files hold `{{`, which Cloud Assistant would read as parameters if they were embedded in the deploy command".to_owned()
    } else {
        format!(
            "the deploy command would be {size} bytes in Base64, over Cloud Assistant's limit of {COMMAND_LIMIT} bytes"
        )
    };
    let diag = crate::error::Diagnostic::error("FS160", message)
    .at_opt(stack.host_origin.clone())
    .with_help(
        "the generated files are embedded in it: upload the environment's output folder as a .tar.gz (to OSS) and set `host.bootstrap.bundle_url` to its HTTPS URL, so the deploy downloads it instead",
    );
    Err(Error::Invalid {
        diagnostics: vec![diag],
        sources: crate::load::Sources::default(),
    })
}

/// Renders every target for one environment into one set of files, with a
/// template environment from [`Templates::environment`] (built once per run),
/// and the target that generated each file.
///
/// With `only` (all when empty), the targets it names and those they need:
/// the overview, which no other target reads, is then not rendered, and its
/// files are listed in `owners` only (the manifest still names them).
pub fn render_all_by_target(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    only: &[Target],
) -> Result<(Files, std::collections::BTreeMap<String, Target>), Error> {
    let mut owners = std::collections::BTreeMap::new();
    let mut files = Files::new();
    let mut earlier = crate::model::deploy::Bundle::new(Vec::new());
    let skip_overview = !only.is_empty()
        && !only.iter().any(|t| *t == Target::Overview || t.needs().contains(&Target::Overview))
        // An override may render nothing, and so write no file.
        && !templates.is_overridden();
    for target in Target::ALL {
        if *target == Target::Overview && skip_overview {
            for path in overview::paths(stack) {
                owners.insert(path, Target::Overview);
            }
            continue;
        }
        if target.provisions_host() && earlier.files.is_empty() && !stack.on_kubernetes() {
            // What the host needs: the linter's config stays in the repository.
            earlier = crate::model::deploy::Bundle::new(
                files
                    .iter()
                    .filter(|(p, _)| !REPOSITORY_ONLY.contains(&p.as_str()))
                    .map(|(p, t)| (p.clone(), t.clone()))
                    .collect(),
            );
            check_command_size(stack, &earlier)?;
        }
        // Compose hashes the files it mounts; the overview lists every artifact
        // before it, the cloud ones included.
        for (path, text) in target.render(stack, templates, env, &files, &earlier)? {
            if !target.applies(stack, &path) {
                continue;
            }
            owners.insert(path.clone(), *target);
            if files.insert(path.clone(), text).is_some() {
                return Err(Error::Template {
                    template: target.template_dir().to_owned(),
                    message: format!("two targets generate `{path}`"),
                });
            }
        }
    }
    Ok((files, owners))
}
