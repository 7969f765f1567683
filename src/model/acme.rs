//! ACME in the model (`edge.tls.source: acme`): where lego keeps the account and
//! certificate, where nginx reads them and serves the HTTP-01 webroot, and the
//! lego command that obtains the certificate or renews it when due.
//!
//! Facts it relies on, with their sources and the versions they hold for:
//! - lego v5's `run` obtains a certificate when its resource file
//!   (`<path>/certificates/<cert.name>.json`) is missing and otherwise renews it
//!   when due (by default when a third of its lifetime is left), so the deploy
//!   and the timer run the same command (go-acme/lego v5.3.1, `cmd/cmd_run.go`;
//!   flags in `cmd/internal/flags/flags.go`: `run` takes `--domains`,
//!   `--cert.name`, `--accept-tos`, `--email`, `--server`, `--path`, `--http`,
//!   `--http.webroot`).
//! - It writes `<path>/certificates/<cert.name>.crt` (the chain, bundled by
//!   default) and `.key` (mode 0600) in place with `os.WriteFile`
//!   (`cmd/internal/storage/storage_certificates.go`, `_writer.go`), and the
//!   webroot provider writes `<webroot>/.well-known/acme-challenge/<token>`
//!   with mode 0644 (`providers/http/webroot/webroot.go`). nginx mounts the
//!   folders, not the files, so it always sees the current ones.
//! - The image `goacme/lego:<tag>` runs `/lego` as its entrypoint
//!   (`buildx.Dockerfile`, `.goreleaser.yml` at v5.3.1).
//! - The CA connects to port 80 of each domain for HTTP-01 (RFC 8555, 8.3).

use super::Stack;

/// The lego image, pinned.
pub const LEGO_IMAGE: &str = "goacme/lego:v5.3.1";
/// Let's Encrypt's production directory, the default CA.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// lego's name for the certificate: its files are `<CERT_NAME>.crt` and `.key`.
pub const CERT_NAME: &str = "futurestack";
/// lego's data folder on the host, relative to the compose file.
pub const DATA_DIR: &str = "acme";
/// Where lego's data folder is mounted in the lego container.
pub const LEGO_PATH: &str = "/acme";
/// Where nginx reads lego's `certificates/` folder.
pub const NGINX_CERTIFICATES: &str = "/etc/nginx/tls/acme";
/// Where nginx reads the webroot the challenges are written to.
pub const NGINX_WEBROOT: &str = "/var/www/acme";
/// How long the placeholder certificate nginx starts with is valid: a day, so
/// that the certificate-expiry alert fires when ACME has not replaced it.
pub const PLACEHOLDER_DAYS: u32 = 1;

/// What lego needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acme {
    /// Every domain nginx serves; one certificate covers them all.
    pub domains: Vec<String>,
    pub email: Option<String>,
    /// The CA's directory URL.
    pub directory: String,
}

impl Acme {
    /// The arguments after the image: lego's `run`, for the deploy and the timer alike.
    pub fn lego_args(&self) -> Vec<String> {
        let mut args = vec![
            "run".to_owned(),
            "--accept-tos".to_owned(),
            format!("--server={}", self.directory),
        ];
        if let Some(email) = &self.email {
            args.push(format!("--email={email}"));
        }
        for domain in &self.domains {
            args.push(format!("--domains={domain}"));
        }
        args.extend([
            format!("--cert.name={CERT_NAME}"),
            format!("--path={LEGO_PATH}"),
            "--http".to_owned(),
            format!("--http.webroot={LEGO_PATH}/webroot"),
        ]);
        args
    }
}

/// Host paths (relative to the compose file) of the certificate and key.
pub fn certificate_file() -> String {
    format!("{DATA_DIR}/certificates/{CERT_NAME}.crt")
}

pub fn key_file() -> String {
    format!("{DATA_DIR}/certificates/{CERT_NAME}.key")
}

/// Where the renewal script is on the host; the deploy and the timer run it.
pub fn renew_script(stack: &Stack) -> String {
    format!("{}/{DATA_DIR}/renew.sh", super::deploy::stack_dir(stack))
}

/// The systemd service and timer that renew the certificate (one per stack on a host).
pub fn unit_name(stack: &Stack) -> String {
    format!("futurestack-{}-acme", stack.project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lego_gets_every_domain_and_the_webroot() {
        let acme = Acme {
            domains: vec!["a.example.com".into(), "b.example.com".into()],
            email: Some("ops@example.com".into()),
            directory: LETS_ENCRYPT.into(),
        };
        assert_eq!(
            acme.lego_args().join(" "),
            "run --accept-tos --server=https://acme-v02.api.letsencrypt.org/directory \
             --email=ops@example.com --domains=a.example.com --domains=b.example.com \
             --cert.name=futurestack --path=/acme --http --http.webroot=/acme/webroot"
        );
        let without = Acme {
            email: None,
            ..acme
        };
        assert!(!without.lego_args().iter().any(|a| a.starts_with("--email")));
    }
}
