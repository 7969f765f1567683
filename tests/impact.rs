//! Change impact, end to end: a spec edit on a copy of the shipped project,
//! then `diff`'s report of what it does. The containers it says Compose
//! recreates are checked against Docker Compose itself: `docker compose config
//! --hash` prints the hash `up` recreates a container on, before and after.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{docker_compose, edit, env_from_example, in_ci, run_in, shipped_copy};

/// One effect: `(by, subject, action, because)`.
type Effect = (String, String, String, Vec<String>);

/// `diff --env prod --format json`'s impact of prod.
fn impact(dir: &Path, extra: &[&str]) -> Vec<Effect> {
    let mut args = vec!["diff", "--env", "prod", "--format", "json"];
    args.extend(extra);
    let out = run_in(dir, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let effects = &report["environments"]["prod"]["impact"]["effects"];
    effects
        .as_array()
        .map(|effects| {
            effects
                .iter()
                .map(|e| {
                    let s = |k: &str| e[k].as_str().unwrap().to_owned();
                    let because = e["because"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|b| b.as_str().unwrap().to_owned())
                        .collect();
                    (s("by"), s("subject"), s("action"), because)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn recreated_by_report(effects: &[Effect]) -> BTreeSet<String> {
    effects
        .iter()
        .filter(|(by, _, action, _)| by == "compose" && action == "recreated")
        .map(|(_, subject, _, _)| subject.clone())
        .collect()
}

/// The hash of each service, `<service> <hash>` lines; Compose resolves bind
/// sources to absolute paths, so compare folders at the same path only.
fn compose_hashes(compose: &Path, dir: &Path) -> BTreeSet<String> {
    {
        let out = Command::new(compose)
            .arg("-f")
            .arg(dir.join("docker-compose.yml"))
            .arg("--project-directory")
            .arg(dir)
            .args(["config", "--hash", "*"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env_from_example(dir))
            .output()
            .expect("run docker compose");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The services whose hash changed.
fn recreated_by_compose(before: &BTreeSet<String>, after: &BTreeSet<String>) -> BTreeSet<String> {
    after
        .difference(before)
        .filter_map(|line| line.split(' ').next())
        .map(str::to_owned)
        .collect()
}

fn compose_binary() -> Option<std::path::PathBuf> {
    match docker_compose() {
        Some(path) => Some(path),
        None if in_ci() => {
            panic!("docker-compose is not installed, and CI=true: run ./scripts/test")
        }
        None => {
            eprintln!("SKIPPED: docker-compose is not installed; run ./scripts/test");
            None
        }
    }
}

/// Applies `change` to a copy (after `generate` with `extra` rebased it),
/// and returns the report's effects and the services Compose would recreate.
fn scenario(
    change: impl Fn(&Path),
    extra: &[&str],
    compose: Option<&Path>,
) -> (Vec<Effect>, Option<BTreeSet<String>>) {
    let dir = shipped_copy();
    if !extra.is_empty() {
        let mut args = vec!["generate"];
        args.extend(extra);
        assert_eq!(run_in(dir.path(), &args).code, 0);
    }
    let prod = dir.path().join("golden/prod");
    let before = compose.map(|c| compose_hashes(c, &prod));
    change(dir.path());
    let effects = impact(dir.path(), extra);
    let mut args = vec!["generate", "--env", "prod"];
    args.extend(extra);
    assert_eq!(run_in(dir.path(), &args).code, 0);
    let by_compose = compose
        .zip(before)
        .map(|(c, before)| recreated_by_compose(&before, &compose_hashes(c, &prod)));
    (effects, by_compose)
}

fn scrape_every_30s(dir: &Path) {
    edit(
        dir,
        "environments/base.yaml",
        "scrape_interval: 15s",
        "scrape_interval: 30s",
    );
}

#[test]
fn a_config_only_change_recreates_the_one_container_that_mounts_it() {
    let compose = compose_binary();
    let (effects, by_compose) = scenario(scrape_every_30s, &[], compose.as_deref());
    let report = recreated_by_report(&effects);
    assert_eq!(
        report,
        BTreeSet::from(["future-prod-prometheus".to_owned()])
    );
    let prometheus = effects
        .iter()
        .find(|e| e.1 == "future-prod-prometheus")
        .unwrap();
    assert_eq!(prometheus.3, ["mounted prometheus/prometheus.yml"]);
    if let Some(by_compose) = by_compose {
        assert_eq!(report, by_compose, "the report and Docker Compose disagree");
    }
    // The deploy runs again: its command is replaced on both cloud targets.
    assert!(effects.iter().any(|e| e.0 == "terraform"
        && e.1 == "alicloud_ecs_invocation.deploy"
        && e.2 == "replaced"));
    assert!(
        effects
            .iter()
            .any(|e| e.0 == "ros" && e.1.starts_with("Deploy") && e.2 == "replaced")
    );
}

#[test]
fn without_the_mounts_label_compose_would_keep_the_stale_container() {
    // Guard: a compose template without the label, and the same change.
    let Some(compose) = compose_binary() else {
        return;
    };
    let overrides = tempfile::tempdir().unwrap();
    let dir = support::repo().join("templates/compose/docker-compose.yml.j2");
    let text = fs::read_to_string(dir).unwrap();
    let start = text.find("{% if s.mounts %}").expect("the label's block");
    let end = start + text[start..].find("{% endif %}\n").unwrap() + "{% endif %}\n".len();
    fs::create_dir_all(overrides.path().join("compose")).unwrap();
    fs::write(
        overrides.path().join("compose/docker-compose.yml.j2"),
        format!("{}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let templates = overrides.path().display().to_string();
    let (_, by_compose) = scenario(
        scrape_every_30s,
        &["--templates", &templates, "--allow-outside-root"],
        Some(&compose),
    );
    assert_eq!(by_compose.unwrap(), BTreeSet::new());
}

#[test]
fn a_resource_change_recreates_that_service_as_compose_does() {
    let compose = compose_binary();
    let (effects, by_compose) = scenario(
        |dir| {
            edit(
                dir,
                "environments/prod.yaml",
                "  redis:\n    resources: {cpus: 0.5, memory: 1GiB}",
                "  redis:\n    resources: {cpus: 0.5, memory: 768MiB}",
            )
        },
        &[],
        compose.as_deref(),
    );
    let report = recreated_by_report(&effects);
    assert!(report.contains("redis"), "{report:?}");
    if let Some(by_compose) = by_compose {
        assert_eq!(report, by_compose, "the report and Docker Compose disagree");
    }
}

#[test]
fn a_retention_change_updates_the_logstore_in_place_on_both_cloud_targets() {
    let (effects, _) = scenario(
        |dir| {
            edit(
                dir,
                "environments/prod.yaml",
                "access: {retention_days: 180",
                "access: {retention_days: 90",
            )
        },
        &[],
        None,
    );
    let find = |by: &str, subject: &str| {
        effects
            .iter()
            .find(|e| e.0 == by && e.1 == subject)
            .unwrap_or_else(|| panic!("no {by} {subject} in {effects:?}"))
    };
    let tf = find("terraform", "alicloud_log_store.access");
    assert_eq!(
        (tf.2.as_str(), tf.3.as_slice()),
        ("updated", &["retention_period".to_owned()][..])
    );
    let ros = find("ros", "LogstoreAccess");
    assert_eq!(
        (ros.2.as_str(), ros.3.as_slice()),
        ("updated", &["TTL".to_owned()][..])
    );
    assert!(recreated_by_report(&effects).is_empty(), "{effects:?}");
}

#[test]
fn every_format_says_what_the_change_restarts() {
    let dir = shipped_copy();
    scrape_every_30s(dir.path());
    let line = "prod: compose recreates future-prod-prometheus (mounted prometheus/prometheus.yml)";
    for format in ["text", "github"] {
        let out = run_in(dir.path(), &["check", "--env", "prod", "--format", format]);
        assert_eq!(out.code, 1);
        assert!(out.stdout.contains(line), "{format}:\n{}", out.stdout);
    }
    let md = run_in(
        dir.path(),
        &["diff", "--env", "prod", "--format", "markdown"],
    )
    .stdout;
    assert!(md.contains("**What changes in prod:**"), "{md}");
    assert!(
        md.contains(
            "- `` compose recreates future-prod-prometheus (mounted prometheus/prometheus.yml) ``"
        ) || md.contains(
            "- ` compose recreates future-prod-prometheus (mounted prometheus/prometheus.yml) `"
        ),
        "{md}"
    );
}

#[test]
fn every_cloud_resource_type_generated_has_a_row_in_the_replacement_table() {
    let known: BTreeSet<(String, String)> = futurestack::impact::table::known_types()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    let mut missing = BTreeSet::new();
    for dir in support::golden_env_dirs() {
        if let Ok(tf) = fs::read_to_string(dir.join("terraform/main.tf")) {
            for line in tf.lines().filter(|l| l.starts_with("resource \"")) {
                let ty = line.split('"').nth(1).unwrap().to_owned();
                if !known.contains(&("terraform".to_owned(), ty.clone())) {
                    missing.insert(("terraform", ty));
                }
            }
        }
        if let Ok(ros) = fs::read_to_string(dir.join("ros/template.yaml")) {
            for line in ros.lines() {
                // Quoted or not (`Type: "ALIYUN::CS::ClusterNodePool"`).
                let value = line
                    .trim()
                    .strip_prefix("Type: ")
                    .map(|v| v.trim_matches('"'));
                if let Some(ty) = value.and_then(|v| v.strip_prefix("ALIYUN::")) {
                    let ty = format!("ALIYUN::{ty}");
                    if !known.contains(&("ros".to_owned(), ty.clone())) {
                        missing.insert(("ros", ty));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "data/replacement.tsv has no row for {missing:?}"
    );
}

#[test]
fn a_removed_environment_says_what_must_be_taken_down_by_hand() {
    let dir = shipped_copy();
    fs::remove_file(dir.path().join("environments/staging.yaml")).unwrap();
    let out = run_in(dir.path(), &["diff", "--format", "text"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for line in [
        "staging: compose leaves running every service (the environment is no longer generated: where it runs, stop it with `docker compose down`)",
        "staging: terraform leaves running every resource (the environment is no longer generated: run `terraform destroy` where it was applied)",
        "staging: ros leaves running the stack (the environment is no longer generated: delete its ROS stack)",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("staging: host"), "{}", out.stdout);
}

#[test]
fn a_renamed_compose_project_starts_anew_and_says_how_to_stop_the_old_one() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "golden/dev/docker-compose.yml",
        "name: future-dev\n",
        "name: old-dev\n",
    );
    let out = run_in(dir.path(), &["diff", "--env", "dev"]);
    assert!(
        out.stdout.contains("dev: compose creates every service (the compose project is renamed: `future-dev`, from `old-dev`; stop the old one with `docker compose -p old-dev down`"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_file_added_to_a_timer_job_reloads_it_and_does_not_create_it() {
    let dir = shipped_copy();
    fs::remove_file(dir.path().join("golden/prod/backup/oss-put.py")).unwrap();
    let out = run_in(dir.path(), &["diff", "--env", "prod"]);
    assert!(
        out.stdout.contains(
            "prod: host reloads backup timer (backup/oss-put.py added: its next run uses it)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn names_from_a_committed_file_cannot_mention_link_or_reorder_in_markdown() {
    let dir = shipped_copy();
    edit(
        dir.path(),
        "golden/dev/docker-compose.yml",
        "services:\n",
        "services:\n  \"evil\\u202e @octocat https://evil.example/ `x`\":\n    image: x\n",
    );
    let md = run_in(
        dir.path(),
        &["diff", "--env", "dev", "--format", "markdown"],
    )
    .stdout;
    let line = md
        .lines()
        .find(|l| l.starts_with("- ") && l.contains("octocat"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(line.starts_with("- `` compose removes "), "{line}");
    assert!(
        line.contains("\\u{202e}") && !line.contains('\u{202e}'),
        "{line}"
    );
}
