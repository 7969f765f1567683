//! Least-privilege database accounts: with a `monitor_password` secret on a
//! PostgreSQL or MySQL service, its exporter logs in as `futurestack_monitor`
//! instead of the app's or root's account: on PostgreSQL a role with only
//! `pg_monitor` (postgres_exporter's README, PostgreSQL 10 and later), on MySQL
//! a user with `PROCESS, REPLICATION CLIENT, SELECT` and three connections
//! (mysqld_exporter's README).
//!
//! A one-off job (`<db>-accounts`, the database's own image, so `psql` is
//! there) creates or updates the role at every deploy, after the database is
//! healthy and before the exporter starts: idempotent, and a rotated password
//! takes effect at the next deploy. The password must be letters, digits, `_`
//! and `-` (checked by the job before it reaches SQL).

use super::{Dependency, Service, kinds};
use crate::shell::quote;
use crate::spec::{Kind, Restart};

/// The secret role of a database's monitoring account.
pub const MONITOR_ROLE: &str = "monitor_password";
/// The monitoring account's name.
pub const MONITOR_USER: &str = "futurestack_monitor";

pub fn job_name(database: &str) -> String {
    format!("{database}-accounts")
}

/// The job's script: checks the password, then creates or updates the role.
pub fn postgres_script(target: &Service, admin_secret: &str, monitor_secret: &str) -> String {
    let host = &target.address;
    let port = target.main_port().map(|p| p.container).unwrap_or(5432);
    let user = target
        .env
        .get("POSTGRES_USER")
        .cloned()
        .unwrap_or_else(|| "postgres".into());
    let db = target
        .env
        .get("POSTGRES_DB")
        .cloned()
        .unwrap_or_else(|| user.clone());
    format!(
        "set -eu; \
         m=$(cat {monitor}); \
         case \"$m\" in ''|*[!A-Za-z0-9_-]*) echo \"futurestack: secret {monitor_name} must be letters, digits, _ and -\" >&2; exit 1;; esac; \
         PGPASSWORD=$(cat {admin}); export PGPASSWORD; \
         psql -v ON_ERROR_STOP=1 -q -h {host} -p {port} -U {user_q} -d {db_q} \
         -c \"DO \\$\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MONITOR_USER}') THEN CREATE ROLE {MONITOR_USER}; END IF; END \\$\\$;\" \
         -c \"ALTER ROLE {MONITOR_USER} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 3 PASSWORD '$m';\" \
         -c \"GRANT pg_monitor TO {MONITOR_USER};\"",
        monitor = kinds::secret_path(monitor_secret),
        monitor_name = monitor_secret,
        admin = kinds::secret_path(admin_secret),
        user_q = quote(&user),
        db_q = quote(&db),
    )
}

/// The MySQL job's script: checks the password, then creates or updates the
/// user over TCP as root (the image creates `root@'%'`, MYSQL_ROOT_HOST's
/// default), the root password in `MYSQL_PWD`.
pub fn mysql_script(target: &Service, root_secret: &str, monitor_secret: &str) -> String {
    let host = &target.address;
    let port = target.main_port().map(|p| p.container).unwrap_or(3306);
    let account = format!("'{MONITOR_USER}'@'%'");
    format!(
        "set -eu; \
         m=$(cat {monitor}); \
         case \"$m\" in ''|*[!A-Za-z0-9_-]*) echo \"futurestack: secret {monitor_name} must be letters, digits, _ and -\" >&2; exit 1;; esac; \
         MYSQL_PWD=$(cat {root}); export MYSQL_PWD; \
         mysql --user=root --host={host} --port={port} --protocol=TCP \
         -e \"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY '$m' WITH MAX_USER_CONNECTIONS 3; \
         ALTER USER {account} IDENTIFIED BY '$m' WITH MAX_USER_CONNECTIONS 3; \
         GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO {account};\"",
        monitor = kinds::secret_path(monitor_secret),
        monitor_name = monitor_secret,
        root = kinds::secret_path(root_secret),
    )
}

/// The job for `target`, when it has a monitoring secret.
pub fn job(
    target: &Service,
    networks: Vec<String>,
    make: impl Fn(&str, Kind, Vec<String>) -> Service,
) -> Option<Service> {
    let monitor = target.secret_roles.get(MONITOR_ROLE)?;
    let (admin, script) = match target.kind {
        Kind::Postgres => {
            let admin = target.secret_roles.get("password")?;
            (admin, postgres_script(target, admin, monitor))
        }
        Kind::Mysql => {
            let admin = target.secret_roles.get("root_password")?;
            (admin, mysql_script(target, admin, monitor))
        }
        _ => return None,
    };
    let mut job = make(&job_name(&target.name), Kind::DatabaseAccounts, networks);
    job.image = target.image.clone();
    job.description = Some(format!(
        "Creates or updates `{}`'s monitoring account, then exits.",
        target.name
    ));
    // The image's entrypoint runs any command that is not its server as given.
    job.command = Some(vec!["sh".into(), "-c".into(), script]);
    job.restart = Restart::No;
    let mut secrets = vec![admin.clone(), monitor.clone()];
    secrets.sort();
    secrets.dedup();
    job.secrets = secrets;
    job.uses = vec![target.name.clone()];
    job.depends_on = vec![Dependency {
        service: target.name.clone(),
        healthy: target.healthcheck.is_some(),
        completed: false,
    }];
    Some(job)
}
