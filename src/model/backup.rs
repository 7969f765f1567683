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
//! Elasticsearch needs a snapshot repository (`path.repo`), which is not set up.

use super::{Service, Stack, kinds};
use crate::shell::quote;
use crate::spec::Kind;

/// Where backups are kept on the host.
pub const ROOT: &str = "/var/backups/futurestack";

/// One dump: the compose service, the file it becomes, the command run in it.
#[derive(serde::Serialize)]
pub struct Dump {
    pub service: String,
    pub file: String,
    pub command: String,
}

pub fn unit_name(stack: &Stack) -> String {
    format!("futurestack-{}-backup", stack.project)
}

pub fn dir(stack: &Stack) -> String {
    format!("{ROOT}/{}", stack.project)
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
