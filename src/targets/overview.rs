//! The overview target: `STACK.md`, what reviewers read to see an architecture
//! change as a small diff: services, public routes, the dependency graph
//! (Mermaid), the capacity budget and the artifacts.

use serde::Serialize;

use crate::cost::budget;
use crate::error::Error;
use crate::graph;
use crate::model::Stack;
use crate::render::{self, Files, Templates};
use crate::targets::compose::format_cpus;

#[derive(Serialize)]
struct View {
    project: String,
    env: String,
    tier: &'static str,
    host: String,
    services: Vec<[String; 7]>,
    routes: Vec<[String; 4]>,
    graph: String,
    capacity: Vec<[String; 3]>,
    cost: Option<CostView>,
    logs: LogsView,
    /// `cost.json`: the report for `futurestack diff` and machines (empty: none).
    cost_json: String,
    artifacts: Vec<[String; 2]>,
    /// On ACK: `(service, object, pods, requests per pod, disks per pod)`.
    workloads: Vec<[String; 5]>,
}

/// The logs section of `STACK.md`.
#[derive(Serialize)]
struct LogsView {
    summary: String,
    /// `(class, containers, rotation, kept in SLS, alert)`.
    classes: Vec<[String; 5]>,
    /// `(what, command)`: how to read the logs on the host, in the stack's folder.
    queries: Vec<(String, String)>,
}

fn logs_view(stack: &Stack) -> LogsView {
    use crate::model::logging::{self, Class};
    use crate::spec::LogMode;
    let sls = logging::sls(stack);
    let slow = match logging::slow_query_ms(&stack.logging) {
        Some(ms) => {
            format!(" Statements slower than {ms} ms go to the databases' slow-query logs.")
        }
        None => String::new(),
    };
    let summary = match (&sls, stack.logging.mode) {
        (Some(plan), _) => format!(
            "Every log stays on the host, rotated per class, and Logtail ships it to the SLS project `{}` (machine group `{}`); each class has its logstore, its index and an error alert.{slow}",
            plan.project, plan.machine_group
        ),
        (None, LogMode::Off) => {
            "Logging is `off`: only the containers' rotated output, on the host.".to_owned()
        }
        (None, _) => format!("Every log stays on the host, rotated per class.{slow}"),
    };
    let classes = Class::ALL
        .into_iter()
        .filter_map(|c| {
            let mut names: Vec<&str> = logging::containers(stack, c)
                .map(|s| s.compose_name.as_str())
                .collect();
            if c == Class::System && sls.is_some() {
                names.insert(0, "the host's journal");
            }
            if names.is_empty() {
                return None;
            }
            let plan = logging::class(stack, c);
            let stored = sls
                .as_ref()
                .and_then(|p| p.logstores.iter().find(|l| l.class == c));
            Some([
                format!("`{}`", c.as_str()),
                names.join(", "),
                format!("{} × {}", plan.max_files, plan.max_size.docker()),
                stored.map_or_else(|| "-".to_owned(), |l| format!("{} days", l.retention_days)),
                if stored.is_some() {
                    format!(
                        "more than {} errors in {}",
                        plan.errors,
                        logging::ALERT_WINDOW
                    )
                } else {
                    "-".to_owned()
                },
            ])
        })
        .collect();
    let mut queries = Vec::new();
    for c in Class::ALL {
        let names: Vec<&str> = logging::containers(stack, c)
            .filter(|s| s.restart != crate::spec::Restart::No)
            .map(|s| s.compose_name.as_str())
            .collect();
        if !names.is_empty() && c != Class::System {
            queries.push((
                format!("the last hour of `{}`", c.as_str()),
                format!("docker compose logs --since 1h {}", names.join(" ")),
            ));
        }
    }
    if let Some(mysql) = stack
        .services
        .iter()
        .find(|s| !s.external && s.kind == crate::spec::Kind::Mysql)
    {
        if logging::slow_query_ms(&stack.logging).is_some() {
            queries.push((
                "MySQL's slow queries".to_owned(),
                format!(
                    "docker compose exec {} tail -n 100 {}/{}",
                    mysql.compose_name,
                    logging::MYSQL_SLOW_LOG_DIR,
                    logging::MYSQL_SLOW_LOG_FILE
                ),
            ));
        }
    }
    LogsView {
        summary,
        classes,
        queries,
    }
}

/// The cost section of `STACK.md`.
#[derive(Serialize)]
struct CostView {
    table: String,
    needs: String,
    verdict: String,
    lines: Vec<[String; 6]>,
    total: [String; 2],
    sources: Vec<String>,
    notes: Vec<String>,
}

impl CostView {
    fn of(r: &crate::cost::Report) -> CostView {
        use crate::cost::text;
        CostView {
            table: text::sentence(&text::table_note(r)),
            needs: text::sentence(&text::needs(r)),
            verdict: text::sentence(&text::verdict(r)),
            lines: text::rows(r),
            total: [
                r.total.pay_as_you_go.to_string(),
                r.total.subscription.to_string(),
            ],
            sources: text::sources(r),
            notes: r.notes.iter().map(|n| text::sentence(n)).collect(),
        }
    }
}

/// `cost.json`: the report with the banner as its `description` (JSON has no
/// comments; the Grafana dashboard does the same).
fn cost_json(stack: &Stack, report: &crate::cost::Report) -> String {
    #[derive(Serialize)]
    struct File<'a> {
        description: String,
        #[serde(flatten)]
        report: &'a crate::cost::Report,
    }
    let file = File {
        description: render::banner_lines(stack).join(" "),
        report,
    };
    serde_json::to_string_pretty(&file).expect("a report serializes")
}

/// What each generated file is, by where it lives.
fn describe(path: &str) -> &'static str {
    match path {
        "docker-compose.yml" => "Docker Compose: the containers, networks, volumes and secrets",
        "cost.json" => "the capacity and cost report, for machines and `futurestack diff`",
        ".env.example" => "every variable the compose file needs (names only)",
        p if p.starts_with("prometheus/rules/") => "Prometheus alert rules",
        p if p.starts_with("prometheus/tests/") => "promtool unit tests of the alert rules",
        p if p.starts_with("prometheus/targets/") => "file_sd targets for an existing Prometheus",
        p if p.starts_with("prometheus/") => "Prometheus configuration: scrape jobs and alerting",
        p if p.starts_with("alertmanager/") => "Alertmanager routes and receivers",
        p if p.starts_with("grafana/dashboards/") => "Grafana overview dashboard",
        p if p.starts_with("grafana/") => "Grafana provisioning",
        p if p.starts_with("nginx/") => "nginx: the public entry and its routes",
        "k8s/apply.sh" => "creates the Secrets from the deploy's variables, then applies `k8s/`",
        "k8s/prometheus.yml" => {
            "Prometheus in the cluster: Kubernetes service discovery of the same jobs"
        }
        p if p.starts_with("k8s/") => "Kubernetes manifests (ACK), one file per kind of object",
        p if p.starts_with("ros/") => "Alibaba Cloud ROS template: the host and managed services",
        p if p.ends_with(".tftpl") => "first-boot script of the host (Terraform template)",
        p if p.starts_with("terraform/") => "Terraform (alicloud): the host and managed services",
        _ => "",
    }
}

pub fn render(
    stack: &Stack,
    templates: &Templates,
    env: &minijinja::Environment<'_>,
    dir: &str,
    earlier: &Files,
) -> Result<Files, Error> {
    let host = &stack.host;
    let cluster = stack.kubernetes.as_ref();
    let services = stack
        .services
        .iter()
        // On ACK: what the cluster runs, and what it uses outside.
        .filter(|s| {
            cluster.is_none_or(|c| c.workload(&s.name).is_some() || c.outside.contains(&s.name))
        })
        .map(|s| {
            let what = if s.managed.is_some() {
                format!("{} (managed)", s.kind.as_str())
            } else if s.external {
                "existing".to_owned()
            } else if s.generated {
                format!("{} (added)", s.kind.as_str())
            } else {
                s.kind.as_str().to_owned()
            };
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| match p.host {
                    Some(h) if s.external => format!("{} {h}", p.name),
                    Some(h) => format!("{} {}:{h}→{}", p.name, p.host_ip(), p.container),
                    None => format!("{} {}", p.name, p.container),
                })
                .collect();
            let image = match (&s.image, &s.managed) {
                (_, Some(m)) => m.class.clone(),
                (Some(image), None) => image.clone(),
                (None, None) => String::new(),
            };
            let (cpus, memory) = if s.external {
                (String::new(), String::new())
            } else {
                (format_cpus(s.cpus), s.memory.to_string())
            };
            [
                s.name.clone(),
                what,
                image,
                ports.join(", "),
                s.networks.join(", "),
                cpus,
                memory,
            ]
        })
        .collect();
    let scheme = if stack.edge.as_ref().is_some_and(|e| e.tls()) {
        "https"
    } else {
        "http"
    };
    let routes = stack
        .edge
        .iter()
        .flat_map(|e| e.servers.iter())
        .flat_map(|server| {
            server.routes.iter().map(move |r| {
                let mut notes = Vec::new();
                if r.strip_prefix {
                    notes.push("strips prefix".to_owned());
                }
                if r.websocket {
                    notes.push("websocket".to_owned());
                }
                if let Some((zone, burst)) = &r.limit {
                    let rate = stack
                        .edge
                        .as_ref()
                        .and_then(|e| e.zones.iter().find(|z| &z.name == zone))
                        .map(|z| z.per_second)
                        .unwrap_or(0);
                    notes.push(format!("{rate} req/s, burst {burst}"));
                }
                notes.push(format!("timeout {}s, body {}", r.timeout_s, r.max_body));
                let path = if r.exact {
                    format!("= {}", r.path)
                } else {
                    r.path.clone()
                };
                [
                    format!("{scheme}://{}", server.domain),
                    path,
                    r.service.clone(),
                    notes.join("; "),
                ]
            })
        })
        .collect();
    let b = budget(stack);
    let capacity = match cluster {
        Some(c) => cluster_capacity(stack, c),
        None => host_capacity(&b),
    };
    let workloads = cluster.map(|c| workload_rows(stack, c)).unwrap_or_default();
    let artifacts = earlier
        .keys()
        .map(|path| [path.clone(), describe(path).to_owned()])
        .filter(|[_, d]| !d.is_empty())
        .collect();
    let host_line = match cluster {
        Some(c) => {
            format!(
                "ACK (Kubernetes {}), namespace `{}`: {} nodes of {} ({} vCPUs, {}) in {}, system disk {}",
                c.version,
                c.namespace,
                c.nodes,
                host.instance_type,
                host.vcpus,
                host.memory,
                host.region,
                crate::model::kubernetes::system_disk_gib(stack)
            ) + "GiB"
        }
        None => format!(
            "{} ({} vCPUs, {}) in {}, system disk {}{}",
            host.instance_type,
            host.vcpus,
            host.memory,
            host.region,
            host.disk,
            host.data_disk
                .map(|d| format!(", data disk {d}"))
                .unwrap_or_default()
        ),
    };
    let view = View {
        project: stack.project.clone(),
        env: stack.env.clone(),
        tier: stack.tier.as_str(),
        host: host_line,
        services,
        routes,
        graph: graph::mermaid(stack),
        capacity,
        cost: stack.cost.as_ref().map(CostView::of),
        logs: logs_view(stack),
        cost_json: stack
            .cost
            .as_ref()
            .map(|r| cost_json(stack, r))
            .unwrap_or_default(),
        artifacts,
        workloads,
    };
    render::render_target(templates, env, dir, stack, &view)
}

/// The host's budget: limits against what it has.
fn host_capacity(b: &crate::cost::Budget) -> Vec<[String; 3]> {
    vec![
        [
            "CPU".to_owned(),
            format!("{} of {} vCPUs", format_cpus(b.cpus_used), b.cpus_available),
            percent(b.cpus_used, b.cpus_available),
        ],
        [
            "memory".to_owned(),
            format!("{} of {} MiB", b.memory_used_mib, b.memory_available_mib),
            percent(b.memory_used_mib as f64, b.memory_available_mib as f64),
        ],
        [
            "volumes".to_owned(),
            format!("{} of {} MiB", b.disk_used_mib, b.disk_mib),
            percent(b.disk_used_mib as f64, b.disk_mib as f64),
        ],
    ]
}

/// On ACK: the pods' requests at their most replicas against what the nodes
/// have for pods, and the disk claims against what the nodes mount.
fn cluster_capacity(stack: &Stack, c: &crate::model::kubernetes::Cluster) -> Vec<[String; 3]> {
    use crate::model::kubernetes::DISKS_PER_NODE;
    let host = &stack.host;
    let nodes = f64::from(c.nodes);
    let (cpus, mib) = c.requests(stack);
    let node_cpus = (f64::from(host.vcpus) - host.reserved.cpus) * nodes;
    let node_mib =
        host.memory.mib().saturating_sub(host.reserved.memory.mib()) * u64::from(c.nodes);
    let disks = DISKS_PER_NODE * u64::from(c.nodes);
    vec![
        [
            "CPU requests".to_owned(),
            format!("{} of {} vCPUs", format_cpus(cpus), format_cpus(node_cpus)),
            percent(cpus, node_cpus),
        ],
        [
            "memory requests".to_owned(),
            format!("{mib} of {node_mib} MiB"),
            percent(mib as f64, node_mib as f64),
        ],
        [
            "disk claims".to_owned(),
            format!("{} of {disks}", c.disks()),
            percent(c.disks() as f64, disks as f64),
        ],
    ]
}

/// On ACK: what runs each service, how many pods, what one asks for.
fn workload_rows(stack: &Stack, c: &crate::model::kubernetes::Cluster) -> Vec<[String; 5]> {
    use crate::model::kubernetes::Controller;
    c.workloads
        .iter()
        .filter_map(|w| {
            let s = stack.service(&w.service)?;
            let object = match w.controller {
                Controller::Deployment => "Deployment",
                Controller::StatefulSet => "StatefulSet",
                Controller::Job => "Job",
            };
            let pods = match w.autoscale {
                Some(a) => format!("{} to {} (CPU {}%)", a.min, a.max, a.cpu_percent),
                None => w.replicas.to_string(),
            };
            let disks = w
                .disks
                .iter()
                .map(|d| format!("{} {}GiB on {}", d.name, d.size_gib, c.storage_class))
                .collect::<Vec<_>>()
                .join(", ");
            Some([
                w.service.clone(),
                object.to_owned(),
                pods,
                format!("{} CPU, {}", format_cpus(s.cpus), s.memory),
                disks,
            ])
        })
        .collect()
}

/// The files [`render`] writes with the embedded templates, without
/// rendering them: `STACK.md`, and `cost.json` when there is a cost report.
pub fn paths(stack: &Stack) -> Vec<String> {
    let mut paths = vec!["STACK.md".to_owned()];
    if stack.cost.is_some() {
        paths.push("cost.json".to_owned());
    }
    paths
}

fn percent(used: f64, available: f64) -> String {
    if available <= 0.0 {
        String::new()
    } else {
        format!("{:.0}%", used * 100.0 / available)
    }
}
