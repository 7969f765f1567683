//! Capacity: what the stack may use must fit on the host.

use super::Ctx;
use crate::error::Diagnostic;
use crate::model::Stack;
use crate::spec::Kind;

/// The capacity budget of a stack against its host.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub cpus_used: f64,
    pub cpus_available: f64,
    pub memory_used_mib: u64,
    pub memory_available_mib: u64,
    pub disk_used_mib: u64,
    pub disk_mib: u64,
}

pub fn budget(stack: &Stack) -> Budget {
    let host = &stack.host;
    // A one-off job futurestack adds (the DingTalk config writer) has exited
    // before the services it prepares start: it takes no share of the host.
    let running = || {
        stack
            .services
            .iter()
            .filter(|s| !(s.generated && s.restart == crate::spec::Restart::No))
    };
    Budget {
        cpus_used: running().map(|s| s.cpus).sum::<f64>() + host.reserved.cpus,
        cpus_available: f64::from(host.vcpus),
        memory_used_mib: running().map(|s| s.memory.mib()).sum::<u64>()
            + host.reserved.memory.mib(),
        memory_available_mib: host.memory.mib(),
        disk_used_mib: stack
            .volumes
            .iter()
            .filter_map(|v| v.size)
            .map(|s| s.mib())
            .sum(),
        disk_mib: host.data_disk.unwrap_or(host.disk).mib(),
    }
}

pub fn check(ctx: &mut Ctx) {
    let b = budget(ctx.stack);
    let host_at = ctx.at(&["host", "instance_type"]);
    if b.memory_used_mib > b.memory_available_mib {
        ctx.push(
            Diagnostic::error(
                "FS131",
                format!(
                    "memory limits add up to {} MiB (with {} MiB reserved), more than the host's {} MiB",
                    b.memory_used_mib,
                    ctx.stack.host.reserved.memory.mib(),
                    b.memory_available_mib
                ),
            )
            .at_opt(host_at.clone())
            .with_help("lower `resources.memory` of some services, or choose a larger instance type and raise `host.memory`"),
        );
    }
    if b.cpus_used > b.cpus_available + 1e-9 {
        ctx.push(
            Diagnostic::warning(
                "FS130",
                format!("CPU limits add up to {:.2} (with {:.2} reserved), more than the host's {} vCPUs", b.cpus_used, ctx.stack.host.reserved.cpus, b.cpus_available),
            )
            .at_opt(host_at)
            .with_help("services will be throttled under load: lower `resources.cpus`, or choose a larger instance type"),
        );
    }
    if b.disk_used_mib > b.disk_mib {
        let at = ctx.at(&["host", "disk"]);
        ctx.push(
            Diagnostic::error(
                "FS133",
                format!(
                    "volume sizes add up to {} MiB, more than the host's {} MiB disk",
                    b.disk_used_mib, b.disk_mib
                ),
            )
            .at_opt(at)
            .with_help("lower `volumes.*.size`, or raise `host.disk`"),
        );
    }
    for service in &ctx.stack.services {
        if service.kind != Kind::Elasticsearch || service.external {
            continue;
        }
        if let Some(heap) = service.heap {
            if heap.mib() * 2 > service.memory.mib() {
                let at = ctx.at(&["services", &service.name, "heap"]);
                ctx.push(
                    Diagnostic::warning(
                        "FS132",
                        format!("heap {heap} of `{}` is more than half of its memory limit {}", service.name, service.memory),
                    )
                    .at_opt(at)
                    .with_help("Elasticsearch needs the other half for the file system cache: lower `heap` or raise `resources.memory`"),
                );
            }
        }
    }
}
