//! The generated WeCom bridge, run with the system's Python on loopback against
//! a stub of WeCom's robot API: what Alertmanager posts arrives as one markdown
//! message for the right robot key; failures answer so Alertmanager retries;
//! the key never reaches a log.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as J, json};
use support::{repo, yaml};

const KEY: &str = "3f1d9c6e-robot-KEY_1";
const CASE: &str = "tests/cases/fresh-host/golden/fresh";

/// What the stub of WeCom's API received: request target and body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Reads one HTTP/1.1 request: (request line, body).
fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some((
        line.trim_end().to_owned(),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// A stub of `qyapi.weixin.qq.com` on loopback answering every request with
/// `answer` (a WeCom JSON reply). Returns its port.
fn wecom_stub(answer: &'static str, seen: Seen) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            if let Some((line, body)) = read_request(&mut stream) {
                seen.lock().unwrap().push((line, body));
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    port
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP request to the bridge: (status, body).
fn request(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: wecom-bridge\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

struct Bridge {
    child: Child,
    port: u16,
    _secrets: tempfile::TempDir,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bridge {
    /// Stops the bridge and returns what it logged.
    fn log(mut self) -> String {
        let _ = self.child.kill();
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut log);
        }
        log
    }
}

/// Starts the generated bridge with the generated routes, the robot key in a
/// secret folder, and WeCom's API at the stub.
fn start_bridge(api_port: u16, key: Option<&str>) -> Bridge {
    let dir = repo().join(CASE);
    let compose = yaml(&dir.join("docker-compose.yml"));
    let service = &compose["services"]["wecom-bridge"];
    let routes = service["environment"]["WECOM_ROUTES"].as_str().unwrap();
    let secret = service["secrets"][0]["source"].as_str().unwrap();
    let secrets = tempfile::tempdir().unwrap();
    if let Some(key) = key {
        std::fs::write(secrets.path().join(secret), format!("{key}\n")).unwrap();
    }
    let port = free_port();
    let child = Command::new("python3")
        .arg(dir.join("wecom-bridge/bridge.py"))
        .env("LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "WECOM_API",
            format!("http://127.0.0.1:{api_port}/cgi-bin/webhook/send"),
        )
        .env("WECOM_ROUTES", routes)
        .env("SECRETS_DIR", secrets.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let bridge = Bridge {
        child,
        port,
        _secrets: secrets,
    };
    for _ in 0..200 {
        if request(port, "GET", "/healthz", "").is_some_and(|(s, _)| s == 200) {
            return bridge;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the bridge did not start: {}", bridge.log());
}

/// An Alertmanager webhook (version 4) with `n` firing alerts.
fn payload(n: usize) -> String {
    payload_with(n, "Prometheus cannot scrape it\nfor 2 minutes.")
}

fn payload_with(n: usize, description: &str) -> String {
    let alerts: Vec<J> = (0..n)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": format!("ServiceDown{i}"), "severity": "critical",
                           "service": "ai-nlp", "stack": "future", "environment": "fresh"},
                "annotations": {"summary": format!("ai-nlp 不可用 ({i})"),
                                "description": description},
                "startsAt": "2026-11-29T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            })
        })
        .collect();
    json!({"version": "4", "status": "firing", "receiver": "team", "alerts": alerts,
           "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
           "externalURL": "http://alertmanager:9093", "groupKey": "{}"})
    .to_string()
}

#[test]
fn alerts_arrive_as_one_markdown_message_for_the_robot() {
    let seen: Seen = Arc::default();
    let api = wecom_stub(r#"{"errcode":0,"errmsg":"ok"}"#, seen.clone());
    let bridge = start_bridge(api, Some(KEY));
    let (status, body) = request(bridge.port, "POST", "/alert/team", &payload(2)).unwrap();
    assert_eq!((status, body.trim()), (200, "sent"));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (line, body) = &seen[0];
    assert_eq!(
        line,
        &format!("POST /cgi-bin/webhook/send?key={KEY} HTTP/1.1")
    );
    let message: J = serde_json::from_str(body).unwrap();
    assert_eq!(message["msgtype"], "markdown");
    let content = message["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains("[FIRING]</font> **ServiceDown0** critical future/fresh"),
        "{content}"
    );
    assert!(content.contains("> ai-nlp 不可用 (1)"), "{content}");
    assert!(
        content.contains("> Prometheus cannot scrape it for 2 minutes."),
        "{content}"
    );
    let log = bridge.log();
    assert!(!log.contains(KEY), "the key reached the log: {log}");
}

#[test]
fn a_long_batch_is_cut_to_what_wecom_keeps() {
    let seen: Seen = Arc::default();
    let api = wecom_stub(r#"{"errcode":0,"errmsg":"ok"}"#, seen.clone());
    let bridge = start_bridge(api, Some(KEY));
    // Many alerts: the first 20, then a count.
    let (status, _) = request(bridge.port, "POST", "/alert/team", &payload(100)).unwrap();
    assert_eq!(status, 200);
    // Long texts: cut at 4096 bytes, on a character boundary, with a mark.
    let long = "告警".repeat(400);
    let (status, _) = request(bridge.port, "POST", "/alert/team", &payload_with(5, &long)).unwrap();
    assert_eq!(status, 200);
    let seen = seen.lock().unwrap().clone();
    let content = |i: usize| {
        let message: J = serde_json::from_str(&seen[i].1).unwrap();
        message["markdown"]["content"].as_str().unwrap().to_owned()
    };
    assert!(content(0).ends_with("\n... and 80 more"), "{}", content(0));
    assert!(content(0).len() <= 4096);
    assert!(content(1).len() <= 4096, "{} bytes", content(1).len());
    assert!(
        content(1).ends_with("..."),
        "cut with a mark: {}",
        content(1)
    );
}

#[test]
fn failures_answer_so_alertmanager_retries_and_never_log_the_key() {
    // WeCom refuses (a wrong key): 502, which Alertmanager retries.
    let seen: Seen = Arc::default();
    let api = wecom_stub(
        r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
        seen.clone(),
    );
    let bridge = start_bridge(api, Some(KEY));
    let (status, _) = request(bridge.port, "POST", "/alert/team", &payload(1)).unwrap();
    assert_eq!(status, 502);
    // An unknown receiver is not sent anywhere.
    let (status, _) = request(bridge.port, "POST", "/alert/nobody", &payload(1)).unwrap();
    assert_eq!(status, 404);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Not JSON.
    let (status, _) = request(bridge.port, "POST", "/alert/team", "{not json").unwrap();
    assert_eq!(status, 400);
    // JSON, but no webhook: refused at once (a 502 would be retried forever).
    for body in ["[1, 2]", r#"{"alerts": 5}"#, r#"{"alerts": [7]}"#] {
        let (status, _) = request(bridge.port, "POST", "/alert/team", body).unwrap();
        assert_eq!(status, 400, "{body}");
    }
    let log = bridge.log();
    assert!(log.contains("WeCom refused: 93000"), "{log}");
    assert!(!log.contains(KEY), "the key reached the log: {log}");

    // No key file: 500, nothing sent.
    let seen: Seen = Arc::default();
    let api = wecom_stub(r#"{"errcode":0,"errmsg":"ok"}"#, seen.clone());
    let bridge = start_bridge(api, None);
    let (status, _) = request(bridge.port, "POST", "/alert/team", &payload(1)).unwrap();
    assert_eq!(status, 500);
    assert!(seen.lock().unwrap().is_empty());

    // A key that is not a robot key (it would end up in the URL): refused.
    let bridge = start_bridge(api, Some("abc&key=other"));
    let (status, _) = request(bridge.port, "POST", "/alert/team", &payload(1)).unwrap();
    assert_eq!(status, 500);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn alertmanager_posts_each_wecom_receiver_to_its_bridge_route() {
    let dir = repo().join(CASE);
    let config = yaml(&dir.join("alertmanager/alertmanager.yml"));
    let team = config["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "team")
        .expect("the team receiver");
    assert_eq!(
        team["webhook_configs"][0]["url"],
        "http://wecom-bridge:8061/alert/team"
    );
    // The key reaches only the bridge, never Alertmanager.
    let compose = yaml(&dir.join("docker-compose.yml"));
    let am_secrets = compose["services"]["alertmanager"]["secrets"].to_string();
    assert!(!am_secrets.contains("wecom-robot-key"), "{am_secrets}");
}
