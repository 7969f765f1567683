//! The sentences and table rows a cost report is read through, shared by
//! `futurestack cost` and `STACK.md`.

use std::fmt::Write as _;

use super::{Capacity, NodePool, Report};
use crate::targets::compose::format_cpus;

/// What the stack needs, with and without headroom (on ACK: what its pods ask for).
pub fn needs(r: &Report) -> String {
    match (&r.capacity, &r.nodes) {
        (Some(c), _) => host_needs(c),
        (None, Some(p)) => pool_needs(p),
        (None, None) => String::new(),
    }
}

fn pool_needs(p: &NodePool) -> String {
    let claims = if p.disk_claims > 0 {
        format!(
            ", and {} disk claims of {} GiB in all",
            p.disk_claims, p.claimed_gib
        )
    } else {
        String::new()
    };
    format!(
        "the pods ask for {} vCPUs and {} MiB at their most replicas (requests equal limits){claims}",
        format_cpus(p.cpus),
        p.memory_mib
    )
}

fn host_needs(c: &Capacity) -> String {
    let volumes = if c.volumes_gib > 0 {
        format!(", and {} GiB of volumes", c.volumes_gib)
    } else {
        String::new()
    };
    format!(
        "the stack needs {} vCPUs and {} MiB (the sum of its limits and the host's reservation){volumes}; with {}% headroom: {} vCPUs and {} MiB",
        format_cpus(c.cpus),
        c.memory_mib,
        c.headroom_percent,
        format_cpus(c.wanted_cpus),
        c.wanted_memory_mib
    )
}

/// Whether the host fits, and what would (on ACK: the node pool, and a cheaper one).
pub fn verdict(r: &Report) -> String {
    match (&r.capacity, &r.nodes) {
        (Some(c), _) => host_verdict(r, c),
        (None, Some(p)) => pool_verdict(r, p),
        (None, None) => String::new(),
    }
}

fn pool_verdict(r: &Report, p: &NodePool) -> String {
    let shape = crate::cost::catalog::lookup(&p.instance_type)
        .map(|t| format!(" ({} vCPUs, {} GiB)", t.vcpus, t.memory_gib))
        .unwrap_or_default();
    let why = if p.from_budget {
        format!(
            "hold them with {}% of each node's room kept free (at least 2 nodes)",
            p.headroom_percent
        )
    } else {
        "as `kubernetes.nodes` says".to_owned()
    };
    let mut out = format!(
        "{} worker nodes of `{}`{shape} {why}",
        p.nodes, p.instance_type
    );
    if let Some(c) = &p.cheaper {
        let _ = write!(
            out,
            "; {} nodes of `{}` ({} vCPUs, {} GiB) would hold them for {} {} a month pay-as-you-go, {} by subscription (set `host.instance_type`, `vcpus` and `memory`)",
            c.nodes,
            c.instance_type,
            c.vcpus,
            c.memory_gib,
            c.change.pay_as_you_go.signed(),
            r.currency,
            c.change.subscription.signed()
        );
    }
    out
}

fn host_verdict(r: &Report, c: &Capacity) -> String {
    let host = format!(
        "`{}` ({} vCPUs, {} GiB)",
        c.host.instance_type, c.host.vcpus, c.host.memory_gib
    );
    let smallest = c.smallest_fit.as_ref().map(|s| {
        format!(
            "`{}` ({} vCPUs, {} GiB)",
            s.instance_type, s.vcpus, s.memory_gib
        )
    });
    match (c.host_fits, smallest) {
        (true, Some(_))
            if c.smallest_fit
                .as_ref()
                .is_some_and(|s| s.instance_type == c.host.instance_type) =>
        {
            format!("the host {host} fits, and is the smallest type of its generation that does")
        }
        (true, Some(s)) => {
            format!("the host {host} fits; the smallest type of its generation that fits is {s}")
        }
        (true, None) => format!("the host {host} fits"),
        (false, smallest) => {
            let holds = f64::from(c.host.vcpus) + 1e-9 >= c.cpus
                && u64::from(c.host.memory_gib) * 1024 >= c.memory_mib;
            let why = if holds {
                format!(
                    "the host {host} holds the limits but not the {}% headroom",
                    c.headroom_percent
                )
            } else {
                format!("the host {host} does not hold the limits")
            };
            match (smallest, &r.upgrade) {
                (Some(s), Some(u)) => format!(
                    "{why}: upgrade to {s}, {} {} a month pay-as-you-go, {} by subscription",
                    u.change.pay_as_you_go.signed(),
                    r.currency,
                    u.change.subscription.signed()
                ),
                (Some(s), None) => {
                    format!("{why}: the smallest type of its generation that fits is {s}")
                }
                (None, _) => format!("{why}, and no type of its generation fits"),
            }
        }
    }
}

/// The priced lines as rows: item, SKU, quantity, pay-as-you-go, subscription, as of.
pub fn rows(r: &Report) -> Vec<[String; 6]> {
    r.lines
        .iter()
        .map(|l| {
            [
                l.item.clone(),
                l.sku.clone(),
                if l.quantity == 1 || l.unit == "GiB" {
                    format!("{} {}", l.quantity, l.unit)
                } else {
                    format!("{} {}s", l.quantity, l.unit)
                },
                l.pay_as_you_go.to_string(),
                l.subscription.to_string(),
                l.price.as_of.clone(),
            ]
        })
        .collect()
}

/// The distinct sources of the prices used, sorted.
pub fn sources(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r.lines.iter().map(|l| l.price.source.clone()).collect();
    out.sort();
    out.dedup();
    out
}

/// Where the prices come from, and the warning an example table needs.
pub fn table_note(r: &Report) -> String {
    let mut out = format!(
        "prices from `{}` ({}, {})",
        r.prices.file, r.prices.region, r.currency
    );
    if r.prices.example {
        out.push_str(
            ": an example table, not a quote; supply your own prices before deciding on them",
        );
    }
    out
}

/// `text` with its first letter upper-case and a full stop, for a paragraph.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The report as plain text (`futurestack cost`).
pub fn plain(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", r.environment, table_note(r).replace('`', ""));
    let _ = writeln!(out, "  {}", needs(r).replace('`', ""));
    let _ = writeln!(out, "  {}", verdict(r).replace('`', ""));
    let mut rows = rows(r);
    rows.push([
        "total".into(),
        String::new(),
        String::new(),
        r.total.pay_as_you_go.to_string(),
        r.total.subscription.to_string(),
        String::new(),
    ]);
    let header = [
        "ITEM",
        "SKU",
        "QUANTITY",
        "PAY-AS-YOU-GO/MONTH",
        "SUBSCRIPTION/MONTH",
        "AS OF",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if (3..5).contains(&i) {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "  {}", line(header.to_vec()));
    for row in &rows {
        let _ = writeln!(out, "  {}", line(row.iter().map(String::as_str).collect()));
    }
    for note in &r.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    out
}
