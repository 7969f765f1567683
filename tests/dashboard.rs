//! The overview dashboard does not grow with the stack: Grafana repeats one
//! row per kind for each service the kind's variable finds, and every scrape
//! target carries the `kind` label those variables select by.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value as J;
use support::run_in;

/// A project with `n` apps behind nginx and a Redis they use.
fn project(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = String::from(
        "stack: s\ntier: development\nhost: {provider: alicloud, region: cn-hangzhou, instance_type: ecs.g8i.4xlarge, vcpus: 16, memory: 64GiB, disk: 100GiB, bootstrap: {bundle_url: 'https://b.example.com/b.tar.gz'}}\nnetworks:\n  edge: {default_for: [apps]}\n  data: {internal: true, default_for: [data]}\nsecrets:\n  redis-password: {env: S_REDIS_PASSWORD}\n  grafana-admin-password: {env: S_GRAFANA_ADMIN_PASSWORD}\nmonitoring: {mode: own, grafana: {admin_password: grafana-admin-password}}\nservices:\n  redis: {kind: redis, secrets: {password: redis-password}}\n",
    );
    for i in 0..n {
        spec.push_str(&format!(
            "  app-{i}: {{kind: app, image: 'example/app-{i}:1.0.0', ports: {{http: {{container: 8000, host: {}}}}}, uses: [redis], resources: {{cpus: 0.05, memory: 64MiB}}}}\n",
            10_000 + i
        ));
    }
    fs::create_dir_all(dir.path().join("environments")).unwrap();
    fs::write(dir.path().join("environments/dev.yaml"), spec).unwrap();
    let out = run_in(dir.path(), &["generate"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join("golden/dev").join(file)).unwrap()
}

#[test]
fn the_dashboard_is_the_same_for_two_apps_and_for_forty() {
    let (small, large) = (project(2), project(40));
    let dashboard = "grafana/dashboards/overview.json";
    assert_eq!(read(small.path(), dashboard), read(large.path(), dashboard));
    // Guard: the stacks differ, and so does what is scraped.
    let prometheus = "prometheus/prometheus.yml";
    assert_ne!(
        read(small.path(), prometheus),
        read(large.path(), prometheus)
    );
}

#[test]
fn every_repeated_row_finds_exactly_the_services_of_its_kind() {
    let dir = project(3);
    let dashboard: J =
        serde_json::from_str(&read(dir.path(), "grafana/dashboards/overview.json")).unwrap();
    let prometheus: J =
        serde_saphyr::from_str(&read(dir.path(), "prometheus/prometheus.yml")).unwrap();
    // The `service` labels of the scrape targets, by their `kind` label.
    let of_kind = |kind: &str| -> BTreeSet<String> {
        prometheus["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|job| {
                job["static_configs"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|c| c["labels"]["kind"] == kind)
            .map(|c| c["labels"]["service"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        of_kind("app"),
        BTreeSet::from(["app-0".to_owned(), "app-1".to_owned(), "app-2".to_owned()])
    );
    assert_eq!(of_kind("redis"), BTreeSet::from(["redis".to_owned()]));
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let rows: Vec<&J> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "row" && p.get("repeat").is_some())
        .collect();
    assert_eq!(rows.len(), variables.len());
    for row in rows {
        let name = row["repeat"].as_str().unwrap();
        let variable = variables.iter().find(|v| v["name"] == name).unwrap();
        let definition = variable["definition"].as_str().unwrap();
        let kind = definition
            .strip_prefix("label_values(up{kind=\"")
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{definition}"));
        assert!(
            !of_kind(kind).is_empty(),
            "the row for `{kind}` would be empty"
        );
    }
}
