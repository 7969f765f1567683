//! Shell completion, as the shells run it: the registration script
//! `futurestack completions` prints, sourced into a real bash, and the
//! protocol it calls the binary back with, in a project folder.

mod support;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_futurestack");

/// A project whose environments are `dev` and `preview`, on a `base`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    std::fs::create_dir(&envs).unwrap();
    std::fs::write(envs.join("base.yaml"), "abstract: true\nstack: s\n").unwrap();
    std::fs::write(envs.join("dev.yaml"), "extends: base.yaml\n").unwrap();
    std::fs::write(envs.join("preview.yaml"), "extends: base.yaml\n").unwrap();
    dir
}

fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// What the fish protocol returns for the words after `futurestack`.
fn fish(dir: &Path, words: &[&str]) -> Vec<String> {
    let out = Command::new(BIN)
        .current_dir(dir)
        .env("COMPLETE", "fish")
        .arg("--")
        .arg("futurestack")
        .args(words)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out.stdout)
}

#[test]
fn env_completes_the_environments_of_the_folder_and_not_its_bases() {
    let dir = project();
    assert_eq!(
        fish(dir.path(), &["generate", "--env", ""]),
        ["dev", "preview"]
    );
    assert_eq!(fish(dir.path(), &["render", "--env", "pr"]), ["preview"]);
    let targets = fish(dir.path(), &["render", "--env", "dev", "--target", ""]);
    for target in futurestack::targets::Target::ALL {
        assert!(targets.contains(&target.name().to_owned()), "{targets:?}");
    }
}

#[test]
fn the_bash_registration_completes_env_names_in_a_real_bash() {
    let Some(bash) = support::tool_on_path("bash") else {
        return;
    };
    let dir = project();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = r#"
source <(futurestack completions bash)
COMP_WORDS=(futurestack generate --env p)
COMP_CWORD=3
COMP_LINE="futurestack generate --env p"
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
_clap_complete_futurestack futurestack p --env
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new(bash)
        .current_dir(dir.path())
        .env("PATH", path)
        .args(["--noprofile", "--norc", "-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out.stdout), ["preview"]);
}
