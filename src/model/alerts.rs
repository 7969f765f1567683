//! The built-in alert rules, with thresholds from the spec, and for each one the
//! synthetic series that prove it fires (and stays quiet when all is well), for
//! `promtool test rules`.

use std::collections::BTreeMap;

use super::monitoring::{Rule, RuleFile, RuleTest, ScrapeJob};
use super::probes::{self, TlsProbe};
use crate::spec::{AlertSeverity, Duration, Kind, Monitoring, MonitoringMode, Spec};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `name{a="b",c="d"}` in promtool's series notation.
fn series(name: &str, pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// A number as PromQL and promtool read it, without float noise.
pub fn num(x: f64) -> String {
    let rounded = (x * 1_000_000.0).round() / 1_000_000.0;
    let text = format!("{rounded}");
    text
}

struct Builder {
    rule: Rule,
}

fn rule(
    alert: &str,
    expr: String,
    for_s: u64,
    severity: AlertSeverity,
    summary: &str,
    description: &str,
) -> Builder {
    Builder {
        rule: Rule {
            alert: alert.to_owned(),
            expr,
            for_: (for_s > 0).then(|| Duration::from_seconds(for_s)),
            severity,
            summary: summary.to_owned(),
            description: description.to_owned(),
            test: None,
        },
    }
}

impl Builder {
    fn test(
        mut self,
        firing: Vec<(String, String)>,
        healthy: Vec<(String, String)>,
        eval_minutes: u32,
        mut labels: BTreeMap<String, String>,
    ) -> Rule {
        labels.insert("severity".into(), self.rule.severity.as_str().into());
        self.rule.test = Some(RuleTest {
            firing,
            healthy,
            eval_minutes,
            labels,
        });
        self.rule
    }
}

pub fn rule_files(
    spec: &Spec,
    mon: &Monitoring,
    jobs: &[ScrapeJob],
    databases: &[(String, Kind)],
    apps: &[String],
    tls_probe: Option<&TlsProbe>,
) -> Vec<RuleFile> {
    let t = &mon.thresholds;
    let mut files = Vec::new();

    // Availability: every scrape target.
    if let Some(job) = jobs.first() {
        let l = [
            ("instance", job.address.as_str()),
            ("job", job.job.as_str()),
            ("service", job.service.as_str()),
        ];
        files.push(RuleFile {
            name: "availability".into(),
            rules: vec![rule(
                "TargetDown",
                "up == 0".into(),
                120,
                AlertSeverity::Critical,
                "{{ $labels.service }} is down",
                "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}) of service {{ $labels.service }}.",
            )
            .test(vec![(series("up", &l), "0x10".into())], vec![(series("up", &l), "1x10".into())], 5, labels(&l))],
        });
    }

    // Apps: errors and latency from their HTTP metrics.
    if let Some(app) = apps.first() {
        let m = &mon.app_metrics;
        let status = m.status_label.as_str();
        let error_expr = format!(
            "sum by (service) (rate({req}{{{status}=~\"5..\"}}[5m])) / sum by (service) (rate({req}[5m])) > {r}",
            req = m.requests,
            r = num(t.error_ratio)
        );
        let error_share = (t.error_ratio * 2.0).min(1.0);
        let errors = num(100.0 * error_share);
        let ok = num(100.0 * (1.0 - error_share));
        let mut rules = vec![];
        let errors_rule = rule(
            "AppHighErrorRate",
            error_expr,
            300,
            AlertSeverity::Warning,
            "{{ $labels.service }} answers too many requests with 5xx",
            &format!(
                "More than {}% of the requests to {{{{ $labels.service }}}} failed with a 5xx status over 5 minutes.",
                num(t.error_ratio * 100.0)
            ),
        );
        rules.push(if t.error_ratio < 1.0 {
            errors_rule.test(
                vec![
                    (
                        series(&m.requests, &[("service", app), (status, "500")]),
                        format!("0+{errors}x30"),
                    ),
                    (
                        series(&m.requests, &[("service", app), (status, "200")]),
                        format!("0+{ok}x30"),
                    ),
                ],
                vec![
                    (
                        series(&m.requests, &[("service", app), (status, "500")]),
                        "0x30".into(),
                    ),
                    (
                        series(&m.requests, &[("service", app), (status, "200")]),
                        "0+100x30".into(),
                    ),
                ],
                15,
                labels(&[("service", app)]),
            )
        } else {
            errors_rule.rule
        });
        let p = t.latency_p95_seconds;
        let bucket = format!("{}_bucket", m.latency);
        let le = |x: f64| num(x);
        let firing_buckets = vec![
            (
                series(&bucket, &[("service", app), ("le", &le(p / 2.0))]),
                "0x30".to_owned(),
            ),
            (
                series(&bucket, &[("service", app), ("le", &le(p * 2.0))]),
                "0x30".to_owned(),
            ),
            (
                series(&bucket, &[("service", app), ("le", &le(p * 4.0))]),
                "0+10x30".to_owned(),
            ),
            (
                series(&bucket, &[("service", app), ("le", "+Inf")]),
                "0+10x30".to_owned(),
            ),
        ];
        let healthy_buckets = firing_buckets
            .iter()
            .map(|(s, _)| (s.clone(), "0+10x30".to_owned()))
            .collect();
        rules.push(
            rule(
                "AppHighLatency",
                format!("histogram_quantile(0.95, sum by (service, le) (rate({bucket}[5m]))) > {}", num(p)),
                300,
                AlertSeverity::Warning,
                "{{ $labels.service }} is slow",
                &format!("The 95th percentile latency of {{{{ $labels.service }}}} has been above {}s for 5 minutes.", num(p)),
            )
            .test(firing_buckets, healthy_buckets, 15, labels(&[("service", app)])),
        );
        files.push(RuleFile {
            name: "apps".into(),
            rules,
        });
    }

    // Databases, through their exporters.
    let mut db_rules = Vec::new();
    let down = |alert: &str, metric: &str, what: &str, db: &str| {
        let job = jobs.iter().find(|j| j.service == db);
        let instance = job.map(|j| j.address.as_str()).unwrap_or_default();
        let l = [("instance", instance), ("job", db), ("service", db)];
        rule(
            alert,
            format!("{metric} == 0"),
            60,
            AlertSeverity::Critical,
            &format!("{what} {{{{ $labels.service }}}} is down"),
            &format!("The exporter of {{{{ $labels.service }}}} cannot reach {what}."),
        )
        .test(
            vec![(series(metric, &l), "0x10".into())],
            vec![(series(metric, &l), "1x10".into())],
            5,
            labels(&l),
        )
    };
    let first_of = |kind: Kind| {
        databases
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(n, _)| n.as_str())
    };
    if let Some(db) = first_of(Kind::Mysql) {
        db_rules.push(down("MysqlDown", "mysql_up", "MySQL", db));
    }
    if let Some(db) = first_of(Kind::Postgres) {
        db_rules.push(down("PostgresDown", "pg_up", "PostgreSQL", db));
    }
    if let Some(db) = first_of(Kind::Redis) {
        db_rules.push(down("RedisDown", "redis_up", "Redis", db));
        let job = jobs.iter().find(|j| j.service == db);
        let instance = job.map(|j| j.address.as_str()).unwrap_or_default();
        let l = [("instance", instance), ("job", db), ("service", db)];
        let r = t.redis_memory_percent;
        let used_firing = num((100.0 + r) / 2.0);
        db_rules.push(
            rule(
                "RedisMemoryHigh",
                format!("100 * redis_memory_used_bytes / (redis_memory_max_bytes > 0) > {}", num(r)),
                300,
                AlertSeverity::Warning,
                "Redis {{ $labels.service }} is almost full",
                &format!("{{{{ $labels.service }}}} uses more than {}% of its maxmemory; writes fail when it is full.", num(r)),
            )
            .test(
                vec![(series("redis_memory_used_bytes", &l), format!("{used_firing}x20")), (series("redis_memory_max_bytes", &l), "100x20".into())],
                vec![(series("redis_memory_used_bytes", &l), "10x20".into()), (series("redis_memory_max_bytes", &l), "100x20".into())],
                10,
                labels(&l),
            ),
        );
    }
    if let Some(db) = first_of(Kind::Elasticsearch) {
        let job = jobs.iter().find(|j| j.service == db);
        let instance = job.map(|j| j.address.as_str()).unwrap_or_default();
        let l = [
            ("color", "red"),
            ("instance", instance),
            ("job", db),
            ("service", db),
        ];
        db_rules.push(
            rule(
                "ElasticsearchClusterRed",
                "elasticsearch_cluster_health_status{color=\"red\"} == 1".into(),
                60,
                AlertSeverity::Critical,
                "Elasticsearch {{ $labels.service }} is red",
                "Some primary shards of {{ $labels.service }} are unassigned: searches and writes fail.",
            )
            .test(vec![(series("elasticsearch_cluster_health_status", &l), "1x10".into())], vec![(series("elasticsearch_cluster_health_status", &l), "0x10".into())], 5, labels(&l)),
        );
    }
    if let Some(proxy) = first_of(Kind::Nginx) {
        db_rules.push(down("NginxDown", "nginx_up", "nginx", proxy));
    }
    if !db_rules.is_empty() {
        db_rules.sort_by(|a, b| a.alert.cmp(&b.alert));
        files.push(RuleFile {
            name: "databases".into(),
            rules: db_rules,
        });
    }

    // Host resources, from node-exporter.
    let node = [
        ("instance", "node-exporter:9100"),
        ("job", "node-exporter"),
        ("service", "node-exporter"),
    ];
    let cpu_idle_firing = num((100.0 - t.host_cpu_percent) / 2.0 / 100.0 * 60.0);
    let cpu_l = [
        ("cpu", "0"),
        ("instance", "node-exporter:9100"),
        ("job", "node-exporter"),
        ("mode", "idle"),
        ("service", "node-exporter"),
    ];
    let fs = [
        ("device", "/dev/vda1"),
        ("fstype", "ext4"),
        ("instance", "node-exporter:9100"),
        ("job", "node-exporter"),
        ("mountpoint", "/"),
        ("service", "node-exporter"),
    ];
    let mem_firing = num((100.0 - t.host_memory_percent) * 5.0);
    let mem_healthy = num(1000.0 - t.host_memory_percent * 5.0);
    let disk_firing = num((100.0 - t.host_disk_percent) * 5.0);
    let disk_healthy = num(1000.0 - t.host_disk_percent * 5.0);
    let fs_filter = "fstype!~\"tmpfs|overlay|squashfs\"";
    files.push(RuleFile {
        name: "host".into(),
        rules: vec![
            rule(
                "HostHighCpu",
                format!("100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{mode=\"idle\"}}[5m]))) > {}", num(t.host_cpu_percent)),
                600,
                AlertSeverity::Warning,
                "High CPU use on {{ $labels.instance }}",
                &format!("The host has used more than {}% of its CPU for 10 minutes.", num(t.host_cpu_percent)),
            )
            .test(
                vec![(series("node_cpu_seconds_total", &cpu_l), format!("0+{cpu_idle_firing}x40"))],
                vec![(series("node_cpu_seconds_total", &cpu_l), "0+60x40".into())],
                20,
                labels(&[("instance", "node-exporter:9100")]),
            ),
            rule(
                "HostHighMemory",
                format!("100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > {}", num(t.host_memory_percent)),
                300,
                AlertSeverity::Warning,
                "High memory use on {{ $labels.instance }}",
                &format!("The host has used more than {}% of its memory for 5 minutes.", num(t.host_memory_percent)),
            )
            .test(
                vec![(series("node_memory_MemAvailable_bytes", &node), format!("{mem_firing}x20")), (series("node_memory_MemTotal_bytes", &node), "1000x20".into())],
                vec![(series("node_memory_MemAvailable_bytes", &node), format!("{mem_healthy}x20")), (series("node_memory_MemTotal_bytes", &node), "1000x20".into())],
                10,
                labels(&node),
            ),
            rule(
                "HostDiskAlmostFull",
                format!("100 * (1 - node_filesystem_avail_bytes{{{fs_filter}}} / node_filesystem_size_bytes{{{fs_filter}}}) > {}", num(t.host_disk_percent)),
                600,
                AlertSeverity::Warning,
                "Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
                &format!("More than {}% of {{{{ $labels.mountpoint }}}} has been used for 10 minutes.", num(t.host_disk_percent)),
            )
            .test(
                vec![(series("node_filesystem_avail_bytes", &fs), format!("{disk_firing}x30")), (series("node_filesystem_size_bytes", &fs), "1000x30".into())],
                vec![(series("node_filesystem_avail_bytes", &fs), format!("{disk_healthy}x30")), (series("node_filesystem_size_bytes", &fs), "1000x30".into())],
                15,
                labels(&fs),
            ),
        ],
    });

    if let Some(probe) = tls_probe {
        files.push(tls_rules(probe));
    }

    // Always firing: the dead man's switch notices when it stops (own
    // monitoring only; an existing Alertmanager routes by its own config).
    if mon.mode == MonitoringMode::Own {
        let up = series("up", &[("job", "prometheus")]);
        files.push(RuleFile {
            name: "watchdog".into(),
            rules: vec![rule(
                "Watchdog",
                "vector(1)".into(),
                0,
                AlertSeverity::None,
                "Alerting works",
                "Always firing, so that a dead man's switch notices when it stops: Prometheus, Alertmanager or the way to the receiver is down.",
            )
            .test(vec![(up, "1x5".into())], Vec::new(), 2, labels(&[]))],
        });
    }

    // The spec's own rules.
    if !mon.rules.is_empty() {
        files.push(RuleFile {
            name: "custom".into(),
            rules: mon
                .rules
                .iter()
                .map(|(alert, r)| Rule {
                    alert: alert.clone(),
                    expr: r.expr.clone(),
                    for_: r.for_,
                    severity: r.severity,
                    summary: r.summary.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    test: None,
                })
                .collect(),
        });
    }
    let _ = spec;
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// Days before expiry when the certificate alerts fire: a warning leaves time
/// for a manual renewal; ACME renews with a third of a 90-day lifetime left
/// (30 days), so either alert means renewals have stopped working.
pub const TLS_WARNING_DAYS: u32 = 14;
pub const TLS_CRITICAL_DAYS: u32 = 3;

/// The certificate nginx serves: expiring soon, or no handshake at all.
fn tls_rules(probe: &TlsProbe) -> RuleFile {
    let l = [
        ("instance", probe.target.as_str()),
        ("job", probes::JOB),
        ("service", "nginx"),
    ];
    let expiry = series("probe_ssl_earliest_cert_expiry", &l);
    let success = series("probe_success", &l);
    let expires_within = |days: u32| {
        format!(
            "probe_ssl_earliest_cert_expiry{{job=\"{}\"}} - time() < {} * 86400",
            probes::JOB,
            days
        )
    };
    // promtool starts at time 0: a certificate that expires `d` days after it.
    let at_days = |d: u32| format!("{}x90", u64::from(d) * 86400);
    RuleFile {
        name: "tls".into(),
        rules: vec![
            rule(
                "TlsCertificateExpiresSoon",
                expires_within(TLS_WARNING_DAYS),
                3600,
                AlertSeverity::Warning,
                "The TLS certificate of {{ $labels.instance }} expires soon",
                &format!("The certificate nginx serves expires in less than {TLS_WARNING_DAYS} days: renew it (with ACME, see the renewal timer's journal)."),
            )
            .test(vec![(expiry.clone(), at_days(10))], vec![(expiry.clone(), at_days(60))], 70, labels(&l)),
            rule(
                "TlsCertificateExpiresVerySoon",
                expires_within(TLS_CRITICAL_DAYS),
                600,
                AlertSeverity::Critical,
                "The TLS certificate of {{ $labels.instance }} is about to expire",
                &format!("The certificate nginx serves expires in less than {TLS_CRITICAL_DAYS} days; browsers will refuse it."),
            )
            .test(vec![(expiry.clone(), at_days(1))], vec![(expiry, at_days(10))], 15, labels(&l)),
            rule(
                "TlsHandshakeFailing",
                format!("probe_success{{job=\"{}\"}} == 0", probes::JOB),
                300,
                AlertSeverity::Critical,
                "No TLS handshake with {{ $labels.instance }}",
                "The blackbox exporter cannot complete a TLS handshake with nginx.",
            )
            .test(vec![(success.clone(), "0x20".into())], vec![(success, "1x20".into())], 10, labels(&l)),
        ],
    }
}

/// Expands `{{ $labels.NAME }}` in an annotation the way Prometheus does, for the
/// expected annotations of rule tests.
pub fn expand_labels(template: &str, labels: &BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (k, v) in labels {
        out = out.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    out
}
