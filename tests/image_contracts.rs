//! Every generated service satisfies what its image expects. The rules are read
//! from the images' own sources (cited per rule) and checked on Docker
//! Compose's resolved model (`docker-compose config --format json`), not on
//! futurestack's templates or tables; a guard mutates a resolved model and
//! expects each rule to object.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value as J;
use support::{docker_compose, env_from_example, golden_env_dirs, in_ci};

/// The compose file as Compose resolves it.
fn resolved(dir: &Path) -> Option<J> {
    let Some(compose) = docker_compose() else {
        assert!(
            !in_ci(),
            "docker-compose is missing and CI=true: run ./scripts/test"
        );
        eprintln!("SKIPPED: docker-compose missing; run ./scripts/test");
        return None;
    };
    let out = Command::new(compose)
        .arg("--project-directory")
        .arg(dir)
        .args(["config", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env_from_example(dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn image_is(service: &J, repository: &str) -> bool {
    service["image"]
        .as_str()
        .and_then(|i| i.split_once(':'))
        .is_some_and(|(repo, _)| repo == repository)
}

fn strings(v: &J) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .collect()
}

/// What each service does that its image would not survive.
fn problems(compose: &J) -> Vec<String> {
    let mut out = Vec::new();
    for (name, service) in compose["services"].as_object().unwrap() {
        let secrets = service["secrets"].as_array().cloned().unwrap_or_default();
        // Compose's default mode has changed between releases (0400, 0444,
        // 0440): a contract must not depend on which one runs.
        for secret in &secrets {
            if secret["mode"].is_null() {
                out.push(format!(
                    "{name}: secret `{}` has no explicit mode",
                    secret["source"]
                ));
            }
        }
        // elastic/elasticsearch `distribution/src/bin/elasticsearch-env-from-file`:
        // the file must have mode 400 or 600, and is then read by the image's
        // user, 1000:0 (elastic/dockerfiles v8.19.10 `elasticsearch/Dockerfile`).
        if image_is(service, "elasticsearch") {
            if let Some(path) = service["environment"]["ELASTIC_PASSWORD_FILE"].as_str() {
                let secret = secrets.iter().find(|s| s["target"] == path);
                match secret {
                    None => out.push(format!(
                        "{name}: ELASTIC_PASSWORD_FILE `{path}` is no secret"
                    )),
                    Some(s) => {
                        let mode = s["mode"].as_str().unwrap_or_default();
                        if !matches!(mode, "0400" | "0600") || s["uid"] != "1000" {
                            out.push(format!(
                                "{name}: Elasticsearch reads `{path}` as uid 1000 and needs mode 400 or 600 (has mode {mode}, uid {})",
                                s["uid"]
                            ));
                        }
                    }
                }
            }
        }
        // prometheus/mysqld_exporter: it logs in as `--mysqld.username` with the
        // password in MYSQLD_EXPORTER_PASSWORD; the MySQL image creates
        // MYSQL_USER with MYSQL_PASSWORD, and root with MYSQL_ROOT_PASSWORD
        // (docker-library/mysql `docker-entrypoint.sh`).
        if image_is(service, "prom/mysqld-exporter") {
            out.extend(mysql_exporter_login(name, service, compose));
        }
        // docker-library/redis 7.x `docker-entrypoint.sh`: only a first argument of
        // `redis-server` (or one starting with `-`) makes it drop to the `redis`
        // user; any other command runs as root.
        if image_is(service, "redis") && service["entrypoint"].is_null() {
            let command = strings(&service["command"]);
            let keeps = match command.as_slice() {
                [] => true,
                [first, ..] if *first == "redis-server" || first.starts_with('-') => true,
                ["sh", "-c", script] => {
                    script.starts_with("exec docker-entrypoint.sh redis-server ")
                }
                _ => false,
            };
            if !keeps {
                out.push(format!(
                    "{name}: redis runs as root: its command bypasses the entrypoint's drop to `redis`"
                ));
            }
        }
    }
    out
}

/// The exporter's user and password file must be a pair the MySQL image created.
fn mysql_exporter_login(name: &str, exporter: &J, compose: &J) -> Vec<String> {
    let script = strings(&exporter["entrypoint"]).join(" ");
    let after = |key: &str| {
        script.split_once(key).map(|(_, rest)| {
            rest.trim_start_matches('\'')
                .split(|c: char| c == ' ' || c == ')' || c == '"' || c == '\'')
                .next()
                .unwrap_or("")
                .to_owned()
        })
    };
    let (Some(user), Some(file)) = (after("--mysqld.username="), after("$(cat ")) else {
        return vec![format!("{name}: no user or password file in {script:?}")];
    };
    let address = after("--mysqld.address=").unwrap_or_default();
    let host = address.split(':').next().unwrap_or_default();
    let mysql = &support::compose_service(compose, host).unwrap_or(&J::Null)["environment"];
    // The monitoring account: made by the accounts job from the same secret.
    if user == "futurestack_monitor" {
        let job = strings(&compose["services"][format!("{host}-accounts")]["command"])
            .join(" ")
            .replace("$$", "$");
        let made = job.contains(&format!("m=$(cat {file})"))
            && job.contains("CREATE USER IF NOT EXISTS 'futurestack_monitor'");
        return if made {
            Vec::new()
        } else {
            vec![format!(
                "{name}: logs in as `futurestack_monitor`, which no accounts job makes with `{file}`"
            )]
        };
    }
    let (want_user, want_file) = match mysql["MYSQL_USER"].as_str() {
        Some(u) if user != "root" => (u, mysql["MYSQL_PASSWORD_FILE"].as_str()),
        _ => ("root", mysql["MYSQL_ROOT_PASSWORD_FILE"].as_str()),
    };
    if user != want_user || Some(file.as_str()) != want_file {
        vec![format!(
            "{name}: logs in as `{user}` with `{file}`, but `{host}` gives `{want_user}` the password in {want_file:?}"
        )]
    } else {
        Vec::new()
    }
}

#[test]
fn every_generated_service_satisfies_its_image_contract() {
    let dirs: Vec<_> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("docker-compose.yml").is_file())
        .collect();
    assert!(dirs.len() >= 6, "{dirs:?}");
    let mut elasticsearch = 0;
    let mut redis = 0;
    for dir in dirs {
        let Some(compose) = resolved(&dir) else {
            return;
        };
        let found = problems(&compose);
        assert!(found.is_empty(), "{}:\n{}", dir.display(), found.join("\n"));
        for service in compose["services"].as_object().unwrap().values() {
            elasticsearch += usize::from(image_is(service, "elasticsearch"));
            redis += usize::from(image_is(service, "redis"));
        }
    }
    assert!(elasticsearch >= 3 && redis >= 3, "{elasticsearch} {redis}");
}

/// A MySQL without an app user: the exporter must log in as root with root's password.
#[test]
fn the_mysql_exporter_uses_root_with_roots_password_when_there_is_no_app_user() {
    let spec = r#"
stack: mini
host:
  provider: alicloud
  region: cn-hangzhou
  instance_type: ecs.c7.xlarge
  vcpus: 4
  memory: 8GiB
  disk: 40GiB
  bootstrap: {bundle_url: https://example.com/mini.tar.gz}
networks:
  data: {default_for: [data, apps]}
secrets:
  root: {env: MINI_ROOT}
  app: {env: MINI_APP}
  grafana: {env: MINI_GRAFANA}
monitoring: {mode: own, grafana: {admin_password: grafana}}
services:
  mysql:
    kind: mysql
    secrets: {root_password: root, password: app}
"#;
    let dir = support::render_spec("mini", spec);
    let Some(compose) = resolved(dir.path()) else {
        return;
    };
    let exporter = &compose["services"]["mysql-exporter"];
    assert!(
        strings(&exporter["entrypoint"])
            .join(" ")
            .contains("--mysqld.username='root'")
    );
    assert_eq!(
        mysql_exporter_login("mysql-exporter", exporter, &compose),
        Vec::<String>::new()
    );
    // Guard: root with the app user's password is what the rule exists for.
    let mut wrong = compose.clone();
    let script = strings(&exporter["entrypoint"])
        .join(" ")
        .replace("/run/secrets/root", "/run/secrets/app");
    wrong["services"]["mysql-exporter"]["entrypoint"] =
        serde_json::json!(["/bin/sh", "-c", script]);
    assert_eq!(
        mysql_exporter_login(
            "mysql-exporter",
            &wrong["services"]["mysql-exporter"],
            &wrong
        )
        .len(),
        1
    );
}

#[test]
fn guard_each_contract_rule_objects_to_a_broken_service() {
    let Some(mut compose) = resolved(&support::repo().join("golden/prod")) else {
        return;
    };
    assert!(problems(&compose).is_empty());
    let services = compose["services"].as_object_mut().unwrap();
    services["elasticsearch"]["secrets"][0]["mode"] = J::from("0444");
    services["redis"]["command"] =
        serde_json::json!(["sh", "-c", "exec redis-server --appendonly yes"]);
    // On the shared network, so keyed `<project>-<name>`.
    services["future-prod-ai-nlp"]["secrets"][0]
        .as_object_mut()
        .unwrap()
        .remove("mode");
    let found = problems(&compose);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("future-prod-ai-nlp: secret")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.contains("Elasticsearch reads")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.contains("redis runs as root")),
        "{found:#?}"
    );
}

/// The DingTalk config writer's command, as Compose resolves it, run with the
/// system's `sh` in a private mount namespace: (success, config file, output).
fn write_dingtalk_config(compose: &J, token: &str, sign: &str) -> (bool, String, String) {
    let service = &compose["services"]["dingtalk-config"];
    let command = strings(&service["command"]);
    assert_eq!(&command[..2], ["sh", "-c"], "{command:?}");
    let tmp = tempfile::tempdir().unwrap();
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    for secret in service["secrets"].as_array().unwrap() {
        let name = secret["source"].as_str().unwrap();
        let value = if name.contains("sign") { sign } else { token };
        std::fs::write(secrets.join(name), value).unwrap();
    }
    let config = tmp.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    // The container's /run/secrets and /config, on throw-away mounts.
    let script = format!(
        "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/secrets; cp \"$SECRETS\"/* /run/secrets/; \
         mount -t tmpfs tmpfs /mnt; mkdir /mnt/config; \
         sh -c {} && stat -c 'MODE %a %u' /mnt/config/config.yml && cat /mnt/config/config.yml > \"$CONFIG/config.yml\"",
        // `config` prints `$$` as written; Compose hands the container `$`.
        futurestack::shell::quote(
            &command[2]
                .replace("$$", "$")
                .replace("/config/", "/mnt/config/")
        )
    );
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env("SECRETS", &secrets)
        .env("CONFIG", &config)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(config.join("config.yml")).unwrap_or_default();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, log)
}

#[test]
fn the_dingtalk_bridge_config_is_written_from_the_secrets_and_refuses_odd_ones() {
    let Some(compose) = resolved(&support::repo().join("golden/prod")) else {
        return;
    };
    if !support::tool_on_path("unshare").is_some() {
        return;
    }
    let (ok, config, log) = write_dingtalk_config(&compose, "0123abcdef", "SEC0a1b2c");
    assert!(ok, "{log}");
    // Readable by the bridge's user only (nobody, 65534).
    assert!(log.contains("MODE 600 65534"), "{log}");
    let parsed: J = serde_saphyr::from_str(&config).unwrap();
    let target = &parsed["targets"]["oncall"];
    assert_eq!(
        target["url"], "https://oapi.dingtalk.com/robot/send?access_token=0123abcdef",
        "{config}"
    );
    assert_eq!(target["secret"], "SEC0a1b2c", "{config}");
    // The bridge reaches it under the name Alertmanager posts to.
    let am =
        std::fs::read_to_string(support::repo().join("golden/prod/alertmanager/alertmanager.yml"))
            .unwrap();
    assert!(am.contains("url: http://dingtalk-bridge:8060/dingtalk/oncall/send"));
    // Guard: a value that would change the YAML stops the writer; no file.
    for odd in ["abc\nurl: https://evil.example", "abc def", "abc#x", ""] {
        let (ok, config, log) = write_dingtalk_config(&compose, odd, "SEC0a1b2c");
        assert!(!ok && config.is_empty(), "{odd:?}: {log}");
        assert!(log.contains("must be letters, digits"), "{log}");
    }
}

/// The kind a compose service's image belongs to (by repository); apps otherwise.
fn kind_of(name: &str, service: &J) -> futurestack::spec::Kind {
    use futurestack::spec::{ExporterFor, Kind};
    // The accounts job runs the database's own image.
    if name.ends_with("-accounts") {
        return Kind::DatabaseAccounts;
    }
    let repo = |i: &str| {
        i.split_once(':')
            .map_or(i.to_owned(), |(r, _)| r.to_owned())
    };
    let image = repo(service["image"].as_str().unwrap_or_default());
    let kinds = [
        Kind::Mysql,
        Kind::Postgres,
        Kind::Redis,
        Kind::Elasticsearch,
        Kind::Neo4j,
        Kind::Weaviate,
        Kind::Prometheus,
        Kind::Alertmanager,
        Kind::Grafana,
        Kind::NodeExporter,
        Kind::BlackboxExporter,
        Kind::Nginx,
        Kind::DingtalkBridge,
        Kind::DingtalkConfig,
        Kind::WecomBridge,
        Kind::Exporter(ExporterFor::Nginx),
        Kind::Exporter(ExporterFor::Mysql),
        Kind::Exporter(ExporterFor::Postgres),
        Kind::Exporter(ExporterFor::Redis),
        Kind::Exporter(ExporterFor::Elasticsearch),
    ];
    kinds
        .into_iter()
        .find(|k| {
            futurestack::model::kinds::info(*k)
                .default_image
                .is_some_and(|i| repo(i) == image)
        })
        .unwrap_or(Kind::App)
}

/// The programs a health check runs: the command of each pipeline stage of a
/// `CMD-SHELL` check (after variable assignments), or a `CMD` check's program.
fn health_programs(test: &[&str]) -> Vec<String> {
    match test {
        ["CMD-SHELL", script] => {
            // Command substitutions and quoted strings are arguments, not programs.
            let mut plain = String::new();
            let mut depth = 0;
            let mut quoted = false;
            let mut chars = script.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '$' if chars.peek() == Some(&'(') => {
                        chars.next();
                        depth += 1;
                    }
                    ')' if depth > 0 => depth -= 1,
                    '"' if depth == 0 => quoted = !quoted,
                    '\'' if depth == 0 && !quoted => {
                        for d in chars.by_ref() {
                            if d == '\'' {
                                break;
                            }
                        }
                        plain.push('x');
                    }
                    _ if depth > 0 || quoted => {}
                    _ => plain.push(c),
                }
            }
            let mut programs = vec!["sh".to_owned()];
            for stage in plain.split(['|', ';', '&']) {
                let program = stage
                    .split_whitespace()
                    .find(|w| !w.contains('='))
                    .unwrap_or_default();
                if !program.is_empty() && !["exit", "test", "[", "true"].contains(&program) {
                    programs.push(program.to_owned());
                }
            }
            programs
        }
        ["CMD", program, ..] => vec![program.rsplit('/').next().unwrap_or(program).to_owned()],
        _ => Vec::new(),
    }
}

fn health_problems(compose: &J) -> Vec<String> {
    let mut out = Vec::new();
    for (name, service) in compose["services"].as_object().unwrap() {
        let test = strings(&service["healthcheck"]["test"]);
        if test.is_empty() {
            continue;
        }
        let kind = kind_of(name, service);
        // An app's own check command names what its own image has.
        if kind == futurestack::spec::Kind::App && test.first() == Some(&"CMD") {
            continue;
        }
        let tools = futurestack::model::contracts::contract(kind)
            .health_tools
            .unwrap_or(&[]);
        for program in health_programs(&test) {
            if !tools.contains(&program.as_str()) {
                out.push(format!(
                    "{name}: its health check runs `{program}`, which the {} image does not have",
                    kind.as_str()
                ));
            }
        }
    }
    out
}

#[test]
fn every_health_check_uses_only_what_its_image_has() {
    let dirs: Vec<_> = support::golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("docker-compose.yml").is_file())
        .collect();
    let mut checked = 0;
    for dir in dirs {
        let Some(compose) = resolved(&dir) else {
            return;
        };
        let found = health_problems(&compose);
        assert!(found.is_empty(), "{}:\n{}", dir.display(), found.join("\n"));
        checked += compose["services"]
            .as_object()
            .unwrap()
            .values()
            .filter(|s| !s["healthcheck"]["test"].is_null())
            .count();
    }
    assert!(checked >= 60, "only {checked} health checks");
    assert_eq!(
        health_programs(&[
            "CMD-SHELL",
            "REDISCLI_AUTH=\"$(cat /run/secrets/r)\" redis-cli -p 6379 ping | grep -q PONG"
        ]),
        ["sh", "redis-cli", "grep"]
    );
}

#[test]
fn guard_a_health_check_with_a_missing_program_is_caught() {
    let Some(mut compose) = resolved(&support::repo().join("golden/prod")) else {
        return;
    };
    assert!(health_problems(&compose).is_empty());
    compose["services"]["grafana"]["healthcheck"]["test"] =
        serde_json::json!(["CMD-SHELL", "curl -fsS http://127.0.0.1:3000/api/health"]);
    let found = health_problems(&compose);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("grafana: its health check runs `curl`"),
        "{found:?}"
    );
}

/// Where a resolved service departs from its kind's row of the contract table
/// (`model::contracts`): secret files' owner and mode, the user it runs as, the
/// image's entrypoint kept in front, the data volume's path.
fn table_problems(compose: &J) -> Vec<String> {
    use futurestack::model::contracts::{User, confinement, contract};
    use futurestack::spec::Kind;
    let mut out = Vec::new();
    for (name, service) in compose["services"].as_object().unwrap() {
        let kind = kind_of(name, service);
        if matches!(kind, Kind::App | Kind::External) {
            continue;
        }
        let c = contract(kind);
        for secret in service["secrets"].as_array().into_iter().flatten() {
            let mode = format!("{:04o}", c.secret_file.mode);
            let uid = c.secret_file.uid.map(|u| u.to_string());
            if secret["mode"].as_str() != Some(mode.as_str())
                || secret["uid"].as_str() != uid.as_deref()
            {
                out.push(format!(
                    "{name}: secret {} is not mode {mode}, uid {uid:?}",
                    secret["source"]
                ));
            }
        }
        // The user: futurestack's own choice, or the image's non-root user made
        // explicit; an image whose entrypoint drops root itself gets none.
        let explicit = match c.user {
            User::Set(user) => Some(user),
            _ => confinement(kind).user,
        };
        match explicit {
            Some(user) if service["user"] != user => {
                out.push(format!(
                    "{name}: runs as {} instead of {user}",
                    service["user"]
                ));
            }
            None if !service["user"].is_null() => {
                out.push(format!(
                    "{name}: overrides the image's user with {}",
                    service["user"]
                ));
            }
            _ => {}
        }
        // Least privilege: no new privileges, every capability dropped but the
        // row's, the row's read-only root and process limit.
        let row = confinement(kind);
        let opts = strings(&service["security_opt"]);
        let dropped = strings(&service["cap_drop"]);
        let mut added = strings(&service["cap_add"]);
        added.sort_unstable();
        let mut want: Vec<&str> = row.cap_add.to_vec();
        want.sort_unstable();
        if !opts.contains(&"no-new-privileges:true") || dropped != ["ALL"] || added != want {
            out.push(format!("{name}: not confined as its row says (security_opt {opts:?}, cap_drop {dropped:?}, cap_add {added:?})"));
        }
        if service["read_only"].as_bool().unwrap_or(false) != row.read_only {
            out.push(format!("{name}: read_only is not {}", row.read_only));
        }
        let pids = service["deploy"]["resources"]["limits"]["pids"].as_u64();
        if pids != Some(u64::from(row.pids)) {
            out.push(format!("{name}: process limit {pids:?}, not {}", row.pids));
        }
        if let Some(entrypoint) = c.entrypoint {
            let program = entrypoint.rsplit('/').next().unwrap_or(entrypoint);
            let command = strings(&service["command"]);
            let kept = service["entrypoint"].is_null()
                && match command.as_slice() {
                    ["sh", "-c", script] => script.starts_with(&format!("exec {program} ")),
                    _ => true,
                };
            if !kept {
                out.push(format!(
                    "{name}: bypasses the image's entrypoint `{entrypoint}`"
                ));
            }
        }
        if let Some(data) = c.data {
            let volumes: Vec<&J> = service["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|v| v["type"] == "volume")
                .collect();
            if !volumes.is_empty() && !volumes.iter().any(|v| v["target"] == data) {
                out.push(format!(
                    "{name}: keeps no volume at `{data}`, where the image keeps its data"
                ));
            }
        }
    }
    out
}

#[test]
fn every_generated_service_keeps_its_row_of_the_contract_table() {
    let dirs: Vec<_> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("docker-compose.yml").is_file())
        .collect();
    let mut checked = 0;
    let mut guard = None;
    for dir in dirs {
        let Some(compose) = resolved(&dir) else {
            return;
        };
        let found = table_problems(&compose);
        assert!(found.is_empty(), "{}:\n{}", dir.display(), found.join("\n"));
        checked += compose["services"].as_object().unwrap().len();
        if compose["services"]["wecom-bridge"].is_object() {
            guard = Some(compose);
        }
    }
    assert!(checked >= 80, "only {checked} services");
    // Guard: each part of the row objects to a service that breaks it.
    let mut broken = guard.expect("a golden case with the WeCom bridge");
    let services = broken["services"].as_object_mut().unwrap();
    services["wecom-bridge"]
        .as_object_mut()
        .unwrap()
        .remove("user");
    services["wecom-bridge"]["secrets"][0]["mode"] = J::from("0444");
    services["redis"]["entrypoint"] = serde_json::json!(["redis-server"]);
    services["mysql"]["volumes"][0]["target"] = J::from("/srv/mysql");
    services["mysql"]
        .as_object_mut()
        .unwrap()
        .remove("security_opt");
    services["alertmanager"]["read_only"] = J::Bool(false);
    services["alertmanager"]["deploy"]["resources"]["limits"]
        .as_object_mut()
        .unwrap()
        .remove("pids");
    let found = table_problems(&broken);
    for expected in [
        "wecom-bridge: runs as null instead of 65534:65534",
        "wecom-bridge: secret \"wecom-robot-key\" is not mode 0400",
        "redis: bypasses the image's entrypoint",
        "mysql: keeps no volume at `/var/lib/mysql`",
        "mysql: not confined as its row says",
        "alertmanager: read_only is not true",
        "alertmanager: process limit None, not 256",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected}: {found:#?}"
        );
    }
}

#[test]
fn guard_a_monitoring_login_no_job_makes_is_reported() {
    let Some(mut compose) = resolved(&support::repo().join("golden/prod")) else {
        return;
    };
    let exporter = compose["services"]["mysql-exporter"].clone();
    assert!(mysql_exporter_login("mysql-exporter", &exporter, &compose).is_empty());
    compose["services"]["mysql-accounts"]["command"] = serde_json::json!(["sh", "-c", "true"]);
    let found = mysql_exporter_login("mysql-exporter", &exporter, &compose);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("which no accounts job makes"),
        "{found:?}"
    );
}
