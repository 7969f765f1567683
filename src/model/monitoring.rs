//! Monitoring in the model: the exporters and monitoring containers futurestack
//! adds, the scrape jobs, the alert rules (with the unit tests that prove them)
//! and the notification receivers. Targets render these facts; they decide none.

use std::collections::{BTreeMap, BTreeSet};

use super::probes::{self, TlsProbe};
pub use super::receivers::Receiver;
use super::{
    Bind, Dependency, Hardening, HealthTest, Healthcheck, Mount, Port, Service, edge, kinds,
};
use super::{dingtalk, wecom};
use crate::spec::{
    AlertSeverity, AppMetrics, ByteSize, Duration, ExporterFor, Kind, MonitoringMode, ReceiverKind,
    Restart, ServiceClass, Spec,
};

/// Resolved monitoring of a stack.
#[derive(Debug, Clone)]
pub struct Model {
    pub mode: MonitoringMode,
    pub scrape_interval: Duration,
    pub evaluation_interval: Duration,
    /// `host:port` of the Prometheus (own container or the existing one).
    pub prometheus_address: String,
    /// Scrape jobs, sorted by job name.
    pub jobs: Vec<ScrapeJob>,
    /// Alert rule files, sorted by name; each rule sorted by alert name.
    pub rule_files: Vec<RuleFile>,
    pub receivers: Vec<Receiver>,
    pub app_metrics: AppMetrics,
    /// Services shown on the dashboard, by class.
    pub apps: Vec<String>,
    pub databases: Vec<(String, Kind)>,
    /// The probe of nginx's TLS certificate (own monitoring with TLS).
    pub tls_probe: Option<TlsProbe>,
    /// The receiver of the always-firing Watchdog alert (a dead man's switch).
    pub watchdog: Option<String>,
}

/// One scrape job: one service's metrics endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeJob {
    /// Job name (the service's name).
    pub job: String,
    /// Value of the `service` label: the service the metrics describe.
    pub service: String,
    /// The service that serves the endpoint (an exporter, or the service itself).
    pub endpoint_service: String,
    /// Value of the `kind` label: the kind of the service the metrics describe
    /// (`app`, `mysql`, ...), which the dashboard's variables select by.
    pub kind: &'static str,
    /// `host:port` as Prometheus reaches it.
    pub address: String,
    pub metrics_path: String,
}

#[derive(Debug, Clone)]
pub struct RuleFile {
    /// File name under `prometheus/rules/` without `.yml`.
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub alert: String,
    pub expr: String,
    pub for_: Option<Duration>,
    pub severity: AlertSeverity,
    pub summary: String,
    pub description: String,
    /// Synthetic series proving the rule fires, and that it stays quiet on healthy ones.
    pub test: Option<RuleTest>,
}

#[derive(Debug, Clone)]
pub struct RuleTest {
    /// `(series, values)` that make the alert fire.
    pub firing: Vec<(String, String)>,
    /// `(series, values)` of a healthy system.
    pub healthy: Vec<(String, String)>,
    /// When to evaluate, in minutes after the start.
    pub eval_minutes: u32,
    /// Labels the firing alert carries (without `alertname`), sorted.
    pub labels: BTreeMap<String, String>,
}

/// The name of the service futurestack adds to export `service`'s metrics.
pub fn exporter_name(service: &str) -> String {
    format!("{service}-exporter")
}

/// Names of the services the monitoring section adds (for collision checks).
pub fn added_names(spec: &Spec) -> Vec<String> {
    let Some(mon) = &spec.monitoring else {
        return Vec::new();
    };
    let mut names: Vec<String> = spec
        .services
        .iter()
        .filter(|(_, s)| ExporterFor::of(s.kind).is_some())
        .map(|(name, _)| exporter_name(name))
        .collect();
    if spec.edge.is_some() {
        names.push(exporter_name("nginx"));
    }
    if mon.mode == MonitoringMode::Own {
        names.extend(["prometheus", "alertmanager", "grafana", "node-exporter"].map(String::from));
        if mon
            .receivers
            .values()
            .any(|r| r.kind == ReceiverKind::Dingtalk)
        {
            names.extend([dingtalk::BRIDGE, dingtalk::CONFIG].map(String::from));
        }
        if mon
            .receivers
            .values()
            .any(|r| r.kind == ReceiverKind::Wecom)
        {
            names.push(wecom::BRIDGE.to_owned());
        }
        if spec.edge.as_ref().is_some_and(|e| e.tls.is_some()) {
            names.push(probes::SERVICE.to_owned());
        }
    }
    names
}

pub(super) fn generated_service(name: &str, kind: Kind, networks: Vec<String>) -> Service {
    let info = kinds::info(kind);
    let ports: Vec<Port> = info
        .ports
        .iter()
        .map(|(n, p)| Port {
            name: (*n).to_owned(),
            container: *p,
            host: None,
            public: false,
        })
        .collect();
    let main = ports.first().map(|p| p.container).unwrap_or(0);
    let volumes = info
        .data_mount
        .map(|m| {
            vec![Mount {
                volume: format!("{name}-data"),
                target: m.to_owned(),
            }]
        })
        .unwrap_or_default();
    Service {
        name: name.to_owned(),
        kind,
        engine: kind,
        external: false,
        description: None,
        image: info.default_image.map(str::to_owned),
        address: name.to_owned(),
        group: None,
        ports,
        networks,
        networks_explicit: false,
        compose_name: name.to_owned(),
        uses: Vec::new(),
        depends_on: Vec::new(),
        env: BTreeMap::new(),
        env_overrides: Vec::new(),
        secrets: Vec::new(),
        secret_roles: BTreeMap::new(),
        accounts: Vec::new(),
        healthcheck: kinds::healthcheck(kind, main, &|_| None).map(|command| Healthcheck {
            test: HealthTest::Shell(command),
            interval_s: 30,
            timeout_s: 5,
            retries: 3,
            start_period_s: kinds::start_period_seconds(kind),
        }),
        command: None,
        cpus: info.cpus,
        memory: ByteSize::from_mib(info.memory_mib),
        volumes,
        restart: Restart::UnlessStopped,
        accept_image_risk: None,
        user: None,
        hardening: Hardening::default(),
        health_path: None,
        metrics_path: Some("/metrics".into()),
        heap: None,
        security: true,
        binds: Vec::new(),
        entrypoint: None,
        generated: true,
        managed: None,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Adds exporters and monitoring containers to `services` and returns the
/// monitoring model. `services` must be the resolved spec services; the result is
/// sorted by name again.
pub fn add(spec: &Spec, edge: Option<&edge::Model>, services: &mut Vec<Service>) -> Option<Model> {
    let mon = spec.monitoring.as_ref()?;
    let taken: BTreeSet<String> = services.iter().map(|s| s.name.clone()).collect();
    // Networks the monitoring side lives on.
    let mon_networks: Vec<String> = match &mon.networks {
        Some(list) => sorted(
            list.iter()
                .filter(|n| spec.networks.contains_key(*n))
                .cloned()
                .collect(),
        ),
        None => sorted(
            spec.networks
                .iter()
                .filter(|(_, n)| n.default_for.contains(&ServiceClass::Apps))
                .map(|(k, _)| k.clone())
                .collect(),
        ),
    };
    let existing = match mon.mode {
        MonitoringMode::Existing => mon
            .prometheus
            .as_ref()
            .and_then(|p| services.iter().find(|s| &s.name == p))
            .cloned(),
        MonitoringMode::Own => None,
    };
    // Where scrapers are: in `existing` mode, exporters must share a network with the existing Prometheus.
    let scraper_networks = match &existing {
        Some(p) => p.networks.clone(),
        None => mon_networks.clone(),
    };

    let mut added: Vec<Service> = Vec::new();
    let mut jobs: Vec<ScrapeJob> = Vec::new();
    let mut databases: Vec<(String, Kind)> = Vec::new();
    let mut apps: Vec<String> = Vec::new();

    for svc in services.iter() {
        if svc.external && svc.engine != Kind::Weaviate {
            continue;
        }
        match svc.engine {
            Kind::App => {
                if let Some(port) = svc.main_port() {
                    apps.push(svc.name.clone());
                    jobs.push(ScrapeJob {
                        job: svc.name.clone(),
                        service: svc.name.clone(),
                        endpoint_service: svc.name.clone(),
                        kind: Kind::App.as_str(),
                        address: format!("{}:{}", svc.address, port.container),
                        metrics_path: svc
                            .metrics_path
                            .clone()
                            .unwrap_or_else(|| "/metrics".into()),
                    });
                }
            }
            Kind::Weaviate => {
                if let Some(port) = svc.port("metrics") {
                    databases.push((svc.name.clone(), Kind::Weaviate));
                    jobs.push(ScrapeJob {
                        job: svc.name.clone(),
                        service: svc.name.clone(),
                        endpoint_service: svc.name.clone(),
                        kind: Kind::Weaviate.as_str(),
                        address: format!("{}:{}", svc.address, port.container),
                        metrics_path: "/metrics".into(),
                    });
                }
            }
            kind => {
                let Some(which) = ExporterFor::of(kind) else {
                    continue;
                };
                if svc.external {
                    continue;
                }
                let name = exporter_name(&svc.name);
                if taken.contains(&name) {
                    continue; // reported by validation
                }
                let mut networks: Vec<String> = scraper_networks.clone();
                if let Some(first) = svc.networks.first() {
                    networks.push(first.clone());
                }
                let mut exporter =
                    generated_service(&name, Kind::Exporter(which), sorted(networks));
                exporter.description = Some(format!("Prometheus exporter for `{}`.", svc.name));
                exporter.uses = vec![svc.name.clone()];
                exporter.depends_on = vec![Dependency {
                    service: svc.name.clone(),
                    healthy: svc.healthcheck.is_some(),
                    completed: false,
                }];
                super::exporters::configure_exporter(&mut exporter, which, svc);
                if let Some(monitor) = svc
                    .secret_roles
                    .get(super::accounts::MONITOR_ROLE)
                    .filter(|_| super::accounts::has_job(svc))
                {
                    // Its own least-privilege account, made by the job first.
                    super::exporters::use_monitor_account(&mut exporter, which, svc, monitor);
                    exporter.depends_on.push(Dependency {
                        service: super::accounts::job_name(&svc.name),
                        healthy: false,
                        completed: true,
                    });
                }
                let port = exporter
                    .main_port()
                    .cloned()
                    .expect("exporters have a metrics port");
                databases.push((svc.name.clone(), svc.kind));
                jobs.push(ScrapeJob {
                    job: svc.name.clone(),
                    service: svc.name.clone(),
                    endpoint_service: name.clone(),
                    kind: svc.kind.as_str(),
                    address: format!("{name}:{}", port.container),
                    metrics_path: "/metrics".into(),
                });
                added.push(exporter);
            }
        }
    }

    let receivers = super::receivers::receivers(spec);
    let mut tls_probe = None;
    let prometheus_address;
    if mon.mode == MonitoringMode::Own {
        // node-exporter: the host's metrics.
        let mut node = generated_service("node-exporter", Kind::NodeExporter, mon_networks.clone());
        node.description = Some("Host metrics (CPU, memory, disk).".into());
        node.command = Some(vec!["--path.rootfs=/host".into()]);
        node.binds = vec![Bind {
            source: "/".into(),
            target: "/host".into(),
            read_only: true,
            create_host_path: false,
        }];
        jobs.push(ScrapeJob {
            job: "node-exporter".into(),
            service: "node-exporter".into(),
            endpoint_service: "node-exporter".into(),
            kind: Kind::NodeExporter.as_str(),
            address: "node-exporter:9100".into(),
            metrics_path: "/metrics".into(),
        });

        // The blackbox exporter: the certificate nginx serves, as clients see it.
        if let Some((probe, exporter)) =
            edge.and_then(|e| probes::tls(e, services, &mon_networks, generated_service))
        {
            tls_probe = Some(probe);
            added.push(exporter);
        }

        let mut alertmanager =
            generated_service("alertmanager", Kind::Alertmanager, mon_networks.clone());
        alertmanager.description = Some("Routes alerts to the receivers.".into());
        alertmanager.command = Some(vec![
            "--config.file=/etc/alertmanager/alertmanager.yml".into(),
            "--storage.path=/alertmanager".into(),
        ]);
        alertmanager.binds = vec![Bind {
            source: "./alertmanager".into(),
            target: "/etc/alertmanager".into(),
            read_only: true,
            create_host_path: false,
        }];
        // Alertmanager reads the webhook tokens and SMTP passwords; a DingTalk
        // robot's secrets go to the bridge's config writer instead.
        alertmanager.secrets = sorted(
            mon.receivers
                .values()
                .filter(|r| !matches!(r.kind, ReceiverKind::Dingtalk | ReceiverKind::Wecom))
                .flat_map(|r| [r.token.clone(), r.password.clone()])
                .flatten()
                .collect(),
        );
        let robots: Vec<dingtalk::Robot<'_>> = mon
            .receivers
            .iter()
            .filter(|(_, r)| r.kind == ReceiverKind::Dingtalk)
            .filter_map(|(name, r)| {
                Some(dingtalk::Robot {
                    receiver: name,
                    token: r.token.as_deref()?,
                    sign: r.sign.as_deref(),
                })
            })
            .collect();
        if !robots.is_empty() {
            added.extend(dingtalk::services(
                &robots,
                &mon_networks,
                generated_service,
            ));
        }
        let wecom_robots: Vec<wecom::Robot<'_>> = mon
            .receivers
            .iter()
            .filter(|(_, r)| r.kind == ReceiverKind::Wecom)
            .filter_map(|(name, r)| {
                Some(wecom::Robot {
                    receiver: name,
                    key: r.token.as_deref()?,
                })
            })
            .collect();
        if !wecom_robots.is_empty() {
            added.push(wecom::service(
                &wecom_robots,
                &mon_networks,
                generated_service,
            ));
        }

        let mut grafana = generated_service("grafana", Kind::Grafana, mon_networks.clone());
        grafana.description = Some("Dashboards.".into());
        if let Some(host) = mon.grafana.host_port {
            grafana.ports[0].host = Some(host);
        }
        grafana.binds = vec![
            Bind {
                source: "./grafana/provisioning".into(),
                target: "/etc/grafana/provisioning".into(),
                read_only: true,
                create_host_path: false,
            },
            Bind {
                source: "./grafana/dashboards".into(),
                target: "/var/lib/grafana/dashboards".into(),
                read_only: true,
                create_host_path: false,
            },
        ];
        grafana
            .env
            .insert("GF_USERS_ALLOW_SIGN_UP".into(), "false".into());
        grafana
            .env
            .insert("GF_ANALYTICS_REPORTING_ENABLED".into(), "false".into());
        if let Some(secret) = &mon.grafana.admin_password {
            grafana.secrets = vec![secret.clone()];
            grafana.env.insert(
                "GF_SECURITY_ADMIN_PASSWORD__FILE".into(),
                kinds::secret_path(secret),
            );
        }
        grafana.depends_on = vec![Dependency {
            service: "prometheus".into(),
            healthy: true,
            completed: false,
        }];

        // Prometheus joins every network it must reach a target on.
        let mut prom_networks = mon_networks.clone();
        let endpoint_networks: BTreeMap<&str, &Vec<String>> = services
            .iter()
            .chain(added.iter())
            .map(|s| (s.name.as_str(), &s.networks))
            .collect();
        for job in &jobs {
            if let Some(nets) = endpoint_networks.get(job.endpoint_service.as_str()) {
                if !nets.iter().any(|n| prom_networks.contains(n)) {
                    if let Some(first) = nets.first() {
                        prom_networks.push(first.clone());
                    }
                }
            }
        }
        let mut prometheus =
            generated_service("prometheus", Kind::Prometheus, sorted(prom_networks));
        prometheus.description =
            Some("Scrapes every service and evaluates the alert rules.".into());
        prometheus.command = Some(vec![
            "--config.file=/etc/prometheus/prometheus.yml".into(),
            "--storage.tsdb.path=/prometheus".into(),
            format!("--storage.tsdb.retention.time={}", mon.retention),
        ]);
        prometheus.binds = vec![Bind {
            source: "./prometheus".into(),
            target: "/etc/prometheus".into(),
            read_only: true,
            create_host_path: false,
        }];
        prometheus.depends_on = vec![Dependency {
            service: "alertmanager".into(),
            healthy: true,
            completed: false,
        }];
        for (job, target) in [
            ("prometheus", "prometheus:9090"),
            ("alertmanager", "alertmanager:9093"),
            ("grafana", "grafana:3000"),
        ] {
            jobs.push(ScrapeJob {
                job: job.into(),
                service: job.into(),
                endpoint_service: job.into(),
                kind: job,
                address: target.into(),
                metrics_path: "/metrics".into(),
            });
        }
        prometheus_address = "prometheus:9090".to_owned();
        added.extend([node, alertmanager, grafana, prometheus]);
    } else {
        prometheus_address = existing
            .as_ref()
            .map(|p| {
                format!(
                    "{}:{}",
                    p.address,
                    p.main_port().map(|x| x.container).unwrap_or(9090)
                )
            })
            .unwrap_or_else(|| "prometheus:9090".into());
    }

    services.extend(added.into_iter().filter(|s| !taken.contains(&s.name)));
    services.sort_by(|a, b| a.name.cmp(&b.name));
    jobs.sort_by(|a, b| a.job.cmp(&b.job));
    apps.sort();
    databases.sort();

    let rule_files =
        super::alerts::rule_files(spec, mon, &jobs, &databases, &apps, tls_probe.as_ref());
    Some(Model {
        mode: mon.mode,
        scrape_interval: mon.scrape_interval,
        evaluation_interval: mon.evaluation_interval,
        prometheus_address,
        jobs,
        rule_files,
        receivers,
        app_metrics: mon.app_metrics.clone(),
        apps,
        databases,
        tls_probe,
        watchdog: mon.watchdog.clone(),
    })
}
