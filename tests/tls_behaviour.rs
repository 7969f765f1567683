//! TLS as it behaves: the real nginx (Debian's) serves ACME HTTP-01 challenges
//! from the webroot lego writes to and redirects everything else; the real
//! blackbox exporter, probing nginx exactly as the generated Prometheus job
//! says, reports the expiry of the certificate nginx serves (what the expiry
//! alerts read); the renewal script passes shellcheck and the systemd units
//! `systemd-analyze verify` under the names the deploy installs them as. Each
//! runs in a private mount and network namespace (`unshare -m -n`, loopback
//! only); guard tests prove each check fails on a broken input.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::nginx::{namespace_tools, with_nginx, yaml};
use support::{golden_env_dirs, repo, run_tool, tool_on_path};

const TOKEN: &str = "Xq3_token-0123";

/// lego's webroot layout with one challenge, as the `webroot` provider writes it.
fn webroot() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("acme/.well-known/acme-challenge");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(TOKEN), format!("{TOKEN}.key-authorization")).unwrap();
    tmp
}

/// For each domain: the challenge body, a missing token's status, and what a
/// plain HTTP request for anything else gets.
fn http_answers(dir: &Path, domains: &[String]) -> Option<(bool, String)> {
    let webroot = webroot();
    let mut body = String::new();
    for domain in domains {
        body.push_str(&format!(
            "curl -s --max-time 5 -H 'Host: {domain}' http://127.0.0.1/.well-known/acme-challenge/{TOKEN}; echo\n\
             curl -s --max-time 5 -o /dev/null -w '%{{http_code}}\\n' -H 'Host: {domain}' http://127.0.0.1/.well-known/acme-challenge/missing\n\
             curl -s --max-time 5 -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' -H 'Host: {domain}' http://127.0.0.1/api/x\n"
        ));
    }
    Some(with_nginx(dir, webroot.path(), &body))
}

fn domains(dir: &Path) -> Vec<String> {
    let conf = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
    let mut out: Vec<String> = conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("server_name "))
        .map(|d| d.trim_end_matches(';').to_owned())
        .filter(|d| d != "_")
        .collect();
    out.sort();
    out.dedup();
    out
}

fn acme_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("acme/renew.sh").is_file())
        .collect()
}

#[test]
fn nginx_serves_acme_challenges_and_redirects_the_rest() {
    let dirs = acme_dirs();
    assert!(!dirs.is_empty(), "no golden case uses ACME");
    let Some(()) = namespace_tools(&[]) else {
        return;
    };
    let mut most = 0;
    for dir in dirs {
        let domains = domains(&dir);
        assert!(!domains.is_empty(), "{}: no domain", dir.display());
        most = most.max(domains.len());
        let (ok, out) = http_answers(&dir, &domains).unwrap();
        assert!(ok, "{}: {out}", dir.display());
        let mut expected = String::new();
        for d in &domains {
            expected.push_str(&format!(
                "{TOKEN}.key-authorization\n404\n301 https://{d}/api/x\n"
            ));
        }
        assert_eq!(out, expected, "{}", dir.display());
    }
    // At least one case serves several domains from one certificate.
    assert!(most >= 2, "no ACME case with several domains");
}

#[test]
fn guard_without_the_webroot_location_the_challenge_is_redirected() {
    // The shipped prod config takes its certificate from files: no webroot.
    let dir = repo().join("golden/prod");
    let Some(()) = namespace_tools(&[]) else {
        return;
    };
    let (ok, out) = http_answers(&dir, &domains(&dir)).unwrap();
    assert!(ok, "{out}");
    assert!(!out.contains("key-authorization"), "{out}");
    assert!(
        out.starts_with("\n301 ") || out.contains("301 https://"),
        "{out}"
    );
}

/// The `tls-certificate` job of the generated prometheus.yml: (module, target).
fn probe_job(dir: &Path) -> Option<(String, String)> {
    let prometheus = yaml(&dir.join("prometheus/prometheus.yml"));
    let job = prometheus["scrape_configs"]
        .as_array()?
        .iter()
        .find(|j| j["job_name"] == "tls-certificate")?;
    Some((
        job["params"]["module"][0].as_str()?.to_owned(),
        job["static_configs"][0]["targets"][0].as_str()?.to_owned(),
    ))
}

/// The blackbox exporter with the generated config, probing `target` with
/// `module` as Prometheus would; returns the probe's metrics and `$NOT_AFTER`.
fn probe(dir: &Path, module: &str, target: &str) -> Option<(String, i64)> {
    let exporter = tool_on_path("prometheus-blackbox-exporter")?;
    let config = dir.join("blackbox/blackbox.yml");
    let empty = tempfile::tempdir().unwrap();
    let body = format!(
        r#"
        "{exporter}" --config.file="{config}" --web.listen-address=127.0.0.1:9115 >/dev/null 2>&1 &
        exporter=$!
        for _ in $(seq 1 50); do
          curl -sf --max-time 1 http://127.0.0.1:9115/-/healthy >/dev/null && break
          sleep 0.1
        done
        echo "not_after $NOT_AFTER"
        curl -s --max-time 10 'http://127.0.0.1:9115/probe?module={module}&target={target}'
        kill "$exporter"
        "#,
        exporter = exporter.display(),
        config = config.display(),
    );
    let (ok, out) = with_nginx(dir, empty.path(), &body);
    assert!(ok, "{}: {out}", dir.display());
    let not_after = out
        .lines()
        .find_map(|l| l.strip_prefix("not_after "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    Some((out, not_after))
}

fn metric(out: &str, name: &str) -> Option<f64> {
    out.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[test]
fn the_blackbox_probe_reports_the_expiry_of_the_certificate_nginx_serves() {
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("blackbox/blackbox.yml").is_file())
        .collect();
    assert!(dirs.len() >= 3, "{dirs:?}");
    let Some(()) = namespace_tools(&["prometheus-blackbox-exporter"]) else {
        return;
    };
    for dir in dirs {
        let (module, target) =
            probe_job(&dir).unwrap_or_else(|| panic!("{}: no tls-certificate job", dir.display()));
        let (out, not_after) = probe(&dir, &module, &target).unwrap();
        assert_eq!(
            metric(&out, "probe_success"),
            Some(1.0),
            "{}: {out}",
            dir.display()
        );
        let expiry = metric(&out, "probe_ssl_earliest_cert_expiry")
            .unwrap_or_else(|| panic!("{}: no expiry: {out}", dir.display()));
        assert_eq!(expiry as i64, not_after, "{}: {out}", dir.display());
    }
}

#[test]
fn guard_a_probe_of_plain_http_fails_and_reports_no_expiry() {
    let dir = repo().join("golden/prod");
    let Some(()) = namespace_tools(&["prometheus-blackbox-exporter"]) else {
        return;
    };
    let (module, target) = probe_job(&dir).unwrap();
    let plain = target.replace(":443", ":80");
    assert_ne!(plain, target);
    let (out, _) = probe(&dir, &module, &plain).unwrap();
    assert_eq!(metric(&out, "probe_success"), Some(0.0), "{out}");
    assert_eq!(
        metric(&out, "probe_ssl_earliest_cert_expiry"),
        None,
        "{out}"
    );
}

fn shellcheck_sh(text: &str) -> Option<(bool, String)> {
    let shellcheck = tool_on_path("shellcheck")?;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    Some(run_tool(
        Command::new(shellcheck)
            .args(["--shell=sh", "--severity=style"])
            .arg(file.path()),
    ))
}

/// The unit name the deploy installs the service and timer as.
fn installed_unit(dir: &Path) -> String {
    let deploy = std::fs::read_to_string(dir.join("terraform/deploy.sh.tftpl")).unwrap();
    deploy
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("systemctl enable --now '")?;
            rest.strip_suffix(".timer'")
                .filter(|u| u.ends_with("-acme"))
        })
        .unwrap_or_else(|| panic!("{}: the deploy enables no ACME timer", dir.display()))
        .to_owned()
}

/// `systemd-analyze verify` does not check that a timer's `Unit=` exists; this does.
fn timer_starts(timer: &str, unit: &str) -> bool {
    let targets: Vec<&str> = timer
        .lines()
        .filter_map(|l| l.strip_prefix("Unit="))
        .collect();
    targets == [format!("{unit}.service")]
}

/// `systemd-analyze verify` of the units under the names the deploy installs
/// them as, next to a stand-in `docker.service` (which the service requires).
fn verify_units(dir: &Path, service: &str, timer: &str) -> Option<(bool, String)> {
    let analyze = tool_on_path("systemd-analyze")?;
    let unit = installed_unit(dir);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(format!("{unit}.service")), service).unwrap();
    std::fs::write(tmp.path().join(format!("{unit}.timer")), timer).unwrap();
    std::fs::write(
        tmp.path().join("docker.service"),
        "[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    Some(run_tool(
        Command::new(analyze)
            .args(["verify", "--man=no"])
            .arg(tmp.path().join(format!("{unit}.timer")))
            .arg(tmp.path().join(format!("{unit}.service")))
            .env("SYSTEMD_UNIT_PATH", format!("{}:", tmp.path().display())),
    ))
}

#[test]
fn renewal_script_and_units_pass_shellcheck_and_systemd_analyze() {
    let dirs = acme_dirs();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let script = std::fs::read_to_string(dir.join("acme/renew.sh")).unwrap();
        let Some((ok, out)) = shellcheck_sh(&script) else {
            return;
        };
        assert!(ok, "{}: shellcheck:\n{out}", dir.display());
        let service = std::fs::read_to_string(dir.join("acme/acme.service")).unwrap();
        let timer = std::fs::read_to_string(dir.join("acme/acme.timer")).unwrap();
        assert!(
            timer_starts(&timer, &installed_unit(&dir)),
            "{}: {timer}",
            dir.display()
        );
        let Some((ok, out)) = verify_units(&dir, &service, &timer) else {
            return;
        };
        assert!(
            ok && out.trim().is_empty(),
            "{}: systemd-analyze:\n{out}",
            dir.display()
        );
    }
}

#[test]
fn guard_broken_renewal_script_and_units_are_caught() {
    let dir = acme_dirs().remove(0);
    let script = std::fs::read_to_string(dir.join("acme/renew.sh")).unwrap();
    let unquoted = script.replace("\"$before\" != \"$after\"", "$before != $after");
    assert_ne!(unquoted, script);
    let Some((ok, _)) = shellcheck_sh(&unquoted) else {
        return;
    };
    assert!(!ok, "shellcheck accepted unquoted expansions");
    let service = std::fs::read_to_string(dir.join("acme/acme.service")).unwrap();
    let timer = std::fs::read_to_string(dir.join("acme/acme.timer")).unwrap();
    let bad_calendar = timer.replace("00,12:00:00", "25:00:00");
    assert_ne!(bad_calendar, timer);
    let Some((ok, out)) = verify_units(&dir, &service, &bad_calendar) else {
        return;
    };
    assert!(!ok, "systemd-analyze accepted a bad calendar: {out}");
    let wrong_unit = timer.replace(".service", "-typo.service");
    assert_ne!(wrong_unit, timer);
    assert!(!timer_starts(&wrong_unit, &installed_unit(&dir)));
}
