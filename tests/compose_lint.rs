//! The compose security linters on every generated compose file: compose-lint
//! (PyPI 0.36.2) finds nothing high or critical that the generated
//! `.compose-lint.yml` does not justify, and compose-harden (0.2.0) scores the
//! shipped prod stack at least 85. Guards: without the justifications, and with
//! the least-privilege settings stripped, both fail.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{golden_env_dirs, repo, tool_on_path};

fn tool(name: &str) -> Option<PathBuf> {
    let local = repo().join(".tools/clvenv/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    tool_on_path(name)
}

/// `compose-lint check --fail-on high --strict-config` run in `dir` (where it
/// finds `.compose-lint.yml`): (exit code, output).
fn lint(lint: &Path, dir: &Path, file: &str) -> (i32, String) {
    let out = Command::new(lint)
        .current_dir(dir)
        .args([
            "check",
            "--fail-on",
            "high",
            "--strict-config",
            "--no-pager",
            file,
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn compose_lint_finds_nothing_high_that_is_not_justified() {
    let Some(compose_lint) = tool("compose-lint") else {
        return;
    };
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("docker-compose.yml").is_file())
        .collect();
    assert!(dirs.len() >= 6);
    let mut guarded = 0;
    for dir in &dirs {
        let (code, out) = lint(&compose_lint, dir, "docker-compose.yml");
        assert_eq!(code, 0, "{}:\n{out}", dir.display());
        // Guard: the same file without its justifications fails where there
        // are any.
        if dir.join(".compose-lint.yml").is_file() {
            let bare = tempfile::tempdir().unwrap();
            std::fs::copy(
                dir.join("docker-compose.yml"),
                bare.path().join("docker-compose.yml"),
            )
            .unwrap();
            let (code, out) = lint(&compose_lint, bare.path(), "docker-compose.yml");
            if out.contains("CL-0001") || out.contains("CL-0013") {
                assert_eq!(
                    code,
                    1,
                    "{}: passed without its justifications:\n{out}",
                    dir.display()
                );
                guarded += 1;
            }
        }
    }
    assert!(guarded >= 4, "the guard ran {guarded} times");
}

/// compose-harden's score line: `Score: 86/100 (...)`.
fn score(harden: &Path, file: &Path) -> u32 {
    let out = Command::new(harden).arg("scan").arg(file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Score: "))
        .and_then(|s| s.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no score in:\n{text}"))
}

#[test]
fn compose_harden_scores_prod_at_least_85() {
    let Some(harden) = tool("compose-harden") else {
        return;
    };
    let prod = repo().join("golden/prod/docker-compose.yml");
    let got = score(&harden, &prod);
    assert!(got >= 85, "prod scores {got}/100");
    // Guard: without no-new-privileges, dropped capabilities and read-only roots
    // the same file scores far lower.
    let text = std::fs::read_to_string(&prod).unwrap();
    let stripped: String = text
        .lines()
        .filter(|l| {
            let t = l.trim();
            !(t == "security_opt:"
                || t == "- no-new-privileges:true"
                || t == "cap_drop: [ALL]"
                || t == "read_only: true"
                || t.starts_with("user: "))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("docker-compose.yml");
    std::fs::write(&file, stripped).unwrap();
    let lower = score(&harden, &file);
    assert!(lower < 85, "stripped prod still scores {lower}/100");
}
