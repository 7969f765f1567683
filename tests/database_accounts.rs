//! The PostgreSQL accounts job as it behaves: its generated script, run against
//! a real PostgreSQL server (Debian's) inside `unshare -m -n` (loopback only),
//! creates `futurestack_monitor` with only `pg_monitor`, runs again without
//! harm, takes a rotated password, and refuses a password that would reach
//! SQL unquoted.

mod support;

use support::{namespace, repo, yaml};

/// An accounts job's shell script as the container runs it.
fn job_script(service: &str) -> String {
    namespace::sh_c_script(
        &yaml(&repo().join("golden/prod/docker-compose.yml")),
        service,
    )
}

/// Runs PostgreSQL and the job in a namespace: writes `monitor` as the
/// monitoring secret before each run in `runs`, and prints what the checks see.
fn scenario(script: &str, runs: &[&str]) -> Option<(bool, String)> {
    if !namespace::ready(
        "the PostgreSQL accounts test",
        &["unshare", "runuser", "psql"],
    ) {
        return None;
    }
    let bin = namespace::postgres_bin()?;
    let mut body = String::new();
    for (i, monitor) in runs.iter().enumerate() {
        body.push_str(&format!(
            "printf %s {m} > /run/secrets/postgres-monitor-password\n\
             if sh -c \"$JOB\" 2>>\"$work/job.err\"; then echo \"RUN {i} ok\"; else echo \"RUN {i} failed\"; fi\n\
             echo \"LOGIN {i} $(PGPASSWORD={m} psql -h postgres -U futurestack_monitor -d future_analytics -tAc \"select rolsuper::text || ',' || pg_has_role(current_user, 'pg_monitor', 'member')::text || ',' || rolconnlimit from pg_roles where rolname = current_user\" 2>/dev/null || echo refused)\"\n",
            m = futurestack::shell::quote(monitor)
        ));
    }
    let script_text = format!(
        r#"set -eu
ip link set lo up
work=$(mktemp -d); chmod 755 "$work"
echo '127.0.0.1 localhost postgres' > "$work/hosts"; mount --bind "$work/hosts" /etc/hosts
mount -t tmpfs tmpfs /run; mkdir -p /run/secrets /run/postgresql
printf %s 'admin-pw-1' > /run/secrets/postgres-password
printf %s 'admin-pw-1' > "$work/pw"; chown postgres "$work/pw"
mkdir "$work/data"; chown postgres "$work/data" /run/postgresql
runuser -u postgres -- {bin}/initdb -D "$work/data" -U future_user --pwfile="$work/pw" -A scram-sha-256 >/dev/null
runuser -u postgres -- {bin}/pg_ctl -D "$work/data" -l "$work/data/pg.log" -o "-c listen_addresses=127.0.0.1 -c port=5432 -k /run/postgresql" start >/dev/null
for _ in $(seq 1 100); do {bin}/pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
PGPASSWORD=admin-pw-1 psql -q -h postgres -U future_user -d postgres -c 'create database future_analytics'
{body}
sed 's/^/JOBERR /' "$work/job.err"
runuser -u postgres -- {bin}/pg_ctl -D "$work/data" stop -m fast >/dev/null
"#,
        bin = bin.display()
    );
    Some(namespace::run(&script_text, &[("JOB", script)]))
}

#[test]
fn the_job_makes_a_monitoring_account_with_only_pg_monitor() {
    let Some((ok, out)) = scenario(
        &job_script("postgres-accounts"),
        &["monitor-1", "monitor-1", "monitor-2"],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    // Created: no superuser, pg_monitor, at most 3 connections.
    assert!(out.contains("RUN 0 ok\nLOGIN 0 false,true,3"), "{out}");
    // Again: nothing changes.
    assert!(out.contains("RUN 1 ok\nLOGIN 1 false,true,3"), "{out}");
    // Rotated: the new password works.
    assert!(out.contains("RUN 2 ok\nLOGIN 2 false,true,3"), "{out}");
}

#[test]
fn guard_a_password_that_would_reach_sql_is_refused() {
    let Some((ok, out)) = scenario(
        &job_script("postgres-accounts"),
        &["x'; ALTER ROLE future_user NOLOGIN; --"],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("RUN 0 failed"), "{out}");
    assert!(
        out.contains(
            "JOBERR futurestack: secret postgres-monitor-password must be letters, digits, _ and -"
        ),
        "{out}"
    );
    assert!(out.contains("LOGIN 0 refused"), "{out}");
}

/// Runs MariaDB (Debian has no MySQL 8 server; the statements are MySQL's
/// and MariaDB's alike) with `root@'%'` as the MySQL image makes it, then the
/// job once per entry of `runs`, and what the monitoring account can do.
fn mysql_scenario(script: &str, runs: &[&str]) -> Option<(bool, String)> {
    if !namespace::ready(
        "the MySQL accounts test",
        &["unshare", "mariadb", "mariadb-install-db"],
    ) {
        return None;
    }
    let mut body = String::new();
    for (i, monitor) in runs.iter().enumerate() {
        body.push_str(&format!(
            "printf %s {m} > /run/secrets/mysql-monitor-password\n\
             if sh -c \"$JOB\" 2>>\"$work/job.err\"; then echo \"RUN {i} ok\"; else echo \"RUN {i} failed\"; fi\n\
             g=$(MYSQL_PWD={m} mariadb -u futurestack_monitor -h 127.0.0.1 --protocol=TCP -N -e 'SHOW GRANTS' 2>/dev/null | tr '\\n' ' ' || true)\n\
             echo \"LOGIN {i} ${{g:-refused}}\"\n",
            m = futurestack::shell::quote(monitor)
        ));
    }
    let text = format!(
        r#"set -eu
ip link set lo up
work=$(mktemp -d); chmod 755 "$work"
echo '127.0.0.1 localhost mysql' > "$work/hosts"; mount --bind "$work/hosts" /etc/hosts
mount -t tmpfs tmpfs /run; mkdir -p /run/secrets /run/mysqld; chown mysql /run/mysqld
printf %s root-pw > /run/secrets/mysql-root-password
mkdir "$work/db"; chown mysql "$work/db"
mariadb-install-db --user=mysql --datadir="$work/db" --auth-root-authentication-method=normal >/dev/null 2>&1
/usr/sbin/mariadbd --user=mysql --datadir="$work/db" --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 --port=3306 --skip-log-bin --skip-name-resolve >"$work/db.log" 2>&1 &
for _ in $(seq 1 100); do mariadb -u root --socket=/run/mysqld/mysqld.sock -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
# Only the accounts the MySQL image makes: root@localhost and root@'%' (no
# anonymous users, no root@127.0.0.1 as mariadb-install-db adds).
mariadb -u root --socket=/run/mysqld/mysqld.sock -e "DELETE FROM mysql.global_priv WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys'; FLUSH PRIVILEGES; CREATE USER 'root'@'%' IDENTIFIED BY 'root-pw'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
{body}
sed 's/^/JOBERR /' "$work/job.err"
mariadb -u root --socket=/run/mysqld/mysqld.sock -e 'shutdown' >/dev/null 2>&1 || true
"#
    );
    Some(namespace::run(&text, &[("JOB", script)]))
}

#[test]
fn the_mysql_job_makes_a_monitoring_user_with_only_what_the_exporter_needs() {
    let Some((ok, out)) = mysql_scenario(
        &job_script("mysql-accounts"),
        &["monitor-1", "monitor-1", "monitor-2"],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    for i in 0..3 {
        let login = out
            .lines()
            .find_map(|l| l.strip_prefix(&format!("LOGIN {i} ")))
            .unwrap_or_default();
        assert!(out.contains(&format!("RUN {i} ok")), "{out}");
        // PROCESS, REPLICATION CLIENT (MariaDB calls it BINLOG MONITOR), SELECT;
        // nothing more, and at most 3 connections.
        assert!(
            login.contains("GRANT SELECT, PROCESS,")
                && login.contains("ON *.* TO `futurestack_monitor`@`%`"),
            "{i}: {login}"
        );
        assert!(login.contains("MAX_USER_CONNECTIONS 3"), "{i}: {login}");
        for more in [
            "INSERT",
            "UPDATE",
            "DELETE",
            "CREATE",
            "DROP",
            "SUPER",
            "ALL PRIVILEGES",
        ] {
            assert!(!login.contains(more), "{i}: {more} in {login}");
        }
    }
}

#[test]
fn guard_a_mysql_password_that_would_reach_sql_is_refused() {
    let Some((ok, out)) = mysql_scenario(
        &job_script("mysql-accounts"),
        &["x'; DROP USER 'root'@'%'; --"],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("RUN 0 failed"), "{out}");
    assert!(
        out.contains(
            "JOBERR futurestack: secret mysql-monitor-password must be letters, digits, _ and -"
        ),
        "{out}"
    );
    assert!(out.contains("LOGIN 0 refused"), "{out}");
}
