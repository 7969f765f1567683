//! Where alerts go: the receivers of the spec, resolved (secret files, and the
//! bridges' URLs for DingTalk and WeCom robots).

use super::{dingtalk, kinds, wecom};
use crate::spec::{AlertSeverity, ReceiverKind, Spec};

#[derive(Debug, Clone)]
pub struct Receiver {
    pub name: String,
    pub kind: ReceiverKind,
    pub severities: Vec<AlertSeverity>,
    pub url: Option<String>,
    /// Secret file of the webhook's bearer token.
    pub token_file: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    pub smarthost: Option<String>,
    /// SMTPS (port 465): TLS from the first byte. Alertmanager dials TLS on 465
    /// but still demands STARTTLS unless `require_tls` is off
    /// (prometheus/alertmanager v0.27.0 `notify/email/email.go`, the port test
    /// and the `RequireTLS` check; fixed in v0.31.0 by bc26ebb5).
    pub implicit_tls: bool,
    pub username: Option<String>,
    pub password_file: Option<String>,
}

pub fn receivers(spec: &Spec) -> Vec<Receiver> {
    let Some(mon) = &spec.monitoring else {
        return Vec::new();
    };
    mon.receivers
        .iter()
        .map(|(name, r)| Receiver {
            name: name.clone(),
            kind: r.kind,
            severities: r
                .severities
                .clone()
                .unwrap_or_else(|| vec![AlertSeverity::Critical, AlertSeverity::Warning]),
            url: match r.kind {
                ReceiverKind::Dingtalk => Some(dingtalk::url(name)),
                ReceiverKind::Wecom => Some(wecom::url(name)),
                _ => r.url.clone(),
            },
            token_file: r
                .token
                .as_deref()
                .filter(|_| r.kind == ReceiverKind::Webhook)
                .map(kinds::secret_path),
            to: r.to.clone(),
            from: r.from.clone(),
            smarthost: r.smarthost.clone(),
            implicit_tls: r
                .smarthost
                .as_deref()
                .and_then(|h| h.rsplit_once(':'))
                .is_some_and(|(_, port)| port == "465"),
            username: r.username.clone(),
            password_file: r.password.as_deref().map(kinds::secret_path),
        })
        .collect()
}
