//! The generated backup, made and restored for real: `golden/prod`'s
//! `backup/backup.sh` runs against Debian's PostgreSQL 15, MariaDB 10.11 and
//! Redis 7 inside `unshare -m -n` (loopback only), with a stand-in for
//! `docker compose exec` that runs each command where the server is. Its
//! PostgreSQL dumps (the administrator's database and an app's own) restore
//! with `pg_restore` after the data is dropped, its MySQL dump (every
//! database, replayed as root; MariaDB stands in for MySQL 8, which Debian
//! does not package) brings back dropped databases, its Redis file restores
//! into a fresh server, the sums check, and backups past the retention are
//! removed. Elasticsearch (not packaged by Debian) is a stand-in for its
//! snapshot API running as the image's user (`tests/sandbox/es-snapshot-stub.py`):
//! the archive holds the repository it wrote. The copy to OSS goes to
//! stand-ins for the metadata service (100.100.100.200 in the namespace) and
//! the bucket's endpoint (`tests/sandbox/oss-stub.py`), which checks every
//! request's signature with Alibaba Cloud's own SDK; the bucket then holds
//! each backup byte for byte. The backup runs twice, as on two days.

mod support;

use std::process::Command;

use support::{namespace, repo, tool_on_path};

fn backup_script() -> String {
    std::fs::read_to_string(repo().join("golden/prod/backup/backup.sh")).unwrap()
}

fn uploader() -> String {
    std::fs::read_to_string(repo().join("golden/prod/backup/oss-put.py")).unwrap()
}

/// The Python that has Alibaba Cloud's OSS SDK (`./scripts/install-validators`).
fn sdk_python() -> Option<std::path::PathBuf> {
    let python = repo().join(".tools/venv/bin/python");
    let ok = python.is_file()
        && Command::new(&python)
            .args(["-c", "import alibabacloud_oss_v2.signer"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !support::in_ci(),
            "alibabacloud-oss-v2 is missing and CI=true: run ./scripts/test"
        );
        eprintln!("SKIPPED: alibabacloud-oss-v2 is not installed; run ./scripts/test");
        return None;
    }
    Some(python)
}

fn scenario(script: &str) -> Option<(bool, String)> {
    scenario_with(script, &uploader(), "SUCCESS")
}

fn scenario_with(script: &str, uploader: &str, es_state: &str) -> Option<(bool, String)> {
    if !namespace::ready(
        "the backup test",
        &[
            "unshare",
            "runuser",
            "psql",
            "pg_restore",
            "redis-server",
            "redis-cli",
            "sha256sum",
            "mariadb",
            "mariadb-install-db",
            "mysqldump",
            "setpriv",
            "openssl",
            "curl",
            "tar",
            "python3",
        ],
    ) {
        return None;
    }
    let bin = namespace::postgres_bin()?;
    let python = sdk_python()?;
    let sandbox = repo().join("tests/sandbox");
    let text = format!(
        r#"set -eu
ip link set lo up
for d in /run /opt /var/backups /tmp; do mount -t tmpfs tmpfs "$d"; done
work=$(mktemp -d); chmod 755 "$work"
mkdir -p /run/secrets /run/postgresql /opt/futurestack/future-prod "$work/bin" "$work/redis"
printf %s admin-pw > /run/secrets/postgres-password
printf %s redis-pw > /run/secrets/redis-password
printf %s root-pw > /run/secrets/mysql-root-password
printf %s admin-pw > "$work/pw"; chown postgres "$work/pw"
mkdir "$work/pg"; chown postgres "$work/pg" /run/postgresql
runuser -u postgres -- {bin}/initdb -D "$work/pg" -U future_user --pwfile="$work/pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
runuser -u postgres -- {bin}/pg_ctl -D "$work/pg" -l "$work/pg/log" -o "-c listen_addresses=127.0.0.1 -k /run/postgresql" start >/dev/null
for _ in $(seq 1 100); do {bin}/pg_isready -q -h /run/postgresql && break; sleep 0.1; done
export PGHOST=/run/postgresql
psql -q -U future_user -d postgres -c 'create database future_analytics'
psql -q -U future_user -d future_analytics -c "create table t (id int primary key, note text); insert into t values (1, 'a'), (2, 'b'), (3, 'c')"
# An app's own database (`accounts:`), dumped to a file of its own.
psql -q -U future_user -d postgres -c 'create database future_recommend'
psql -q -U future_user -d future_recommend -c "create table r (id int); insert into r values (7), (8)"
# MariaDB (Debian has no MySQL 8 server; mysqldump and the replay are alike),
# root with the password the MySQL image gives it.
mkdir -p /run/mysqld "$work/my"; chown mysql /run/mysqld "$work/my"
mariadb-install-db --user=mysql --datadir="$work/my" --auth-root-authentication-method=normal >"$work/install.log" 2>&1 || {{ echo "mariadb-install-db failed:"; cat "$work/install.log"; exit 1; }}
/usr/sbin/mariadbd --user=mysql --datadir="$work/my" --socket=/run/mysqld/mysqld.sock --skip-networking --skip-log-bin >"$work/my.log" 2>&1 &
for _ in $(seq 1 100); do mariadb -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
mariadb -u root -e "ALTER USER root@localhost IDENTIFIED BY 'root-pw'; CREATE DATABASE future_users; CREATE TABLE future_users.u (id INT PRIMARY KEY, name TEXT); INSERT INTO future_users.u VALUES (1, 'ann'), (2, 'bo'); CREATE DATABASE future_recommend; CREATE TABLE future_recommend.s (x INT); INSERT INTO future_recommend.s VALUES (5)"
redis-server --port 6379 --bind 127.0.0.1 --requirepass redis-pw --dir "$work/redis" --daemonize yes --save '' >/dev/null
for _ in $(seq 1 50); do REDISCLI_AUTH=redis-pw redis-cli ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
REDISCLI_AUTH=redis-pw redis-cli set session:42 kept >/dev/null
# The stand-ins below run in the background: stopped when the script ends.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
# Elasticsearch's snapshot API, as the image's user 1000:0.
printf %s es-admin-pw > /run/secrets/elastic-password
# Its repository folder as Compose creates a missing one (root's, 0755); the
# stand-in sees it through a bind mount, as the container does.
repo=/var/backups/futurestack/future-prod/.snapshots/elasticsearch
mkdir -p "$repo" "$work/es-view"; mount --bind "$repo" "$work/es-view"
touch "$work/es.log"; chown 1000 "$work/es.log"
setpriv --reuid=1000 --regid=0 --clear-groups /usr/bin/python3 {sandbox}/es-snapshot-stub.py 9200 es-admin-pw /usr/share/elasticsearch/snapshots "$work/es-view" "$work/es.log" >"$work/es.err" 2>&1 &
# The metadata service and the bucket's internal endpoint, over HTTPS.
ip addr add 100.100.100.200/32 dev lo
host=future-backups-prod.oss-cn-hangzhou-internal.aliyuncs.com
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" -keyout "$work/oss.key" -out "$work/oss.crt" 2>/dev/null
{{ cat /etc/hosts; echo "127.0.0.1 $host"; }} > "$work/hosts"; mount --bind "$work/hosts" /etc/hosts
mkdir "$work/oss"
{python} {sandbox}/oss-stub.py future-backups-prod "$work/oss.crt" "$work/oss.key" "$work/oss" "$work/oss.log" >"$work/oss.err" 2>&1 &
export SSL_CERT_FILE="$work/oss.crt"
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:9200/ && curl -s -o /dev/null http://100.100.100.200/ && curl -s -o /dev/null --cacert "$work/oss.crt" "https://$host/" && break; sleep 0.1; done
mkdir -p /opt/futurestack/future-prod/backup
printf '%s' "$UPLOADER" > /opt/futurestack/future-prod/backup/oss-put.py
# `docker compose exec -T SERVICE sh -c COMMAND`, run where the server is.
cat > "$work/bin/docker" <<'STUB'
#!/bin/sh
[ "$1 $2 $3" = "compose exec -T" ] || {{ echo "docker stub: $*" >&2; exit 99; }}
svc=$4; shift 4
case "$svc" in
  postgres|redis|mysql|elasticsearch) exec "$@" ;;
  *) echo "docker stub: unknown service $svc" >&2; exit 98 ;;
esac
STUB
chmod +x "$work/bin/docker"
export PATH="$work/bin:{bin}:$PATH"
# An old backup, past the retention.
mkdir -p /var/backups/futurestack/future-prod/20200101T000000Z
touch -d '30 days ago' /var/backups/futurestack/future-prod/20200101T000000Z
bash -c "$BACKUP" && echo BACKUP ok || echo BACKUP failed
sleep 1
# The next day: the previous snapshot gives way to a new one.
bash -c "$BACKUP" && echo BACKUP2 ok || echo BACKUP2 failed
out=$(ls -d /var/backups/futurestack/future-prod/2*Z | grep -v 20200101 | head -n 1)
echo "FILES $(cd "$out" && ls | tr '\n' ' ')"
echo "ES $(tr '\n' ';' < "$work/es.log")"
mkdir "$work/es-restored"; tar -C "$work/es-restored" -xf "$out/elasticsearch.snapshot.tar" 2>&1
echo "ESTAR $(cat "$work/es-restored/index.latest" 2>&1) $(cat "$work/es-restored/indices/ai-nlp-docs/0/__segment" 2>&1)"
echo "OSSLOG $(tr '\n' ';' < "$work/oss.log")"
copy="$work/oss/futurestack/future-prod/$(basename "$out")"
diff -r "$out" "$copy" >/dev/null 2>&1 && echo "OSS same" || echo "OSS differs"
echo "OSSLAST $(grep "^PUT futurestack/future-prod/$(basename "$out")/" "$work/oss.log" | tail -n 1 | cut -d' ' -f2)"
echo "OLD $(ls /var/backups/futurestack/future-prod | grep -c 20200101 || true)"
(cd "$out" && sha256sum --check --quiet SHA256SUMS) && echo SUMS ok || echo SUMS bad
psql -q -U future_user -d future_analytics -c 'drop table t'
if pg_restore --clean --if-exists -U future_user -d future_analytics "$out/postgres.dump" 2>"$work/restore.err"; then
  echo "PG $(psql -tA -U future_user -d future_analytics -c "select string_agg(note, ',' order by id) from t")"
else
  echo "PG restore failed: $(head -n 1 "$work/restore.err")"
fi
psql -q -U future_user -d postgres -c 'drop database future_recommend' -c 'create database future_recommend'
pg_restore -U future_user -d future_recommend "$out/postgres.future_recommend.dump" 2>>"$work/restore.err" || true
echo "PGAPP $(psql -tA -U future_user -d future_recommend -c "select string_agg(id::text, ',' order by id) from r" 2>&1)"
export MYSQL_PWD=root-pw
mariadb -u root -e 'DROP DATABASE future_users; DROP DATABASE future_recommend'
mariadb -u root < "$out/mysql.sql" 2>>"$work/restore.err" || echo "MYSQL restore failed: $(tail -n 1 "$work/restore.err")"
echo "MYSQL $(mariadb -u root -N -e "SELECT GROUP_CONCAT(name ORDER BY id) FROM future_users.u; SELECT x FROM future_recommend.s" 2>&1 | tr '\n' ' ')"
mariadb -u root -e 'shutdown' >/dev/null 2>&1 || true
unset MYSQL_PWD
REDISCLI_AUTH=redis-pw redis-cli shutdown nosave >/dev/null 2>&1 || true
mkdir "$work/redis2"; cp "$out/redis.rdb" "$work/redis2/dump.rdb"
redis-server --port 6380 --bind 127.0.0.1 --dir "$work/redis2" --dbfilename dump.rdb --daemonize yes --save '' >/dev/null
for _ in $(seq 1 50); do redis-cli -p 6380 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
echo "REDIS $(redis-cli -p 6380 get session:42)"
redis-cli -p 6380 shutdown nosave >/dev/null 2>&1 || true
runuser -u postgres -- {bin}/pg_ctl -D "$work/pg" stop -m fast >/dev/null
"#,
        bin = bin.display(),
        python = python.display(),
        sandbox = sandbox.display(),
    );
    // One MariaDB at a time: two installs at once have failed without a word.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Some(namespace::run(
        &text,
        &[
            ("BACKUP", script),
            ("UPLOADER", uploader),
            ("ES_STUB_STATE", es_state),
        ],
    ))
}

#[test]
fn a_backup_restores_postgres_mysql_and_redis() {
    let Some((ok, out)) = scenario(&backup_script()) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("BACKUP ok"), "{out}");
    assert!(out.contains("BACKUP2 ok"), "{out}");
    assert!(
        out.contains(
            "FILES SHA256SUMS elasticsearch.snapshot.tar mysql.sql postgres.dump postgres.future_recommend.dump redis.rdb"
        ),
        "{out}"
    );
    // Registered, then one snapshot replacing the previous one each day.
    assert!(
        out.contains("ES REPOSITORY /usr/share/elasticsearch/snapshots;SNAPSHOT futurestack global_state=True;REPOSITORY /usr/share/elasticsearch/snapshots;DELETE futurestack;SNAPSHOT futurestack global_state=True;"),
        "{out}"
    );
    assert!(out.contains("ESTAR 0 doc:kept"), "{out}");
    // Every file of both backups reached the bucket, signed as the SDK signs,
    // SHA256SUMS last; the copy is the backup byte for byte.
    assert!(!out.contains("REFUSED"), "{out}");
    assert_eq!(
        out.matches("PUT futurestack/future-prod/").count(),
        12,
        "{out}"
    );
    assert!(out.contains("OSS same"), "{out}");
    assert!(
        out.contains("OSSLAST futurestack/future-prod/") && out.contains("/SHA256SUMS\n"),
        "{out}"
    );
    assert!(out.contains("SUMS ok"), "{out}");
    assert!(
        out.contains("OLD 0"),
        "the backup past the retention was kept:\n{out}"
    );
    assert!(out.contains("PG a,b,c"), "{out}");
    assert!(out.contains("PGAPP 7,8"), "{out}");
    // Both databases come back from the one dump, replayed as root.
    assert!(out.contains("MYSQL ann,bo 5 "), "{out}");
    assert!(out.contains("REDIS kept"), "{out}");
}

#[test]
fn guard_a_request_signed_otherwise_is_refused_and_fails_the_backup() {
    let broken = uploader().replace("\"aliyun_v4\" + keys", "\"aliyun_v1\" + keys");
    assert_ne!(broken, uploader());
    let Some((_, out)) = scenario_with(&backup_script(), &broken, "SUCCESS") else {
        return;
    };
    assert!(out.contains("BACKUP failed"), "{out}");
    assert!(out.contains("REFUSED 403 SignatureDoesNotMatch"), "{out}");
}

#[test]
fn guard_a_partial_elasticsearch_snapshot_fails_the_backup() {
    let Some((_, out)) = scenario_with(&backup_script(), &uploader(), "PARTIAL") else {
        return;
    };
    assert!(out.contains("BACKUP failed"), "{out}");
    assert!(out.contains("snapshot did not succeed"), "{out}");
}

#[test]
fn guard_a_repository_left_to_root_or_an_undeleted_snapshot_fails() {
    // Without the backup's `install -d`, the folder stays as Compose made it
    // (root's, 0755), which the image's user 1000:0 cannot write.
    let root_owned: String = backup_script()
        .lines()
        .filter(|l| !l.starts_with("install -d -o"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(root_owned, backup_script());
    let Some((_, out)) = scenario(&root_owned) else {
        return;
    };
    assert!(out.contains("BACKUP failed"), "{out}");
    assert!(out.contains("repository_verification_exception"), "{out}");
    let kept = backup_script().replace("api DELETE /futurestack '\\''200 404'\\''; ", "");
    assert_ne!(kept, backup_script());
    let Some((_, out)) = scenario(&kept) else {
        return;
    };
    assert!(
        out.contains("BACKUP ok") && out.contains("BACKUP2 failed"),
        "{out}"
    );
    assert!(out.contains("invalid_snapshot_name_exception"), "{out}");
}

#[test]
fn guard_a_plain_pg_dump_does_not_restore_with_pg_restore() {
    let broken = backup_script().replace("--format=custom", "--format=plain");
    assert_ne!(broken, backup_script());
    let Some((ok, out)) = scenario(&broken) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("PG restore failed"), "{out}");
}

#[test]
fn every_backup_script_passes_shellcheck_and_its_units_verify() {
    let Some(shellcheck) = tool_on_path("shellcheck") else {
        return;
    };
    let Some(analyze) = tool_on_path("systemd-analyze") else {
        return;
    };
    let mut checked = 0;
    for dir in support::golden_env_dirs() {
        let script = dir.join("backup/backup.sh");
        if !script.is_file() {
            continue;
        }
        let out = Command::new(&shellcheck)
            .args(["-s", "bash"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        let tmp = tempfile::tempdir().unwrap();
        for ext in ["service", "timer"] {
            std::fs::copy(
                dir.join(format!("backup/backup.{ext}")),
                tmp.path().join(format!("futurestack-x-backup.{ext}")),
            )
            .unwrap();
        }
        let timer = std::fs::read_to_string(tmp.path().join("futurestack-x-backup.timer")).unwrap();
        let fixed = timer
            .lines()
            .map(|l| {
                if l.starts_with("Unit=") {
                    "Unit=futurestack-x-backup.service"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(tmp.path().join("futurestack-x-backup.timer"), fixed).unwrap();
        let out = Command::new(&analyze)
            .args(["verify", "--man=no"])
            .arg(tmp.path().join("futurestack-x-backup.timer"))
            .arg(tmp.path().join("futurestack-x-backup.service"))
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
    // Guard: an hour that does not exist fails verification.
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo().join("golden/prod/backup");
    std::fs::copy(
        dir.join("backup.service"),
        tmp.path().join("futurestack-x-backup.service"),
    )
    .unwrap();
    let timer = std::fs::read_to_string(dir.join("backup.timer"))
        .unwrap()
        .replace("02:00:00", "25:00:00");
    std::fs::write(tmp.path().join("futurestack-x-backup.timer"), timer).unwrap();
    let out = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(tmp.path().join("futurestack-x-backup.timer"))
        .output()
        .unwrap();
    assert!(
        !out.status.success() || !out.stderr.is_empty(),
        "a bad calendar passed"
    );
}

#[test]
fn guard_a_mysql_dump_of_one_database_loses_the_others() {
    let broken = backup_script().replace("--all-databases", "--databases future_users");
    assert_ne!(broken, backup_script());
    let Some((ok, out)) = scenario(&broken) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(!out.contains("MYSQL ann,bo 5 "), "{out}");
}
