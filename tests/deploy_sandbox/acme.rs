//! The ACME part of the deploy, run in the sandbox: the `docker` recorder acts as
//! lego on the mounted folder (`SANDBOX_ACME=issue|fail`).

use std::fs;
use std::path::Path;
use std::process::Command;

use super::{Run, bundle, host_state, repo, ros_script, sandbox, tools, with_secrets};

/// The ACME deploy: nginx came up with a placeholder certificate, then lego ran
/// for every domain, nginx reloaded once for the CA's certificate, and the
/// renewal timer is installed and enabled. A second run (the certificate not
/// yet due) reloads nothing.
pub fn check_acme(dir: &Path, run: &Run, shown: &str) {
    let log = run.log_of_run(1);
    let up = log.find("docker compose up").unwrap();
    let lego = log
        .find("docker run ")
        .unwrap_or_else(|| panic!("{shown}: lego never ran: {log}"));
    let reload = log
        .find("docker compose exec -T nginx nginx -s reload")
        .unwrap_or_else(|| panic!("{shown}: nginx was not reloaded: {log}"));
    assert!(up < lego && lego < reload, "{shown}: order: {log}");
    let lego_line = log[lego..].lines().next().unwrap();
    assert!(lego_line.contains(" goacme/lego:v"), "{shown}: {lego_line}");
    let conf = fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
    for domain in conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server_name "))
        .map(|d| d.trim_end_matches(';'))
        .filter(|d| *d != "_")
    {
        assert!(
            lego_line.contains(&format!("--domains={domain}")),
            "{shown}: no certificate for {domain}: {lego_line}"
        );
    }
    let project = fs::read_to_string(dir.join("acme/acme.timer")).unwrap();
    let unit = project
        .lines()
        .find_map(|l| l.strip_prefix("Unit="))
        .and_then(|u| u.strip_suffix(".service"))
        .unwrap();
    assert!(
        log.contains(&format!("systemctl enable --now {unit}.timer")),
        "{shown}: {log}"
    );
    let state = host_state(run, 1);
    for ext in ["service", "timer"] {
        let installed = Path::new("systemd").join(format!("{unit}.{ext}"));
        let (_, bytes, _) = state
            .iter()
            .find(|(p, _, _)| *p == installed)
            .unwrap_or_else(|| panic!("{shown}: {} not installed", installed.display()));
        assert_eq!(
            *bytes,
            fs::read(dir.join(format!("acme/acme.{ext}"))).unwrap()
        );
    }
    assert!(
        state
            .iter()
            .any(|(p, b, _)| p.ends_with("acme/certificates/futurestack.crt")
                && b == b"certificate from the ACME CA\n"),
        "{shown}: nginx's certificate is not the CA's"
    );
    assert!(
        !run.log_of_run(2)
            .contains("docker compose exec -T nginx nginx -s reload"),
        "{shown}: reloaded although the certificate did not change"
    );
}

#[test]
fn a_failing_acme_ca_leaves_the_placeholder_and_the_stack_up() {
    let Some(tools) = tools() else { return };
    let dir = repo().join("tests/cases/managed/golden/managed");
    let (script, _) = with_secrets(&ros_script(&dir));
    let tmp = tempfile::tempdir().unwrap();
    let run = sandbox(
        &tools,
        &script,
        &bundle(&dir, tmp.path()),
        1,
        &[("SANDBOX_ACME", "fail")],
    );
    assert_eq!(run.rc(1), 0, "{}", run.read("out.1"));
    assert!(
        run.read("out.1")
            .contains("warning: no certificate from the ACME CA yet"),
        "{}",
        run.read("out.1")
    );
    let log = run.log_of_run(1);
    assert!(log.contains("docker run "), "{log}");
    assert!(!log.contains("nginx -s reload"), "{log}");
    assert!(log.contains("systemctl enable --now"), "{log}");
    // The placeholder nginx started with: a real certificate for the first
    // domain, valid for a day.
    let state = host_state(&run, 1);
    let (path, _, _) = state
        .iter()
        .find(|(p, _, _)| p.ends_with("acme/certificates/futurestack.crt"))
        .expect("a placeholder certificate");
    let file = run.state.path().join("after.1").join(path);
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-checkend", "3600", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("CN = future.example.com"), "{text}");
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-checkend", "172800", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the placeholder outlives a day");
}
