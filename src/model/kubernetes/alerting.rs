//! The connections alerting needs in the cluster: Prometheus to
//! Alertmanager, Alertmanager to each receiver outside.

use std::collections::BTreeSet;

use super::{Reach, Why};
use crate::model::Stack;
use crate::spec::Spec;

/// Prometheus sends its alerts to Alertmanager, which delivers them to each
/// receiver's address outside the cluster (a webhook's URL, a mail server).
pub(super) fn reach(spec: &Spec, stack: &Stack, running: &BTreeSet<&str>, reach: &mut Vec<Reach>) {
    if running.contains("prometheus") {
        // The port `k8s/prometheus.yml` sends to (its `alerting` target).
        if let Some(port) = stack.service("alertmanager").and_then(|am| am.main_port()) {
            reach.push(Reach {
                from: "prometheus".to_owned(),
                to: "alertmanager".to_owned(),
                port: port.container,
                why: Why::Alerts,
            });
        }
    }
    for r in crate::model::receivers::receivers(spec) {
        if let Some(port) = receiver_port(&r) {
            reach.push(Reach {
                from: "alertmanager".to_owned(),
                to: receiver_peer(&r.name),
                port,
                why: Why::Alerts,
            });
        }
    }
}

/// The name a receiver's address goes by in [`Cluster::reach`]: not a
/// service's (a service name has no space).
fn receiver_peer(receiver: &str) -> String {
    format!("{receiver} (receiver)")
}

/// The port Alertmanager connects to for a receiver: the webhook URL's (or
/// its scheme's), the smarthost's.
fn receiver_port(r: &crate::model::receivers::Receiver) -> Option<u16> {
    let address = match (&r.url, &r.smarthost) {
        (Some(url), _) => {
            let (scheme, rest) = url.split_once("://")?;
            let host = rest.split(['/', '?', '#']).next()?;
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            match host.rsplit_once(':').filter(|(_, p)| !p.contains(']')) {
                Some((_, port)) => return port.parse().ok(),
                None => return Some(if scheme == "https" { 443 } else { 80 }),
            }
        }
        (None, Some(smarthost)) => smarthost,
        (None, None) => return None,
    };
    address.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::receivers::Receiver;

    fn receiver(url: Option<&str>, smarthost: Option<&str>) -> Receiver {
        Receiver {
            name: "r".into(),
            kind: crate::spec::ReceiverKind::Webhook,
            severities: Vec::new(),
            url: url.map(String::from),
            token_file: None,
            to: None,
            from: None,
            smarthost: smarthost.map(String::from),
            implicit_tls: false,
            username: None,
            password_file: None,
        }
    }

    #[test]
    fn a_receivers_port_is_its_urls_or_its_schemes_or_its_smarthosts() {
        let port = |u, h| receiver_port(&receiver(u, h));
        assert_eq!(
            port(Some("https://ops.example.com/alerts"), None),
            Some(443)
        );
        assert_eq!(port(Some("http://ops.example.com/alerts"), None), Some(80));
        assert_eq!(
            port(Some("https://u:p@ops.example.com:8443/a?b"), None),
            Some(8443)
        );
        assert_eq!(port(None, Some("smtp.example.com:465")), Some(465));
        assert_eq!(port(None, Some("smtp.example.com")), None);
        assert_eq!(port(None, None), None);
    }
}
