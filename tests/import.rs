//! `futurestack import` round trip: a realistic compose file (the plan's `docker
//! run` commands) → spec → generate gives an equivalent compose file, minus the
//! plan's mistakes, and no secret value survives.

mod support;

use std::collections::BTreeSet;
use std::fs;

use serde_json::Value as J;
use support::{import_into, repo, run_in};

fn yaml(text: &str) -> J {
    serde_saphyr::from_str(text).unwrap()
}

fn strings(v: &J) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn import_then_generate_gives_an_equivalent_compose_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = repo().join("tests/import/seed-compose.yml");
    fs::copy(&source, dir.path().join("docker-compose.yml")).unwrap();
    let out = import_into(dir.path(), "docker-compose.yml");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("note: future-mysql: `MYSQL_ROOT_PASSWORD` became secret"),
        "{}",
        out.stderr
    );

    let validate = run_in(dir.path(), &["validate"]);
    assert_eq!(
        validate.code, 0,
        "the imported spec must validate:\n{}\n{}",
        out.stdout, validate.stderr
    );
    let generate = run_in(dir.path(), &["generate"]);
    assert_eq!(generate.code, 0, "{}", generate.stderr);

    let original = yaml(&fs::read_to_string(&source).unwrap());
    let generated =
        yaml(&fs::read_to_string(dir.path().join("golden/imported/docker-compose.yml")).unwrap());
    for (name, svc) in original["services"].as_object().unwrap() {
        let new = &generated["services"][name.as_str()];
        assert!(new.is_object(), "`{name}` is missing");
        assert_eq!(new["image"], svc["image"], "`{name}`: image");
        // Published host ports survive (databases move to 127.0.0.1).
        let host_ports = |ports: &J| -> BTreeSet<String> {
            strings(ports)
                .iter()
                .map(|p| p.rsplitn(3, ':').nth(1).unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(
            host_ports(&svc["ports"]),
            host_ports(&new["ports"]),
            "`{name}`: published ports"
        );
        // Dependencies survive (as `depends_on` with health conditions).
        for dep in strings(&svc["depends_on"]) {
            assert!(
                new["depends_on"][dep.as_str()].is_object(),
                "`{name}`: depends_on {dep}"
            );
        }
        // Plain settings survive; connection variables are derived again.
        for (key, value) in svc["environment"].as_object().into_iter().flatten() {
            if key == "LOG_LEVEL" || key == "WEAVIATE_HOST" {
                assert_eq!(&new["environment"][key.as_str()], value, "`{name}`: {key}");
            }
            if key.ends_with("_HOST") && key != "WEAVIATE_HOST" {
                // `MYSQL_HOST` stays; Elasticsearch is reached by `ELASTICSEARCH_URL`.
                let url = key.replace("_HOST", "_URL");
                assert!(
                    new["environment"][key.as_str()].is_string()
                        || new["environment"][url.as_str()].is_string(),
                    "`{name}`: connection variable {key}"
                );
            }
        }
        assert!(
            strings(&new["networks"]).contains("future-network"),
            "`{name}`: network"
        );
    }
    // The plan's mistakes are gone: databases on 127.0.0.1, passwords as secrets.
    for db in ["future-mysql", "future-postgres", "future-redis"] {
        for port in strings(&generated["services"][db]["ports"]) {
            assert!(port.starts_with("127.0.0.1:"), "{db}: {port}");
        }
    }
    for leaked in [
        "plaintext-mysql-pw",
        "plaintext-postgres-pw",
        "plaintext-redis-pw",
        "s3cr3t-token",
    ] {
        // The spec and everything generated from it (the imported compose file
        // itself still holds the values, as the team wrote it).
        let written = support::snapshot(&dir.path().join("environments"))
            .into_iter()
            .chain(support::snapshot(&dir.path().join("golden")));
        for (path, bytes) in written {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(leaked),
                "{} contains the secret value {leaked}",
                path.display()
            );
        }
    }
}

#[test]
fn init_scaffolds_a_project_that_generates() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(dir.path().join("environments/base.yaml").is_file());
    let validate = run_in(dir.path(), &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    assert!(
        validate.stderr.is_empty(),
        "the scaffold must be clean:\n{}",
        validate.stderr
    );
    assert_eq!(run_in(dir.path(), &["generate"]).code, 0);
    assert!(dir.path().join("golden/dev/docker-compose.yml").is_file());
    // Never overwrites.
    let again = run_in(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
}

/// The newcomer's compose file: the imported spec validates as it is; the
/// password in a URL is never copied; what cannot be mapped is a note naming it.
#[test]
fn import_turns_urls_with_passwords_into_references_and_notes_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let source = repo().join("tests/import/urls-compose.yml");
    fs::copy(&source, dir.path().join("docker-compose.yml")).unwrap();
    let out = import_into(dir.path(), "docker-compose.yml");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stdout.contains("s3cret"),
        "a password was copied:\n{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("POSTGRES_PASSWORD}@"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "dropped `DATABASE_URL` (futurestack sets connection variables from `uses: [db]`)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("`REPORTS_URL` is a URL with a password: it became secret"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("    restart: always\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("not mapped: restart `on-failure:3`"),
        "{}",
        out.stderr
    );
    let validate = run_in(dir.path(), &["validate"]);
    assert_eq!(
        validate.code, 0,
        "the imported spec must validate:\n{}\n{}",
        out.stdout, validate.stderr
    );
}
