//! How each exporter reaches the database it watches: its address, the
//! account it logs in with and where that account's password comes from.

use super::{Service, kinds};
use crate::spec::ExporterFor;

pub(super) fn configure_exporter(exporter: &mut Service, which: ExporterFor, target: &Service) {
    let host = &target.address;
    let port = target.main_port().map(|p| p.container).unwrap_or(0);
    // The MySQL exporter logs in as the app user when there is one, else as root
    // with root's password (never root with the app user's password).
    let role = match which {
        ExporterFor::Mysql if !target.env.contains_key("MYSQL_USER") => Some("root_password"),
        _ => super::client_secret_role(target.engine),
    };
    let secret = role.and_then(|role| target.secret_roles.get(role)).cloned();
    let secret_file = secret.as_deref().map(kinds::secret_path);
    exporter.secrets = secret.into_iter().collect();
    // Exporters that take their password from the environment read it from the
    // secret file first, then replace the shell.
    let exec = |env: &str, binary: &str, args: String| -> Option<Vec<String>> {
        Some(vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            format!("{env}exec {binary} {args}"),
        ])
    };
    let secret_env = |var: &str| {
        secret_file
            .as_ref()
            .map(|f| format!("{var}=\"$(cat {f})\" "))
            .unwrap_or_default()
    };
    match which {
        ExporterFor::Nginx => {
            let status = target.port("status").map(|p| p.container).unwrap_or(8081);
            exporter.command = Some(vec![format!(
                "--nginx.scrape-uri=http://{host}:{status}/stub_status"
            )]);
        }
        ExporterFor::Mysql => {
            let user = target
                .env
                .get("MYSQL_USER")
                .cloned()
                .unwrap_or_else(|| "root".into());
            // The user name comes from the spec (or its `env`): one quoted word.
            let args = format!(
                "--mysqld.address={host}:{port} --mysqld.username={}",
                crate::shell::quote(&user)
            );
            exporter.entrypoint = exec(
                &secret_env("MYSQLD_EXPORTER_PASSWORD"),
                "/bin/mysqld_exporter",
                args,
            );
        }
        ExporterFor::Postgres => {
            let db = target
                .env
                .get("POSTGRES_DB")
                .cloned()
                .unwrap_or_else(|| "postgres".into());
            let user = target
                .env
                .get("POSTGRES_USER")
                .cloned()
                .unwrap_or_else(|| "postgres".into());
            exporter.env.insert(
                "DATA_SOURCE_URI".into(),
                format!("{host}:{port}/{db}?sslmode=disable"),
            );
            exporter.env.insert("DATA_SOURCE_USER".into(), user);
            if let Some(f) = secret_file {
                exporter.env.insert("DATA_SOURCE_PASS_FILE".into(), f);
            }
        }
        ExporterFor::Redis => {
            let args = format!("--redis.addr=redis://{host}:{port}");
            exporter.entrypoint = exec(&secret_env("REDIS_PASSWORD"), "/redis_exporter", args);
        }
        ExporterFor::Elasticsearch => {
            let args = format!("--es.uri=http://{host}:{port}");
            let env = if target.security && secret_file.is_some() {
                format!("ES_USERNAME=elastic {}", secret_env("ES_PASSWORD"))
            } else {
                String::new()
            };
            exporter.entrypoint = exec(&env, "/bin/elasticsearch_exporter", args);
        }
    }
}

/// Points `exporter` at the database's monitoring account (made by the
/// accounts job), with that account's secret only.
pub(super) fn use_monitor_account(
    exporter: &mut Service,
    which: ExporterFor,
    target: &Service,
    monitor: &str,
) {
    let file = kinds::secret_path(monitor);
    exporter.secrets = vec![monitor.to_owned()];
    match which {
        ExporterFor::Postgres => {
            exporter.env.insert(
                "DATA_SOURCE_USER".into(),
                super::accounts::MONITOR_USER.into(),
            );
            exporter.env.insert("DATA_SOURCE_PASS_FILE".into(), file);
        }
        ExporterFor::Mysql | ExporterFor::Elasticsearch => {
            let host = &target.address;
            let port = target.main_port().map(|p| p.container).unwrap_or(0);
            let user = super::accounts::MONITOR_USER;
            let script = if which == ExporterFor::Mysql {
                format!(
                    "MYSQLD_EXPORTER_PASSWORD=\"$(cat {file})\" exec /bin/mysqld_exporter --mysqld.address={host}:{port} --mysqld.username={user}"
                )
            } else {
                format!(
                    "ES_USERNAME={user} ES_PASSWORD=\"$(cat {file})\" exec /bin/elasticsearch_exporter --es.uri=http://{host}:{port}"
                )
            };
            exporter.entrypoint = Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script]);
        }
        ExporterFor::Nginx | ExporterFor::Redis => {}
    }
}
