//! Cross-artifact invariants: facts that must agree between generated files.

mod support;

use std::collections::BTreeSet;

use serde_json::Value as J;
use support::golden_env_dirs;

fn yaml(path: &std::path::Path) -> J {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &J) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// Every scrape target is a service and port that exists on a network Prometheus
/// is attached to in the compose file (or, for external services, on an external
/// network Prometheus joins).
#[test]
fn every_scrape_target_is_reachable_from_prometheus() {
    let mut checked = 0;
    for dir in golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("prometheus/prometheus.yml").is_file())
    {
        let compose = yaml(&dir.join("docker-compose.yml"));
        let prometheus = yaml(&dir.join("prometheus/prometheus.yml"));
        let services = &compose["services"];
        let Some(prom) = services.get("prometheus") else {
            continue;
        }; // existing-Prometheus mode
        let prom_networks: BTreeSet<String> = strings(&prom["networks"]).into_iter().collect();
        for job in prometheus["scrape_configs"].as_array().unwrap() {
            for group in job["static_configs"].as_array().into_iter().flatten() {
                for target in strings(&group["targets"]) {
                    let (host, port) = target.rsplit_once(':').unwrap();
                    checked += 1;
                    match services.get(host) {
                        Some(svc) => {
                            assert!(
                                strings(&svc["expose"]).contains(&port.to_owned()),
                                "{}: `{host}` does not expose {port}",
                                dir.display()
                            );
                            let nets: BTreeSet<String> =
                                strings(&svc["networks"]).into_iter().collect();
                            assert!(
                                !nets.is_disjoint(&prom_networks),
                                "{}: prometheus shares no network with `{host}`",
                                dir.display()
                            );
                        }
                        None => {
                            // Not in compose: an external service; Prometheus must join an external network.
                            let external: Vec<&String> = prom_networks
                                .iter()
                                .filter(|n| {
                                    compose["networks"][n.as_str()]["external"] == J::Bool(true)
                                })
                                .collect();
                            assert!(
                                !external.is_empty(),
                                "{}: `{host}` is neither a compose service nor on an external network prometheus joins",
                                dir.display()
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} targets checked");
}

/// The services Prometheus scrapes and the services compose runs agree: every
/// compose service with a metrics endpoint is scraped.
#[test]
fn every_app_and_database_is_scraped() {
    for dir in golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("prometheus/prometheus.yml").is_file())
    {
        let compose = yaml(&dir.join("docker-compose.yml"));
        let text = std::fs::read_to_string(dir.join("prometheus/prometheus.yml")).unwrap();
        let targets_json = std::fs::read_to_string(dir.join("prometheus/targets/futurestack.json"))
            .unwrap_or_default();
        for (name, svc) in compose["services"].as_object().unwrap() {
            let image = svc["image"].as_str().unwrap_or_default();
            let watched = [
                "mysql:",
                "postgres:",
                "redis:",
                "elasticsearch:",
                "/ai-",
                "/shared:",
            ]
            .iter()
            .any(|p| image.contains(p));
            // A worker (no port) has no metrics endpoint to scrape.
            let has_port = svc["expose"].as_array().is_some_and(|e| !e.is_empty());
            if watched && has_port {
                let needle = format!("service: {name}\n");
                let in_json = targets_json.contains(&format!("\"service\": \"{name}\""));
                assert!(
                    text.contains(&needle) || in_json,
                    "{}: `{name}` is not scraped",
                    dir.display()
                );
            }
        }
    }
}
