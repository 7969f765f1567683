//! Real nginx in a private mount and network namespace (`unshare -m -n`,
//! loopback only), running a generated config as the container would.

use std::path::Path;
use std::process::Command;

use serde_json::Value as J;

pub use super::yaml;
use super::{in_ci, is_root, run_tool, tool_on_path};

/// The programs a namespace run needs, or `None` (a skip, refused under CI=true).
pub fn namespace_tools(extra: &[&str]) -> Option<()> {
    for tool in ["nginx", "unshare", "openssl", "curl", "ip"]
        .iter()
        .chain(extra)
    {
        tool_on_path(tool)?;
    }
    if !is_root() {
        assert!(
            !in_ci(),
            "the behaviour tests need root (namespaces), and CI=true"
        );
        eprintln!("SKIPPED: the behaviour tests need root");
        return None;
    }
    Some(())
}

/// The certificate paths nginx.conf names (all under /etc/nginx); for a config
/// without TLS, paths nginx never reads.
pub fn certificate_paths(conf: &str) -> (String, String) {
    let value = |directive: &str, unused: &str| {
        conf.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(directive)?.strip_suffix(';'))
            .map_or_else(|| unused.to_owned(), |v| v.trim().to_owned())
    };
    (
        value("ssl_certificate ", "/etc/nginx/tls/unused.crt"),
        value("ssl_certificate_key ", "/etc/nginx/tls/unused.key"),
    )
}

/// Runs `body` as root in a private mount and network namespace in which nginx
/// runs the environment's generated config on 127.0.0.1, with a certificate
/// valid for 5 days where the config expects it and every compose service name
/// resolving to 127.0.0.1. `body` sees `$NOT_AFTER` (the certificate's expiry,
/// Unix seconds) and `$WEBROOT_FILES` (a folder copied to /var/www). Returns
/// (success, output).
pub fn with_nginx(dir: &Path, webroot_files: &Path, body: &str) -> (bool, String) {
    let conf = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
    with_nginx_conf(dir, &conf, webroot_files, body)
}

/// [`with_nginx`] with the given config text instead of the folder's own.
pub fn with_nginx_conf(dir: &Path, conf: &str, webroot_files: &Path, body: &str) -> (bool, String) {
    let compose = yaml(&dir.join("docker-compose.yml"));
    let names = compose_names(&compose);
    let (certificate, key) = certificate_paths(conf);
    let tmp = tempfile::tempdir().unwrap();
    let conf_file = tmp.path().join("nginx.conf");
    std::fs::write(&conf_file, conf).unwrap();
    let hosts = tmp.path().join("hosts");
    std::fs::write(&hosts, format!("127.0.0.1 localhost {}\n", names.join(" "))).unwrap();
    let script = format!(
        r#"
        set -eu
        ip link set lo up
        mount -t tmpfs tmpfs /etc/nginx
        cp "$CONF" /etc/nginx/nginx.conf
        mkdir -p "$(dirname "$CERT")" "$(dirname "$KEY")"
        openssl req -x509 -newkey rsa:2048 -nodes -days 5 -subj /CN=futurestack-test \
          -keyout "$KEY" -out "$CERT" 2>/dev/null
        NOT_AFTER=$(date -d "$(openssl x509 -noout -enddate -in "$CERT" | cut -d= -f2)" +%s)
        export NOT_AFTER
        mount --bind "$HOSTS" /etc/hosts
        mount -t tmpfs tmpfs /var/log
        mkdir -p /var/log/nginx
        mount -t tmpfs tmpfs /run
        mount -t tmpfs tmpfs /var/www
        cp -r "$WEBROOT_FILES"/. /var/www/
        "$NGINX_BIN" -c /etc/nginx/nginx.conf
        trap '"$NGINX_BIN" -s stop -c /etc/nginx/nginx.conf 2>/dev/null; kill $(jobs -p) 2>/dev/null || true' EXIT
        {body}
        "#
    );
    run_tool(
        Command::new("unshare")
            .args(["-m", "-n", "bash", "-c", &script])
            .env("CONF", &conf_file)
            .env("CERT", &certificate)
            .env("KEY", &key)
            .env("HOSTS", &hosts)
            .env("WEBROOT_FILES", webroot_files)
            .env("NGINX_BIN", tool_on_path("nginx").unwrap()),
    )
}

/// Every name a compose file gives its services on their networks: the service
/// names and their aliases.
pub fn compose_names(compose: &J) -> Vec<String> {
    let mut names = Vec::new();
    for (name, service) in compose["services"].as_object().unwrap() {
        names.push(name.clone());
        for network in service["networks"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for alias in network["aliases"].as_array().into_iter().flatten() {
                names.extend(alias.as_str().map(str::to_owned));
            }
        }
    }
    names.sort();
    names.dedup();
    names
}
