//! The image contracts: for each kind, what its pinned image expects of the
//! container futurestack generates. One row per kind, each with its source:
//! how the image reads a secret file (owner, mode), which user it runs as and
//! whether its entrypoint must stay in front of the command, which programs a
//! health check may use, and where its data lives. The compose target and the
//! health checks read it; `tests/image_contracts.rs` holds every generated
//! service to it on Compose's resolved model.

use super::kinds;
use crate::spec::{ExporterFor, Kind};

/// Owner and mode of the secret files Compose writes into a kind's container
/// (the long syntax's `uid`, `gid`, `mode`; Compose copies an `environment:`
/// secret in as a file with them, docker/compose `pkg/compose/secrets.go`,
/// v2.6.1 to v2.40.3). Always explicit: Compose's default mode was 0400 up to
/// 2.19, 0444 from 2.20, 0440 in 2.34 and 0444 again from 2.35.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretFile {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
}

/// Readable by whoever the image runs as: for images that run as a fixed
/// non-root user or drop to one, with nothing else in the container.
const SHARED: SecretFile = SecretFile {
    uid: None,
    gid: None,
    mode: 0o444,
};

/// Who the container's process runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    /// The image decides (its `USER`, or its entrypoint drops root to this
    /// user): the generated service sets no `user:`.
    Image(&'static str),
    /// futurestack sets `user:` to this `uid:gid` (the image would run as root).
    Set(&'static str),
    /// The spec's own image (apps): unknown.
    Unknown,
}

/// What one kind's pinned image expects.
#[derive(Debug, Clone, Copy)]
pub struct ImageContract {
    pub secret_file: SecretFile,
    pub user: User,
    /// The image's entrypoint, when it must stay in front of the command
    /// (it drops root or reads `*_FILE` variables): the generated service keeps
    /// the image's entrypoint, and a shell wrapper `exec`s it.
    pub entrypoint: Option<&'static str>,
    /// Programs a health check may run (`None`: no shell at all).
    pub health_tools: Option<&'static [&'static str]>,
    /// Where the image keeps its data (the `data` volume's mount).
    pub data: Option<&'static str>,
    /// Where these facts come from, for the pinned tag.
    pub source: &'static str,
}

const BUSYBOX: &[&str] = &["sh", "wget", "grep"];

/// The contract of `kind`'s pinned image.
pub fn contract(kind: Kind) -> ImageContract {
    let data = kinds::info(kind).data_mount;
    let row = |secret_file, user, entrypoint, health_tools, source| ImageContract {
        secret_file,
        user,
        entrypoint,
        health_tools,
        data,
        source,
    };
    match kind {
        Kind::App => row(
            SHARED,
            User::Unknown,
            None,
            Some(&["sh", "python", "curl", "wget"]),
            "the Future apps are Python images (the plan); a spec names another tool or its own check command",
        ),
        Kind::Mysql => row(
            SHARED,
            User::Image("mysql (999), after docker-entrypoint.sh drops root with gosu"),
            Some("docker-entrypoint.sh"),
            Some(&["sh", "mysqladmin"]),
            "docker-library/mysql 7f30fdb (2026-06-16) `8.4/Dockerfile.oracle` and `8.4/docker-entrypoint.sh` (oraclelinux:9-slim; file_env reads *_FILE before and after `exec gosu mysql`; mysqladmin ships with the server)",
        ),
        Kind::Postgres => row(
            SHARED,
            User::Image("postgres (999), after docker-entrypoint.sh drops root with gosu"),
            Some("docker-entrypoint.sh"),
            Some(&["sh", "pg_isready"]),
            "docker-library/postgres 6edb0a8c4d (2026-02-26) `17/bookworm/Dockerfile` (PGDATA /var/lib/postgresql/data, gosu) and `docker-entrypoint.sh` (file_env reads *_FILE as root and again as postgres); pg_isready ships with the server",
        ),
        Kind::Redis => row(
            SHARED,
            User::Image("redis (999), after docker-entrypoint.sh drops root for `redis-server`"),
            Some("docker-entrypoint.sh"),
            Some(&["sh", "redis-cli", "grep"]),
            "redis/docker-library-redis 7.4 alpine `docker-entrypoint.sh` (drops to redis only when the first argument is redis-server or starts with -); Alpine BusyBox; 7.4.6 from docker-library/official-images#20011",
        ),
        // Elasticsearch's `ELASTIC_PASSWORD_FILE` loader refuses a file whose mode
        // is not 400 or 600, then reads it as the image's user 1000:0.
        Kind::Elasticsearch => row(
            SecretFile {
                uid: Some(1000),
                gid: Some(0),
                mode: 0o400,
            },
            User::Image("elasticsearch (1000:0), the image's USER"),
            Some("/bin/tini -- /usr/local/bin/docker-entrypoint.sh"),
            Some(&["sh", "curl"]),
            "elastic/dockerfiles v8.19.10 `elasticsearch/Dockerfile` (USER 1000:0, curl installed, ENTRYPOINT tini and docker-entrypoint.sh); elastic/elasticsearch `distribution/src/bin/elasticsearch-env-from-file` (mode 400 or 600)",
        ),
        Kind::Neo4j => row(
            SHARED,
            User::Image("neo4j (7474), after docker-entrypoint.sh"),
            Some("tini -g -- /startup/docker-entrypoint.sh"),
            Some(&["sh", "wget"]),
            "neo4j/docker-neo4j 5.26 (wget, not curl: neo4j/docker-neo4j#114; user and entrypoint not checked against a mirror here)",
        ),
        Kind::Weaviate => row(
            SHARED,
            User::Image("root, the image's default"),
            None,
            Some(BUSYBOX),
            "semitechnologies/weaviate 1.27 (Alpine base: BusyBox wget; not checked against a mirror here)",
        ),
        Kind::External => row(SHARED, User::Unknown, None, None, "not run by this stack"),
        Kind::Prometheus | Kind::Alertmanager | Kind::NodeExporter | Kind::BlackboxExporter => row(
            SHARED,
            User::Image("nobody (65534), the image's USER"),
            None,
            Some(BUSYBOX),
            "prometheus/{prometheus,alertmanager,node_exporter,blackbox_exporter} `Dockerfile` (FROM quay.io/prometheus/busybox, USER nobody; prometheus checked at v3.13.2)",
        ),
        Kind::Exporter(ExporterFor::Nginx) => row(
            SHARED,
            User::Image("nobody (65534), the image's USER"),
            None,
            None,
            "nginx/nginx-prometheus-exporter 1.3.0 `Dockerfile` (scratch: no shell, so no health check)",
        ),
        Kind::Exporter(_) => row(
            SHARED,
            User::Image("nobody (65534), the image's USER"),
            None,
            Some(BUSYBOX),
            "prometheus-community {mysqld,postgres,elasticsearch}_exporter and oliver006/redis_exporter `Dockerfile` (busybox or Alpine base, non-root USER)",
        ),
        Kind::Grafana => row(
            SHARED,
            User::Image("grafana (472), the image's USER"),
            None,
            Some(BUSYBOX),
            "grafana/grafana 11.3 `Dockerfile` (Alpine, USER 472; reads GF_*__FILE; not checked against a mirror here)",
        ),
        Kind::Nginx => row(
            SHARED,
            User::Image("root master, nginx workers"),
            Some("/docker-entrypoint.sh"),
            Some(BUSYBOX),
            "nginxinc/docker-nginx alpine `Dockerfile` and `docker-entrypoint.sh` (mirror nginx+nginx)",
        ),
        Kind::DingtalkBridge => row(
            SHARED,
            User::Image("nobody (65534), the image's USER"),
            None,
            None,
            "timonwong/prometheus-webhook-dingtalk v2.1.0 `Dockerfile` (gcr.io/distroless/static:nonroot: no shell)",
        ),
        Kind::DatabaseAccounts => row(
            SHARED,
            User::Image("root, as the database image starts a command that is not its server"),
            None,
            Some(&["sh"]),
            "the database's own image, for its client: docker-library/postgres and docker-library/mysql `docker-entrypoint.sh` exec any command that is not their server as given",
        ),
        Kind::DingtalkConfig => row(
            SHARED,
            User::Image("root, to chown the config for the bridge"),
            None,
            Some(BUSYBOX),
            "busybox 1.36.1",
        ),
        // futurestack's own choice: the Python image runs as root, the bridge needs nothing of it.
        Kind::WecomBridge => row(
            SecretFile {
                uid: Some(65534),
                gid: Some(65534),
                mode: 0o400,
            },
            User::Set("65534:65534"),
            None,
            Some(&["sh", "python", "wget"]),
            "docker-library/python 3.12.7-alpine3.20 (CPython, Alpine BusyBox; runs as root unless told)",
        ),
    }
}

/// How tightly a kind's container is confined: what is kept after
/// `cap_drop: [ALL]` (with `no-new-privileges` for every service), whether the
/// root filesystem is read-only (and which folders get a tmpfs), the process
/// limit, and the `user:` the service sets. Each row says why.
#[derive(Debug, Clone, Copy)]
pub struct Confinement {
    pub cap_add: &'static [&'static str],
    pub read_only: bool,
    pub tmpfs: &'static [&'static str],
    pub pids: u32,
    /// `user:` written in compose (the image's own non-root user, made
    /// explicit, or futurestack's choice); `None`: the image's entrypoint starts
    /// as root and drops to its user, or the image is unknown.
    pub user: Option<&'static str>,
    pub why: &'static str,
}

/// What an entrypoint that prepares its data folder as root and then drops to
/// its own user with gosu or su-exec needs: `chown` and reading and writing
/// files it does not own yet, then switching user.
const ENTRYPOINT_DROP: &[&str] = &["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"];

/// The confinement of `kind`'s containers.
pub fn confinement(kind: Kind) -> Confinement {
    let c = |cap_add, read_only, tmpfs, pids, user, why| Confinement {
        cap_add,
        read_only,
        tmpfs,
        pids,
        user,
        why,
    };
    const NOBODY: Option<&str> = Some("65534:65534");
    match kind {
        Kind::App => c(
            &[],
            false,
            &[],
            512,
            None,
            "the spec's own image: no capability a Python web service on a port above 1024 needs; where it writes is unknown, so the root filesystem stays writable",
        ),
        Kind::Mysql => c(
            ENTRYPOINT_DROP,
            false,
            &[],
            1024,
            None,
            "docker-entrypoint.sh chowns the data folder and runs a temporary server to initialise it, then gosu drops to mysql; mysqld writes /var/run/mysqld",
        ),
        Kind::Postgres => c(
            ENTRYPOINT_DROP,
            false,
            &[],
            512,
            None,
            "docker-entrypoint.sh chowns PGDATA and initdb's temporary server writes /var/run/postgresql, then gosu drops to postgres; one process per connection",
        ),
        Kind::Redis => c(
            ENTRYPOINT_DROP,
            true,
            &["/tmp"],
            128,
            None,
            "docker-entrypoint.sh chowns /data to redis and drops with su-exec; redis-server writes only /data",
        ),
        Kind::Elasticsearch => c(
            &[],
            false,
            &[],
            4096,
            Some("1000:0"),
            "runs as its image user 1000:0; writes its keystore into its config folder at start; a JVM with many threads",
        ),
        Kind::Neo4j => c(
            ENTRYPOINT_DROP,
            false,
            &[],
            4096,
            None,
            "its entrypoint chowns the data folder and drops to neo4j; a JVM",
        ),
        Kind::Weaviate => c(
            &[],
            false,
            &[],
            1024,
            None,
            "not checked against its image: only capabilities are dropped",
        ),
        Kind::External => c(&[], false, &[], 0, None, "not run by this stack"),
        Kind::Prometheus | Kind::Alertmanager => c(
            &[],
            true,
            &[],
            256,
            NOBODY,
            "runs as nobody and writes only its data volume",
        ),
        Kind::Grafana => c(
            &[],
            true,
            &["/tmp", "/var/log/grafana"],
            512,
            Some("472:0"),
            "runs as 472:0; writes its data volume, its log folder and temporary files (not checked against a mirror here)",
        ),
        Kind::NodeExporter => c(
            &[],
            true,
            &["/host/run"],
            64,
            NOBODY,
            "reads the host's / read-only for the filesystem collector (prometheus/node_exporter README); an empty tmpfs over /host/run hides the Docker and containerd sockets (Docker applies binds recursively and all mounts by path depth: moby b985e2313a daemon/oci_linux.go withMounts, sortMounts; tests/host_guard.rs runs those mounts)",
        ),
        Kind::BlackboxExporter => c(
            &[],
            true,
            &[],
            64,
            NOBODY,
            "probes TLS over TCP only, so no NET_RAW for ICMP",
        ),
        Kind::Exporter(_) => c(
            &[],
            true,
            &[],
            64,
            NOBODY,
            "a static binary run as nobody; a shell wrapper only reads a secret file",
        ),
        Kind::Nginx => c(
            &["CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"],
            true,
            &["/var/cache/nginx", "/run", "/tmp"],
            256,
            None,
            "the master binds 80 and 443 as root and starts workers as nginx; it writes its cache, pid file and temporary files",
        ),
        Kind::DingtalkBridge => c(
            &[],
            true,
            &[],
            64,
            NOBODY,
            "a static binary run as nobody (distroless); reads its config volume",
        ),
        Kind::DatabaseAccounts => c(
            &[],
            true,
            &[],
            32,
            None,
            "runs the database client once as root (the image's default); writes nothing",
        ),
        Kind::DingtalkConfig => c(
            &["CHOWN"],
            true,
            &[],
            32,
            None,
            "runs as root once to write the bridge's config into its volume and chown it to the bridge's user",
        ),
        Kind::WecomBridge => c(
            &[],
            true,
            &["/tmp"],
            64,
            None,
            "the generated script runs as nobody (the contract's `User::Set`) and writes nothing",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_its_source_and_runs_as_someone_known() {
        use crate::spec::Kind::*;
        let all = [
            App,
            Mysql,
            Postgres,
            Redis,
            Elasticsearch,
            Neo4j,
            Weaviate,
            External,
            Prometheus,
            Alertmanager,
            Grafana,
            NodeExporter,
            BlackboxExporter,
            DingtalkBridge,
            DingtalkConfig,
            WecomBridge,
            Nginx,
            Exporter(ExporterFor::Nginx),
            Exporter(ExporterFor::Mysql),
        ];
        for kind in all {
            let c = contract(kind);
            assert!(c.source.len() > 10, "{kind:?}");
            // A secret readable only by its owner needs the owner named.
            if c.secret_file.mode & 0o044 == 0 {
                assert!(c.secret_file.uid.is_some(), "{kind:?}");
            }
        }
    }
}
