//! The accounts jobs as they behave: their generated scripts, run against real
//! PostgreSQL and MariaDB servers (Debian's) inside `unshare -m -n` (loopback
//! only), create `futurestack_monitor` with only what its exporter needs and
//! each app's account with only its own database, run again without harm,
//! take rotated passwords, and refuse a password that would reach SQL
//! unquoted.

mod support;

use support::{namespace, repo, yaml};

/// What follows `prefix` on the first output line that starts with it.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_default()
}

/// An accounts job's shell script as the container runs it.
fn job_script(service: &str) -> String {
    namespace::sh_c_script(
        &yaml(&repo().join("golden/prod/docker-compose.yml")),
        service,
    )
}

/// Runs PostgreSQL and the job in a namespace: writes `monitor` as the
/// monitoring secret before each run in `runs`, and prints what the checks see.
fn scenario(script: &str, runs: &[(&str, &str)]) -> Option<(bool, String)> {
    if !namespace::ready(
        "the PostgreSQL accounts test",
        &["unshare", "runuser", "psql"],
    ) {
        return None;
    }
    let bin = namespace::postgres_bin()?;
    let mut body = String::new();
    for (i, (monitor, app)) in runs.iter().enumerate() {
        body.push_str(&format!(
            "printf %s {m} > /run/secrets/postgres-monitor-password\n\
             printf %s {a} > /run/secrets/postgres-ai-recommend-password\n\
             if sh -c \"$JOB\" 2>>\"$work/job.err\"; then echo \"RUN {i} ok\"; else echo \"RUN {i} failed\"; fi\n\
             echo \"LOGIN {i} $(PGPASSWORD={m} psql -h postgres -U futurestack_monitor -d future_analytics -tAc \"select rolsuper::text || ',' || pg_has_role(current_user, 'pg_monitor', 'member')::text || ',' || rolconnlimit from pg_roles where rolname = current_user\" 2>/dev/null || echo refused)\"\n\
             echo \"APP {i} $(PGPASSWORD={a} psql -q -h postgres -U ai_recommend -d future_recommend -tAc \"create table if not exists t{i} (x int); insert into t{i} values (1); select rolsuper::text || ',' || rolcreatedb::text || ',' || (select count(*) from t{i}) from pg_roles where rolname = current_user\" 2>/dev/null || echo refused)\"\n\
             echo \"OTHER {i} $(PGPASSWORD={a} psql -h postgres -U ai_recommend -d future_analytics -tAc 'select 1' 2>&1 | grep -o 'permission denied for database' || echo connected)\"\n",
            m = futurestack::shell::quote(monitor),
            a = futurestack::shell::quote(app)
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
        &[
            ("monitor-1", "app-1"),
            ("monitor-1", "app-1"),
            ("monitor-2", "app-2"),
        ],
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
fn the_job_gives_the_app_its_own_database_and_nothing_else() {
    let Some((ok, out)) = scenario(
        &job_script("postgres-accounts"),
        &[
            ("monitor-1", "app-1"),
            ("monitor-1", "app-1"),
            ("monitor-1", "app-2"),
        ],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    for i in 0..3 {
        // Its database: it creates and writes tables there, as neither a
        // superuser nor a database maker; rotated at run 2.
        assert!(
            out.contains(&format!("APP {i} false,false,1")),
            "{i}: {out}"
        );
        // The administrator's database is closed to it.
        assert!(
            out.contains(&format!("OTHER {i} permission denied for database")),
            "{i}: {out}"
        );
    }
}

#[test]
fn guard_a_password_that_would_reach_sql_is_refused() {
    let Some((ok, out)) = scenario(
        &job_script("postgres-accounts"),
        &[("x'; ALTER ROLE future_user NOLOGIN; --", "app-1")],
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
fn mysql_scenario(script: &str, runs: &[(&str, &str)]) -> Option<(bool, String)> {
    if !namespace::ready(
        "the MySQL accounts test",
        &["unshare", "mariadb", "mariadb-install-db"],
    ) {
        return None;
    }
    let mut body = String::new();
    for (i, (monitor, app)) in runs.iter().enumerate() {
        body.push_str(&format!(
            "printf %s {m} > /run/secrets/mysql-monitor-password\n\
             printf %s {a} > /run/secrets/mysql-ai-recommend-password\n\
             printf %s shared-{a} > /run/secrets/mysql-shared-password\n\
             if sh -c \"$JOB\" 2>>\"$work/job.err\"; then echo \"RUN {i} ok\"; else echo \"RUN {i} failed\"; fi\n\
             g=$(MYSQL_PWD={m} mariadb -u futurestack_monitor -h 127.0.0.1 --protocol=TCP -N -e 'SHOW GRANTS' 2>/dev/null | tr '\\n' ' ' || true)\n\
             echo \"LOGIN {i} ${{g:-refused}}\"\n\
             g=$(MYSQL_PWD={a} mariadb -u ai_recommend -h 127.0.0.1 --protocol=TCP -N -e 'CREATE TABLE IF NOT EXISTS future_recommend.t{i} (x INT); INSERT INTO future_recommend.t{i} VALUES (1); SHOW GRANTS' 2>/dev/null | tr '\\n' ' ' || true)\n\
             echo \"APP {i} ${{g:-refused}}\"\n\
             echo \"OTHER {i} $(MYSQL_PWD={a} mariadb -u ai_recommend -h 127.0.0.1 --protocol=TCP -N -e 'SELECT COUNT(*) FROM future_users.accounts' 2>&1 | grep -o 'command denied\\|Access denied' || echo allowed)\"\n\
             echo \"SHARED {i} $(MYSQL_PWD=shared-{a} mariadb -u shared -h 127.0.0.1 --protocol=TCP -N -e 'SELECT COUNT(*) FROM future_users.accounts' 2>/dev/null || echo refused)\"\n",
            m = futurestack::shell::quote(monitor),
            a = futurestack::shell::quote(app)
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
mariadb-install-db --user=mysql --datadir="$work/db" --auth-root-authentication-method=normal >"$work/install.log" 2>&1 || {{ echo "mariadb-install-db failed:"; cat "$work/install.log"; exit 1; }}
/usr/sbin/mariadbd --user=mysql --datadir="$work/db" --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 --port=3306 --skip-log-bin --skip-name-resolve >"$work/db.log" 2>&1 &
for _ in $(seq 1 100); do mariadb -u root --socket=/run/mysqld/mysqld.sock -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
# Only the accounts the MySQL image makes: root@localhost and root@'%' (no
# anonymous users, no root@127.0.0.1 as mariadb-install-db adds).
mariadb -u root --socket=/run/mysqld/mysqld.sock -e "DELETE FROM mysql.global_priv WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys'; FLUSH PRIVILEGES; CREATE USER 'root'@'%' IDENTIFIED BY 'root-pw'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION; CREATE DATABASE future_users; CREATE TABLE future_users.accounts (id INT); INSERT INTO future_users.accounts VALUES (1), (2);"
{body}
sed 's/^/JOBERR /' "$work/job.err"
mariadb -u root --socket=/run/mysqld/mysqld.sock -e 'shutdown' >/dev/null 2>&1 || true
"#
    );
    // One MariaDB at a time: two installs at once have failed without a word.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Some(namespace::run(&text, &[("JOB", script)]))
}

#[test]
fn the_mysql_job_makes_a_monitoring_user_with_only_what_the_exporter_needs() {
    let Some((ok, out)) = mysql_scenario(
        &job_script("mysql-accounts"),
        &[
            ("monitor-1", "app-1"),
            ("monitor-1", "app-1"),
            ("monitor-2", "app-2"),
        ],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    for i in 0..3 {
        let login = line(&out, &format!("LOGIN {i} "));
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
        &[("x'; DROP USER 'root'@'%'; --", "app-1")],
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

#[test]
fn the_mysql_job_gives_each_app_its_own_database_and_nothing_else() {
    let Some((ok, out)) = mysql_scenario(
        &job_script("mysql-accounts"),
        &[
            ("monitor-1", "app-1"),
            ("monitor-1", "app-1"),
            ("monitor-1", "app-2"),
        ],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    for i in 0..3 {
        let app = line(&out, &format!("APP {i} "));
        // All of its own database (made by the job), only USAGE elsewhere;
        // rotated at run 2.
        assert!(
            app.contains("GRANT ALL PRIVILEGES ON `future_recommend`.* TO `ai_recommend`@`%`"),
            "{i}: {app}"
        );
        assert!(
            app.contains("GRANT USAGE ON *.* TO `ai_recommend`@`%`"),
            "{i}: {app}"
        );
        assert_eq!(app.matches("GRANT ").count(), 2, "{i}: {app}");
        // Another app's database is closed to it; that app reads it.
        assert!(
            out.contains(&format!("OTHER {i} command denied")),
            "{i}: {out}"
        );
        assert!(out.contains(&format!("SHARED {i} 2")), "{i}: {out}");
    }
}

#[test]
fn guard_without_the_revoke_the_app_reaches_the_administrators_database() {
    let full = job_script("postgres-accounts");
    let revoke = " -c 'REVOKE CONNECT, TEMPORARY ON DATABASE \"future_analytics\" FROM PUBLIC'";
    assert!(full.contains(revoke), "{full}");
    let Some((ok, out)) = scenario(&full.replace(revoke, ""), &[("monitor-1", "app-1")]) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("OTHER 0 connected"), "{out}");
}
