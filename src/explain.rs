//! `validate --explain`: the numbers behind the port and capacity rules, as
//! tables a reviewer can read.

use std::fmt::Write as _;

use crate::cost::budget;
use crate::model::Stack;
use crate::targets::compose::format_cpus;

/// The host-port map and the capacity budget of one environment.
pub fn explain(stack: &Stack) -> String {
    let mut out = String::new();
    let host = &stack.host;
    let _ = writeln!(out, "{}: host ports", stack.env);
    let mut rows: Vec<[String; 5]> = Vec::new();
    for service in &stack.services {
        for port in &service.ports {
            if let Some(h) = port.host {
                let owner = if service.managed.is_some() {
                    "managed"
                } else if service.external {
                    "external"
                } else if service.generated {
                    "added"
                } else {
                    "stack"
                };
                let bind = if service.external {
                    "(existing)"
                } else {
                    port.host_ip()
                };
                rows.push([
                    h.to_string(),
                    bind.to_owned(),
                    service.name.clone(),
                    format!("{} -> {}", port.name, port.container),
                    owner.to_owned(),
                ]);
            }
        }
    }
    rows.sort_by_key(|r| r[0].parse::<u32>().unwrap_or(0));
    table(
        &mut out,
        &["PORT", "BIND", "SERVICE", "NAME -> CONTAINER", "RUN BY"],
        &rows,
    );

    let b = budget(stack);
    let _ = writeln!(
        out,
        "\n{}: capacity on {} ({} vCPUs, {} MiB memory, {} MiB for volumes)",
        stack.env,
        host.instance_type,
        host.vcpus,
        host.memory.mib(),
        b.disk_mib
    );
    let mut rows: Vec<[String; 4]> = Vec::new();
    for service in &stack.services {
        if service.cpus == 0.0 && service.memory.mib() == 0 {
            continue;
        }
        let volumes: u64 = stack
            .volumes
            .iter()
            .filter(|v| v.service == service.name)
            .filter_map(|v| v.size)
            .map(|s| s.mib())
            .sum();
        rows.push([
            service.name.clone(),
            format_cpus(service.cpus),
            service.memory.mib().to_string(),
            volumes.to_string(),
        ]);
    }
    rows.push([
        "(reserved)".into(),
        format_cpus(host.reserved.cpus),
        host.reserved.memory.mib().to_string(),
        "0".into(),
    ]);
    rows.push([
        "total".into(),
        format!("{} / {}", format_cpus(b.cpus_used), b.cpus_available),
        format!("{} / {}", b.memory_used_mib, b.memory_available_mib),
        format!("{} / {}", b.disk_used_mib, b.disk_mib),
    ]);
    table(
        &mut out,
        &["SERVICE", "CPUS", "MEMORY MiB", "VOLUMES MiB"],
        &rows,
    );
    out
}

fn table<const N: usize>(out: &mut String, header: &[&str; N], rows: &[[String; N]]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "  {}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(out, "  {}", line(row.iter().map(String::as_str).collect()));
    }
}
