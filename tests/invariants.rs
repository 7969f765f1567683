//! Cross-artifact invariants: facts that must agree between generated files.

mod support;

use std::collections::BTreeSet;

use serde_json::Value as J;
use support::{compose_service, golden_env_dirs, service_networks, yaml};

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
        let prom_networks: BTreeSet<String> = service_networks(prom).into_iter().collect();
        for job in prometheus["scrape_configs"].as_array().unwrap() {
            for group in job["static_configs"].as_array().into_iter().flatten() {
                for target in strings(&group["targets"]) {
                    let (host, port) = target.rsplit_once(':').unwrap();
                    checked += 1;
                    match compose_service(&compose, host) {
                        Some(svc) => {
                            assert!(
                                strings(&svc["expose"]).contains(&port.to_owned()),
                                "{}: `{host}` does not expose {port}",
                                dir.display()
                            );
                            let nets: BTreeSet<String> =
                                service_networks(svc).into_iter().collect();
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
        let project = compose["name"].as_str().unwrap_or_default();
        for (key, svc) in compose["services"].as_object().unwrap() {
            // Services on external networks are keyed `<project>-<name>`.
            let name = key.strip_prefix(&format!("{project}-")).unwrap_or(key);
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

/// Where a generated file reaches `host` by name: a connection variable, an
/// nginx upstream or a scrape target.
fn references_to(host: &str, compose: &J, nginx: &str, prometheus: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (name, svc) in compose["services"].as_object().unwrap() {
        for (key, value) in svc["environment"].as_object().into_iter().flatten() {
            let value = value.as_str().unwrap_or_default();
            if value == host || value.starts_with(&format!("http://{host}:")) {
                found.push(format!("{name}: {key}={value}"));
            }
        }
    }
    // nginx names an app in `set $futurestack_upstream host:port;`, Prometheus
    // in a static target `- host:port`.
    for line in nginx.lines().chain(prometheus.lines()).map(str::trim) {
        if line.starts_with(&format!("set $futurestack_upstream {host}:"))
            || line.starts_with(&format!("- {host}:"))
        {
            found.push(line.to_owned());
        }
    }
    found
}

/// Names a compose service answers to on `network`: its key (Docker registers
/// it on every network, with the container name `<project>-<key>-1`) and its
/// aliases there.
fn names_on(key: &str, svc: &J, network: &str) -> Vec<String> {
    let mut names = vec![key.to_owned()];
    for alias in svc["networks"][network]["aliases"]
        .as_array()
        .into_iter()
        .flatten()
    {
        names.extend(alias.as_str().map(str::to_owned));
    }
    names
}

/// On an external network, a service of the stack answers only to names that
/// start with `<project>-` (its bare name may belong to another stack there,
/// and Docker's DNS would then answer with both), and the stack never reaches
/// it by its bare name.
#[test]
fn services_on_external_networks_answer_only_to_unique_names() {
    let mut checked = 0;
    let mut guarded = 0;
    for dir in golden_env_dirs() {
        if !dir.join("docker-compose.yml").is_file() {
            continue;
        }
        let compose = yaml(&dir.join("docker-compose.yml"));
        let project = compose["name"].as_str().unwrap().to_owned();
        let nginx = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap_or_default();
        let prometheus =
            std::fs::read_to_string(dir.join("prometheus/prometheus.yml")).unwrap_or_default();
        let external: BTreeSet<String> = compose["networks"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, n)| n["external"] == J::Bool(true))
            .map(|(k, _)| k.clone())
            .collect();
        let unique = |names: &[String]| names.iter().all(|n| n.starts_with(&format!("{project}-")));
        for (key, svc) in compose["services"].as_object().unwrap() {
            for network in service_networks(svc)
                .iter()
                .filter(|n| external.contains(*n))
            {
                let names = names_on(key, svc, network);
                assert!(
                    unique(&names),
                    "{}: on `{network}`, `{key}` answers to {names:?}",
                    dir.display()
                );
                let bare = key.strip_prefix(&format!("{project}-")).unwrap_or(key);
                let found = references_to(bare, &compose, &nginx, &prometheus);
                assert!(
                    found.is_empty(),
                    "{}: `{bare}` reached by its bare name: {found:?}",
                    dir.display()
                );
                checked += 1;
                // Guard: the same checks object to the bare key compose would
                // otherwise register, and to a bare reference (where nginx routes to it).
                assert!(!unique(&names_on(bare, svc, network)));
                let broken = nginx.replace(
                    &format!("set $futurestack_upstream {key}:"),
                    &format!("set $futurestack_upstream {bare}:"),
                );
                if broken != nginx {
                    assert!(!references_to(bare, &compose, &broken, &prometheus).is_empty());
                    guarded += 1;
                }
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} services on external networks"
    );
    assert!(guarded >= 2, "the guard ran {guarded} times");
}
