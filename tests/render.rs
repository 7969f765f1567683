//! `futurestack render`: what it prints is exactly what `generate` writes,
//! file by file; it writes nothing, and a wrong name is a usage error.

mod support;

use std::fs;

use support::{run_in, shipped_copy, snapshot};

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
    assert_eq!(
        run_in(dir.path(), &["render", "--env", "prod", "--target", "helm"]).code,
        2
    );
}
