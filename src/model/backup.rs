//! Scheduled logical backups (`spec.backups`): which containers are dumped,
//! how, and where. The dump commands run inside each database's container
//! (`docker compose exec -T <service> sh -c <command>`), so they use the
//! server's own client of the same version, and write to the host on stdout:
//! - PostgreSQL: `pg_dump --format=custom` over the container's local socket,
//!   which the image trusts (docker-library/postgres `docker-entrypoint.sh`
//!   writes `host all all all <auth>` and leaves initdb's `local ... trust`);
//!   restored with `pg_restore`.
//! - MySQL: `mysqldump --single-transaction --all-databases` as root, the
//!   password from the secret file in `MYSQL_PWD` (never on a command line).
//! - Redis: `redis-cli --rdb -` streams the RDB file on stdout (Redis 7.0;
//!   checked with Debian's redis-tools 7.0.15 in `tests/backup_restore.rs`),
//!   so nothing is buffered in the container's memory-backed /tmp; restored by
//!   putting the file back as `/data/dump.rdb`.
//!   Each app's own database (`accounts:`) is dumped to a file of its own,
//!   `<service>.<database>.dump`.
//! - Elasticsearch: a snapshot (`PUT _snapshot/futurestack/futurestack?wait_for_completion=true`,
//!   the one snapshot of an `fs` repository registered at [`SNAPSHOT_MOUNT`],
//!   allowed by `path.repo`) into a host folder the container writes as its
//!   image user, archived with `tar` by the host; the previous snapshot is
//!   deleted first, so each archive is a whole repository with one snapshot
//!   (Elasticsearch reference 8.19, "Create snapshot API", "Shared file system
//!   repository"; checked against a stand-in in `tests/backup_restore.rs`).
//!
//! With `backups.oss`, each finished backup is also copied to an OSS bucket by
//! `backup/oss-put.py` (see its header), under `futurestack/<project>/`; the templates
//! create the bucket with a lifecycle rule that removes copies after their
//! retention, and the host's RAM policy may only add objects there.

use super::{Bind, Service, Stack, contracts, kinds};
use crate::shell::quote;
use crate::spec::Kind;

/// Where an Elasticsearch container keeps its snapshot repository (`path.repo`).
pub const SNAPSHOT_MOUNT: &str = "/usr/share/elasticsearch/snapshots";
/// The name of that repository, and of the one snapshot it holds.
pub const SNAPSHOT_NAME: &str = "futurestack";

/// Where backups are kept on the host.
pub const ROOT: &str = "/var/backups/futurestack";

/// One dump: the compose service, the file it becomes, the command run in it.
#[derive(serde::Serialize)]
pub struct Dump {
    pub service: String,
    pub file: String,
    pub command: String,
}

/// One Elasticsearch snapshot: the service, its repository's host folder
/// (made the image user's `owner:group` by the deploy and by each backup), the
/// archive it becomes, the command run in it.
#[derive(serde::Serialize)]
pub struct Snapshot {
    pub service: String,
    pub repository: String,
    pub owner: String,
    pub group: String,
    pub file: String,
    pub command: String,
}

impl Snapshot {
    /// The deploy's line that makes the repository folder the image user's
    /// (`backup/backup.sh` writes the same from these fields).
    pub fn prepare(&self) -> String {
        format!(
            "install -d -o {} -g {} -m 0770 {}",
            quote(&self.owner),
            quote(&self.group),
            quote(&self.repository)
        )
    }
}

/// Where a finished backup is copied in OSS.
#[derive(serde::Serialize)]
pub struct OssTarget {
    pub bucket: String,
    /// Objects are `<prefix>/<UTC time>/<file>`.
    pub prefix: String,
    pub retention_days: u32,
    /// The id of the bucket's lifecycle rule for this stack.
    pub rule_id: String,
}

pub fn unit_name(stack: &Stack) -> String {
    format!("futurestack-{}-backup", stack.project)
}

pub fn dir(stack: &Stack) -> String {
    format!("{ROOT}/{}", stack.project)
}

/// The OSS copy, when the spec asks for one and there is something to back up.
pub fn oss(stack: &Stack) -> Option<OssTarget> {
    let copy = stack.backups.oss.as_ref()?;
    if !has_backup(stack) {
        return None;
    }
    Some(OssTarget {
        bucket: copy.bucket.clone(),
        // The host writes backups under this prefix, and nothing else.
        prefix: format!("futurestack/{}", stack.project),
        retention_days: copy.retention_days,
        rule_id: format!("futurestack-{}-backups", stack.project),
    })
}

/// Whether the stack has anything to back up (the timer is installed).
pub fn has_backup(stack: &Stack) -> bool {
    !dumps(stack).is_empty() || !snapshots(stack).is_empty()
}

/// Gives each Elasticsearch container its snapshot repository: `path.repo`
/// and the host folder bound there. Compose may create the folder (as root,
/// for `docker compose up` by hand); the deploy and the backup make it the
/// image user's before they use it.
pub(super) fn add_repositories(
    project: &str,
    backups: &crate::spec::Backups,
    services: &mut [Service],
) {
    if !backups.enabled {
        return;
    }
    for s in services
        .iter_mut()
        .filter(|s| !s.external && s.kind == Kind::Elasticsearch)
    {
        s.env.insert("path.repo".into(), SNAPSHOT_MOUNT.into());
        s.binds.push(Bind {
            source: format!("{ROOT}/{project}/.snapshots/{}", s.name),
            target: SNAPSHOT_MOUNT.into(),
            read_only: false,
            create_host_path: true,
        });
    }
}

/// The snapshots of every Elasticsearch container that [`add_repositories`]
/// gave a repository (its bind at [`SNAPSHOT_MOUNT`]).
pub fn snapshots(stack: &Stack) -> Vec<Snapshot> {
    stack
        .services
        .iter()
        .filter(|s| s.kind == Kind::Elasticsearch)
        .filter_map(|s| {
            let bind = s.binds.iter().find(|b| b.target == SNAPSHOT_MOUNT)?;
            // The image's user (`1000:0`), who writes the repository.
            let (owner, group) = contracts::confinement(Kind::Elasticsearch)
                .user?
                .split_once(':')?;
            Some(Snapshot {
                service: s.compose_name.clone(),
                repository: bind.source.clone(),
                owner: owner.to_owned(),
                group: group.to_owned(),
                file: format!("{}.snapshot.tar", s.name),
                command: snapshot_command(secret_file(s, "password").as_deref()),
            })
        })
        .collect()
}

/// Registers the repository, deletes its previous snapshot and takes a new
/// one, waiting for it; fails unless Elasticsearch reports `SUCCESS`. The
/// administrator's password reaches curl on its standard input (a `printf`
/// builtin), never a command line.
fn snapshot_command(password_file: Option<&str>) -> String {
    let auth = match password_file {
        Some(f) => format!("printf 'user = elastic:%s\\n' \"$(cat {f})\""),
        None => ":".to_owned(),
    };
    let n = SNAPSHOT_NAME;
    format!(
        concat!(
            "set -eu; ",
            "api() {{ r=$({auth} | curl -sS -K - -w ' %{{http_code}}' -X \"$1\" -H 'Content-Type: application/json' \"http://127.0.0.1:9200/_snapshot/{n}$2\" ${{4:+-d \"$4\"}}); ",
            "case \" $3 \" in *\" ${{r##* }} \"*) ;; *) echo \"futurestack: elasticsearch answered $1 _snapshot/{n}$2 with: $r\" >&2; exit 1;; esac; }}; ",
            "api PUT '' 200 '{{\"type\":\"fs\",\"settings\":{{\"location\":\"{mount}\"}}}}'; ",
            "api DELETE /{n} '200 404'; ",
            "api PUT '/{n}?wait_for_completion=true' 200 '{{\"include_global_state\":true}}'; ",
            "case \"$r\" in *'\"state\":\"SUCCESS\"'*) ;; *) echo \"futurestack: elasticsearch snapshot did not succeed: $r\" >&2; exit 1;; esac"
        ),
        auth = auth,
        n = n,
        mount = SNAPSHOT_MOUNT,
    )
}

fn secret_file(s: &Service, role: &str) -> Option<String> {
    s.secret_roles
        .get(role)
        .map(|secret| kinds::secret_path(secret))
}

/// The dumps of every database container of the stack, by service name.
pub fn dumps(stack: &Stack) -> Vec<Dump> {
    if !stack.backups.enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in stack.services.iter().filter(|s| !s.external) {
        let env = |k: &str| s.env.get(k).cloned();
        let (ext, command) = match s.kind {
            Kind::Postgres => {
                let user = env("POSTGRES_USER").unwrap_or_else(|| "postgres".into());
                let db = env("POSTGRES_DB").unwrap_or_else(|| user.clone());
                let dump = |db: &str| {
                    format!(
                        "exec pg_dump --username={} --dbname={} --format=custom",
                        quote(&user),
                        quote(db)
                    )
                };
                // The apps' own databases (`accounts:`), one file each.
                for a in s.accounts.iter().filter(|_| super::accounts::has_job(s)) {
                    if let Some(own) = a.database.as_deref().filter(|d| *d != db) {
                        out.push(Dump {
                            service: s.compose_name.clone(),
                            file: format!("{}.{own}.dump", s.name),
                            command: dump(own),
                        });
                    }
                }
                ("dump", dump(&db))
            }
            Kind::Mysql => {
                let Some(root) = secret_file(s, "root_password") else {
                    continue;
                };
                (
                    "sql",
                    format!(
                        "MYSQL_PWD=\"$(cat {root})\" exec mysqldump --user=root --single-transaction --routines --events --triggers --all-databases"
                    ),
                )
            }
            Kind::Redis => {
                let auth = secret_file(s, "password")
                    .map(|f| format!("REDISCLI_AUTH=\"$(cat {f})\" "))
                    .unwrap_or_default();
                ("rdb", format!("{auth}exec redis-cli --rdb -"))
            }
            _ => continue,
        };
        out.push(Dump {
            service: s.compose_name.clone(),
            file: format!("{}.{ext}", s.name),
            command,
        });
    }
    out
}
