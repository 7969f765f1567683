//! Capacity: what the stack may use must fit on the host.

use super::Ctx;
use crate::cost::budget;
use crate::error::Diagnostic;
use crate::spec::Kind;

/// The help of a host too small: `first`, or the smallest type that holds the limits.
fn larger_type(stack: &crate::model::Stack, first: &str) -> String {
    match crate::cost::capacity(stack, 0).smallest_fit {
        Some(s) => format!(
            "{first}, or move to `{}` ({} vCPUs, {} GiB), the smallest type of the host's generation that holds them (set `host.instance_type`, `vcpus` and `memory`)",
            s.instance_type, s.vcpus, s.memory_gib
        ),
        None => format!("{first}: no type of the host's generation holds them"),
    }
}

pub fn check(ctx: &mut Ctx) {
    if ctx.stack.on_kubernetes() {
        // `host` is one node of a cluster: `validate::kubernetes` checks the cluster's budget.
        return;
    }
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
            .with_help(larger_type(ctx.stack, "lower `resources.memory` of some services")),
        );
    }
    if b.cpus_used > b.cpus_available + 1e-9 {
        ctx.push(
            Diagnostic::warning(
                "FS130",
                format!("CPU limits add up to {:.2} (with {:.2} reserved), more than the host's {} vCPUs", b.cpus_used, ctx.stack.host.reserved.cpus, b.cpus_available),
            )
            .at_opt(host_at)
            .with_help(larger_type(ctx.stack, "services will be throttled under load: lower `resources.cpus`")),
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
