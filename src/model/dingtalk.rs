//! DingTalk receivers: Alertmanager posts to prometheus-webhook-dingtalk, which
//! signs and forwards to each group robot. The bridge reads the robots' access
//! tokens only inline in its config file, so a one-off container writes that
//! file from the secret files into a volume the bridge mounts; the tokens are in
//! no generated file.
//!
//! timonwong/prometheus-webhook-dingtalk v2.1.0: `config.example.yml` (targets
//! with `url` and `secret`), `config/config.go` (parsed strictly), `web/web.go`
//! (`POST /dingtalk/<target>/send`), `Dockerfile` (`USER nobody`, uid 65534 in
//! `gcr.io/distroless/static:nonroot`), `template/assets_embed.go` (the default
//! message template is built in, so the volume over its config folder hides
//! nothing it needs).

use super::{Dependency, Mount, Service, kinds};
use crate::shell::quote;
use crate::spec::{Kind, Restart};

pub const BRIDGE: &str = "dingtalk-bridge";
pub const CONFIG: &str = "dingtalk-config";
const VOLUME: &str = "dingtalk-config";
const BRIDGE_CONFIG_DIR: &str = "/etc/prometheus-webhook-dingtalk";
/// The bridge's user (`nobody` in the distroless base).
const BRIDGE_UID: u32 = 65534;

/// Where Alertmanager posts a DingTalk receiver's alerts.
pub fn url(receiver: &str) -> String {
    let port = kinds::default_port(Kind::DingtalkBridge, "http").unwrap_or(8060);
    format!("http://{BRIDGE}:{port}/dingtalk/{receiver}/send")
}

/// One robot: the receiver's name and its secrets.
pub struct Robot<'a> {
    pub receiver: &'a str,
    pub token: &'a str,
    pub sign: Option<&'a str>,
}

/// The shell script that writes the bridge's config. A token or signing secret
/// with anything but letters, digits, `_` and `-` stops it (DingTalk's are hex,
/// and `SEC` + hex): nothing else can end up inside the YAML.
pub fn config_script(robots: &[Robot<'_>]) -> String {
    let mut s = String::from("set -eu; umask 077; ");
    s.push_str("plain() { case \"$1\" in ''|*[!A-Za-z0-9_-]*) echo \"futurestack: $2 must be letters, digits, _ and -\" >&2; exit 1;; esac; }; ");
    for (i, r) in robots.iter().enumerate() {
        s.push_str(&format!(
            "t{i}=$(cat {}); plain \"$t{i}\" {}; ",
            kinds::secret_path(r.token),
            quote(&format!("secret {}", r.token))
        ));
        if let Some(sign) = r.sign {
            s.push_str(&format!(
                "s{i}=$(cat {}); plain \"$s{i}\" {}; ",
                kinds::secret_path(sign),
                quote(&format!("secret {sign}"))
            ));
        }
    }
    s.push_str("{ printf 'targets:\\n'; ");
    for (i, r) in robots.iter().enumerate() {
        s.push_str(&format!(
            "printf '  %s:\\n    url: https://oapi.dingtalk.com/robot/send?access_token=%s\\n' {} \"$t{i}\"; ",
            quote(r.receiver)
        ));
        if r.sign.is_some() {
            s.push_str(&format!("printf '    secret: %s\\n' \"$s{i}\"; "));
        }
    }
    s.push_str(&format!(
        "}} > /config/config.yml.new; chown {BRIDGE_UID}:{BRIDGE_UID} /config/config.yml.new; mv /config/config.yml.new /config/config.yml"
    ));
    s
}

/// The config writer and the bridge, on the monitoring networks (the bridge needs
/// a way out to DingTalk, so at least one of them must not be internal).
pub fn services(
    robots: &[Robot<'_>],
    networks: &[String],
    make: impl Fn(&str, Kind, Vec<String>) -> Service,
) -> Vec<Service> {
    let mut config = make(CONFIG, Kind::DingtalkConfig, networks.to_vec());
    config.description =
        Some("Writes the DingTalk bridge's config from its secrets, then exits.".into());
    config.command = Some(vec!["sh".into(), "-c".into(), config_script(robots)]);
    config.restart = Restart::No;
    let mut secrets: Vec<String> = robots
        .iter()
        .flat_map(|r| std::iter::once(r.token).chain(r.sign))
        .map(str::to_owned)
        .collect();
    secrets.sort();
    secrets.dedup();
    config.secrets = secrets;
    config.volumes = vec![Mount {
        volume: VOLUME.into(),
        target: "/config".into(),
    }];

    let mut bridge = make(BRIDGE, Kind::DingtalkBridge, networks.to_vec());
    bridge.description = Some("Forwards alerts to the DingTalk group robots.".into());
    bridge.volumes = vec![Mount {
        volume: VOLUME.into(),
        target: BRIDGE_CONFIG_DIR.into(),
    }];
    bridge.depends_on = vec![Dependency {
        service: CONFIG.into(),
        healthy: false,
        completed: true,
    }];
    vec![config, bridge]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_names_each_robot_and_checks_each_secret() {
        let script = config_script(&[
            Robot {
                receiver: "oncall",
                token: "ding-token",
                sign: Some("ding-sign"),
            },
            Robot {
                receiver: "ops",
                token: "ops-token",
                sign: None,
            },
        ]);
        assert!(
            script
                .contains("t0=$(cat /run/secrets/ding-token); plain \"$t0\" 'secret ding-token';")
        );
        assert!(script.contains("s0=$(cat /run/secrets/ding-sign)"));
        assert!(script.contains("' 'oncall' \"$t0\";"));
        assert!(script.contains("' 'ops' \"$t1\";"));
        assert!(!script.contains("s1="));
    }
}
