//! `futurestack import` on real compose files (Docker's awesome-compose
//! samples, `tests/import/awesome-compose/`, CC0): the spec it prints
//! validates, and every key of a service it does not take is named in a note.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value as J;
use support::{import_into, repo, run_in};

/// Service keys the spec takes (the rest must be noted).
const MAPPED: &[&str] = &[
    "deploy",
    "depends_on",
    "environment",
    "image",
    "networks",
    "ports",
    "restart",
    "volumes",
];

fn import(compose: &Path) -> (String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(compose, dir.path().join("compose.yaml")).unwrap();
    let out = import_into(dir.path(), "compose.yaml");
    assert_eq!(out.code, 0, "{}: {}", compose.display(), out.stderr);
    (out.stdout, out.stderr, dir)
}

fn samples() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(repo().join("tests/import/awesome-compose"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    files
}

#[test]
fn every_imported_sample_validates() {
    let mut failed = Vec::new();
    for file in samples() {
        let (spec, _, dir) = import(&file);
        let validate = run_in(dir.path(), &["validate"]);
        if validate.code != 0 {
            failed.push(format!("{}:\n{spec}\n{}", file.display(), validate.stderr));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn every_key_import_does_not_take_is_named_in_a_note() {
    for file in samples() {
        let compose: J = serde_saphyr::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
        let (_, notes, _) = import(&file);
        for (name, service) in compose["services"].as_object().unwrap() {
            let lines: Vec<&str> = notes
                .lines()
                .filter(|l| l.starts_with(&format!("note: {name}: ")))
                .collect();
            for key in service.as_object().unwrap().keys() {
                if MAPPED.contains(&key.as_str()) {
                    continue;
                }
                assert!(
                    lines.iter().any(|l| l.contains(key.as_str())),
                    "{}: `{name}` sets `{key}`, which no note names:\n{notes}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn what_a_spec_cannot_hold_is_noted_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  vpn:\n    image: example/vpn:1.0.0\n    ports:\n      - 51820:51820/udp\n      - 8000-8010:8000-8010\n      - ${WEB_PORT}:80\n      - 8443:443\n      - \"[::1]:8082:82\"\n      - 10.0.0.5:8083:83\n      - {target: 84, published: 70000}\n    sysctls: {net.ipv4.ip_forward: 1}\n    hostname: vpn\nsecrets:\n  key: {file: ./key}\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["import", "compose.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for expected in [
        "port `51820:51820/udp` not mapped",
        "port `8000-8010:8000-8010` not mapped",
        "port `${WEB_PORT}:80` not mapped",
        "not mapped: hostname, sysctls",
        "top level: not mapped: secrets",
        "port `10.0.0.5:8083:83` not mapped",
        "port `{\"published\":70000,\"target\":84}` not mapped",
    ] {
        assert!(
            out.stderr.contains(expected),
            "no `{expected}` in:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stdout
            .contains("{container: 443, host: 8443, public: true}"),
        "{}",
        out.stdout
    );
}

#[test]
fn import_and_validate_agree_on_what_the_user_must_decide() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    build: .\n    depends_on: [\"${DB_HOST:-db}\"]\n    networks: [back, default]\n  db:\n    image: postgres:17.9\n    environment: {POSTGRES_PASSWORD: x}\n  worker:\n    image: example/worker:1.0.0\n    depends_on: [\"${QUEUE}\"]\nnetworks:\n  back: {}\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["import", "compose.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: `web` has no `image` (it is built from source)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("depends_on `${DB_HOST:-db}` became `db`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("depends_on `${QUEUE}` not mapped"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stdout.matches("\n  default:\n").count(),
        1,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("uses: [db]"), "{}", out.stdout);
    // With the decision made, the spec validates.
    fs::create_dir_all(dir.path().join("environments")).unwrap();
    let spec = out.stdout.replace(
        "  web:\n    kind: app\n",
        "  web:\n    kind: app\n    image: example/web:1.0.0\n",
    );
    fs::write(dir.path().join("environments/imported.yaml"), spec).unwrap();
    let validate = run_in(dir.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
}
