//! Rules for the cloud host: instance types that match the host's vCPU and memory,
//! disk sizes ROS and Terraform accept, a bootstrap URL that is safe to put in
//! a shell script, and a host mode the stack can really run in (a new host has
//! nothing the stack does not bring; an existing one takes no creation settings).

use super::Ctx;
use crate::error::Diagnostic;
use crate::load::pointer;
use crate::spec::{HostMode, Kind};

/// FS164: a new host has only what the stack brings, so nothing may depend on a
/// network or a service that exists on some other host.
fn new_host_is_self_contained(ctx: &mut Ctx) {
    for (key, network) in &ctx.spec.networks {
        if let Some(external) = &network.external {
            let at = ctx.at(&["networks", key, "external"]);
            ctx.push(
                Diagnostic::error("FS164", format!("network `{key}` is the existing Docker network `{external}`, but the templates create a new host, where it does not exist"))
                    .at_opt(at)
                    .with_help("remove `external` so that the stack creates the network, or deploy onto the host that has it with `host.mode: existing`"),
            );
        }
    }
    for (name, service) in &ctx.spec.services {
        if service.kind == Kind::External {
            let at = ctx.key(&["services", name]);
            ctx.push(
                Diagnostic::error("FS164", format!("`{name}` runs outside the stack, but the templates create a new host, where it does not run"))
                    .at_opt(at)
                    .with_help(format!("declare `{name}` as part of the stack (a kind with an image), or deploy onto the host that runs it with `host.mode: existing`")),
            );
        }
    }
}

/// FS163: an existing host is given by id; the settings that create one have no
/// effect there, and managed services need the network the templates create.
fn existing_host_settings(ctx: &mut Ctx) {
    for field in [
        "zone",
        "image",
        "disk_category",
        "data_disk",
        "snapshots",
        "bandwidth",
    ] {
        if let Some(at) = ctx.spans.key(&pointer(&["host", field])) {
            ctx.push(
                Diagnostic::error("FS163", format!("`host.{field}` has no effect on an existing host"))
                    .at(at)
                    .with_help(format!("remove `{field}` (the instance already exists), or set `host.mode: new` to create one")),
            );
        }
    }
    for (name, service) in &ctx.spec.services {
        if service.managed.is_some() {
            let at = ctx.key(&["services", name, "managed"]);
            ctx.push(
                Diagnostic::error("FS163", format!("managed `{name}` needs the VPC the templates create, but the host already exists"))
                    .at_opt(at)
                    .with_help("run it as a container (remove `managed`), or set `host.mode: new`"),
            );
        }
    }
}

/// vCPUs and memory (GiB) of an instance type: `None` when futurestack does
/// not know its family, `Err` when the family has no such size.
pub fn instance_shape(instance_type: &str) -> Option<Result<(u32, u32), ()>> {
    match crate::cost::catalog::lookup(instance_type) {
        Some(t) => Some(Ok((t.vcpus, t.memory_gib))),
        None if crate::cost::catalog::knows_family(instance_type) => Some(Err(())),
        None => None,
    }
}

/// A URL that can stand in single quotes in a shell script and in ROS `Fn::Sub`.
pub fn bundle_url_ok(url: &str) -> bool {
    url.starts_with("https://")
        && url.len() > "https://".len()
        && url
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#[]@!&()*+,;=%".contains(c))
}

/// FS179: `backups.oss` copies backups that are taken, into a bucket the
/// templates can create.
fn backup_copy(ctx: &mut Ctx) {
    let spec = ctx.spec;
    let Some(oss) = &spec.backups.oss else {
        return;
    };
    let at = ctx.at(&["backups", "oss"]);
    let mut problems = Vec::new();
    if !spec.backups.enabled {
        problems.push((
            "`backups.oss` copies the backups to OSS, but `backups.enabled` is false".to_owned(),
            "remove `backups.oss`, or turn the backups on".to_owned(),
        ));
    } else if !crate::model::backup::has_backup(ctx.stack) {
        problems.push((
            "`backups.oss` copies the backups to OSS, but the stack has no PostgreSQL, MySQL, Redis or Elasticsearch container to back up".to_owned(),
            "remove `backups.oss`: managed and external databases are backed up by their own service".to_owned(),
        ));
    }
    if let Some(state) = spec
        .host
        .terraform_state
        .as_ref()
        .filter(|t| t.bucket == oss.bucket)
    {
        problems.push((
            format!("the backup bucket `{}` is also `host.terraform_state.bucket`, which must already exist; the templates create the backup bucket", state.bucket),
            "name a new bucket for the backups".to_owned(),
        ));
    }
    for (message, help) in problems {
        ctx.push(
            Diagnostic::error("FS179", message)
                .at_opt(at.clone())
                .with_help(help),
        );
    }
}

/// The sizes of the family of `ecs.<family>.<size>`, as a help line lists them.
fn family_sizes(instance_type: &str) -> String {
    let family = instance_type.split('.').nth(1).unwrap_or("");
    crate::cost::catalog::all()
        .iter()
        .filter(|t| t.family == family)
        .map(|t| format!("`{}` ({}/{} GiB)", t.name, t.vcpus, t.memory_gib))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn check(ctx: &mut Ctx) {
    backup_copy(ctx);
    match ctx.spec.host.mode {
        HostMode::New => new_host_is_self_contained(ctx),
        HostMode::Existing => existing_host_settings(ctx),
    }
    let host = &ctx.spec.host;
    let at = ctx.at(&["host", "instance_type"]);
    match instance_shape(&host.instance_type) {
        Some(Ok((vcpus, memory_gib))) => {
            if vcpus != host.vcpus || u64::from(memory_gib) * 1024 != host.memory.mib() {
                ctx.push(
                    Diagnostic::error(
                        "FS134",
                        format!(
                            "`{}` has {vcpus} vCPUs and {memory_gib} GiB, but the host section says {} vCPUs and {}",
                            host.instance_type, host.vcpus, host.memory
                        ),
                    )
                    .at_opt(at)
                    .with_help(format!("set `vcpus: {vcpus}` and `memory: {memory_gib}GiB`, or choose the instance type the host section describes")),
                );
            }
        }
        Some(Err(())) => {
            ctx.push(
                Diagnostic::error(
                    "FS134",
                    format!(
                        "`{}` is not an instance size ECS offers",
                        host.instance_type
                    ),
                )
                .at_opt(at)
                .with_help(format!(
                    "the family's sizes: {}",
                    family_sizes(&host.instance_type)
                )),
            );
        }
        None => {
            ctx.push(
                Diagnostic::warning("FS134", format!("futurestack does not know the instance type `{}`", host.instance_type))
                    .at_opt(at)
                    .with_help("its vCPU and memory are not checked against the host section; known families: the c, g and r series of generations 6, 7, 7a, 8a, 8i and 8y (data/ecs-instance-types.tsv)"),
            );
        }
    }
    let system_gib = host.disk.mib().div_ceil(1024);
    if !(20..=2048).contains(&system_gib) || host.disk.mib() % 1024 != 0 {
        let at = ctx.at(&["host", "disk"]);
        ctx.push(
            Diagnostic::error(
                "FS161",
                format!("system disk `{}` is outside what ECS accepts", host.disk),
            )
            .at_opt(at)
            .with_help("a system disk is a whole number of GiB from 20GiB to 2048GiB"),
        );
    }
    if let Some(data) = host.data_disk {
        let gib = data.mib().div_ceil(1024);
        if !(20..=32768).contains(&gib) || data.mib() % 1024 != 0 {
            let at = ctx.at(&["host", "data_disk"]);
            ctx.push(
                Diagnostic::error(
                    "FS161",
                    format!("data disk `{data}` is outside what ECS accepts"),
                )
                .at_opt(at)
                .with_help("a data disk is a whole number of GiB from 20GiB to 32768GiB"),
            );
        }
    }
    if let Some(state) = &host.terraform_state {
        match (&state.lock_endpoint, &state.lock_table) {
            (Some(_), None) | (None, Some(_)) => {
                let at = ctx.key(&["host", "terraform_state"]);
                ctx.push(
                    Diagnostic::error("FS165", "state locking needs both `lock_endpoint` and `lock_table`")
                        .at_opt(at)
                        .with_help("name the Table Store endpoint and table together, or neither (then two runs at once can overwrite the state)"),
                );
            }
            (Some(endpoint), Some(_)) if !bundle_url_ok(endpoint) => {
                let at = ctx.at(&["host", "terraform_state", "lock_endpoint"]);
                ctx.push(
                    Diagnostic::error("FS165", format!("lock endpoint `{}` is not a plain https URL", endpoint.escape_debug()))
                        .at_opt(at)
                        .with_help("write the Table Store instance's endpoint, `https://<instance>.<region>.ots.aliyuncs.com`"),
                );
            }
            _ => {}
        }
    }
    if let Some(url) = &host.bootstrap.bundle_url {
        if !bundle_url_ok(url) {
            let at = ctx.at(&["host", "bootstrap", "bundle_url"]);
            ctx.push(
                Diagnostic::error("FS162", format!("bundle URL `{}` is not a plain https URL", url.escape_debug()))
                    .at_opt(at)
                    .with_help("use an https:// URL without quotes, spaces, `$` or backslashes (it is written into the first-boot shell script)"),
            );
        }
    }
    for (name, service) in &ctx.spec.services {
        let Some(managed) = &service.managed else {
            continue;
        };
        if let Some(storage) = managed.storage {
            if storage.mib() % 1024 != 0 || storage.mib() < 5 * 1024 {
                let at = ctx.at(&["services", name, "managed", "storage"]);
                ctx.push(
                    Diagnostic::error("FS161", format!("storage `{storage}` of managed `{name}` is not a whole number of GiB of at least 5GiB"))
                        .at_opt(at)
                        .with_help("write it like `20GiB`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_shapes() {
        assert_eq!(instance_shape("ecs.c7.xlarge"), Some(Ok((4, 8))));
        assert_eq!(instance_shape("ecs.c7.2xlarge"), Some(Ok((8, 16))));
        assert_eq!(instance_shape("ecs.g7.large"), Some(Ok((2, 8))));
        assert_eq!(instance_shape("ecs.r7.4xlarge"), Some(Ok((16, 128))));
        assert_eq!(instance_shape("ecs.c7.huge"), Some(Err(())));
        assert_eq!(instance_shape("ecs.t6-c1m1.large"), None);
    }

    #[test]
    fn bundle_urls() {
        assert!(bundle_url_ok(
            "https://b.oss-cn-hangzhou.aliyuncs.com/x/prod.tar.gz?Expires=1&Signature=a%2Fb"
        ));
        for bad in [
            "http://x/y",
            "https://",
            "https://x/'; rm -rf /",
            "https://x/${a}",
            "https://x/a b",
            "https://x/`id`",
        ] {
            assert!(!bundle_url_ok(bad), "{bad}");
        }
    }
}
