//! The deploy script both cloud targets hand to Cloud Assistant: it prepares the
//! host (data disk, Docker) when the templates created it, lays down the
//! generated files (a bundle checked file by file against SHA-256 sums, or
//! embedded), provides the TLS certificate, writes `.env` from OOS encrypted
//! parameters, and brings the stack up. Running it again changes nothing.
//!
//! Facts it relies on, with their sources and the versions they hold for:
//! - The Cloud Assistant agent replaces `{{oos-secret:NAME}}` in a command's content
//!   with the OOS encrypted parameter's value on the instance, with the instance's
//!   RAM role, and only when the command has `EnableParameter` (aliyun/aliyun_assist_client
//!   at 028f1de4, agent 2.x.3.529: `agent/util/resolveparamstore.go`,
//!   `agent/taskengine/basetask.go`; AlibabaCloudDocs/ecs at 322eaab8, "Use OOS
//!   Parameter Store in Cloud Assistant commands"). The value is in no template,
//!   no command text and no user data. Not run here: the sandbox test stands in
//!   for the agent's substitution.
//! - A cloud disk's serial number is its id without `d-`; udev links it as
//!   `/dev/disk/by-id/virtio-<serial>` (virtio) or
//!   `/dev/disk/by-id/nvme-Alibaba_Cloud_Elastic_Block_Storage_<serial>` (NVMe)
//!   (kubernetes-sigs/alibaba-cloud-csi-driver at 98960d89, `pkg/disk/device_manager.go`;
//!   ECS documentation, "Query the serial number of a disk": disks created since
//!   2020-06-10).
//! - Compose reads a single-quoted `.env` value literally: no interpolation and no
//!   escapes but `\'` (compose-go `dotenv/parser.go`, v2.0.0 to v2.13.0; run with
//!   Compose 2.40.3 by the deploy sandbox test). So values are single-quoted, and
//!   `cloud::SECRET_PATTERN` keeps `'` and a final `\` out of secrets.

use super::cloud::{self, CloudSecret, STACK_ROOT};
use super::edge::TlsFiles;
use super::{Service, Stack, acme};
use crate::shell::quote as sh_quote;
use crate::spec::{HostMode, TlsSource};

/// How a target refers to values it only knows at deploy time, and escapes
/// literal text (ROS `Fn::Sub` and Terraform `templatefile` differ).
pub struct Substitution {
    pub literal: fn(&str) -> String,
    /// The endpoint of a managed service.
    pub endpoint: fn(&Service) -> String,
    /// The id of the data disk the template creates.
    pub data_disk: &'static str,
    /// A command that reports to the template, given `-d <JSON>` (ROS: a wait
    /// condition handle's `CurlCli`); Terraform reads the invocation's result instead.
    pub notify: Option<String>,
}

/// The systemd unit that keeps every container of a new host (the stack's
/// own) from the ECS metadata service.
pub const METADATA_GUARD_UNIT: &str = "futurestack-metadata-guard.service";

/// Whether the host gets the guard: a new host always; an existing one when
/// the stack has networks of its own (on networks it only joins, other stacks'
/// bridges carry its traffic, and it cannot tell its containers apart there).
pub fn has_metadata_guard(stack: &Stack) -> bool {
    stack.host.mode == HostMode::New || !stack_bridges(stack).is_empty()
}

/// The guard's unit: on an existing host, one per stack, since other stacks
/// there may rely on the metadata service and keep their access.
pub fn metadata_guard_unit(stack: &Stack) -> String {
    match stack.host.mode {
        HostMode::New => METADATA_GUARD_UNIT.to_owned(),
        HostMode::Existing => format!("futurestack-{}-metadata-guard.service", stack.project),
    }
}

/// What the guard's unit runs: Docker's DOCKER-USER chain (created first if
/// Docker has not yet) gets an idempotent REJECT of 100.100.100.200, for all
/// traffic on a new host, and on an existing one only for traffic coming in
/// from the stack's own bridges ([`bridge_name`]); containers of the stack on
/// a network it does not own (`external`) are not covered.
pub fn metadata_guard_rule(stack: &Stack) -> String {
    let inputs = match stack.host.mode {
        HostMode::New => vec![String::new()],
        HostMode::Existing => stack_bridges(stack)
            .into_iter()
            .map(|b| format!("-i {b} "))
            .collect(),
    };
    let mut rule = "iptables -w -N DOCKER-USER 2>/dev/null || true".to_owned();
    for input in inputs {
        let spec = format!("DOCKER-USER {input}-d 100.100.100.200/32 -j REJECT");
        rule.push_str(&format!(
            "; iptables -w -C {spec} 2>/dev/null || iptables -w -I {spec}"
        ));
    }
    rule
}

/// The Linux bridge of one of the stack's own networks on an existing host:
/// `fs` and 12 hex digits of the network's SHA-256, within the kernel's 15
/// characters for an interface name (IFNAMSIZ), set through the bridge
/// driver's `com.docker.network.bridge.name` option (moby `libnetwork/drivers/bridge`).
/// `None` for a network the stack joins (`external`) or on a new host.
pub fn bridge_name(stack: &Stack, network: &super::Network) -> Option<String> {
    (stack.host.mode == HostMode::Existing && network.external.is_none()).then(|| {
        format!(
            "fs{}",
            &sha256_hex(format!("{}/{}", stack.project, network.key).as_bytes())[..12]
        )
    })
}

/// The bridges of the networks the stack creates for its containers.
fn stack_bridges(stack: &Stack) -> Vec<String> {
    stack
        .used_networks()
        .filter_map(|n| bridge_name(stack, n))
        .collect()
}

/// Cloud Assistant's reference to a secret's OOS encrypted parameter.
pub fn secret_reference(stack: &Stack, secret: &CloudSecret) -> String {
    format!("{{{{oos-secret:{}}}}}", cloud::oos_name(stack, secret))
}

/// Where the stack's files live on the host.
pub fn stack_dir(stack: &Stack) -> String {
    format!("{STACK_ROOT}/{}", stack.project)
}

/// How long Cloud Assistant lets the deploy run, and the templates wait for it.
pub const TIMEOUT_SECONDS: u32 = 3600;

/// `curl` that retries: the network (or, on a new host, the elastic IP) may come late.
const FETCH: &str = "fetch() { curl -fsSL --proto '=https' --retry 10 --retry-all-errors --retry-delay 6 --connect-timeout 10 --max-time 900 \"$@\"; }";

/// The deploy script. `files` are the generated files the host needs, with their
/// contents (embedded when the spec has no bundle URL, hashed either way).
pub fn script(stack: &Stack, bundle: &Bundle, sub: &Substitution) -> String {
    let files = &bundle.files;
    let mut s = Script {
        out: String::new(),
        lit: sub.literal,
    };
    let new_host = stack.host.mode == HostMode::New;
    s.line("#!/bin/bash");
    s.line(&format!(
        "# Deploys {} onto its host; generated by futurestack from {}.",
        stack.project,
        crate::render::banner_path(&stack.file)
    ));
    s.line("# Cloud Assistant runs it as root whenever the template changes it; a second run changes nothing.");
    s.line("set -euo pipefail");
    s.line("export DEBIAN_FRONTEND=noninteractive");
    s.line(&format!("stack_dir={}", sh_quote(&stack_dir(stack))));
    s.line("fail() { echo \"futurestack: $*\" >&2; exit 1; }");
    s.line(FETCH);
    s.line("work=$(mktemp -d)");
    match &sub.notify {
        Some(notify) => {
            s.line("# Tell the template how the deploy ended: it waits for this signal.");
            s.raw("notify() { ");
            s.raw(notify);
            s.raw(&(sub.literal)(" -d \"{\\\"status\\\": \\\"$1\\\", \\\"id\\\": \\\"deploy\\\", \\\"reason\\\": \\\"$2\\\"}\" >/dev/null || true; }\n"));
            s.line("on_exit() {");
            s.line("  local rc=$?");
            s.line("  rm -rf \"$work\"");
            s.line("  if [ \"$rc\" -eq 0 ]; then notify SUCCESS deployed; else notify FAILURE \"deploy exited with $rc\"; fi");
            s.line("}");
            s.line("trap on_exit EXIT");
        }
        None => s.line("trap 'rm -rf \"$work\"' EXIT"),
    }

    if new_host && stack.host.data_disk.is_some() {
        s.line("");
        s.line("# The data disk holds Docker's data. It is found by its serial (the disk id");
        s.line("# without `d-`), whatever the instance family calls the device.");
        s.raw(&(sub.literal)("disk_id='"));
        s.raw(sub.data_disk);
        s.raw("'\n");
        for line in [
            "serial=${disk_id#d-}",
            "device=''",
            "for _ in $(seq 1 60); do",
            "  for link in \"/dev/disk/by-id/virtio-$serial\" \"/dev/disk/by-id/nvme-Alibaba_Cloud_Elastic_Block_Storage_$serial\"; do",
            "    if [ -e \"$link\" ]; then device=$(readlink -f \"$link\"); break 2; fi",
            "  done",
            "  sleep 5",
            "done",
            "[ -n \"$device\" ] || fail \"data disk $disk_id is not attached: no /dev/disk/by-id entry has serial $serial\"",
            "if ! blkid -p \"$device\" >/dev/null 2>&1; then mkfs.ext4 -q -L futurestack \"$device\"; fi",
            "uuid=$(blkid -s UUID -o value \"$device\")",
            "[ -n \"$uuid\" ] || fail \"data disk $device has no file system UUID\"",
            "grep -q \"^UUID=$uuid \" /etc/fstab || echo \"UUID=$uuid /var/lib/docker ext4 defaults,nofail 0 2\" >> /etc/fstab",
            "mkdir -p /var/lib/docker /etc/systemd/system/docker.service.d",
            "printf '[Unit]\\nRequiresMountsFor=/var/lib/docker\\n' > /etc/systemd/system/docker.service.d/futurestack-data-disk.conf",
            "if ! mountpoint -q /var/lib/docker; then",
            "  systemctl stop docker.service docker.socket 2>/dev/null || true",
            "  mount /var/lib/docker",
            "fi",
        ] {
            s.line(line);
        }
    }
    s.line("");
    if new_host {
        s.line("# Docker Engine and the Compose plugin, from Alibaba Cloud's mirror.");
        s.line("if ! command -v docker >/dev/null; then");
        s.line("  fetch -o \"$work/get-docker.sh\" https://get.docker.com");
        s.line("  sh \"$work/get-docker.sh\" --mirror Aliyun");
        s.line("fi");
        s.line("systemctl daemon-reload");
        s.line("systemctl enable --now docker");
    } else {
        s.line("# The host already runs Docker; the stack joins it.");
        s.line("command -v docker >/dev/null || fail 'Docker is not installed on this host'");
    }
    s.line("docker compose version >/dev/null || fail 'the Docker Compose plugin is missing'");

    s.line("");
    s.line("mkdir -p \"$work/files\"");
    match &stack.host.bootstrap.bundle_url {
        Some(url) => {
            s.line("# The generated files, as a bundle of golden/<env>/.");
            s.line(&format!(
                "fetch -o \"$work/bundle.tar.gz\" {}",
                sh_quote(url)
            ));
            s.line("tar --no-same-owner --no-same-permissions -xzf \"$work/bundle.tar.gz\" -C \"$work/files\"");
        }
        None => {
            s.line("# The generated files, embedded.");
            for (i, (path, contents)) in files.iter().enumerate() {
                let mut marker = format!("FUTURESTACK_FILE_{i}");
                while contents.lines().any(|l| l == marker) {
                    marker.push('_');
                }
                if let Some((dir, _)) = path.rsplit_once('/') {
                    s.line(&format!("mkdir -p \"$work/files/{dir}\""));
                }
                s.line(&format!("cat > \"$work/files/{path}\" <<'{marker}'"));
                for l in contents.lines() {
                    s.line(l);
                }
                s.line(&marker);
            }
        }
    }
    s.line("# Every file the stack uses, exactly as futurestack generated it: a stale or");
    s.line("# damaged bundle stops the deploy here, before anything changes.");
    s.line("cat > \"$work/SHA256SUMS\" <<'FUTURESTACK_SUMS'");
    for line in &bundle.sums {
        s.line(line);
    }
    s.line("FUTURESTACK_SUMS");
    s.line("(cd \"$work/files\" && sha256sum --check --strict --quiet \"$work/SHA256SUMS\") || fail 'the bundle does not hold the files this template was generated with: upload the current golden folder'");
    s.line("while read -r _ path; do");
    s.line("  install -D -m 0644 \"$work/files/$path\" \"$stack_dir/$path\"");
    s.line("done < \"$work/SHA256SUMS\"");
    s.line("cd \"$stack_dir\"");
    if has_metadata_guard(stack) {
        s.line("");
        if new_host {
            s.line("# Containers never reach the metadata service (the host is the stack's own).");
        } else {
            s.line(
                "# The stack's containers never reach the metadata service (others keep theirs).",
            );
        }
        let unit = sh_quote(&metadata_guard_unit(stack));
        s.line(&format!(
            "install -m 0644 host/metadata-guard.service /etc/systemd/system/{unit}"
        ));
        s.line("systemctl daemon-reload");
        s.line(&format!("systemctl enable {unit}"));
        s.line(&format!("systemctl restart {unit}"));
    }

    let tls = stack.edge.as_ref().and_then(|e| e.tls_files.as_ref());
    if let Some(tls) = tls {
        s.line("");
        match tls.source {
            TlsSource::SelfSigned => {
                s.line("# A self-signed certificate for nginx, made once.");
                self_signed(&mut s, tls, SELF_SIGNED_DAYS);
            }
            TlsSource::Acme => {
                s.line(
                    "# nginx starts with a placeholder certificate, valid for a day, and serves",
                );
                s.line("# the ACME challenges from the webroot; the CA's certificate replaces the");
                s.line("# placeholder once the stack is up (below).");
                s.line(&format!("mkdir -p {}/webroot", acme::DATA_DIR));
                self_signed(&mut s, tls, acme::PLACEHOLDER_DAYS);
            }
            TlsSource::Files => {
                s.line("# nginx's certificate and key must already be on the host (edge.tls).");
                s.line(&format!(
                    "for f in {} {}; do",
                    sh_quote(&tls.certificate),
                    sh_quote(&tls.key)
                ));
                s.line("  if [ ! -f \"$f\" ] || [ ! -s \"$f\" ]; then");
                s.line("    fail \"TLS file $f is missing or empty: put the certificate and key there, then run the deploy again\"");
                s.line("  fi");
                s.line("done");
            }
        }
    }

    s.line("");
    s.line("# Secrets from OOS encrypted parameters and endpoints of managed services,");
    s.line("# quoted so that Compose reads them back byte for byte; readable by root only.");
    s.line("umask 077");
    s.line("cat > \"$stack_dir/.env.new\" <<'FUTURESTACK_ENV'");
    for secret in cloud::secrets(stack) {
        s.line(&format!(
            "{}='{}'",
            secret.env,
            secret_reference(stack, &secret)
        ));
    }
    for (service, m) in cloud::managed(stack) {
        s.raw(&(sub.literal)(&format!("{}='", m.endpoint_var)));
        s.raw(&(sub.endpoint)(service));
        s.raw("'\n");
    }
    s.line("FUTURESTACK_ENV");
    s.line("mv -f \"$stack_dir/.env.new\" \"$stack_dir/.env\"");
    let snapshots = super::backup::snapshots(stack);
    if !snapshots.is_empty() {
        s.line("");
        s.line("# Elasticsearch's snapshot repositories, written by the image's user.");
        for snap in &snapshots {
            s.line(&snap.prepare());
        }
    }
    if super::backup::oss(stack).is_some() {
        s.line("command -v python3 >/dev/null || fail 'python3 is missing: the backup copies to OSS with it (backup/oss-put.py)'");
    }
    s.line("");
    s.line("docker compose up --detach --remove-orphans --wait --wait-timeout 900");
    let logtail = super::logging::deploy_lines(stack);
    if !logtail.is_empty() {
        s.line("");
        for line in &logtail {
            s.line(line);
        }
    }
    let backup_unit = super::backup::unit_name(stack);
    s.line("");
    if !super::backup::has_backup(stack) {
        s.line("# No scheduled backups: a timer from an earlier deploy is removed.");
        s.line(&format!(
            "systemctl disable --now {} 2>/dev/null || true",
            sh_quote(&format!("{backup_unit}.timer"))
        ));
        s.line(&format!(
            "rm -f {} {}",
            sh_quote(&format!("/etc/systemd/system/{backup_unit}.service")),
            sh_quote(&format!("/etc/systemd/system/{backup_unit}.timer"))
        ));
        s.line("systemctl daemon-reload");
    } else {
        s.line("# Daily logical backups of the databases (backup/backup.sh).");
        s.install_timer("backup/backup", &backup_unit);
    }
    if tls.is_some_and(|t| t.source == TlsSource::Acme) {
        let unit = acme::unit_name(stack);
        s.line("");
        s.line("# nginx's certificate from the ACME CA; the timer renews it twice a day when due.");
        s.install_timer(&format!("{}/acme", acme::DATA_DIR), &unit);
        s.line(&format!(
            "if ! sh {}; then",
            sh_quote(&acme::renew_script(stack))
        ));
        s.line("  echo 'futurestack: warning: no certificate from the ACME CA yet; nginx serves a placeholder and the timer tries again (do the domains resolve to this host?)' >&2");
        s.line("fi");
    }
    s.line(&format!(
        "echo {}",
        sh_quote(&format!("futurestack: {} is up", stack.project))
    ));
    s.out
}

/// How long a self-signed certificate is valid: 825 days, the longest Apple's
/// platforms accept for a TLS server certificate (support.apple.com/HT210176).
const SELF_SIGNED_DAYS: u32 = 825;

/// A self-signed certificate for the first domain where nginx expects one, made
/// only when the certificate or key is missing or empty.
fn self_signed(s: &mut Script, tls: &TlsFiles, days: u32) {
    let (certificate, key) = (sh_quote(&tls.certificate), sh_quote(&tls.key));
    s.line(&format!(
        "if [ ! -s {certificate} ] || [ ! -s {key} ]; then"
    ));
    if let Some((dir, _)) = tls.certificate.rsplit_once('/') {
        s.line(&format!(
            "  mkdir -p {}",
            sh_quote(dir.trim_start_matches("./"))
        ));
    }
    s.line(&format!(
        "  openssl req -x509 -newkey rsa:2048 -nodes -days {days} -subj {} -addext {} -keyout {key} -out {certificate}",
        sh_quote(&format!("/CN={}", tls.domain)),
        sh_quote(&format!("subjectAltName=DNS:{}", tls.domain)),
    ));
    s.line("fi");
}

struct Script {
    out: String,
    lit: fn(&str) -> String,
}

impl Script {
    /// Installs `<source>.service` and `<source>.timer` (paths in the stack's
    /// folder) as the systemd units `<unit>.service` and `<unit>.timer`, and
    /// starts the timer.
    fn install_timer(&mut self, source: &str, unit: &str) {
        for ext in ["service", "timer"] {
            self.line(&format!(
                "install -m 0644 {source}.{ext} {}",
                sh_quote(&format!("/etc/systemd/system/{unit}.{ext}"))
            ));
        }
        self.line("systemctl daemon-reload");
        self.line(&format!(
            "systemctl enable --now {}",
            sh_quote(&format!("{unit}.timer"))
        ));
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(&(self.lit)(s));
        self.out.push('\n');
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }
}

/// The files a host bootstrap lays down, and their `sha256sum` lines, hashed
/// once per environment (both cloud targets and the size check write them).
pub struct Bundle {
    pub files: Vec<(String, String)>,
    /// `<hex>  <path>`, in the order of `files`.
    pub sums: Vec<String>,
}

impl Bundle {
    pub fn new(files: Vec<(String, String)>) -> Self {
        let sums = files
            .iter()
            .map(|(path, contents)| sha256sum_line(path, contents))
            .collect();
        Bundle { files, sums }
    }
}

/// The line `sha256sum` prints for a file: `<hex>  <path>`, without the newline.
pub fn sha256sum_line(path: &str, contents: &str) -> String {
    format!("{}  {path}", sha256_hex(contents.as_bytes()))
}

/// Lower-case hex SHA-256, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sha256_hex;

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
