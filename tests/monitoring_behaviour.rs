//! Monitoring as it behaves, with the real programs (Debian's Prometheus 2.42
//! and Alertmanager 0.25) in a private mount and network namespace (`unshare
//! -m -n`, loopback only):
//! - every generated Prometheus config starts, loads all its rules and
//!   discovers every job it names;
//! - a stack rendered from a spec with a webhook, a WeCom and two email
//!   receivers: a stopped target fires an alert that Prometheus hands to
//!   Alertmanager, which delivers it to a local webhook stub (with the bearer
//!   token from its secret file), through the generated WeCom bridge to a stub
//!   of WeCom's API (with the robot key from the bridge's secret file), and to
//!   local SMTP servers on 465 (TLS from the first byte) and 587 (STARTTLS),
//!   logging in with the password file;
//! - the always-firing Watchdog reaches the dead man's switch, and only it;
//! - every Grafana panel's query runs on Prometheus without an error.
//!
//! Guards: a rule file that does not parse stops Prometheus; Alertmanager's
//! default `require_tls` on port 465 never delivers; a broken panel query errs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;
use support::{golden_env_dirs, in_ci, repo, run_tool, tool_on_path, yaml};

fn tools() -> Option<()> {
    for tool in [
        "prometheus",
        "prometheus-alertmanager",
        "unshare",
        "curl",
        "ip",
        "python3",
        "openssl",
    ] {
        tool_on_path(tool)?;
    }
    if !support::is_root() {
        assert!(
            !in_ci(),
            "the monitoring behaviour tests need root (namespaces), and CI=true"
        );
        eprintln!("SKIPPED: the monitoring behaviour tests need root");
        return None;
    }
    Some(())
}

/// Runs `body` as root in a private mount and network namespace with loopback
/// up, a private /run and /etc/hosts naming `names`; returns (success, output).
fn in_namespace(names: &[&str], body: &str, env: &[(&str, &Path)]) -> (bool, String) {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = tmp.path().join("hosts");
    std::fs::write(&hosts, format!("127.0.0.1 localhost {}\n", names.join(" "))).unwrap();
    let script = format!(
        "set -eu\nip link set lo up\nmount --bind \"$HOSTS\" /etc/hosts\nmount -t tmpfs tmpfs /run\n\
         work=$(mktemp -d)\n\
         trap 'kill -KILL $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf \"$work\"' EXIT\n{body}"
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "-n", "bash", "-c", &script])
        .env("HOSTS", &hosts);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_tool(&mut cmd)
}

/// Shell lines that start Prometheus on 127.0.0.1:9090 with `$CONFIG` and wait
/// for it. An alert that fires before Alertmanager is discovered (up to 5 s) is
/// dropped and sent again after the resend delay (1 m by default): 2 s keeps
/// the test short without touching the generated files.
const START_PROMETHEUS: &str = r#"
prometheus --config.file="$CONFIG" --storage.tsdb.path="$work/tsdb" \
  --rules.alert.resend-delay=2s \
  --web.listen-address=127.0.0.1:9090 >"$work/prometheus.log" 2>&1 &
ready=''
for _ in $(seq 1 100); do
  if curl -sf --max-time 1 http://127.0.0.1:9090/-/ready >/dev/null; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "PROMETHEUS DID NOT START"; cat "$work/prometheus.log"; exit 1; }
"#;

fn prometheus_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("prometheus/prometheus.yml").is_file())
        .collect()
}

/// (jobs discovered, rules loaded) for one config, or the failure.
fn load_config(config: &Path) -> Result<(Vec<String>, usize), String> {
    // The discovery manager hands targets to the scraper at most every 5 s.
    let body = format!(
        "{START_PROMETHEUS}\
         for _ in $(seq 1 100); do\n\
           curl -s 'http://127.0.0.1:9090/api/v1/targets' | grep -q scrapePool && break; sleep 0.1\n\
         done\n\
         echo \"TARGETS $(curl -s 'http://127.0.0.1:9090/api/v1/targets?state=any')\"\n\
         echo \"RULES $(curl -s http://127.0.0.1:9090/api/v1/rules)\"\n\
"
    );
    let (ok, out) = in_namespace(&[], &body, &[("CONFIG", config)]);
    if !ok {
        return Err(out);
    }
    let json = |prefix: &str| -> J {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(J::Null)
    };
    let targets = json("TARGETS ");
    let mut jobs: Vec<String> = targets["data"]["activeTargets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["scrapePool"].as_str().map(str::to_owned))
        .collect();
    jobs.sort();
    jobs.dedup();
    let rules = json("RULES ")["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["rules"].as_array().map_or(0, Vec::len))
        .sum();
    Ok((jobs, rules))
}

#[test]
fn prometheus_loads_every_generated_config_and_discovers_its_jobs() {
    let dirs = prometheus_dirs();
    assert!(dirs.len() >= 5, "{dirs:?}");
    let Some(()) = tools() else { return };
    for dir in dirs {
        let config = dir.join("prometheus/prometheus.yml");
        let (jobs, rules) =
            load_config(&config).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut named: Vec<String> = yaml(&config)["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_name"].as_str().unwrap().to_owned())
            .collect();
        named.sort();
        assert_eq!(jobs, named, "{}", dir.display());
        let in_file = std::fs::read_to_string(dir.join("prometheus/rules/futurestack.yml"))
            .unwrap()
            .matches("- alert: ")
            .count();
        assert!(in_file >= 4, "{}", dir.display());
        assert_eq!(rules, in_file, "{}: rules loaded", dir.display());
    }
}

#[test]
fn guard_a_rule_file_that_does_not_parse_stops_prometheus() {
    let Some(()) = tools() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let src = repo().join("golden/prod/prometheus");
    std::fs::create_dir_all(tmp.path().join("rules")).unwrap();
    std::fs::copy(
        src.join("prometheus.yml"),
        tmp.path().join("prometheus.yml"),
    )
    .unwrap();
    let rules = std::fs::read_to_string(src.join("rules/futurestack.yml")).unwrap();
    std::fs::write(
        tmp.path().join("rules/futurestack.yml"),
        rules.replacen("expr: ", "expr: (", 1),
    )
    .unwrap();
    let err = load_config(&tmp.path().join("prometheus.yml")).unwrap_err();
    assert!(err.contains("PROMETHEUS DID NOT START"), "{err}");
}

/// A stack whose only app never runs, watched by a rule that fires at once, with
/// a webhook receiver and email receivers on 465 and 587.
const PROBE_SPEC: &str = r#"
stack: probe
host:
  provider: alicloud
  region: cn-hangzhou
  instance_type: ecs.c7.xlarge
  vcpus: 4
  memory: 8GiB
  disk: 40GiB
  bootstrap: {bundle_url: https://example.com/probe.tar.gz}
networks:
  edge: {default_for: [apps]}
secrets:
  grafana-password: {env: PROBE_GRAFANA}
  hook-token: {env: PROBE_HOOK_TOKEN}
  smtp-password: {env: PROBE_SMTP}
  wecom-key: {env: PROBE_WECOM_KEY}
services:
  api:
    kind: app
    image: example/api:1.0.0
    ports: {http: {container: 8000}}
monitoring:
  mode: own
  scrape_interval: 1s
  evaluation_interval: 1s
  grafana: {admin_password: grafana-password}
  rules:
    ApiStopped:
      expr: up{job="api"} == 0
      severity: critical
      summary: "{{ $labels.job }} is stopped"
  watchdog: deadman
  receivers:
    deadman:
      kind: webhook
      url: http://hook.probe.internal:8060/deadman
    hook:
      kind: webhook
      url: http://hook.probe.internal:8060/alerts
      token: hook-token
    team:
      kind: wecom
      token: wecom-key
    smtps:
      kind: email
      to: ops@probe.example.com
      from: alerts@probe.example.com
      smarthost: smtp.probe.example.com:465
      username: smtps@probe.example.com
      password: smtp-password
    starttls:
      kind: email
      to: ops@probe.example.com
      from: alerts@probe.example.com
      smarthost: smtp.probe.example.com:587
      username: starttls@probe.example.com
      password: smtp-password
"#;

/// The probe stack's generated files, written to a folder.
fn probe_stack() -> tempfile::TempDir {
    support::render_spec("probe", PROBE_SPEC)
}

#[test]
fn a_stopped_target_alerts_the_webhook_and_both_smtp_servers() {
    let Some(()) = tools() else { return };
    let stack = probe_stack();
    let am = stack.path().join("alertmanager/alertmanager.yml");
    let text = std::fs::read_to_string(&am).unwrap();
    assert!(text.contains("require_tls: false"), "{text}");
    // The guard's Alertmanager: the same config without the 465 fix.
    let broken = stack.path().join("alertmanager/broken.yml");
    std::fs::write(
        &broken,
        text.replace("require_tls: false", "require_tls: true"),
    )
    .unwrap();
    let sandbox = repo().join("tests/sandbox");
    let body = format!(
        r#"
mkdir -p /run/secrets "$work/mail"
printf 'hook-secret-token' > /run/secrets/hook-token
printf 'smtp-secret-password' > /run/secrets/smtp-password
printf 'wecom-robot-key-1' > /run/secrets/wecom-key
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=smtp.probe.example.com \
  -addext subjectAltName=DNS:smtp.probe.example.com -keyout "$work/smtp.key" -out "$work/smtp.crt" 2>/dev/null
for mode in smtps:465 starttls:587; do
  python3 "{sandbox}/smtp-stub.py" "${{mode%%:*}}" "${{mode##*:}}" "$work/smtp.crt" "$work/smtp.key" "$work/mail" 2>>"$work/smtp.log" &
done
python3 "{sandbox}/upstream-stub.py" "$work/hook.log" 8060 &
# The generated WeCom bridge, with WeCom's API at the stub.
LISTEN=127.0.0.1:8061 WECOM_API=http://hook.probe.internal:8060/wecom WECOM_ROUTES=team=wecom-key \
  python3 "$STACK/wecom-bridge/bridge.py" 2>"$work/wecom.log" &
export SSL_CERT_FILE="$work/smtp.crt"
for am in "$AM:9093" "$BROKEN:9094"; do
  prometheus-alertmanager --config.file="${{am%:*}}" --storage.path="$work/am-${{am##*:}}" \
    --web.listen-address="127.0.0.1:${{am##*:}}" --cluster.listen-address= >"$work/am-${{am##*:}}.log" 2>&1 &
done
{START_PROMETHEUS}
# The guard's alert goes straight to the broken Alertmanager.
for _ in $(seq 1 50); do curl -sf --max-time 1 http://127.0.0.1:9094/-/ready >/dev/null && break; sleep 0.1; done
curl -s --max-time 5 -H 'Content-Type: application/json' -d '[{{"labels":{{"alertname":"GuardAlert","severity":"critical"}}}}]' http://127.0.0.1:9094/api/v2/alerts >/dev/null
# Alertmanager waits group_wait (30s) before the first notification.
for _ in $(seq 1 90); do
  n=$(ls "$work/mail" | wc -l)
  if grep -q ApiStopped "$work/hook.log" 2>/dev/null && grep -q '/wecom?key=' "$work/hook.log" && [ "$n" -ge 3 ]; then break; fi
  sleep 1
done
sleep 2
for f in "$work/mail"/*; do [ -e "$f" ] && {{ echo "MAIL $(basename "$f") $(head -n 1 "$f") $(grep -c ApiStopped "$f") $(grep -c GuardAlert "$f")"; }}; done
sed 's/^/HOOK /' "$work/hook.log" 2>/dev/null || true
grep -o 'does not advertise the STARTTLS extension' "$work/am-9094.log" | head -n 1 | sed 's/^/BROKEN /'
grep -o 'does not advertise the STARTTLS extension' "$work/am-9093.log" | head -n 1 | sed 's/^/FIXED /'

"#,
        sandbox = sandbox.display()
    );
    let config = stack.path().join("prometheus/prometheus.yml");
    let names = [
        "alertmanager",
        "api",
        "hook.probe.internal",
        "smtp.probe.example.com",
        "prometheus",
        "wecom-bridge",
    ];
    let (ok, out) = in_namespace(
        &names,
        &body,
        &[
            ("CONFIG", &config),
            ("AM", &am),
            ("BROKEN", &broken),
            ("STACK", stack.path()),
        ],
    );
    assert!(ok, "{out}");
    // The webhook got the alert, with the token from the secret file.
    let hook = out
        .lines()
        .filter_map(|l| l.strip_prefix("HOOK "))
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        // The webhook's own delivery (the WeCom stub shares this log, and its
        // message names the alert too).
        .find(|e| {
            e["target"]
                .as_str()
                .is_some_and(|t| !t.starts_with("/wecom"))
                && e["body"].as_str().is_some_and(|b| b.contains("ApiStopped"))
        })
        .unwrap_or_else(|| panic!("the webhook never got the alert:\n{out}"));
    assert_eq!(hook["target"], "/alerts", "{hook}");
    assert_eq!(hook["authorization"], "Bearer hook-secret-token", "{hook}");
    // The WeCom receiver: Alertmanager → the generated bridge → WeCom's API
    // (the stub), with the robot key from the bridge's secret file.
    let wecom = out
        .lines()
        .filter_map(|l| l.strip_prefix("HOOK "))
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        .find(|e| {
            e["target"] == "/wecom?key=wecom-robot-key-1"
                && e["body"].as_str().is_some_and(|b| b.contains("ApiStopped"))
        })
        .unwrap_or_else(|| panic!("WeCom never got the alert:\n{out}"));
    let message: J = serde_json::from_str(wecom["body"].as_str().unwrap()).unwrap();
    assert_eq!(message["msgtype"], "markdown", "{wecom}");
    let content = message["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains("**ApiStopped** critical probe/probe"),
        "{content}"
    );
    assert!(content.contains("> api is stopped"), "{content}");
    // The Watchdog went to the dead man's switch, and only there.
    let hooks: Vec<J> = out
        .lines()
        .filter_map(|l| l.strip_prefix("HOOK "))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let watchdog = |e: &&J| {
        e["body"]
            .as_str()
            .is_some_and(|b| b.contains("\"Watchdog\""))
    };
    assert!(
        hooks
            .iter()
            .filter(watchdog)
            .any(|e| e["target"] == "/deadman"),
        "{out}"
    );
    assert!(
        !hooks
            .iter()
            .filter(watchdog)
            .any(|e| e["target"] != "/deadman"),
        "{out}"
    );
    assert!(
        !hooks
            .iter()
            .any(|e| e["target"] == "/deadman" && !watchdog(&e)),
        "{out}"
    );
    // Both mail servers got it, each from the Alertmanager that should reach
    // them; the broken one never delivers on 465.
    let mails: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("MAIL "))
        .collect();
    let delivered = |port: &str, login: &str, alert: &str| {
        mails.iter().any(|m| {
            let f: Vec<&str> = m.split(' ').collect();
            // `MAIL <file> X-Stub-Login: <login> <ApiStopped count> <GuardAlert count>`
            let count = |i: usize| f.get(i).and_then(|c| c.parse::<u32>().ok()).unwrap_or(0);
            f[0].starts_with(port)
                && f.get(2) == Some(&login)
                && count(if alert == "ApiStopped" { 3 } else { 4 }) > 0
        })
    };
    assert!(
        delivered("465-", "smtps@probe.example.com", "ApiStopped"),
        "no mail on 465:\n{out}"
    );
    assert!(
        delivered("587-", "starttls@probe.example.com", "ApiStopped"),
        "no mail on 587:\n{out}"
    );
    // Guard: without `require_tls: false`, 465 fails exactly as the issue says.
    assert!(
        delivered("587-", "starttls@probe.example.com", "GuardAlert"),
        "guard's 587:\n{out}"
    );
    assert!(
        !delivered("465-", "smtps@probe.example.com", "GuardAlert"),
        "guard's 465 delivered:\n{out}"
    );
    assert!(out.contains("BROKEN does not advertise"), "{out}");
    assert!(!out.contains("FIXED does not advertise"), "{out}");
}

#[test]
fn every_grafana_query_runs_on_prometheus() {
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("grafana/dashboards/overview.json").is_file())
        .collect();
    assert!(dirs.len() >= 4, "{dirs:?}");
    let Some(()) = tools() else { return };
    let queries = tempfile::tempdir().unwrap();
    let mut n = 0;
    for dir in &dirs {
        let dashboard =
            std::fs::read_to_string(dir.join("grafana/dashboards/overview.json")).unwrap();
        for expr in futurestack::targets::monitoring::dashboard_expressions(&dashboard) {
            std::fs::write(queries.path().join(format!("{n:04}")), expr).unwrap();
            n += 1;
        }
    }
    // Guard: a query Prometheus must refuse.
    std::fs::write(queries.path().join("guard"), "sum(rate(up[5m])").unwrap();
    let config = repo().join("golden/prod/prometheus/prometheus.yml");
    let body = format!(
        "{START_PROMETHEUS}\
         for q in \"$QUERIES\"/*; do\n\
           printf 'QUERY %s %s\\n' \"$(basename \"$q\")\" \"$(curl -s -G --max-time 5 --data-urlencode query@\"$q\" http://127.0.0.1:9090/api/v1/query)\"\n\
         done\n"
    );
    let (ok, out) = in_namespace(
        &[],
        &body,
        &[("CONFIG", &config), ("QUERIES", queries.path())],
    );
    assert!(ok, "{out}");
    let mut answered = 0;
    let mut guard_seen = false;
    for line in out.lines().filter_map(|l| l.strip_prefix("QUERY ")) {
        let (name, answer) = line.split_once(' ').unwrap();
        let status: J = serde_json::from_str(answer).unwrap_or(J::Null);
        if name == "guard" {
            guard_seen = true;
            assert_eq!(
                status["status"], "error",
                "the broken query passed: {answer}"
            );
        } else {
            let expr = std::fs::read_to_string(queries.path().join(name)).unwrap();
            assert_eq!(status["status"], "success", "{expr}: {answer}");
            answered += 1;
        }
    }
    assert!(
        n >= 10 && guard_seen,
        "{n} queries, guard seen: {guard_seen}\n{out}"
    );
    assert_eq!(answered, n, "{out}");
}
