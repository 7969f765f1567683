//! The metadata guard as it behaves: the generated unit's command, run with the
//! real iptables in network namespaces of the test's own, stops a "container"
//! from reaching a stand-in for the ECS metadata service (100.100.100.200)
//! through a forwarding "host", and leaves other forwarded traffic alone.
//!
//! Layout (all inside `unshare -m -n`, no traffic leaves it): the namespace of
//! the test is the host, with `FORWARD -j DOCKER-USER` as Docker sets it up; a
//! netns `ctr` (10.99.0.2) routes through it; a netns `meta` holds
//! 100.100.100.200 and 10.98.0.2, each serving HTTP with Python.

mod support;

use std::process::Command;

use support::{namespace, repo, tool_on_path};

const CASE: &str = "tests/cases/fresh-host/golden/fresh/host/metadata-guard.service";

/// The command of the unit's `ExecStart=/bin/sh -c '...'`.
fn guard_command() -> String {
    let unit = std::fs::read_to_string(repo().join(CASE)).unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .expect("an ExecStart line");
    line.strip_suffix('\'').unwrap().to_owned()
}

fn run(guard: &str) -> Option<(bool, String)> {
    if !namespace::ready(
        "the guard test",
        &["iptables", "ip", "curl", "python3", "unshare"],
    ) {
        return None;
    }
    let script = format!(
        r#"set -eu
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1
for ns in ctr meta; do ip netns add $ns; done
ip link add h-ctr type veth peer name c0 netns ctr
ip link add h-meta type veth peer name m0 netns meta
ip addr add 10.99.0.1/24 dev h-ctr; ip link set h-ctr up
ip addr add 10.98.0.1/24 dev h-meta; ip link set h-meta up
ip route add 100.100.100.200/32 via 10.98.0.2
ip -n ctr addr add 10.99.0.2/24 dev c0; ip -n ctr link set c0 up; ip -n ctr link set lo up
ip -n ctr route add default via 10.99.0.1
ip -n meta addr add 10.98.0.2/24 dev m0; ip -n meta addr add 100.100.100.200/32 dev m0
ip -n meta link set m0 up; ip -n meta link set lo up
ip -n meta route add default via 10.98.0.1
# What dockerd sets up: FORWARD jumps to DOCKER-USER first.
iptables -w -N DOCKER-USER
iptables -w -A DOCKER-USER -j RETURN
iptables -w -I FORWARD -j DOCKER-USER
ip netns exec meta python3 -m http.server --bind 0.0.0.0 80 >/dev/null 2>&1 &
for _ in $(seq 1 50); do ip netns exec ctr curl -s -o /dev/null --max-time 1 http://10.98.0.2/ && break; sleep 0.1; done
probe() {{ ip netns exec ctr curl -s -o /dev/null --max-time 2 -w '%{{http_code}}' "http://$1/" || true; }}
echo "BEFORE metadata=$(probe 100.100.100.200) other=$(probe 10.98.0.2)"
for _ in 1 2; do sh -c {guard}; done
echo "AFTER metadata=$(probe 100.100.100.200) other=$(probe 10.98.0.2)"
echo "RULES $(iptables -w -S DOCKER-USER | grep -c 100.100.100.200)"
"#,
        guard = futurestack::shell::quote(guard)
    );
    Some(namespace::run(&script, &[]))
}

#[test]
fn containers_cannot_reach_the_metadata_service_and_other_traffic_flows() {
    let Some((ok, out)) = run(&guard_command()) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("BEFORE metadata=200 other=200"), "{out}");
    // Rejected at once (curl prints 000), the rest forwarded as before.
    assert!(out.contains("AFTER metadata=000 other=200"), "{out}");
    // Run twice, added once.
    assert!(out.contains("RULES 1"), "{out}");
}

#[test]
fn guard_a_rule_for_another_address_leaves_the_metadata_service_reachable() {
    let broken = guard_command().replace("100.100.100.200/32", "100.100.100.201/32");
    let Some((ok, out)) = run(&broken) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("AFTER metadata=200 other=200"), "{out}");
}

/// `systemd-analyze verify` on the unit under the name the deploy installs it as.
fn verify(unit_text: &str) -> Option<(bool, String)> {
    let analyze = tool_on_path("systemd-analyze")?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(futurestack::model::deploy::METADATA_GUARD_UNIT);
    std::fs::write(&path, unit_text).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    Some((
        out.status.success() && out.stderr.is_empty(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn the_unit_is_valid_for_systemd() {
    let unit = std::fs::read_to_string(repo().join(CASE)).unwrap();
    let Some((ok, err)) = verify(&unit) else {
        return;
    };
    assert!(ok, "{err}");
    // Guard: a misspelt directive is reported.
    let broken = unit.replace("RemainAfterExit=yes", "RemainAfterExits=yes");
    let (ok, err) = verify(&broken).unwrap();
    assert!(!ok, "a misspelt directive passed: {err}");
}

#[test]
fn only_a_new_host_gets_the_guard() {
    // On an existing host other stacks may rely on the metadata service.
    for dir in support::golden_env_dirs() {
        let text =
            std::fs::read_to_string(dir.join("terraform/deploy.sh.tftpl")).unwrap_or_default();
        let guarded = dir.join("host/metadata-guard.service").is_file();
        assert_eq!(
            guarded,
            text.contains(futurestack::model::deploy::METADATA_GUARD_UNIT),
            "{}",
            dir.display()
        );
        if text.contains("# The host already runs Docker") {
            assert!(
                !guarded,
                "{}: an existing host got the guard",
                dir.display()
            );
        }
    }
}

/// node-exporter's mounts as Docker makes them (moby b985e2313a,
/// `daemon/oci_linux.go` `withMounts`: binds are `rbind`, and every mount, the
/// tmpfs ones included, is applied in order of path depth by `sortMounts`): the
/// host's `/` recursively at `/host`, then the tmpfs over `/host/run`. Run with
/// real mounts on a stand-in root whose `/run` is its own mount holding a
/// socket, as the host's is. Prints whether the socket shows through.
fn socket_seen_through(tmpfs_over_run: bool) -> Option<(bool, String)> {
    if !namespace::ready("the node-exporter mount test", &["unshare", "python3"]) {
        return None;
    }
    let hide = if tmpfs_over_run {
        r#"mount -t tmpfs tmpfs "$w/ctr/host/run""#
    } else {
        ":"
    };
    let script = format!(
        r#"set -eu
w=$(mktemp -d); mount -t tmpfs tmpfs "$w"
mkdir -p "$w/root/run" "$w/ctr/host"
mount -t tmpfs tmpfs "$w/root/run"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$w/root/run/docker.sock"
mount --rbind "$w/root" "$w/ctr/host"; mount -o remount,bind,ro "$w/ctr/host"
{hide}
[ -S "$w/ctr/host/run/docker.sock" ] && echo "SOCKET visible" || echo "SOCKET hidden"
[ -S "$w/root/run/docker.sock" ] && echo "HOST keeps it"
"#
    );
    Some(namespace::run(&script, &[]))
}

#[test]
fn the_tmpfs_over_host_run_hides_the_docker_socket_from_node_exporter() {
    // The generated service has exactly these mounts.
    let compose = support::yaml(&repo().join("golden/prod/docker-compose.yml"));
    let node = &compose["services"]["node-exporter"];
    assert_eq!(node["volumes"][0]["source"], "/");
    assert_eq!(node["volumes"][0]["target"], "/host");
    assert_eq!(node["tmpfs"][0], "/host/run");
    let Some((ok, out)) = socket_seen_through(true) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(
        out.contains("SOCKET hidden") && out.contains("HOST keeps it"),
        "{out}"
    );
    // Guard: without the tmpfs, the recursive bind shows the socket.
    let (ok, out) = socket_seen_through(false).unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("SOCKET visible"), "{out}");
}
