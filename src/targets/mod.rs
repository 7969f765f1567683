//! Targets: one module per kind of artifact. Each turns the resolved model into
//! files in memory and does nothing else (no I/O, no decisions the model should make).

mod compose;
pub mod monitoring;
mod nginx;

use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;
use crate::render::{Files, Templates};

/// Every artifact futurestack generates. Iterate [`Target::ALL`]; never list targets by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `docker-compose.yml` and `.env.example`.
    Compose,
    /// Prometheus, alert rules and their tests, Alertmanager, Grafana.
    Monitoring,
    /// `nginx/nginx.conf`: the public entry.
    Nginx,
}

impl Target {
    pub const ALL: &'static [Target] = &[Target::Compose, Target::Monitoring, Target::Nginx];

    pub fn name(self) -> &'static str {
        match self {
            Target::Compose => "compose",
            Target::Monitoring => "monitoring",
            Target::Nginx => "nginx",
        }
    }

    /// Folder under `templates/` that holds this target's templates.
    pub fn template_dir(self) -> &'static str {
        match self {
            Target::Compose => "compose/",
            Target::Monitoring => "monitoring/",
            Target::Nginx => "nginx/",
        }
    }

    /// Renders this target's files for one environment.
    pub fn render(
        self,
        stack: &Stack,
        templates: &Templates,
        env: &minijinja::Environment<'_>,
    ) -> Result<Files, Error> {
        match self {
            Target::Compose => compose::render(stack, templates, env, self.template_dir()),
            Target::Monitoring => monitoring::render(stack, templates, env, self.template_dir()),
            Target::Nginx => nginx::render(stack, templates, env, self.template_dir()),
        }
    }
}

/// Renders every target for one environment into one set of files, with a
/// template environment from [`Templates::environment`] (built once per run).
pub fn render_all(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
) -> Result<Files, Error> {
    let mut files = Files::new();
    for target in Target::ALL {
        for (path, text) in target.render(stack, templates, env)? {
            if files.insert(path.clone(), text).is_some() {
                return Err(Error::Template {
                    template: target.template_dir().to_owned(),
                    message: format!("two targets generate `{path}`"),
                });
            }
        }
    }
    Ok(files)
}
