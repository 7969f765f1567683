//! `futurestack cost` and the cost report: every shipped environment is
//! priced, the arithmetic is redone independently (Python's `decimal` on the
//! JSON report, against the price table read by PyYAML), the recommendation
//! on the plan's figures, and the cost change `diff` reports.

mod support;

use std::path::Path;
use std::process::Command;

use support::{repo, run_in, shipped_copy, yaml};

/// Runs `tests/sandbox/cost-check.py PRICES REPORTS`: (success, output).
fn cost_check(prices: &Path, reports: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.json");
    std::fs::write(&file, reports).unwrap();
    let out = Command::new("python3")
        .arg(repo().join("tests/sandbox/cost-check.py"))
        .arg(prices)
        .arg(&file)
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn reports(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["cost", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn every_shipped_environment_is_priced_and_the_arithmetic_holds() {
    let text = run_in(&repo(), &["cost"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for env in ["dev", "staging", "prod"] {
        assert!(
            text.stdout
                .contains(&format!("{env}: prices from prices/example.yaml")),
            "{}",
            text.stdout
        );
    }
    assert!(text.stdout.contains("an example table, not a quote"));
    let json = run_in(&repo(), &["cost", "--format", "json"]).stdout;
    let (ok, log) = cost_check(&repo().join("prices/example.yaml"), &json);
    assert!(ok, "{log}");
    // The JSON is what each environment's committed cost.json holds.
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    for report in parsed.as_array().unwrap() {
        let env = report["environment"].as_str().unwrap();
        let mut committed: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join(format!("golden/{env}/cost.json"))).unwrap(),
        )
        .unwrap();
        committed.as_object_mut().unwrap().remove("description");
        assert_eq!(&committed, report, "{env}");
    }
}

#[test]
fn the_checker_catches_wrong_arithmetic() {
    let json = run_in(&repo(), &["cost", "--format", "json"]).stdout;
    let mut parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    // One line off by a cent, then a total that is not the sum.
    let line = &mut parsed[0]["lines"][0];
    let payg = line["pay_as_you_go"].as_str().unwrap().to_owned();
    line["pay_as_you_go"] = format!("{payg}1").into();
    let (ok, log) = cost_check(&repo().join("prices/example.yaml"), &parsed.to_string());
    assert!(!ok && log.contains("pay-as-you-go"), "{log}");
    let mut parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    parsed[1]["total"]["subscription"] = "1".into();
    let (ok, log) = cost_check(&repo().join("prices/example.yaml"), &parsed.to_string());
    assert!(!ok && log.contains("totals"), "{log}");
}

#[test]
fn the_cases_with_a_new_host_and_managed_services_add_up() {
    for case in ["fresh-host", "managed"] {
        let dir = repo().join("tests/cases").join(case);
        let json = run_in(&dir, &["cost", "--format", "json"]).stdout;
        let (ok, log) = cost_check(&dir.join("prices.yaml"), &json);
        assert!(ok, "{case}: {log}");
    }
    let managed = reports(&repo().join("tests/cases/managed"), &[]);
    let es = managed[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "elasticsearch.sn2ne.large")
        .unwrap();
    // The same two data nodes the ROS and Terraform templates create.
    assert_eq!(es["quantity"], 2);
    let ros = std::fs::read_to_string(
        repo().join("tests/cases/managed/golden/managed/ros/template.yaml"),
    )
    .unwrap();
    assert!(ros.contains("Amount: 2"), "the ROS template's data nodes");
}

/// The plan's host: 4 vCPUs and 8 GiB, already running nine containers. The
/// plan asks for 6 vCPUs and 12 GiB, which no c, g or r type offers: the
/// smallest of the seventh generation that holds the stack is 8 vCPUs / 16 GiB.
#[test]
fn the_plan_host_is_upgraded_to_the_smallest_type_that_exists() {
    let dev = &reports(&repo(), &["--env", "dev"])[0];
    let capacity = &dev["capacity"];
    assert_eq!(capacity["host"]["instance_type"], "ecs.c7.xlarge");
    assert_eq!(
        (
            capacity["host"]["vcpus"].as_u64(),
            capacity["host"]["memory_gib"].as_u64()
        ),
        (Some(4), Some(8))
    );
    assert_eq!(capacity["host_fits"], false);
    let fit = &capacity["smallest_fit"];
    assert_eq!(fit["instance_type"], "ecs.c7.2xlarge");
    let wanted_cpus = capacity["wanted_cpus"].as_f64().unwrap();
    let wanted_mib = capacity["wanted_memory_mib"].as_u64().unwrap();
    assert!(
        fit["vcpus"].as_f64().unwrap() >= wanted_cpus
            && fit["memory_gib"].as_u64().unwrap() * 1024 >= wanted_mib
    );
    // 6 vCPUs / 12 GiB would be enough, but does not exist.
    assert!(wanted_cpus <= 6.0 && wanted_mib <= 12 * 1024, "{capacity}");
    assert_eq!(dev["upgrade"]["from"], "ecs.c7.xlarge");
    assert_eq!(dev["upgrade"]["to"], "ecs.c7.2xlarge");

    // With the prod limits on the plan's 4 / 8 host, the capacity rule fails
    // and its help names the type that holds them.
    let dir = shipped_copy();
    let prod = dir.path().join("environments/prod.yaml");
    let spec = std::fs::read_to_string(&prod).unwrap().replace(
        "  instance_type: ecs.c7.2xlarge\n  vcpus: 8\n  memory: 16GiB\n",
        "  instance_type: ecs.c7.xlarge\n  vcpus: 4\n  memory: 8GiB\n",
    );
    std::fs::write(&prod, spec).unwrap();
    let out = run_in(dir.path(), &["validate", "--env", "prod"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("error[FS131]"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("or move to `ecs.c7.2xlarge` (8 vCPUs, 16 GiB)"),
        "{}",
        out.stderr
    );
}

#[test]
fn diff_reports_the_cost_change_of_a_spec_edit() {
    let dir = shipped_copy();
    let prod = dir.path().join("environments/prod.yaml");
    let spec = std::fs::read_to_string(&prod).unwrap().replace(
        "  instance_type: ecs.c7.2xlarge\n  vcpus: 8\n  memory: 16GiB\n",
        "  instance_type: ecs.c7.3xlarge\n  vcpus: 12\n  memory: 24GiB\n",
    );
    std::fs::write(&prod, spec).unwrap();
    let before = reports(&repo(), &["--env", "prod"])[0]["total"].clone();
    let after = reports(dir.path(), &["--env", "prod"])[0]["total"].clone();
    let cents = |v: &serde_json::Value| {
        let d: f64 = v.as_str().unwrap().parse().unwrap();
        format!("{d:.2}")
    };
    let text = run_in(dir.path(), &["diff", "--env", "prod"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let line = format!(
        "prod: monthly cost {} -> {} CNY pay-as-you-go",
        cents(&before["pay_as_you_go"]),
        cents(&after["pay_as_you_go"])
    );
    assert!(text.stdout.contains(&line), "{line}\n{}", text.stdout);
    let markdown = run_in(
        dir.path(),
        &["diff", "--env", "prod", "--format", "markdown"],
    );
    assert!(
        markdown.stdout.contains("| monthly cost, pay-as-you-go |"),
        "{}",
        markdown.stdout
    );
    let json = run_in(dir.path(), &["diff", "--env", "prod", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        parsed["environments"]["prod"]["cost"]["new"][0],
        cents(&after["pay_as_you_go"])
    );

    // A cost.json edited by hand (or by a pull request) is not trusted: the
    // change is reported as from `none`.
    std::fs::write(
        dir.path().join("golden/prod/cost.json"),
        "{\"currency\": \"$(x)\", \"total\": 1}",
    )
    .unwrap();
    let text = run_in(dir.path(), &["diff", "--env", "prod"]);
    assert!(
        text.stdout.contains("prod: monthly cost none -> "),
        "{}",
        text.stdout
    );
    // Without a change to the totals there is no cost line.
    let text = run_in(&repo(), &["diff", "--env", "prod"]);
    assert!(!text.stdout.contains("monthly cost"), "{}", text.stdout);
}

#[test]
fn an_environment_without_a_price_table_is_a_usage_error() {
    let dir = shipped_copy();
    let base = dir.path().join("environments/base.yaml");
    let spec = std::fs::read_to_string(&base).unwrap().replace(
        "cost:\n  prices: ../prices/example.yaml\n  headroom: 20\n",
        "",
    );
    std::fs::write(&base, spec).unwrap();
    let out = run_in(dir.path(), &["cost", "--env", "dev"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no price table for `dev`"),
        "{}",
        out.stderr
    );
}

#[test]
fn old_prices_and_prices_from_the_future_are_warned_about() {
    let table = std::fs::read_to_string(repo().join("prices/example.yaml")).unwrap();
    assert!(table.contains("as_of: 2026-12-01"), "the example's date");
    // 180 days after the table's day is still current; 181 are not.
    let fresh = run_in(&repo(), &["cost", "--env", "dev", "--today", "2027-05-30"]);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert!(!fresh.stderr.contains("FS182"), "{}", fresh.stderr);
    let old = run_in(&repo(), &["cost", "--env", "dev", "--today", "2027-05-31"]);
    assert_eq!(old.code, 0, "{}", old.stderr);
    assert!(old.stderr.contains("warning[FS182]: prices in `prices/example.yaml` date from 2026-12-01, 181 days before 2027-05-31"), "{}", old.stderr);
    assert!(
        old.stderr.contains("environments/base.yaml:"),
        "points at `cost.prices`: {}",
        old.stderr
    );
    let early = run_in(&repo(), &["cost", "--env", "dev", "--today", "2026-11-30"]);
    assert!(
        early
            .stderr
            .contains("are `as_of` 2026-12-01, after 2026-11-30"),
        "{}",
        early.stderr
    );
    // A warning, denied like every other.
    let denied = run_in(
        &repo(),
        &[
            "validate",
            "--env",
            "dev",
            "--today",
            "2027-05-31",
            "--deny-warnings",
        ],
    );
    assert_eq!(denied.code, 1, "{}", denied.stderr);
}

/// On ACK the report prices what the templates build: as many nodes as the
/// node pool has, their system disks, and the GiB the manifests claim (read
/// back from `k8s/`); with a node type the table makes cheaper, it names the
/// pool of that type and what it saves, and the arithmetic holds.
#[test]
fn the_cluster_is_priced_as_the_templates_build_it() {
    type J = serde_json::Value;
    let case = repo().join("tests/cases/ack");
    let golden = case.join("golden/ack");
    let report = &reports(&case, &[])[0];
    assert!(report.get("capacity").is_none(), "{report}");
    let quantity = |sku: &str, item: &str| {
        report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku && l["item"].as_str().unwrap().starts_with(item))
            .unwrap_or_else(|| panic!("no line {item} ({sku}): {report}"))["quantity"]
            .as_u64()
            .unwrap()
    };
    let tf = std::fs::read_to_string(golden.join("terraform/variables.tf")).unwrap();
    let nodes: u64 = tf
        .split("variable \"node_count\"")
        .nth(1)
        .and_then(|v| v.split("default     = ").nth(1))
        .and_then(|v| v.lines().next())
        .unwrap()
        .parse()
        .unwrap();
    let ros = yaml(&golden.join("ros/template.yaml"));
    assert_eq!(
        ros["Parameters"]["NodeCount"]["Default"].as_u64(),
        Some(nodes)
    );
    assert_eq!(quantity("ecs.c7.xlarge", "worker nodes"), nodes);
    assert_eq!(report["nodes"]["nodes"].as_u64(), Some(nodes));
    let main = std::fs::read_to_string(golden.join("terraform/main.tf")).unwrap();
    let system: u64 = main
        .split("system_disk_size     = ")
        .nth(1)
        .and_then(|v| v.lines().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        quantity("disk.cloud_essd", "node system disks"),
        system * nodes
    );
    // Each StatefulSet's claims once per replica, each PVC once.
    let gib = |q: &J| {
        q.as_str()
            .unwrap()
            .strip_suffix("Gi")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let mut claimed = 0;
    let sets = std::fs::read_to_string(golden.join("k8s/statefulsets.yaml")).unwrap();
    for set in serde_saphyr::from_multiple::<J>(&sets).unwrap() {
        let replicas = set["spec"]["replicas"].as_u64().unwrap();
        for t in set["spec"]["volumeClaimTemplates"].as_array().unwrap() {
            claimed += replicas * gib(&t["spec"]["resources"]["requests"]["storage"]);
        }
    }
    let pvcs = golden.join("k8s/persistentvolumeclaims.yaml");
    if pvcs.exists() {
        for pvc in
            serde_saphyr::from_multiple::<J>(&std::fs::read_to_string(pvcs).unwrap()).unwrap()
        {
            claimed += gib(&pvc["spec"]["resources"]["requests"]["storage"]);
        }
    }
    assert!(claimed > 0);
    assert_eq!(quantity("disk.cloud_essd", "disk claims"), claimed);
    assert_eq!(quantity("cs.ack.pro.small", "cluster fee"), 1);
    assert_eq!(quantity("nat.gateway", "NAT gateway"), 1);
    // No type of the table is cheaper for these pods.
    assert!(report["nodes"]["cheaper"].is_null(), "{report}");
    let json = run_in(&case, &["cost", "--format", "json"]).stdout;
    let (ok, log) = cost_check(&case.join("prices.yaml"), &json);
    assert!(ok, "{log}");

    // ecs.c7.2xlarge at a lower price: two of them hold what four of the
    // spec's type do, for less.
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(&case, dir.path());
    support::edit(
        dir.path(),
        "prices.yaml",
        "ecs.c7.2xlarge: {hourly: 1.56, monthly: 684.00",
        "ecs.c7.2xlarge: {hourly: 1.20, monthly: 600.00",
    );
    let cheaper = &reports(dir.path(), &[])[0]["nodes"]["cheaper"];
    assert_eq!(cheaper["instance_type"], "ecs.c7.2xlarge", "{cheaper}");
    assert_eq!(cheaper["nodes"], 2);
    let text = run_in(dir.path(), &["cost"]).stdout;
    assert!(
        text.contains("2 nodes of ecs.c7.2xlarge (8 vCPUs, 16 GiB) would hold them for -525.60 CNY a month pay-as-you-go, -168.00 by subscription"),
        "{text}"
    );
    let json = run_in(dir.path(), &["cost", "--format", "json"]).stdout;
    let (ok, log) = cost_check(&dir.path().join("prices.yaml"), &json);
    assert!(ok, "{log}");
    // The checker catches a change that is not the difference of the pools.
    let mut parsed: J = serde_json::from_str(&json).unwrap();
    parsed[0]["nodes"]["cheaper"]["change"]["subscription"] = "-1.00".into();
    let (ok, log) = cost_check(&dir.path().join("prices.yaml"), &parsed.to_string());
    assert!(!ok && log.contains("node pool change"), "{log}");
}
