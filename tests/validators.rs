//! Real tools verify the golden output. Docker Compose v2's own validator
//! (`docker-compose config -q`) must accept every generated compose file, without
//! warnings. `./scripts/test` installs it; under `CI=true` a missing validator fails.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{docker_compose, env_from_example, in_ci};

fn require(tool: Option<PathBuf>, name: &str) -> Option<PathBuf> {
    match tool {
        Some(path) => Some(path),
        None if in_ci() => {
            panic!("{name} is not installed, and CI=true: run ./scripts/test, which installs it")
        }
        None => {
            eprintln!(
                "SKIPPED: {name} is not installed; run ./scripts/test to install it and run this check"
            );
            None
        }
    }
}

/// Every generated compose file: the shipped project's and the golden cases'.
fn compose_files() -> Vec<PathBuf> {
    support::golden_env_dirs()
        .into_iter()
        .map(|dir| dir.join("docker-compose.yml"))
        .filter(|file| file.is_file())
        .collect()
}

#[test]
fn docker_compose_accepts_every_generated_compose_file() {
    let Some(compose) = require(docker_compose(), "docker-compose (Docker Compose v2)") else {
        return;
    };
    let files = compose_files();
    assert!(
        files.len() >= 4,
        "expected the shipped environments and the integrated case, found {files:?}"
    );
    for file in files {
        let dir = file.parent().unwrap();
        let output = Command::new(&compose)
            .arg("-f")
            .arg(&file)
            .arg("--project-directory")
            .arg(dir)
            .args(["config", "-q"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env_from_example(dir))
            .output()
            .expect("run docker-compose");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{} rejected by docker compose:\n{stderr}",
            file.display()
        );
        assert!(
            !stderr.contains("level=warning"),
            "{}: docker compose warns:\n{stderr}",
            file.display()
        );
    }
}

#[test]
fn docker_compose_would_catch_a_broken_file() {
    // Guards the guard: the validator must fail on a file it should reject.
    let Some(compose) = require(docker_compose(), "docker-compose (Docker Compose v2)") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(
        &file,
        "services:\n  a:\n    image: x:1\n    depends_on: {b: {condition: service_healthy}}\n",
    )
    .unwrap();
    let output = Command::new(&compose)
        .arg("-f")
        .arg(&file)
        .arg("--project-directory")
        .arg(dir.path())
        .args(["config", "-q"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "docker compose accepted a dependency on a missing service"
    );
}
