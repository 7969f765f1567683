//! `futurestack render`: what it prints is exactly what `generate` writes,
//! file by file; it writes nothing, and a wrong name is a usage error.

mod support;

use std::fs;

use support::{edit, run_in, shipped_copy, snapshot};

#[test]
fn render_prints_what_generate_writes_and_writes_nothing() {
    let dir = shipped_copy();
    let before = snapshot(dir.path());
    let one = run_in(
        dir.path(),
        &["render", "--env", "prod", "docker-compose.yml"],
    );
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(
        one.stdout,
        fs::read_to_string(dir.path().join("golden/prod/docker-compose.yml")).unwrap()
    );
    let all = run_in(dir.path(), &["render", "--env", "staging"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let documents: Vec<&str> = all
        .stdout
        .split("---\n# Source: staging/")
        .skip(1)
        .collect();
    let manifest = fs::read_to_string(dir.path().join("golden/staging/.futurestack-manifest"))
        .unwrap_or_default();
    let listed: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(!listed.is_empty(), "the manifest lists the generated files");
    assert_eq!(
        documents.len(),
        listed.len(),
        "one document per generated file"
    );
    for doc in documents {
        let (path, text) = doc.split_once('\n').unwrap();
        let golden = fs::read_to_string(dir.path().join("golden/staging").join(path)).unwrap();
        assert_eq!(text, golden, "{path}");
    }
    let monitoring = run_in(
        dir.path(),
        &["render", "--env", "prod", "--target", "monitoring"],
    );
    assert!(
        monitoring
            .stdout
            .contains("# Source: prod/prometheus/prometheus.yml\n")
    );
    assert!(
        !monitoring
            .stdout
            .contains("# Source: prod/docker-compose.yml\n")
    );
    assert_eq!(snapshot(dir.path()), before, "render writes nothing");
}

#[test]
fn render_refuses_unknown_names() {
    let dir = shipped_copy();
    let file = run_in(
        dir.path(),
        &["render", "--env", "prod", "docker-compose.yaml"],
    );
    assert_eq!(file.code, 2);
    assert!(
        file.stderr.contains("did you mean `docker-compose.yml`?"),
        "{}",
        file.stderr
    );
    assert_eq!(run_in(dir.path(), &["render", "--env", "qa"]).code, 2);
    // A misspelt environment gets the close one, and bases are not offered.
    let typo = run_in(dir.path(), &["generate", "--env", "prd"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains(
            "no environment `prd` (did you mean `prod`?); the environments are `dev`, `prod`, `staging`"
        ),
        "{}",
        typo.stderr
    );
    assert_eq!(
        run_in(dir.path(), &["render", "--env", "prod", "--target", "helm"]).code,
        2
    );
}

/// `generate --target compose` writes the compose target's files only: the
/// cloud templates that embed them stay stale (so `check` still fails), and
/// nothing is removed.
#[test]
fn generate_one_target_writes_only_its_files() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "environments/prod.yaml",
        "  ai-recommend:\n    resources:",
        "  ai-recommend:\n    ports:\n      http: {host: 8101}\n    resources:",
    );
    let orphan = dir.path().join("golden/prod/old.yml");
    fs::write(&orphan, "x: 1\n").unwrap();
    let ros = dir.path().join("golden/prod/ros/template.yaml");
    let ros_before = fs::read_to_string(&ros).unwrap();
    let out = run_in(dir.path(), &["generate", "--target", "compose"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let compose = fs::read_to_string(dir.path().join("golden/prod/docker-compose.yml")).unwrap();
    assert!(compose.contains("8101:8100"), "{compose}");
    assert_eq!(
        fs::read_to_string(&ros).unwrap(),
        ros_before,
        "another target's file"
    );
    assert!(orphan.exists());
    let check = run_in(dir.path(), &["check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("changed: golden/prod/ros/template.yaml"),
        "{}",
        check.stdout
    );
    assert!(
        !check
            .stdout
            .contains("changed: golden/prod/docker-compose.yml"),
        "{}",
        check.stdout
    );
    assert_eq!(
        run_in(dir.path(), &["generate", "--target", "helm"]).code,
        2
    );
}

/// The bases left out of "no environment" are read from the project (`-C`),
/// not from the folder the command was started in.
#[test]
fn the_environments_listed_are_the_projects_own() {
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    fs::create_dir(&envs).unwrap();
    fs::write(envs.join("common.yaml"), "abstract: true\nstack: s\n").unwrap();
    fs::write(envs.join("dev.yaml"), "extends: common.yaml\n").unwrap();
    let out = run_in(dir.path(), &["generate", "--env", "devv"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("no environment `devv` (did you mean `dev`?); the environments are `dev`\n"),
        "{}",
        out.stderr
    );
}

/// `docker-compose.yml` is written directly unless `--templates` overrides
/// its template; the embedded template, given as the override, renders the
/// same bytes as the golden file of every case.
#[test]
fn the_compose_template_and_the_direct_writer_agree() {
    let overrides = tempfile::tempdir().unwrap();
    let name = "compose/docker-compose.yml.j2";
    fs::create_dir_all(overrides.path().join("compose")).unwrap();
    fs::write(
        overrides.path().join(name),
        futurestack::render::Templates::embedded(name).unwrap(),
    )
    .unwrap();
    let mut compared = 0;
    for golden in support::golden_env_dirs() {
        let file = golden.join("docker-compose.yml");
        let Ok(expected) = fs::read_to_string(&file) else {
            continue;
        };
        let env = golden.file_name().unwrap().to_str().unwrap();
        let project = golden.parent().unwrap().parent().unwrap();
        let rendered = run_in(
            project,
            &[
                "render",
                "--env",
                env,
                "--templates",
                overrides.path().to_str().unwrap(),
                "--allow-outside-root",
                "docker-compose.yml",
            ],
        );
        assert_eq!(rendered.code, 0, "{}: {}", file.display(), rendered.stderr);
        assert_eq!(rendered.stdout, expected, "{}", file.display());
        compared += 1;
    }
    assert!(compared >= 7, "compared only {compared} compose files");
}
