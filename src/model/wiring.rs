//! How services find each other and what their containers are told: each
//! kind's own variables and command, the connection variables for what a
//! service uses, and unique names on external networks.

use std::collections::{BTreeMap, BTreeSet};

use super::{Service, client_secret_role, env_name, kinds};
use crate::spec::{ByteSize, Kind, Spec};

pub(super) fn default_managed_version(kind: Kind) -> &'static str {
    match kind {
        Kind::Mysql => "8.0",
        Kind::Postgres => "14.0",
        Kind::Redis => "7.0",
        Kind::Elasticsearch => "7.10_with_X-Pack",
        _ => "",
    }
}

/// Environment a kind sets for its own container.
pub(super) fn own_env(
    s: &crate::spec::Service,
    memory: ByteSize,
    heap: Option<ByteSize>,
    security: bool,
    secret: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    let file = |role: &str| secret(role).map(|name| kinds::secret_path(&name));
    match s.kind {
        Kind::Mysql => {
            if let Some(db) = &s.database {
                put("MYSQL_DATABASE", db.clone());
            }
            if let Some(user) = &s.user {
                put("MYSQL_USER", user.clone());
            }
            if let Some(f) = file("password") {
                put("MYSQL_PASSWORD_FILE", f);
            }
            if let Some(f) = file("root_password") {
                put("MYSQL_ROOT_PASSWORD_FILE", f);
            }
        }
        Kind::Postgres => {
            put(
                "POSTGRES_DB",
                s.database.clone().unwrap_or_else(|| "postgres".into()),
            );
            put(
                "POSTGRES_USER",
                s.user.clone().unwrap_or_else(|| "postgres".into()),
            );
            if let Some(f) = file("password") {
                put("POSTGRES_PASSWORD_FILE", f);
            }
        }
        Kind::Elasticsearch => {
            let heap = heap.unwrap_or(ByteSize::from_mib(memory.mib() / 2)).mib();
            put("discovery.type", "single-node".into());
            put("ES_JAVA_OPTS", format!("-Xms{heap}m -Xmx{heap}m"));
            put("xpack.security.enabled", security.to_string());
            if security {
                // Single node on an internal network: no TLS between nodes; HTTP TLS
                // belongs to the reverse proxy.
                put("xpack.security.http.ssl.enabled", "false".into());
                put("xpack.security.transport.ssl.enabled", "false".into());
                if let Some(f) = file("password") {
                    put("ELASTIC_PASSWORD_FILE", f);
                }
            }
        }
        Kind::Neo4j => {
            if let Some(f) = file("auth") {
                put("NEO4J_AUTH_FILE", f);
            }
        }
        Kind::Weaviate => {
            put("PERSISTENCE_DATA_PATH", "/var/lib/weaviate".into());
            put("DEFAULT_VECTORIZER_MODULE", "none".into());
            put("CLUSTER_HOSTNAME", "node1".into());
        }
        _ => {}
    }
    if s.kind == Kind::App {
        for (role, name) in &s.secrets {
            env.insert(format!("{}_FILE", env_name(role)), kinds::secret_path(name));
        }
    }
    env
}

/// The command a kind runs with, when the image default is not enough.
pub(super) fn own_command(
    kind: Kind,
    memory: ByteSize,
    slow_query_ms: Option<u32>,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    match kind {
        // The slow-query log, with the threshold from `logging`. MySQL writes it
        // to a file in its data directory (its user owns it: docker-library/mysql
        // 8.4 `Dockerfile.oracle` creates no /var/log/mysql); the error log stays
        // on stderr (the image's docker-specific server package sets no
        // `log-error`: mysql/mysql-docker 5b9e314, "the default behavior" since
        // 8.0; inferred, not read from the 8.4 package); PostgreSQL logs slow
        // statements with everything else to stderr (`logging_collector` is off
        // in docker-library/postgres). The first argument stays the server's
        // name, so each image's entrypoint still initialises and drops root.
        Kind::Mysql => slow_query_ms.map(|ms| {
            vec![
                "mysqld".to_owned(),
                "--slow-query-log=ON".to_owned(),
                format!(
                    "--slow-query-log-file={}",
                    super::logging::MYSQL_SLOW_LOG_FILE
                ),
                format!("--long-query-time={}.{:03}", ms / 1000, ms % 1000),
            ]
        }),
        Kind::Postgres => slow_query_ms.map(|ms| {
            vec![
                "postgres".to_owned(),
                "-c".to_owned(),
                format!("log_min_duration_statement={ms}"),
            ]
        }),
        Kind::Redis => {
            // Leave a quarter of the limit for Redis itself so it refuses writes
            // instead of being killed when full.
            let maxmemory = memory.mib() * 3 / 4;
            let base = format!(
                "redis-server --appendonly yes --maxmemory {maxmemory}mb --maxmemory-policy noeviction"
            );
            // The password is read by a shell, which then hands `redis-server` back
            // to the image's entrypoint: only with `redis-server` as its first
            // argument does it drop from root to the `redis` user (docker-library/redis
            // 7.x `docker-entrypoint.sh`: `if [ "$1" = 'redis-server' -a "$(id -u)" = '0' ]
            // ... exec gosu redis`); `sh -c "exec redis-server ..."` alone runs as root.
            Some(match secret("password") {
                Some(name) => vec![
                    "sh".into(),
                    "-c".into(),
                    format!(
                        "exec docker-entrypoint.sh {base} --requirepass \"$(cat {})\"",
                        kinds::secret_path(&name)
                    ),
                ],
                None => base.split(' ').map(str::to_owned).collect(),
            })
        }
        _ => None,
    }
}

/// A service of the stack on an external network shares that network's DNS with
/// the host's other stacks: its bare name may be theirs too, and Docker then
/// answers with both containers. It gets the alias `<project>-<name>` on every
/// network it joins, and everything in the stack reaches it by that name.
pub(super) fn unique_names_on_external_networks(
    spec: &Spec,
    project: &str,
    services: &mut [Service],
) {
    let external: BTreeSet<&str> = spec
        .networks
        .iter()
        .filter(|(_, n)| n.external.is_some())
        .map(|(k, _)| k.as_str())
        .collect();
    let mut renamed: BTreeMap<String, Service> = BTreeMap::new();
    for service in services.iter_mut().filter(|s| !s.external) {
        if service
            .networks
            .iter()
            .any(|n| external.contains(n.as_str()))
        {
            let before = service.clone();
            service.address = format!("{project}-{}", service.name);
            service.compose_name = service.address.clone();
            renamed.insert(service.name.clone(), before);
        }
    }
    if renamed.is_empty() {
        return;
    }
    let now: BTreeMap<String, Service> = services
        .iter()
        .filter(|s| renamed.contains_key(&s.name))
        .map(|s| (s.name.clone(), s.clone()))
        .collect();
    // Connection variables made with the bare name follow (the spec's own `env` stays).
    for service in services.iter_mut() {
        for used in service.uses.clone() {
            let (Some(before), Some(after)) = (renamed.get(&used), now.get(&used)) else {
                continue;
            };
            for ((key, old), (_, new)) in connection_env(before, &service.name)
                .into_iter()
                .zip(connection_env(after, &service.name))
            {
                if service.env.get(&key) == Some(&old) {
                    service.env.insert(key, new);
                }
            }
        }
    }
}

/// The secret `client` logs in to `used` with: its own account's, else the
/// one the kind's clients share.
pub fn client_secret(used: &Service, client: &str) -> Option<String> {
    match super::accounts::of(used, client) {
        Some(account) => Some(account.password.clone()),
        None => client_secret_role(used.engine)
            .and_then(|role| used.secret_roles.get(role))
            .cloned(),
    }
}

/// Environment variables `client` gets for connecting to `used`: with its own
/// account on a database, that account's user, database (or index patterns)
/// and password file.
pub fn connection_env(used: &Service, client: &str) -> Vec<(String, String)> {
    let host = used.address.clone();
    let port = used.main_port().map(|p| p.container).unwrap_or(0);
    let secret_file = client_secret_role(used.engine)
        .and_then(|role| used.secret_roles.get(role))
        .map(|s| kinds::secret_path(s));
    let account = super::accounts::of(used, client);
    // (user, database, password file) of the account, else of the image's user.
    let login = |user: &str, db: &str, file: &str| -> [Option<String>; 3] {
        match account {
            Some(a) => [
                Some(a.user.clone()),
                a.database.clone(),
                Some(kinds::secret_path(&a.password)),
            ],
            None => [user, db, file].map(|k| used.env.get(k).cloned()),
        }
    };
    let mut out = Vec::new();
    let mut put = |k: String, v: String| out.push((k, v));
    match used.engine {
        Kind::Mysql => {
            put("MYSQL_HOST".into(), host);
            put("MYSQL_PORT".into(), port.to_string());
            let [user, db, file] = login("MYSQL_USER", "MYSQL_DATABASE", "MYSQL_PASSWORD_FILE");
            if let Some(db) = db {
                put("MYSQL_DATABASE".into(), db);
            }
            if let Some(user) = user {
                put("MYSQL_USER".into(), user);
            }
            if let Some(f) = file {
                put("MYSQL_PASSWORD_FILE".into(), f);
            }
        }
        Kind::Postgres => {
            put("POSTGRES_HOST".into(), host);
            put("POSTGRES_PORT".into(), port.to_string());
            let [user, db, file] = login("POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD_FILE");
            if let Some(db) = db {
                put("POSTGRES_DB".into(), db);
            }
            if let Some(user) = user {
                put("POSTGRES_USER".into(), user);
            }
            if let Some(f) = file {
                put("POSTGRES_PASSWORD_FILE".into(), f);
            }
        }
        Kind::Redis => {
            put("REDIS_HOST".into(), host);
            put("REDIS_PORT".into(), port.to_string());
            if let Some(f) = secret_file {
                put("REDIS_PASSWORD_FILE".into(), f);
            }
        }
        Kind::Elasticsearch => {
            put("ELASTICSEARCH_URL".into(), format!("http://{host}:{port}"));
            match account {
                Some(a) => {
                    put("ELASTICSEARCH_USERNAME".into(), a.user.clone());
                    put(
                        "ELASTICSEARCH_PASSWORD_FILE".into(),
                        kinds::secret_path(&a.password),
                    );
                    put("ELASTICSEARCH_INDICES".into(), a.indices.join(","));
                }
                None if used.security => {
                    put("ELASTICSEARCH_USERNAME".into(), "elastic".into());
                    if let Some(f) = used.env.get("ELASTIC_PASSWORD_FILE") {
                        put("ELASTICSEARCH_PASSWORD_FILE".into(), f.clone());
                    }
                }
                None => {}
            }
        }
        Kind::Neo4j => {
            let bolt = used.port("bolt").map(|p| p.container).unwrap_or(port);
            put("NEO4J_URI".into(), format!("bolt://{host}:{bolt}"));
            if let Some(f) = secret_file {
                put("NEO4J_AUTH_FILE".into(), f);
            }
        }
        Kind::Weaviate => {
            put("WEAVIATE_URL".into(), format!("http://{host}:{port}"));
            if let Some(f) = secret_file {
                put("WEAVIATE_API_KEY_FILE".into(), f);
            }
        }
        Kind::App
        | Kind::Prometheus
        | Kind::Alertmanager
        | Kind::Grafana
        | Kind::NodeExporter
        | Kind::BlackboxExporter
        | Kind::DingtalkBridge
        | Kind::DingtalkConfig
        | Kind::WecomBridge
        | Kind::DatabaseAccounts
        | Kind::Nginx
        | Kind::Exporter(_) => put(
            format!("{}_URL", env_name(&used.name)),
            format!("http://{host}:{port}"),
        ),
        Kind::External => {
            let prefix = env_name(&used.name);
            put(format!("{prefix}_HOST"), host);
            put(format!("{prefix}_PORT"), port.to_string());
        }
    }
    out
}
