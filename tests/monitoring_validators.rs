//! Real tools verify the generated monitoring configuration: promtool 2.42 and
//! amtool 0.25 (Debian's versions; `./scripts/test` installs them). Under
//! `CI=true` a missing tool fails the run.

mod support;

use std::process::Command;

use support::{golden_env_dirs, run_tool, tool_on_path};

fn with_file(relative: &str) -> Vec<std::path::PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join(relative).is_file())
        .collect()
}

#[test]
fn every_shipped_environment_has_monitoring() {
    let dirs: Vec<_> = ["dev", "staging", "prod"]
        .iter()
        .map(|e| support::repo().join("golden").join(e))
        .collect();
    for dir in &dirs {
        assert!(
            dir.join("prometheus/prometheus.yml").is_file(),
            "{}",
            dir.display()
        );
        assert!(
            dir.join("prometheus/rules/futurestack.yml").is_file(),
            "{}",
            dir.display()
        );
        assert!(
            dir.join("prometheus/tests/futurestack.test.yml").is_file(),
            "{}",
            dir.display()
        );
        assert!(
            dir.join("grafana/dashboards/overview.json").is_file(),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn promtool_accepts_every_prometheus_config_and_finds_its_rules() {
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    for dir in with_file("prometheus/prometheus.yml") {
        let (ok, out) = run_tool(
            Command::new(&promtool)
                .args(["check", "config"])
                .arg(dir.join("prometheus/prometheus.yml")),
        );
        assert!(ok, "{}: {out}", dir.display());
        // A rule_files glob that matches nothing passes silently: count what was found.
        assert!(
            out.contains("SUCCESS: 1 rule files found"),
            "{}: rule file not found:\n{out}",
            dir.display()
        );
        // A missing file_sd file is only a warning in promtool: fail on it.
        assert!(
            !out.to_lowercase().contains("warning"),
            "{}: {out}",
            dir.display()
        );
    }
}

/// Debian's promtool (2.42.0+ds) is built without Kubernetes service
/// discovery: it refuses `kubernetes_sd_configs` as an unknown field. Each
/// such block becomes an empty `static_configs`, so that promtool checks the
/// rest (globals, relabelling, alerting, rule files) as upstream would.
fn without_kubernetes_sd(config: &str) -> String {
    let mut out = String::new();
    let mut skip: Option<String> = None;
    for line in config.lines() {
        if let Some(indent) = &skip {
            if line.starts_with(&format!("{indent}- ")) || line.starts_with(&format!("{indent}  "))
            {
                continue;
            }
            skip = None;
        }
        if line.trim() == "kubernetes_sd_configs:" {
            let indent = line[..line.len() - line.trim_start().len()].to_owned();
            out.push_str(&format!("{indent}static_configs:\n{indent}- targets: []\n"));
            skip = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(!out.contains("kubernetes_sd"), "{out}");
    out
}

/// The cluster's Prometheus config (`k8s/prometheus.yml`: Kubernetes
/// service discovery, alerting to the cluster's Alertmanager) laid out as its
/// ConfigMap mounts it, with the rule files beside it; and a guard: a broken
/// `alerting` section is refused.
#[test]
fn promtool_accepts_the_cluster_prometheus_config() {
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    let check = |config: &str, rules: &std::path::Path| {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("rules")).unwrap();
        for rule in std::fs::read_dir(rules).unwrap() {
            let rule = rule.unwrap().path();
            std::fs::copy(
                &rule,
                tmp.path().join("rules").join(rule.file_name().unwrap()),
            )
            .unwrap();
        }
        std::fs::write(tmp.path().join("prometheus.yml"), config).unwrap();
        run_tool(
            Command::new(&promtool)
                .args(["check", "config"])
                .arg(tmp.path().join("prometheus.yml")),
        )
    };
    let dirs = with_file("k8s/prometheus.yml");
    assert!(!dirs.is_empty(), "no cluster Prometheus config");
    for dir in &dirs {
        let config = without_kubernetes_sd(
            &std::fs::read_to_string(dir.join("k8s/prometheus.yml")).unwrap(),
        );
        let (ok, out) = check(&config, &dir.join("prometheus/rules"));
        assert!(ok, "{}: {out}", dir.display());
        assert!(
            out.contains("SUCCESS: 1 rule files found"),
            "{}: {out}",
            dir.display()
        );
    }
    let config = without_kubernetes_sd(
        &std::fs::read_to_string(dirs[0].join("k8s/prometheus.yml")).unwrap(),
    );
    let broken = config.replace(
        "    - targets:\n      - alertmanager:",
        "    - targets: alertmanager:",
    );
    assert_ne!(broken, config, "the guard's edit applies");
    let (ok, out) = check(&broken, &dirs[0].join("prometheus/rules"));
    assert!(!ok, "a broken alerting section passed: {out}");
}

#[test]
fn promtool_lints_every_rule_file() {
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    for dir in with_file("prometheus/rules/futurestack.yml") {
        let (ok, out) = run_tool(
            Command::new(&promtool)
                .args(["check", "rules", "--lint-fatal"])
                .arg(dir.join("prometheus/rules/futurestack.yml")),
        );
        assert!(ok, "{}: {out}", dir.display());
        assert!(out.contains("rules found"), "{out}");
    }
}

#[test]
fn generated_rule_unit_tests_pass() {
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    for dir in with_file("prometheus/tests/futurestack.test.yml") {
        let (ok, out) = run_tool(
            Command::new(&promtool)
                .args(["test", "rules"])
                .arg(dir.join("prometheus/tests/futurestack.test.yml")),
        );
        assert!(ok, "{}: {out}", dir.display());
        assert!(out.contains("SUCCESS"), "{out}");
    }
}

#[test]
fn generated_rule_unit_tests_catch_a_broken_rule() {
    // Guards the guard: the same tests must fail when a rule cannot fire any more.
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    let source = support::repo().join("golden/prod/prometheus");
    let tmp = tempfile::tempdir().unwrap();
    support::copy_dir(&source, tmp.path());
    let rules = tmp.path().join("rules/futurestack.yml");
    let text = std::fs::read_to_string(&rules).unwrap();
    let broken = text.replace("expr: \"up == 0\"", "expr: \"up == 2\"");
    assert_ne!(text, broken, "the TargetDown rule moved; update this test");
    std::fs::write(&rules, broken).unwrap();
    let (ok, out) = run_tool(
        Command::new(&promtool)
            .args(["test", "rules"])
            .arg(tmp.path().join("tests/futurestack.test.yml")),
    );
    assert!(
        !ok,
        "promtool test rules passed with a broken TargetDown rule:\n{out}"
    );
}

#[test]
fn every_dashboard_expression_is_valid_promql() {
    let Some(promtool) = tool_on_path("promtool") else {
        return;
    };
    for dir in with_file("grafana/dashboards/overview.json") {
        let dashboard =
            std::fs::read_to_string(dir.join("grafana/dashboards/overview.json")).unwrap();
        let exprs = futurestack::targets::monitoring::dashboard_expressions(&dashboard);
        assert!(
            exprs.len() >= 10,
            "{}: only {} expressions",
            dir.display(),
            exprs.len()
        );
        // Wrap them as recording rules so promtool parses each one.
        let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
        for (i, expr) in exprs.iter().enumerate() {
            rules.push_str(&format!(
                "      - record: dashboard:expr_{i}\n        expr: {}\n",
                serde_json::to_string(expr).unwrap()
            ));
        }
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("dashboard.yml");
        std::fs::write(&file, rules).unwrap();
        let (ok, out) = run_tool(Command::new(&promtool).args(["check", "rules"]).arg(&file));
        assert!(ok, "{}: {out}", dir.display());
        assert!(
            out.contains(&format!("SUCCESS: {} rules found", exprs.len())),
            "{out}"
        );
    }
}

#[test]
fn amtool_accepts_every_alertmanager_config() {
    let Some(amtool) = tool_on_path("amtool") else {
        return;
    };
    let dirs = with_file("alertmanager/alertmanager.yml");
    assert!(!dirs.is_empty());
    for dir in dirs {
        let (ok, out) = run_tool(
            Command::new(&amtool)
                .arg("check-config")
                .arg(dir.join("alertmanager/alertmanager.yml")),
        );
        assert!(ok, "{}: {out}", dir.display());
    }
}

#[test]
fn amtool_would_catch_a_broken_config() {
    let Some(amtool) = tool_on_path("amtool") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("alertmanager.yml");
    std::fs::write(
        &file,
        "route:\n  receiver: nobody\nreceivers:\n  - name: somebody\n",
    )
    .unwrap();
    let (ok, _) = run_tool(Command::new(&amtool).arg("check-config").arg(&file));
    assert!(!ok);
}

fn blackbox_check(config: &std::path::Path) -> Option<(bool, String)> {
    let exporter = tool_on_path("prometheus-blackbox-exporter")?;
    Some(run_tool(
        Command::new(exporter)
            .arg("--config.check")
            .arg(format!("--config.file={}", config.display())),
    ))
}

/// The blackbox exporter's own loader (Debian's 0.23; the image is 0.28.0, whose
/// `tcp`/`tls_config` schema is the same) reads every generated config.
#[test]
fn the_blackbox_exporter_accepts_every_config_and_rejects_a_broken_one() {
    let dirs = with_file("blackbox/blackbox.yml");
    assert!(dirs.len() >= 3, "{dirs:?}");
    for dir in &dirs {
        let Some((ok, out)) = blackbox_check(&dir.join("blackbox/blackbox.yml")) else {
            return;
        };
        assert!(
            ok && out.contains("Config file is ok"),
            "{}: {out}",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(dirs[0].join("blackbox/blackbox.yml")).unwrap();
    let broken = text.replace("insecure_skip_verify", "insecure_skip_verfy");
    assert_ne!(broken, text);
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), broken).unwrap();
    let (ok, out) = blackbox_check(tmp.path()).unwrap();
    assert!(!ok, "a misspelt key passed: {out}");
}
