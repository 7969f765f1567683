//! The report formats of `diff`, golden-tested on one fixed change to a copy of
//! the shipped project (a port changed, a file deleted, a foreign file added):
//! `tests/reports/expected.<format>`. `UPDATE_GOLDEN=1` rewrites them (not in CI).

mod support;

use std::fs;

use support::{in_ci, repo, run_in, shipped_copy};

fn scenario() -> tempfile::TempDir {
    let dir = shipped_copy();
    let prod = dir.path().join("environments/prod.yaml");
    let text = fs::read_to_string(&prod).unwrap();
    fs::write(
        &prod,
        text.replace(
            "  ai-recommend:\n    resources:",
            "  ai-recommend:\n    ports:\n      http: {host: 8101}\n    resources:",
        ),
    )
    .unwrap();
    fs::remove_file(dir.path().join("golden/dev/.env.example")).unwrap();
    fs::write(dir.path().join("golden/staging/notes.txt"), "mine\n").unwrap();
    dir
}

fn check_format(format: &str) {
    let dir = scenario();
    let out = run_in(
        dir.path(),
        &[
            "diff", "--env", "prod", "--env", "dev", "--env", "staging", "--format", format,
            "--color", "never",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected_path = repo()
        .join("tests/reports")
        .join(format!("expected.{format}"));
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        assert!(!in_ci(), "UPDATE_GOLDEN refuses to run in CI");
        fs::write(&expected_path, &out.stdout).unwrap();
        return;
    }
    let expected = fs::read_to_string(&expected_path).unwrap_or_default();
    assert!(
        expected == out.stdout,
        "{format} report differs from {}:\n{}",
        expected_path.display(),
        out.stdout
    );
}

#[test]
fn text_report() {
    check_format("text");
    let out = run_in(scenario().path(), &["check", "--color", "always"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("\x1b[32m+"), "colour on request");
}

#[test]
fn markdown_report() {
    check_format("markdown");
    let text = fs::read_to_string(repo().join("tests/reports/expected.markdown")).unwrap();
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count()
    );
    assert_eq!(
        text.matches("```diff").count(),
        5,
        "one collapsible diff per changed or missing file (prod's port change also changes both deploy scripts)"
    );
}

#[test]
fn json_report() {
    check_format("json");
    let json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(repo().join("tests/reports/expected.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["up_to_date"], false);
    // docker-compose.yml, STACK.md, and the two deploy scripts that hash it.
    assert_eq!(json["environments"]["prod"]["changed"], 4);
    assert_eq!(json["environments"]["dev"]["added"], 1);
    assert_eq!(json["environments"]["staging"]["removed"], 1);
}

#[test]
fn github_report() {
    check_format("github");
    let text = fs::read_to_string(repo().join("tests/reports/expected.github")).unwrap();
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 6);
    for c in commands {
        assert!(c.starts_with("::error file=golden/"), "{c}");
        let (props, message) = c["::error ".len()..].split_once("::").unwrap();
        assert!(props.contains(",line=") && props.contains(",title="), "{c}");
        assert!(!message.contains('\n'));
    }
    assert!(text.ends_with("generated files are out of date: run `futurestack generate --env prod --env dev --env staging` to update them\n"));
}

#[test]
fn reports_never_print_a_secret_value() {
    // A template override that leaks a value into a generated file.
    let dir = shipped_copy();
    let templates = dir.path().join("leaky/compose");
    fs::create_dir_all(&templates).unwrap();
    fs::write(
        templates.join(".env.example.j2"),
        "MYSQL_PASSWORD=hunter2\nLOG=1\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["diff", "--env", "prod", "--templates", "leaky"],
    );
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert!(
        out.stdout.contains("+MYSQL_PASSWORD=[REDACTED]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("looks like a secret value"),
        "{}",
        out.stderr
    );
}
