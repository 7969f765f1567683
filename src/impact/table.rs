//! What each consumer does with a change: the one table the impact report
//! follows, each fact with its source. Compose's rules are here; the cloud
//! resources' replacing properties are `data/replacement.tsv`.

use super::Action;

/// The compose file of every environment.
pub const COMPOSE_FILE: &str = "docker-compose.yml";

/// Service keys Compose leaves out of the hash it recreates a container on
/// (docker/compose `pkg/compose/hash.go` `ServiceHash`, v2.40.3: `build`,
/// `pull_policy`, `scale`, `depends_on`, `profiles`, and `deploy.replicas`,
/// which [`super::compose`] strips from `deploy`). Any other change of a
/// service's definition recreates it (`convergence.go` `mustRecreate`), and so
/// does a change of the files it mounts, through the label
/// [`crate::targets::compose::MOUNTS_LABEL`].
pub const COMPOSE_UNHASHED: &[&str] = &["build", "depends_on", "profiles", "pull_policy", "scale"];

/// A network whose definition changed: Compose removes it and creates it anew,
/// recreating the containers on it (`pkg/compose/create.go`
/// `resolveOrCreateNetwork` → `removeDivergedNetwork`, v2.40.3).
pub const NETWORK_CHANGED: &str = "definition changed: Compose removes it and creates it again";

/// A volume whose definition changed: Compose asks before it removes and
/// recreates it, which loses its data (`pkg/compose/create.go`, `VolumeHash`
/// and `removeDivergedVolume`, v2.40.3). Without a terminal the question is
/// read from standard input, and an empty answer is no
/// (`cmd/prompt/prompt.go`, `Pipe.Confirm`, v2.40.3): the deploy, which Cloud
/// Assistant runs without input, keeps the existing volume as it was.
pub const VOLUME_CHANGED: &str = "definition changed: Compose asks before recreating it, which loses its data; the deploy answers nothing, so the existing volume stays as it was";

/// A service that left the file: the deploy's `up --remove-orphans` removes
/// its container.
pub const SERVICE_REMOVED: &str = "no longer generated; `up --remove-orphans` removes it";

/// An environment whose spec is gone: nothing deploys it any more, so what
/// runs stays until it is taken down by hand; per actor, the files that show
/// it ran there, and how.
pub const ENVIRONMENT_REMOVED: &[(&str, &str, &str, &str)] = &[
    (
        "compose",
        COMPOSE_FILE,
        "every service",
        "the environment is no longer generated: where it runs, stop it with `docker compose down`",
    ),
    (
        "ros",
        "ros/",
        "the stack",
        "the environment is no longer generated: delete its ROS stack",
    ),
    (
        "terraform",
        "terraform/",
        "every resource",
        "the environment is no longer generated: run `terraform destroy` where it was applied",
    ),
];

/// A compose project renamed (`name:`): Compose starts the services anew
/// under the new name and leaves the old project's containers running.
pub const PROJECT_RENAMED: &str = "the compose project is renamed";

/// What the deploy does with a changed host file.
pub struct HostRule {
    /// Files below this folder (`backup/`), or this file.
    pub path: &'static str,
    /// The unit it belongs to, as the report names it.
    pub unit: &'static str,
    pub action: Action,
    /// When the change takes effect, after the changed file's name.
    pub note: &'static str,
}

/// The host's units (`model::deploy`): the metadata guard is installed and
/// restarted on every deploy (`systemctl restart`); the timer jobs are
/// installed, `systemctl daemon-reload` reads them again, and their next run
/// uses the new files (`install_timer`; the ACME renewal also runs once during
/// the deploy).
pub const HOST: &[HostRule] = &[
    HostRule {
        path: "host/metadata-guard.service",
        unit: "metadata guard",
        action: Action::Restarted,
        note: "",
    },
    HostRule {
        path: "backup/",
        unit: "backup timer",
        action: Action::Reloaded,
        note: ": its next run uses it",
    },
    HostRule {
        path: "acme/",
        unit: "certificate renewal timer",
        action: Action::Reloaded,
        note: ": the deploy runs it once, then the timer",
    },
];

/// The host rule for a changed file, if the host runs it.
pub fn host_rule(rel: &str) -> Option<&'static HostRule> {
    HOST.iter().find(|r| {
        if r.path.ends_with('/') {
            rel.starts_with(r.path)
        } else {
            rel == r.path
        }
    })
}

const REPLACEMENT: &str = include_str!("../../data/replacement.tsv");

/// Whether a change of `property` makes `tool` (`terraform`, `ros`) replace a
/// resource of type `ty`; `None` when that is not known (no row for the type,
/// or `?`), which the report counts as a replacement.
pub fn replaces(tool: &str, ty: &str, property: &str) -> Option<bool> {
    let cols = REPLACEMENT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.len() >= 3 && cols[0] == tool && cols[1] == ty)?;
    match cols[2] {
        "?" => None,
        "-" => Some(false),
        list => Some(list.split(',').any(|p| p == property)),
    }
}

/// Every resource type the table has a row for, as `(tool, type)`.
pub fn known_types() -> impl Iterator<Item = (&'static str, &'static str)> {
    REPLACEMENT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?, cols.next()?))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_replacement_table_is_well_formed() {
        for line in REPLACEMENT.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "{line}");
            assert!(["terraform", "ros"].contains(&cols[0]), "{line}");
            assert!(!cols[3].is_empty(), "a row needs its source: {line}");
        }
    }

    #[test]
    fn the_table_answers_for_known_types_only() {
        assert_eq!(
            replaces("terraform", "alicloud_ecs_command", "command_content"),
            Some(true)
        );
        assert_eq!(
            replaces("terraform", "alicloud_log_store", "retention_period"),
            Some(false)
        );
        assert_eq!(replaces("terraform", "alicloud_unknown", "x"), None);
        assert!(host_rule("backup/backup.sh").is_some());
        assert!(host_rule("nginx/nginx.conf").is_none());
    }
}
