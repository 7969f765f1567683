//! Least-privilege database accounts, made by one job per database
//! (`<db>-accounts`) at every deploy, after the database is healthy and before
//! anything that logs in with them starts: idempotent, and a rotated password
//! takes effect at the next deploy. Every password the job sets must be
//! letters, digits, `_` and `-`, checked by the job before it reaches SQL or
//! JSON.
//!
//! - A monitoring account (`monitor_password`), `futurestack_monitor`, with
//!   what its exporter's README asks for: on PostgreSQL `pg_monitor` only
//!   (postgres_exporter, PostgreSQL 10 and later); on MySQL `PROCESS,
//!   REPLICATION CLIENT, SELECT` and three connections (mysqld_exporter); on
//!   Elasticsearch the `monitor` cluster privilege and `monitor` on every index
//!   (elasticsearch_exporter, "Elasticsearch 7.x security privileges").
//! - An account per app (`accounts:`), limited to the app's own database (the
//!   owner of it on PostgreSQL, `ALL` on it alone on MySQL) or its own index
//!   patterns (`all` on them, nothing on the cluster, on Elasticsearch). The
//!   image's own user (`POSTGRES_USER` is a superuser, `MYSQL_USER` has all of
//!   `MYSQL_DATABASE`) stays for the administrator.
//!
//! The job runs the database's own image for its client (`psql`, `mysql`,
//! `curl`), whose entrypoint runs a command that is not the server as given.

use super::{Dependency, Service, kinds};
use crate::shell::quote;
use crate::spec::{Account, Kind, Restart};

/// The secret role of a database's monitoring account.
pub const MONITOR_ROLE: &str = "monitor_password";
/// The monitoring account's name.
pub const MONITOR_USER: &str = "futurestack_monitor";

/// An app's own account on a database, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccount {
    pub app: String,
    pub user: String,
    /// The secret holding its password.
    pub password: String,
    /// MySQL and PostgreSQL: its only database.
    pub database: Option<String>,
    /// Elasticsearch: its only index patterns.
    pub indices: Vec<String>,
}

/// `ai-recommend` → `ai_recommend`: the account name of an app.
pub fn user_name(app: &str) -> String {
    app.replace('-', "_")
}

pub fn job_name(database: &str) -> String {
    format!("{database}-accounts")
}

/// Whether the spec's service `s` gets an accounts job (for names taken).
pub fn spec_has_job(s: &crate::spec::Service) -> bool {
    matches!(s.kind, Kind::Mysql | Kind::Postgres | Kind::Elasticsearch)
        && s.managed.is_none()
        && (s.secrets.contains_key(MONITOR_ROLE) || !s.accounts.is_empty())
}

/// Whether `target` gets an accounts job: a database container of a kind that
/// holds accounts, with a monitoring secret or app accounts, and with the
/// admin secret the job logs in with.
pub fn has_job(target: &Service) -> bool {
    let admin = match target.kind {
        Kind::Mysql => "root_password",
        Kind::Postgres => "password",
        Kind::Elasticsearch if target.security => "password",
        _ => return false,
    };
    !target.external
        && target.managed.is_none()
        && target.secret_roles.contains_key(admin)
        && (target.secret_roles.contains_key(MONITOR_ROLE) || !target.accounts.is_empty())
}

/// The account `app` logs in to `db` with, when the job makes one.
pub fn of<'a>(db: &'a Service, app: &str) -> Option<&'a AppAccount> {
    has_job(db)
        .then(|| db.accounts.iter().find(|a| a.app == app))
        .flatten()
}

/// The app accounts of a database service, sorted by app.
pub fn resolve(
    kind: Kind,
    accounts: &std::collections::BTreeMap<String, Account>,
) -> Vec<AppAccount> {
    accounts
        .iter()
        .map(|(app, a)| {
            let user = user_name(app);
            let sql = matches!(kind, Kind::Mysql | Kind::Postgres);
            AppAccount {
                app: app.clone(),
                password: a.password.clone(),
                database: sql.then(|| a.database.clone().unwrap_or_else(|| user.clone())),
                indices: if kind == Kind::Elasticsearch {
                    a.indices
                        .clone()
                        .unwrap_or_else(|| vec![format!("{app}-*")])
                } else {
                    Vec::new()
                },
                user,
            }
        })
        .collect()
}

/// Reads a secret into shell variable `var` and refuses what is not a plain word.
fn read_checked(var: &str, secret: &str) -> String {
    format!(
        "{var}=$(cat {file}); check {name} \"${var}\"; ",
        file = kinds::secret_path(secret),
        name = secret,
    )
}

const CHECK: &str = "check() { case \"$2\" in ''|*[!A-Za-z0-9_-]*) echo \"futurestack: secret $1 must be letters, digits, _ and -\" >&2; exit 1;; esac; }; ";

/// The start of every job script: strict mode, then each password the job
/// sets read into its variable and checked.
fn prelude(target: &Service) -> String {
    let mut s = String::from("set -eu; ");
    s.push_str(CHECK);
    for (var, secret) in passwords(target) {
        s.push_str(&read_checked(&var, &secret));
    }
    s
}

/// The passwords the job sets, as (shell variable, secret), monitor first.
fn passwords(target: &Service) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = target
        .secret_roles
        .get(MONITOR_ROLE)
        .map(|s| ("m".to_owned(), s.clone()))
        .into_iter()
        .collect();
    for (i, a) in target.accounts.iter().enumerate() {
        out.push((format!("a{i}"), a.password.clone()));
    }
    out
}

/// The PostgreSQL job's script, as the image's superuser over TCP.
pub fn postgres_script(target: &Service, admin_secret: &str) -> String {
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
    let psql = |db: &str| {
        format!(
            "psql -v ON_ERROR_STOP=1 -q -h {host} -p {port} -U {} -d {}",
            quote(&user),
            quote(db)
        )
    };
    let mut s = prelude(target);
    s.push_str(&format!(
        "PGPASSWORD=$(cat {}); export PGPASSWORD; ",
        kinds::secret_path(admin_secret)
    ));
    let role = |name: &str, attrs: &str, var: &str| {
        format!(
            "-c \"DO \\$\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE \\\"{name}\\\"; END IF; END \\$\\$;\" \
             -c \"ALTER ROLE \\\"{name}\\\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION {attrs}PASSWORD '${var}';\""
        )
    };
    if target.secret_roles.contains_key(MONITOR_ROLE) {
        s.push_str(&format!(
            "{} {} -c \"GRANT pg_monitor TO {MONITOR_USER};\"; ",
            psql(&db),
            role(MONITOR_USER, "CONNECTION LIMIT 3 ", "m")
        ));
    }
    if !target.accounts.is_empty() {
        // What PUBLIC may do by default, connect and make temporary tables, is
        // taken from the administrator's database: apps keep to their own.
        let monitor = if target.secret_roles.contains_key(MONITOR_ROLE) {
            format!(" -c 'GRANT CONNECT ON DATABASE \"{db}\" TO {MONITOR_USER}'")
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{} -c 'REVOKE CONNECT, TEMPORARY ON DATABASE \"{db}\" FROM PUBLIC'{monitor}; ",
            psql(&db)
        ));
    }
    for (i, a) in target.accounts.iter().enumerate() {
        let (u, d) = (&a.user, a.database.as_deref().unwrap_or(&a.user));
        s.push_str(&format!(
            "{} {}; ",
            psql(&db),
            role(u, "", &format!("a{i}"))
        ));
        // CREATE DATABASE cannot run in a DO block: made when missing, owned by the app.
        s.push_str(&format!(
            "{p} -tAc \"SELECT 1 FROM pg_database WHERE datname = '{d}'\" | grep -q 1 || {p} -c 'CREATE DATABASE \"{d}\" OWNER \"{u}\"'; ",
            p = psql(&db)
        ));
        s.push_str(&format!(
            "{} -c 'REVOKE ALL ON DATABASE \"{d}\" FROM PUBLIC' -c 'GRANT ALL ON DATABASE \"{d}\" TO \"{u}\"' -c 'GRANT ALL ON SCHEMA public TO \"{u}\"'; ",
            psql(d)
        ));
    }
    s.trim_end_matches("; ").to_owned()
}

/// The MySQL job's script, as root over TCP (the image creates `root@'%'`,
/// MYSQL_ROOT_HOST's default), the root password in `MYSQL_PWD`.
pub fn mysql_script(target: &Service, root_secret: &str) -> String {
    let host = &target.address;
    let port = target.main_port().map(|p| p.container).unwrap_or(3306);
    let mut s = prelude(target);
    s.push_str(&format!(
        "MYSQL_PWD=$(cat {}); export MYSQL_PWD; ",
        kinds::secret_path(root_secret)
    ));
    let user = |name: &str, var: &str, limit: &str| {
        let account = format!("'{name}'@'%'");
        format!(
            "CREATE USER IF NOT EXISTS {account} IDENTIFIED BY '${var}'{limit}; ALTER USER {account} IDENTIFIED BY '${var}'{limit};"
        )
    };
    let mut sql = Vec::new();
    if target.secret_roles.contains_key(MONITOR_ROLE) {
        sql.push(user(MONITOR_USER, "m", " WITH MAX_USER_CONNECTIONS 3"));
        sql.push(format!(
            "GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '{MONITOR_USER}'@'%';"
        ));
    }
    for (i, a) in target.accounts.iter().enumerate() {
        let d = a.database.as_deref().unwrap_or(&a.user);
        sql.push(format!("CREATE DATABASE IF NOT EXISTS \\`{d}\\`;"));
        sql.push(user(&a.user, &format!("a{i}"), ""));
        sql.push(format!(
            "GRANT ALL PRIVILEGES ON \\`{d}\\`.* TO '{}'@'%';",
            a.user
        ));
    }
    s.push_str(&format!(
        "mysql --user=root --host={host} --port={port} --protocol=TCP -e \"{}\"",
        sql.join(" ")
    ));
    s
}

/// The Elasticsearch job's script: the security API over HTTP as `elastic`,
/// whose password reaches curl on its standard input (a config line, never
/// the command line; unquoted, it is taken as written up to whitespace, which
/// secrets cannot hold).
pub fn elasticsearch_script(target: &Service, admin_secret: &str) -> String {
    let host = &target.address;
    let port = target.main_port().map(|p| p.container).unwrap_or(9200);
    let mut s = prelude(target);
    s.push_str(&format!(
        "e=$(cat {}); put() {{ printf 'user = elastic:%s\\n' \"$e\" | curl -fsS -K - -o /dev/null -X PUT -H 'Content-Type: application/json' \"http://{host}:{port}/_security/$1\" -d \"$2\"; }}; ",
        kinds::secret_path(admin_secret)
    ));
    let role = |name: &str, body: serde_json::Value| {
        format!("put role/{name} {}; ", quote(&body.to_string()))
    };
    let user = |name: &str, role: &str, var: &str| {
        format!(
            "put user/{name} \"{{\\\"password\\\":\\\"${var}\\\",\\\"roles\\\":[\\\"{role}\\\"]}}\"; "
        )
    };
    if target.secret_roles.contains_key(MONITOR_ROLE) {
        s.push_str(&role(
            MONITOR_USER,
            serde_json::json!({"cluster": ["monitor"], "indices": [{"names": ["*"], "privileges": ["monitor"]}]}),
        ));
        s.push_str(&user(MONITOR_USER, MONITOR_USER, "m"));
    }
    for (i, a) in target.accounts.iter().enumerate() {
        let name = format!("futurestack_app_{}", a.user);
        s.push_str(&role(
            &name,
            serde_json::json!({"cluster": [], "indices": [{"names": a.indices, "privileges": ["all"]}]}),
        ));
        s.push_str(&user(&a.user, &name, &format!("a{i}")));
    }
    s.trim_end_matches("; ").to_owned()
}

/// The job for `target`, when it has a monitoring secret or app accounts.
pub fn job(target: &Service, make: impl Fn(&str, Kind, Vec<String>) -> Service) -> Option<Service> {
    if !has_job(target) {
        return None;
    }
    let (admin, script) = match target.kind {
        Kind::Postgres => {
            let admin = target.secret_roles.get("password")?;
            (admin, postgres_script(target, admin))
        }
        Kind::Mysql => {
            let admin = target.secret_roles.get("root_password")?;
            (admin, mysql_script(target, admin))
        }
        Kind::Elasticsearch => {
            let admin = target.secret_roles.get("password")?;
            (admin, elasticsearch_script(target, admin))
        }
        _ => return None,
    };
    let networks = target.networks.first().cloned().into_iter().collect();
    let mut job = make(&job_name(&target.name), Kind::DatabaseAccounts, networks);
    job.image = target.image.clone();
    let mut made = Vec::new();
    if target.secret_roles.contains_key(MONITOR_ROLE) {
        made.push("monitoring account".to_owned());
    }
    if !target.accounts.is_empty() {
        let apps: Vec<String> = target
            .accounts
            .iter()
            .map(|a| format!("`{}`", a.app))
            .collect();
        made.push(format!("app accounts ({})", apps.join(", ")));
    }
    job.description = Some(format!(
        "Creates or updates `{}`'s {}, then exits.",
        target.name,
        made.join(" and ")
    ));
    job.command = Some(vec!["sh".into(), "-c".into(), script]);
    job.restart = Restart::No;
    let mut secrets = vec![admin.clone()];
    secrets.extend(passwords(target).into_iter().map(|(_, s)| s));
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
