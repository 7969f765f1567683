//! The deploy scripts, proven by running them. For every golden environment, the
//! Terraform script is rendered by Terraform's own `templatefile` (with exactly
//! the variables `main.tf` passes) and the ROS one by substituting its `Fn::Sub`
//! references; Cloud Assistant's `{{oos-secret:...}}` references get awkward but
//! allowed values (`$`, `"`, `#`, `\`, `=`). Each script is shellchecked, then
//! run twice as root inside a private mount namespace (`unshare -m`) with
//! `docker`, `curl`, `mkfs.ext4`, `mount`, `blkid`, `systemctl` replaced by
//! recorders (`tests/sandbox/`). The test checks what it did, that the second
//! run changed nothing, and that the real Docker Compose reads every `.env`
//! value back unchanged. Guard tests prove each check fails on a broken input.

#[path = "../support/mod.rs"]
mod support;

mod acme;
mod logtail;
use acme::check_acme;
use logtail::check_logtail;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{golden_env_dirs, in_ci, repo, tool_on_path};

/// The tools these tests need, or `None` (a skip, refused under `CI=true`).
struct Tools {
    tf_python: PathBuf,
    compose: PathBuf,
    shellcheck: PathBuf,
}

fn tools() -> Option<Tools> {
    let tf_python = repo().join(".tools/tfvenv/bin/python");
    let compose = std::env::var_os("FUTURESTACK_DOCKER_COMPOSE").map(PathBuf::from);
    let shellcheck = tool_on_path("shellcheck");
    let unshare = tool_on_path("unshare");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    match (tf_python.is_file(), compose, shellcheck, unshare, root) {
        (true, Some(compose), Some(shellcheck), Some(_), true) => Some(Tools {
            tf_python,
            compose,
            shellcheck,
        }),
        _ => {
            assert!(
                !in_ci(),
                "the deploy sandbox needs root, unshare, shellcheck, .tools/tfvenv and FUTURESTACK_DOCKER_COMPOSE under CI=true: run ./scripts/test"
            );
            eprintln!("SKIPPED: deploy sandbox tools missing; run ./scripts/test");
            None
        }
    }
}

const DISK_ID: &str = "d-bp1sandboxdisk0001";

/// A value for each secret with every character the templates allow but a shell,
/// HCL or Compose would read specially.
fn secret_value(env: &str) -> String {
    format!("Pa$w0rd\"#\\={env}$(id)`x`")
}

/// The variables `main.tf` passes to `templatefile` for the deploy script.
fn template_vars(main_tf: &str) -> BTreeMap<String, String> {
    let start = main_tf
        .find("templatefile(\"${path.module}/deploy.sh.tftpl\", ")
        .expect("main.tf renders deploy.sh.tftpl");
    let rest = &main_tf[start..];
    let body = &rest[rest.find(", ").unwrap() + 2..rest.find("))").unwrap()];
    body.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| {
            let k = k.trim().to_owned();
            let v = if k == "data_disk_id" {
                DISK_ID.to_owned()
            } else {
                format!("{k}.internal.example")
            };
            (k, v)
        })
        .collect()
}

fn render_tf(
    tools: &Tools,
    template: &Path,
    vars: &BTreeMap<String, String>,
) -> Result<String, String> {
    let tmp = tempfile::tempdir().unwrap();
    let vars_file = tmp.path().join("vars.json");
    fs::write(&vars_file, serde_json::to_string(vars).unwrap()).unwrap();
    let out = Command::new(&tools.tf_python)
        .arg(repo().join("scripts/render-tftpl.py"))
        .arg(template)
        .arg(&vars_file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// ROS `Fn::Sub`: `${!x}` is a literal `${x}`; `${Name}` and `${Name.Attr}` are
/// looked up (an unknown reference fails the test).
fn fn_sub(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        if let Some(lit) = after.strip_prefix('!') {
            out.push_str("${");
            rest = lit;
            continue;
        }
        let end = after.find('}').expect("closed reference");
        let name = &after[..end];
        out.push_str(&lookup(name).unwrap_or_else(|| panic!("unknown Fn::Sub reference `{name}`")));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The ROS deploy command as ROS hands it to Cloud Assistant: the data disk's
/// id, the managed endpoints, and the wait condition handle's `CurlCli` (here a
/// recorder) substituted.
fn ros_script(dir: &Path) -> String {
    let text = fs::read_to_string(dir.join("ros/template.yaml")).unwrap();
    let ros: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let deploy = ros["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "ALIYUN::ECS::RunCommand")
        .unwrap();
    let content = deploy["Properties"]["CommandContent"]["Fn::Sub"]
        .as_str()
        .unwrap();
    fn_sub(content, |name| {
        if name == "DataDisk" {
            Some(DISK_ID.to_owned())
        } else if name.starts_with("DeployHandle") && name.ends_with(".CurlCli") {
            Some("notify-stub".to_owned())
        } else if name.starts_with("Managed") && name.contains('.') {
            Some(format!("{}.internal.example", name.replace('.', "-")))
        } else {
            None
        }
    })
}

/// Cloud Assistant replaces each `{{oos-secret:NAME}}` with the parameter's value.
fn with_secrets(script: &str) -> (String, BTreeMap<String, String>) {
    let mut out = String::new();
    let mut values = BTreeMap::new();
    let mut rest = script;
    while let Some(i) = rest.find("{{oos-secret:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "{{oos-secret:".len()..];
        let end = after.find("}}").unwrap();
        let name = &after[..end];
        let env = name.rsplit('-').next().unwrap().to_owned();
        let value = secret_value(&env);
        out.push_str(&value);
        values.insert(env, value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    assert!(!out.contains("{{"), "a `{{` Cloud Assistant would misread");
    (out, values)
}

fn shellcheck(tools: &Tools, script: &str) -> (bool, String) {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    fs::write(tmp.path(), script).unwrap();
    let out = Command::new(&tools.shellcheck)
        .args(["--shell=bash", "--severity=style"])
        .arg(tmp.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A `.tar.gz` of an environment's folder, as the README tells users to make it.
fn bundle(dir: &Path, into: &Path) -> PathBuf {
    let file = into.join("bundle.tar.gz");
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&file)
        .arg("-C")
        .arg(dir)
        .arg(".")
        .status()
        .unwrap()
        .success();
    assert!(ok);
    file
}

struct Run {
    state: tempfile::TempDir,
}

impl Run {
    fn rc(&self, i: u32) -> i32 {
        self.read(&format!("rc.{i}")).trim().parse().unwrap()
    }
    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.state.path().join(name)).unwrap_or_default()
    }
    fn log_of_run(&self, i: u32) -> String {
        let log = self.read("log");
        let start = log.find(&format!("--- run {i}\n")).unwrap();
        let rest = &log[start..];
        rest[1..]
            .find("--- run ")
            .map(|e| rest[..e + 1].to_owned())
            .unwrap_or_else(|| rest.to_owned())
    }
}

fn sandbox(
    tools: &Tools,
    script: &str,
    bundle_file: &Path,
    runs: u32,
    env: &[(&str, &str)],
) -> Run {
    let state = tempfile::tempdir().unwrap();
    let script_file = state.path().join("deploy.sh");
    fs::write(&script_file, script).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.arg("-m")
        .arg("bash")
        .arg(repo().join("tests/sandbox/run-deploy.sh"))
        .arg(&script_file)
        .arg(state.path())
        .arg(bundle_file)
        .arg(runs.to_string())
        .env("SANDBOX_COMPOSE", &tools.compose)
        .env("SANDBOX_DISK_SERIAL", DISK_ID.trim_start_matches("d-"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "sandbox harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run { state }
}

/// A snapshot of what the deploy left on the host after run `i`.
fn host_state(run: &Run, i: u32) -> Vec<(PathBuf, Vec<u8>, u32)> {
    let base = run.state.path().join(format!("after.{i}"));
    let mut out = Vec::new();
    for sub in ["opt", "systemd", "docker", "ilogtail"] {
        let root = base.join(sub);
        for (path, bytes) in support::snapshot(&root) {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            let relative = path.strip_prefix(&root).unwrap_or(&path);
            out.push((Path::new(sub).join(relative), bytes, mode));
        }
    }
    out.push((
        "fstab".into(),
        fs::read(base.join("fstab")).unwrap_or_default(),
        0,
    ));
    out
}

fn check_deploy(
    tools: &Tools,
    dir: &Path,
    script: &str,
    secrets: &BTreeMap<String, String>,
    what: &str,
) {
    let shown = format!("{} ({what})", dir.display());
    let (ok, out) = shellcheck(tools, script);
    assert!(ok, "{shown}: shellcheck:\n{out}");

    let tmp = tempfile::tempdir().unwrap();
    let bundle_file = bundle(dir, tmp.path());
    let project = dir.file_name().unwrap().to_str().unwrap();
    let run = sandbox(tools, script, &bundle_file, 2, &[("SANDBOX_ACME", "issue")]);
    assert_eq!(
        run.rc(1),
        0,
        "{shown}: deploy failed:\n{}\n{}",
        run.read("out.1"),
        run.read("compose.err")
    );
    let first = host_state(&run, 1);

    // Every `.env` value arrives in Compose byte for byte.
    let environment = run.read("environment");
    for (env, value) in secrets {
        assert!(
            environment.lines().any(|l| l == format!("{env}={value}")),
            "{shown}: `{env}` did not reach Compose unchanged:\n{environment}"
        );
    }
    // The files the stack uses are laid down; `.env` is readable by root only.
    let env_file = first
        .iter()
        .find(|(p, _, _)| p.ends_with(".env"))
        .unwrap_or_else(|| panic!("{shown}: no .env written"));
    assert_eq!(env_file.2 & 0o777, 0o600, "{shown}: .env mode");
    assert!(
        first
            .iter()
            .any(|(p, _, _)| p.ends_with("docker-compose.yml")),
        "{shown}: no compose file on the host ({project})"
    );
    let log = run.log_of_run(1);
    assert!(log.contains("docker compose up --detach"), "{shown}: {log}");
    if script.contains("disk_id=") {
        assert!(
            log.contains("mkfs.ext4 -q -L futurestack"),
            "{shown}: {log}"
        );
        let fstab = run.read("fstab");
        assert_eq!(fstab.lines().count(), 1, "{shown}: {fstab}");
        assert!(fstab.contains("/var/lib/docker ext4 defaults,nofail 0 2"));
        assert!(
            first
                .iter()
                .any(|(p, b, _)| p.ends_with("futurestack-data-disk.conf")
                    && String::from_utf8_lossy(b).contains("RequiresMountsFor=/var/lib/docker")),
            "{shown}: Docker must wait for the data disk"
        );
    }
    if dir.join("acme/renew.sh").is_file() {
        check_acme(dir, &run, &shown);
    }
    if let Some(id) = script.lines().find_map(|l| {
        l.strip_prefix("  echo '")?
            .strip_suffix("' >> /etc/ilogtail/user_defined_id")
    }) {
        check_logtail(&run, id, &shown);
    } else {
        assert!(
            !log.contains("logtail"),
            "{shown}: Logtail without `logging.mode: sls`"
        );
    }
    if script.contains("notify-stub") {
        assert!(
            log.contains("notify-stub -d {\"status\": \"SUCCESS\""),
            "{shown}: {log}"
        );
    }

    // A second run changes nothing: no new file system, the same files and modes.
    assert_eq!(
        run.rc(2),
        0,
        "{shown}: second run failed:\n{}",
        run.read("out.2")
    );
    let second = host_state(&run, 2);
    let changed: Vec<_> = second
        .iter()
        .filter(|entry| !first.contains(entry))
        .map(|(p, _, _)| p.display().to_string())
        .collect();
    assert!(
        changed.is_empty() && second.len() == first.len(),
        "{shown}: a second run changed the host: {changed:?}"
    );
    assert!(
        !run.log_of_run(2).contains("mkfs"),
        "{shown}: formatted twice"
    );
}

/// Golden environment folders that deploy with the cloud targets.
fn deploy_dirs() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("terraform/deploy.sh.tftpl").is_file())
        .collect();
    assert!(dirs.len() >= 6, "{dirs:?}");
    dirs
}

#[test]
fn terraform_deploy_scripts_run_and_are_idempotent() {
    let Some(tools) = tools() else { return };
    for dir in deploy_dirs() {
        let main = fs::read_to_string(dir.join("terraform/main.tf")).unwrap();
        let rendered = render_tf(
            &tools,
            &dir.join("terraform/deploy.sh.tftpl"),
            &template_vars(&main),
        )
        .unwrap_or_else(|e| panic!("{}: templatefile: {e}", dir.display()));
        let (script, secrets) = with_secrets(&rendered);
        check_deploy(&tools, &dir, &script, &secrets, "terraform");
    }
}

#[test]
fn ros_deploy_scripts_run_and_are_idempotent() {
    let Some(tools) = tools() else { return };
    for dir in deploy_dirs() {
        let (script, secrets) = with_secrets(&ros_script(&dir));
        check_deploy(&tools, &dir, &script, &secrets, "ros");
    }
}

fn fresh_dir() -> PathBuf {
    repo().join("tests/cases/fresh-host/golden/fresh")
}

#[test]
fn templatefile_fails_when_main_tf_omits_a_variable() {
    let Some(tools) = tools() else { return };
    let dir = fresh_dir();
    let main = fs::read_to_string(dir.join("terraform/main.tf")).unwrap();
    let mut vars = template_vars(&main);
    assert!(vars.remove("data_disk_id").is_some());
    let err = render_tf(&tools, &dir.join("terraform/deploy.sh.tftpl"), &vars).unwrap_err();
    assert!(err.contains("data_disk_id"), "{err}");
}

#[test]
fn shellcheck_rejects_a_broken_script() {
    let Some(tools) = tools() else { return };
    let (ok, out) = shellcheck(
        &tools,
        "#!/bin/bash\nfor f in $(ls *.yml); do cat $f; done\n",
    );
    assert!(!ok, "{out}");
}

#[test]
fn a_stale_bundle_stops_the_deploy_before_anything_changes() {
    let Some(tools) = tools() else { return };
    let dir = fresh_dir();
    let (script, _) = with_secrets(&ros_script(&dir));
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("env");
    support::copy_dir(&dir, &copy);
    let compose = copy.join("docker-compose.yml");
    let text = fs::read_to_string(&compose).unwrap();
    fs::write(&compose, text.replacen("image:", "image: ", 1)).unwrap();
    let bundle_file = bundle(&copy, tmp.path());
    let run = sandbox(&tools, &script, &bundle_file, 1, &[]);
    assert_ne!(run.rc(1), 0);
    assert!(
        run.read("out.1")
            .contains("the bundle does not hold the files"),
        "{}",
        run.read("out.1")
    );
    assert!(!run.log_of_run(1).contains("docker compose up"));
    assert!(
        run.log_of_run(1)
            .contains("notify-stub -d {\"status\": \"FAILURE\"")
    );
    assert!(
        !host_state(&run, 1)
            .iter()
            .any(|(p, _, _)| p.ends_with("docker-compose.yml")),
        "files were installed from a bad bundle"
    );
}

#[test]
fn missing_tls_files_or_data_disk_fail_with_their_names() {
    let Some(tools) = tools() else { return };
    // `prod` takes its certificate from files on the host; the sandbox has none.
    let dir = repo().join("golden/prod");
    let (script, _) = with_secrets(&ros_script(&dir));
    let tmp = tempfile::tempdir().unwrap();
    let run = sandbox(
        &tools,
        &script,
        &bundle(&dir, tmp.path()),
        1,
        &[("SANDBOX_TLS_MISSING", "1")],
    );
    assert_ne!(run.rc(1), 0);
    assert!(
        run.read("out.1")
            .contains("TLS file /etc/ssl/future/fullchain.pem is missing"),
        "{}",
        run.read("out.1")
    );
    // A data disk that never attaches: found by nothing, named in the error.
    let dir = fresh_dir();
    let (script, _) = with_secrets(&ros_script(&dir));
    let run = sandbox(
        &tools,
        &script,
        &bundle(&dir, tmp.path()),
        1,
        &[("SANDBOX_DISK_SERIAL", "")],
    );
    assert_ne!(run.rc(1), 0);
    assert!(
        run.read("out.1")
            .contains(&format!("data disk {DISK_ID} is not attached")),
        "{}",
        run.read("out.1")
    );
    assert!(!run.log_of_run(1).contains("mkfs"));
}
