//! Real tools verify the `k8s/` manifests of every golden case that runs on
//! ACK: kubernetes-validate (the API's own schemas, strict, at the cluster's
//! Kubernetes minor), checkov's Kubernetes checks and shellcheck; `apply.sh`
//! runs against a recording `kubectl`; and the NetworkPolicies, evaluated
//! from the manifests alone, allow exactly the spec's `uses` graph plus
//! Prometheus's scrapes. Under `CI=true` a missing tool fails the run.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as J;
use support::{golden_env_dirs, in_ci, repo, run_tool, tool_on_path};

fn k8s_dirs() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = golden_env_dirs()
        .into_iter()
        .map(|d| d.join("k8s"))
        .filter(|d| d.is_dir())
        .collect();
    assert!(!dirs.is_empty(), "no golden case runs on ACK");
    dirs
}

fn manifests(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn docs(dir: &Path) -> Vec<J> {
    manifests(dir)
        .iter()
        .flat_map(|f| {
            serde_saphyr::from_multiple::<J>(&std::fs::read_to_string(f).unwrap()).unwrap()
        })
        .collect()
}

/// `1.35` from the namespace's Pod Security version label (the cluster's minor).
fn minor(dir: &Path) -> String {
    let ns = docs(dir)
        .into_iter()
        .find(|d| d["kind"] == "Namespace")
        .unwrap();
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
        .as_str()
        .unwrap()
        .trim_start_matches('v')
        .to_owned()
}

fn tool(venv: &str, bin: &str) -> Option<PathBuf> {
    let path = repo().join(".tools").join(venv).join("bin").join(bin);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        ".tools/{venv} is missing and CI=true: run ./scripts/test, which installs it"
    );
    eprintln!("SKIPPED: .tools/{venv} is missing; run ./scripts/test to install it");
    None
}

fn kubernetes_validate(files: &[PathBuf], minor: &str) -> Option<(bool, String)> {
    let kv = tool("kvvenv", "kubernetes-validate")?;
    Some(run_tool(
        Command::new(kv).args(["--strict", "-k", minor]).args(files),
    ))
}

#[test]
fn kubernetes_validate_accepts_every_manifest_strictly() {
    for dir in k8s_dirs() {
        let Some((ok, out)) = kubernetes_validate(&manifests(&dir), &minor(&dir)) else {
            return;
        };
        assert!(ok, "{}:\n{out}", dir.display());
        // Unknown kinds are only a warning: allow the Operator's, nothing else.
        for line in out.lines().filter(|l| l.starts_with("WARN")) {
            assert!(
                line.contains("monitoring.coreos.com/v1"),
                "{}: {line}",
                dir.display()
            );
        }
        let checked = out
            .lines()
            .filter(|l| l.contains(" passed for resource "))
            .count();
        assert!(
            checked >= 20,
            "{}: only {checked} resources checked:\n{out}",
            dir.display()
        );
    }
}

#[test]
fn kubernetes_validate_refuses_a_misspelt_field() {
    let dir = k8s_dirs().remove(0);
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir.join("deployments.yaml")).unwrap();
    assert!(text.contains("readOnlyRootFilesystem"));
    let broken = tmp.path().join("deployments.yaml");
    std::fs::write(
        &broken,
        text.replacen("readOnlyRootFilesystem", "readOnlyRootFS", 1),
    )
    .unwrap();
    let Some((ok, out)) = kubernetes_validate(&[broken], &minor(&dir)) else {
        return;
    };
    assert!(!ok && out.contains("readOnlyRootFS"), "{out}");
}

fn checkov(dir: &Path) -> Option<(bool, String)> {
    let checkov = tool("ckvenv", "checkov")?;
    Some(run_tool(
        Command::new(checkov)
            .args([
                "--framework",
                "kubernetes",
                "--compact",
                "--quiet",
                "--skip-download",
                "-d",
            ])
            .arg(dir),
    ))
}

#[test]
fn checkov_finds_no_failed_kubernetes_check() {
    for dir in k8s_dirs() {
        let Some((ok, out)) = checkov(&dir) else {
            return;
        };
        assert!(
            ok && out.contains("Failed checks: 0"),
            "{}:\n{out}",
            dir.display()
        );
    }
}

#[test]
fn checkov_fails_a_privileged_container() {
    let dir = k8s_dirs().remove(0);
    // checkov skips hidden folders, as tempfile's default `.tmp` names are.
    let tmp = tempfile::Builder::new().prefix("k8s").tempdir().unwrap();
    for f in manifests(&dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(
            tmp.path().join(f.file_name().unwrap()),
            text.replace("privileged: false", "privileged: true"),
        )
        .unwrap();
    }
    let Some((ok, out)) = checkov(tmp.path()) else {
        return;
    };
    assert!(
        !ok && out.contains("CKV_K8S_16"),
        "checkov missed a privileged container:\n{out}"
    );
}

#[test]
fn apply_script_passes_shellcheck() {
    let Some(shellcheck) = tool_on_path("shellcheck") else {
        return;
    };
    for dir in k8s_dirs() {
        let (ok, out) = run_tool(
            Command::new(&shellcheck)
                .args(["-s", "bash"])
                .arg(dir.join("apply.sh")),
        );
        assert!(ok, "{}:\n{out}", dir.display());
    }
}

/// Runs `apply.sh` with a `kubectl` that records its arguments and input.
fn run_apply(dir: &Path, env: &[(String, String)]) -> (bool, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("k8s");
    support::copy_dir(dir, &out);
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("kubectl.log");
    std::fs::write(
        bin.join("kubectl"),
        format!(
            // One write per call: the two ends of a pipeline run at once.
            "#!/bin/sh\nrec=ARGS\nfor a in \"$@\"; do rec=\"$rec [$a]\"; done\ncase \"$*\" in *--from-file=*) rec=\"$rec\nSTDIN $(cat)\";; esac\nprintf '%s\\n' \"$rec\" >> '{log}'\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("kubectl"))
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg(out.join("apply.sh"))
        .env_clear()
        .env("PATH", path)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    let recorded = std::fs::read_to_string(&log).unwrap_or_default();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        recorded,
    )
}

fn variables(dir: &Path) -> Vec<String> {
    let script = std::fs::read_to_string(dir.join("apply.sh")).unwrap();
    let line = script
        .lines()
        .find(|l| l.starts_with("for var in '"))
        .unwrap();
    line.trim_start_matches("for var in ")
        .trim_end_matches("; do")
        .split_whitespace()
        .map(|v| v.trim_matches('\'').to_owned())
        .collect()
}

#[test]
fn apply_script_passes_secrets_on_stdin_and_applies_every_file() {
    for dir in k8s_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
        std::fs::write(&cert, "cert").unwrap();
        std::fs::write(&key, "key").unwrap();
        let mut env: Vec<(String, String)> = variables(&dir)
            .into_iter()
            .enumerate()
            .map(|(n, v)| (v, format!("s3cr$t '{n}\" $(id) `x`")))
            .collect();
        env.push(("FUTURESTACK_TLS_CERT".into(), cert.display().to_string()));
        env.push(("FUTURESTACK_TLS_KEY".into(), key.display().to_string()));
        let (ok, stderr, log) = run_apply(&dir, &env);
        assert!(ok, "{}: {stderr}\n{log}", dir.display());
        let args: Vec<&str> = log.lines().filter(|l| l.starts_with("ARGS ")).collect();
        // Every secret value arrived on standard input, intact, and in no argument list.
        for (var, value) in env
            .iter()
            .filter(|(v, _)| !v.starts_with("FUTURESTACK_") && !v.ends_with("_HOST"))
        {
            assert!(
                log.contains(&format!("STDIN {value}")),
                "{var} not passed on stdin:\n{log}"
            );
            assert!(
                !args.iter().any(|a| a.contains(value.as_str())),
                "{var} on a command line:\n{log}"
            );
        }
        assert!(args[0].contains("[apply] [-f] [namespace.yaml]"), "{log}");
        for f in manifests(&dir) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                args.iter()
                    .any(|a| a.ends_with(&format!("[apply] [-f] [{name}]"))),
                "{name} not applied:\n{log}"
            );
        }
        // Without the variables it stops before touching the cluster.
        let (ok, stderr, log) = run_apply(&dir, &[]);
        assert!(
            !ok && stderr.contains("is not set") && log.is_empty(),
            "{stderr}\n{log}"
        );
    }
}

/// A pod: its name, its labels, its containers' ports.
struct Pod {
    name: String,
    labels: J,
    ports: Vec<u64>,
}

fn pods(all: &[J]) -> Vec<Pod> {
    all.iter()
        .filter(|d| {
            matches!(
                d["kind"].as_str(),
                Some("Deployment" | "StatefulSet" | "Job")
            )
        })
        .map(|d| {
            let t = &d["spec"]["template"];
            let ports = t["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .map(|p| p["containerPort"].as_u64().unwrap())
                .collect();
            Pod {
                name: d["metadata"]["name"].as_str().unwrap().to_owned(),
                labels: t["metadata"]["labels"].clone(),
                ports,
            }
        })
        .collect()
}

fn selects(selector: &J, labels: &J) -> bool {
    selector["matchLabels"]
        .as_object()
        .is_none_or(|m| m.iter().all(|(k, v)| &labels[k] == v))
}

fn port_allowed(rule: &J, port: u64) -> bool {
    rule["ports"]
        .as_array()
        .is_none_or(|ps| ps.iter().any(|p| p["port"].as_u64() == Some(port)))
}

/// Whether a rule's peers (`from` or `to`) include the pod, by pod selector
/// in this namespace.
fn peer_matches(rule: &J, key: &str, labels: &J) -> bool {
    rule[key].as_array().is_some_and(|peers| {
        peers.iter().any(|p| {
            p.get("namespaceSelector").is_none()
                && p.get("podSelector").is_some_and(|s| selects(s, labels))
        })
    })
}

/// The connections between pods the NetworkPolicies allow: egress from `a`
/// and ingress to `b`, on one of `b`'s ports (every pod is isolated both ways).
fn allowed_pairs(all: &[J]) -> BTreeSet<(String, String)> {
    let policies: Vec<&J> = all
        .iter()
        .filter(|d| d["kind"] == "NetworkPolicy")
        .collect();
    let pods = pods(all);
    let direction = |pod: &Pod, kind: &str, key: &str, peer: &Pod, port: u64| {
        policies.iter().any(|p| {
            let spec = &p["spec"];
            selects(&spec["podSelector"], &pod.labels)
                && spec["policyTypes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == kind)
                && spec[kind.to_lowercase().as_str()]
                    .as_array()
                    .is_some_and(|rules| {
                        rules
                            .iter()
                            .any(|r| peer_matches(r, key, &peer.labels) && port_allowed(r, port))
                    })
        })
    };
    let mut out = BTreeSet::new();
    for a in &pods {
        for b in pods.iter().filter(|b| b.name != a.name) {
            if b.ports.iter().any(|&port| {
                direction(a, "Egress", "to", b, port) && direction(b, "Ingress", "from", a, port)
            }) {
                out.insert((a.name.clone(), b.name.clone()));
            }
        }
    }
    out
}

/// What the spec says may connect: each in-cluster service to what it
/// `uses`, each database's exporter and accounts job to it, and Prometheus
/// to every service its own config (`k8s/prometheus.yml`) keeps.
fn expected_pairs(spec: &J, dir: &Path, running: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (name, s) in spec["services"].as_object().unwrap() {
        for used in s["uses"].as_array().cloned().unwrap_or_default() {
            let used = used.as_str().unwrap().to_owned();
            if running.contains(name) && running.contains(&used) {
                out.insert((name.clone(), used));
            }
        }
        for helper in [format!("{name}-exporter"), format!("{name}-accounts")] {
            if running.contains(&helper) {
                out.insert((helper, name.clone()));
            }
        }
        // An exporter logs in with the account its database's job makes: no edge to the job.
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("prometheus.yml")) {
        let config: J = serde_saphyr::from_str(&text).unwrap();
        for job in config["scrape_configs"].as_array().unwrap() {
            let keep = job["relabel_configs"][0]["regex"].as_str().unwrap();
            let service = keep.split(';').next().unwrap().to_owned();
            if service != "prometheus" {
                out.insert(("prometheus".to_owned(), service));
            }
        }
        // Alerts go to the Alertmanager the config names, when it runs here.
        for am in config["alerting"]["alertmanagers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            for target in am["static_configs"][0]["targets"].as_array().unwrap() {
                let host = target
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned();
                if running.contains(&host) {
                    out.insert(("prometheus".to_owned(), host));
                }
            }
        }
    }
    out
}

fn spec_of(k8s: &Path) -> J {
    let env = k8s
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let case = k8s.parent().unwrap().parent().unwrap().parent().unwrap();
    support::yaml(&case.join("environments").join(format!("{env}.yaml")))
}

#[test]
fn network_policies_allow_exactly_the_uses_graph() {
    for dir in k8s_dirs() {
        let all = docs(&dir);
        let running: BTreeSet<String> = pods(&all).into_iter().map(|p| p.name).collect();
        let allowed = allowed_pairs(&all);
        let expected = expected_pairs(&spec_of(&dir), &dir, &running);
        assert_eq!(allowed, expected, "{}", dir.display());
        // The spec's own edges are there (not an empty graph on both sides).
        assert!(
            allowed.contains(&("ai-recommend".into(), "mysql".into()))
                || !running.contains("ai-recommend"),
            "{allowed:?}"
        );
        assert!(
            !allowed.contains(&("ai-nlp".into(), "mysql".into())),
            "{allowed:?}"
        );
        assert!(
            all.iter().any(|d| d["kind"] == "NetworkPolicy"
                && d["spec"]["podSelector"] == serde_json::json!({})
                && d["spec"]["ingress"] == serde_json::json!([])
                && d["spec"]["egress"] == serde_json::json!([])),
            "no default deny"
        );
    }
}

#[test]
fn the_policy_evaluation_sees_an_extra_allowance() {
    let dir = k8s_dirs().remove(0);
    let mut all = docs(&dir);
    let before = allowed_pairs(&all);
    let names: Vec<String> = pods(&all).into_iter().map(|p| p.name).collect();
    let (a, b) = names
        .iter()
        .flat_map(|a| names.iter().map(move |b| (a.clone(), b.clone())))
        .find(|(a, b)| a != b && !before.contains(&(a.clone(), b.clone())))
        .unwrap();
    let sel = |n: &str| serde_json::json!({"podSelector": {"matchLabels": {"app.kubernetes.io/name": n}}});
    all.push(serde_json::json!({
        "kind": "NetworkPolicy",
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [sel(&a)]}], "egress": [{"to": [sel(&b)]}]}
    }));
    assert!(allowed_pairs(&all).contains(&(a, b)));
}

/// The ports Alertmanager's config connects to: each webhook URL's (or its
/// scheme's) and each smarthost's.
fn receiver_ports(config: &J) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for r in config["receivers"].as_array().unwrap() {
        for w in r["webhook_configs"].as_array().cloned().unwrap_or_default() {
            let url = w["url"].as_str().unwrap();
            let (scheme, rest) = url.split_once("://").unwrap();
            let host = rest.split('/').next().unwrap();
            out.insert(match host.rsplit_once(':') {
                Some((_, port)) => port.parse().unwrap(),
                None if scheme == "https" => 443,
                None => 80,
            });
        }
        for e in r["email_configs"].as_array().cloned().unwrap_or_default() {
            let smarthost = e["smarthost"].as_str().unwrap();
            out.insert(smarthost.rsplit_once(':').unwrap().1.parse().unwrap());
        }
    }
    out
}

/// Alertmanager in the cluster reads the same config the monitoring target
/// writes (and amtool checks), and its NetworkPolicy lets it out to exactly
/// the ports its receivers need, outside the cluster's pods.
#[test]
fn alertmanager_in_the_cluster_reaches_exactly_its_receivers() {
    let mut seen = 0;
    for dir in k8s_dirs() {
        let all = docs(&dir);
        let Some(map) = all
            .iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "alertmanager")
        else {
            continue;
        };
        seen += 1;
        let text = map["data"]["alertmanager.yml"].as_str().unwrap();
        let file =
            std::fs::read_to_string(dir.parent().unwrap().join("alertmanager/alertmanager.yml"))
                .unwrap();
        assert_eq!(text, file, "{}", dir.display());
        let config: J = serde_saphyr::from_str(text).unwrap();
        let wanted = receiver_ports(&config);
        assert!(!wanted.is_empty(), "{}", dir.display());
        let policy = all
            .iter()
            .find(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["name"] == "alertmanager")
            .expect("a policy of its own");
        let mut outside = BTreeSet::new();
        for rule in policy["spec"]["egress"].as_array().unwrap() {
            if rule["to"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p.get("ipBlock").is_some())
            {
                for p in rule["ports"].as_array().unwrap() {
                    outside.insert(p["port"].as_u64().unwrap());
                }
            }
        }
        assert_eq!(outside, wanted, "{}", dir.display());
        // Prometheus is told where it is, and the Service is there.
        let prometheus: J =
            serde_saphyr::from_str(&std::fs::read_to_string(dir.join("prometheus.yml")).unwrap())
                .unwrap();
        let target = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]
            .as_str()
            .unwrap();
        let port: u64 = target
            .strip_prefix("alertmanager:")
            .unwrap()
            .parse()
            .unwrap();
        assert!(all.iter().any(|d| {
            d["kind"] == "Service"
                && d["metadata"]["name"] == "alertmanager"
                && d["spec"]["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["port"].as_u64() == Some(port))
        }));
        if let Some(amtool) = tool_on_path("amtool") {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("alertmanager.yml");
            std::fs::write(&path, text).unwrap();
            let (ok, log) = run_tool(Command::new(amtool).arg("check-config").arg(&path));
            assert!(ok, "{log}");
        } else {
            assert!(!in_ci(), "amtool is missing");
        }
    }
    assert!(seen > 0, "no cluster runs Alertmanager");
    // The guard: a receiver on another port is one the policy does not allow.
    let config: J = serde_json::json!({"receivers": [{"webhook_configs": [{"url": "http://hooks.example.com:8443/x"}]}]});
    assert_eq!(receiver_ports(&config), BTreeSet::from([8443]));
}
