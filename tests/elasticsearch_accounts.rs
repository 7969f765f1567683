//! The Elasticsearch accounts job as it behaves: its generated script, run in
//! a network namespace against a loopback stand-in for the security API
//! (`tests/sandbox/es-security-stub.py`, which answers as Elasticsearch 8
//! does to these requests), makes the exporter's role with only the
//! `monitor` privileges and the app's role with only its own indices, sends
//! the administrator's password only on curl's standard input, and refuses a
//! password that would reach JSON unquoted. Debian packages no Elasticsearch,
//! so the privileges themselves are as Elastic documents them.

mod support;

use support::{namespace, repo, yaml};

fn job_script() -> String {
    namespace::sh_c_script(
        &yaml(&repo().join("golden/prod/docker-compose.yml")),
        "elasticsearch-accounts",
    )
}

/// Runs the stub and the job once per (monitor, app) password pair; prints
/// the stub's accepted requests and every curl command line.
fn scenario(script: &str, runs: &[(&str, &str)]) -> Option<(bool, String)> {
    if !namespace::ready(
        "the Elasticsearch accounts test",
        &["unshare", "curl", "python3"],
    ) {
        return None;
    }
    let mut body = String::new();
    for (i, (monitor, app)) in runs.iter().enumerate() {
        body.push_str(&format!(
            "printf %s {m} > /run/secrets/elastic-monitor-password\n\
             printf %s {a} > /run/secrets/elastic-ai-nlp-password\n\
             if sh -c \"$JOB\" 2>>\"$work/job.err\"; then echo \"RUN {i} ok\"; else echo \"RUN {i} failed\"; fi\n",
            m = futurestack::shell::quote(monitor),
            a = futurestack::shell::quote(app)
        ));
    }
    let text = format!(
        r#"set -eu
ip link set lo up
work=$(mktemp -d); chmod 755 "$work"
echo '127.0.0.1 localhost elasticsearch' > "$work/hosts"; mount --bind "$work/hosts" /etc/hosts
mount -t tmpfs tmpfs /run; mkdir -p /run/secrets
printf %s 'admin-pw"\x' > /run/secrets/elastic-password
# Every curl command line is recorded, then the real curl runs.
mkdir "$work/bin"; real=$(command -v curl)
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> %s/argv\nexec %s "$@"\n' "$work" "$real" > "$work/bin/curl"; chmod +x "$work/bin/curl"
export PATH="$work/bin:$PATH"
python3 "$STUB" 9200 'admin-pw"\x' "$work/state" & stub=$!
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:9200/ && break; sleep 0.05; done
: > "$work/argv"
{body}
kill $stub
sed 's/^/STATE /' "$work/state" 2>/dev/null || true
sed 's/^/ARGV /' "$work/argv"
sed 's/^/JOBERR /' "$work/job.err" 2>/dev/null || true
"#
    );
    let stub = repo().join("tests/sandbox/es-security-stub.py");
    Some(namespace::run(
        &text,
        &[("JOB", script), ("STUB", stub.to_str().unwrap())],
    ))
}

fn state(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .filter_map(|l| l.strip_prefix("STATE "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_job_makes_the_monitoring_and_app_accounts_with_only_their_privileges() {
    let Some((ok, out)) = scenario(
        &job_script(),
        &[("monitor-1", "app-pw-1"), ("monitor-2", "app-pw-2")],
    ) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(
        out.contains("RUN 0 ok") && out.contains("RUN 1 ok"),
        "{out}"
    );
    let seen = state(&out);
    // Two runs, four requests each: role then user, monitor then app.
    assert_eq!(seen.len(), 8, "{out}");
    for (run, pair) in seen.chunks(4).enumerate() {
        let n = run + 1;
        assert_eq!(
            pair[0],
            serde_json::json!({"kind": "role", "name": "futurestack_monitor", "body":
                {"cluster": ["monitor"], "indices": [{"names": ["*"], "privileges": ["monitor"]}]}})
        );
        assert_eq!(
            pair[1],
            serde_json::json!({"kind": "user", "name": "futurestack_monitor", "body":
                {"password": format!("monitor-{n}"), "roles": ["futurestack_monitor"]}})
        );
        assert_eq!(
            pair[2],
            serde_json::json!({"kind": "role", "name": "futurestack_app_ai_nlp", "body":
                {"cluster": [], "indices": [{"names": ["ai-nlp-*"], "privileges": ["all"]}]}})
        );
        assert_eq!(
            pair[3],
            serde_json::json!({"kind": "user", "name": "ai_nlp", "body":
                {"password": format!("app-pw-{n}"), "roles": ["futurestack_app_ai_nlp"]}})
        );
    }
    // The administrator's password (with a quote and a backslash) never
    // reaches a command line.
    let argv: Vec<&str> = out.lines().filter(|l| l.starts_with("ARGV ")).collect();
    assert_eq!(argv.len(), 8, "{out}");
    assert!(argv.iter().all(|l| !l.contains("admin-pw")), "{out}");
}

#[test]
fn guard_a_password_that_would_reach_json_is_refused() {
    let Some((ok, out)) = scenario(&job_script(), &[("x\",\"roles\":[\"superuser", "app-pw-1")])
    else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("RUN 0 failed"), "{out}");
    assert!(
        out.contains(
            "JOBERR futurestack: secret elastic-monitor-password must be letters, digits, _ and -"
        ),
        "{out}"
    );
    assert!(state(&out).is_empty(), "{out}");
}

#[test]
fn guard_the_stub_refuses_a_wrong_administrator_password() {
    // The job against a stub that expects another password fails (curl -f).
    let script = job_script().replace(
        "/run/secrets/elastic-password",
        "/run/secrets/elastic-ai-nlp-password",
    );
    let Some((ok, out)) = scenario(&script, &[("monitor-1", "app-pw-1")]) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("RUN 0 failed"), "{out}");
    assert!(out.contains("401"), "{out}");
    assert!(state(&out).is_empty(), "{out}");
}
