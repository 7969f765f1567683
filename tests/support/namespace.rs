//! Running a bash script as root in private mount and network namespaces
//! (`unshare -m -n`, loopback only), for the tests that start real servers.

use std::path::PathBuf;
use std::process::Command;

use super::{in_ci, is_root, tool_on_path};

/// Whether the test can run: root and every tool present. Missing ones skip
/// outside CI and fail under `CI=true`.
pub fn ready(what: &str, tools: &[&str]) -> bool {
    if !is_root() {
        assert!(!in_ci(), "{what} needs root (namespaces) under CI=true");
        eprintln!("SKIPPED: {what}: not root");
        return false;
    }
    tools.iter().all(|t| tool_on_path(t).is_some())
}

/// The `bin` folder of Debian's PostgreSQL server, when installed.
pub fn postgres_bin() -> Option<PathBuf> {
    let bin = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|d| {
        d.flatten()
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").is_file())
    });
    if bin.is_none() {
        assert!(
            !in_ci(),
            "PostgreSQL's server is missing and CI=true: run ./scripts/test"
        );
        eprintln!("SKIPPED: no PostgreSQL server");
    }
    bin
}

/// Runs `script` with bash under `unshare -m -n`, with `env`: (success, stdout
/// and stderr).
pub fn run(script: &str, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new("unshare")
        .args(["-m", "-n", "bash", "-c", script])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A compose service's `sh -c` script as the container runs it (Compose's
/// `$$` undone).
pub fn sh_c_script(compose: &serde_json::Value, service: &str) -> String {
    let command = &compose["services"][service]["command"];
    assert_eq!(command[0], "sh", "{service}: {command}");
    command[2].as_str().unwrap().replace("$$", "$")
}
