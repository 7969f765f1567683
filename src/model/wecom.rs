//! WeCom (企业微信) receivers: Alertmanager posts its webhook to a bridge that
//! formats the alerts as a markdown message and sends it to each group robot's
//! webhook (`POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`,
//! body `{"msgtype": "markdown", "markdown": {"content": ...}}`, content at most
//! 4096 bytes; WeCom's group-robot documentation, developer.work.weixin.qq.com
//! path 91770).
//!
//! No maintained bridge image exists for WeCom robots (prometheus-webhook-
//! dingtalk speaks only DingTalk; Alertmanager's own `wechat_configs` drives
//! WeCom *apps*, not group robots, and reads its secret from a file only from
//! v0.31). So the bridge is a short script of Python's standard library that
//! futurestack generates (`wecom-bridge/bridge.py`), run by the pinned official
//! Python image as `nobody` (its contract's `User::Set`). It reads each robot's key from its secret file at
//! every send: the key is in no generated file, and `tests/wecom_bridge.rs`
//! runs the script against a stub of WeCom's API.

use super::{Bind, Service, kinds};
use crate::spec::Kind;

pub const BRIDGE: &str = "wecom-bridge";
/// Where the script is mounted (read-only) in the bridge.
const SCRIPT_DIR: &str = "/etc/wecom-bridge";

/// Where Alertmanager posts a WeCom receiver's alerts.
pub fn url(receiver: &str) -> String {
    let port = kinds::default_port(Kind::WecomBridge, "http").unwrap_or(8061);
    format!("http://{BRIDGE}:{port}/alert/{receiver}")
}

/// One robot: the receiver's name and the secret holding its key.
pub struct Robot<'a> {
    pub receiver: &'a str,
    pub key: &'a str,
}

/// The bridge, on the monitoring networks (it needs a way out to WeCom, as the
/// DingTalk bridge does).
pub fn service(
    robots: &[Robot<'_>],
    networks: &[String],
    make: impl Fn(&str, Kind, Vec<String>) -> Service,
) -> Service {
    let mut bridge = make(BRIDGE, Kind::WecomBridge, networks.to_vec());
    bridge.description = Some("Forwards alerts to the WeCom group robots.".into());
    bridge.command = Some(vec![
        "python".into(),
        "-u".into(),
        format!("{SCRIPT_DIR}/bridge.py"),
    ]);
    bridge.binds = vec![Bind {
        source: "./wecom-bridge".into(),
        target: SCRIPT_DIR.into(),
        read_only: true,
        create_host_path: false,
    }];
    // Receiver and secret names are DNS labels: `,` and `=` cannot occur.
    let routes: Vec<String> = robots
        .iter()
        .map(|r| format!("{}={}", r.receiver, r.key))
        .collect();
    bridge.env.insert("WECOM_ROUTES".into(), routes.join(","));
    let mut secrets: Vec<String> = robots.iter().map(|r| r.key.to_owned()).collect();
    secrets.sort();
    secrets.dedup();
    bridge.secrets = secrets;
    bridge
}
