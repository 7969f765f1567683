//! Probes of what clients see: the blackbox exporter completes a TLS handshake
//! with nginx, as a browser would for the first domain, and reports when the
//! certificate it was given expires (`probe_ssl_earliest_cert_expiry`), so the
//! expiry alerts hold for every TLS source: files someone must replace, a
//! self-signed certificate, or ACME renewals that stopped working.
//!
//! prometheus/blackbox_exporter v0.28.0: the `tcp` prober with `tls: true`
//! sets `probe_ssl_earliest_cert_expiry` after the handshake (`prober/tcp.go`,
//! `prober/tls.go`, `prober/tcp_test.go`); `tls_config.server_name` is the SNI
//! it sends (`CONFIGURATION.md`).

use super::{Bind, Dependency, Service, edge};
use crate::spec::Kind;

/// The exporter's service name.
pub const SERVICE: &str = "blackbox-exporter";
/// The scrape job and the blackbox module of the certificate probe.
pub const JOB: &str = "tls-certificate";
pub const MODULE: &str = "tls_certificate";

/// The certificate probe, as Prometheus scrapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsProbe {
    /// What the exporter connects to: nginx's TLS port on the compose network.
    pub target: String,
    /// The SNI name sent: the first domain.
    pub server_name: String,
    /// `host:port` of the exporter.
    pub exporter: String,
}

/// The probe and the exporter service, when nginx serves TLS. The exporter joins
/// the monitoring networks (for Prometheus) and nginx's first network.
pub fn tls(
    edge: &edge::Model,
    services: &[Service],
    monitoring_networks: &[String],
    make: impl Fn(&str, Kind, Vec<String>) -> Service,
) -> Option<(TlsProbe, Service)> {
    let tls = edge.tls_files.as_ref()?;
    let nginx = services.iter().find(|s| s.kind == Kind::Nginx)?;
    let https = nginx.port("https")?;
    let mut networks = monitoring_networks.to_vec();
    networks.extend(nginx.networks.first().cloned());
    networks.sort();
    networks.dedup();
    let mut exporter = make(SERVICE, Kind::BlackboxExporter, networks);
    exporter.description = Some("Probes the TLS certificate nginx serves.".into());
    exporter.command = Some(vec![
        "--config.file=/etc/blackbox_exporter/blackbox.yml".into(),
    ]);
    exporter.binds = vec![Bind {
        source: "./blackbox".into(),
        target: "/etc/blackbox_exporter".into(),
        read_only: true,
        create_host_path: false,
    }];
    exporter.uses = vec![nginx.name.clone()];
    exporter.depends_on = vec![Dependency {
        service: nginx.name.clone(),
        healthy: nginx.healthcheck.is_some(),
        completed: false,
    }];
    let port = exporter.main_port()?.container;
    let probe = TlsProbe {
        target: format!("{}:{}", nginx.address, https.container),
        server_name: tls.domain.clone(),
        exporter: format!("{SERVICE}:{port}"),
    };
    Some((probe, exporter))
}
