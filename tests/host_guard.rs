//! The metadata guard as it behaves: the generated unit's command, run with the
//! real iptables in network namespaces of the test's own, stops a "container"
//! from reaching a stand-in for the ECS metadata service (100.100.100.200)
//! through a forwarding "host", and leaves other forwarded traffic alone. On
//! an existing host (`golden/prod`), only the stack's own bridges are
//! refused: a second "container" of another stack still reaches it.
//!
//! Layout (all inside `unshare -m -n`, no traffic leaves it): the namespace of
//! the test is the host, with `FORWARD -j DOCKER-USER` as Docker sets it up; a
//! netns `ctr` (10.99.0.2) routes through it, on a host interface named like
//! the stack's bridge; a netns `other` (10.97.0.2) likewise, on an interface
//! of another stack; a netns `meta` holds 100.100.100.200 and 10.98.0.2,
//! each serving HTTP with Python.

mod support;

use std::process::Command;

use support::{namespace, repo, tool_on_path};

const CASE: &str = "tests/cases/fresh-host/golden/fresh/host/metadata-guard.service";
/// An existing host's guard, and the bridge of its first network.
const EXISTING: &str = "golden/prod/host/metadata-guard.service";

fn guard_command() -> String {
    command_of(CASE)
}

/// The bridge names an existing host's unit refuses, in order.
fn bridges_of(unit: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(unit)).unwrap();
    let mut out: Vec<String> = text
        .split("-C DOCKER-USER -i ")
        .skip(1)
        .map(|rest| rest.split(' ').next().unwrap().to_owned())
        .collect();
    out.dedup();
    out
}

/// The command of the unit's `ExecStart=/bin/sh -c '...'`.
fn command_of(path: &str) -> String {
    let unit = std::fs::read_to_string(repo().join(path)).unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .expect("an ExecStart line");
    line.strip_suffix('\'').unwrap().to_owned()
}

fn run(guard: &str) -> Option<(bool, String)> {
    run_on(guard, "h-ctr")
}

/// With `ours` the host-side interface of `ctr` (a bridge name of the stack).
fn run_on(guard: &str, ours: &str) -> Option<(bool, String)> {
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
for ns in ctr other meta; do ip netns add $ns; done
ip link add {ours} type veth peer name c0 netns ctr
ip link add h-other type veth peer name o0 netns other
ip link add h-meta type veth peer name m0 netns meta
ip addr add 10.99.0.1/24 dev {ours}; ip link set {ours} up
ip addr add 10.97.0.1/24 dev h-other; ip link set h-other up
ip -n other addr add 10.97.0.2/24 dev o0; ip -n other link set o0 up
ip -n other route add default via 10.97.0.1
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
probe() {{ ip netns exec ${{2:-ctr}} curl -s -o /dev/null --max-time 2 -w '%{{http_code}}' "http://$1/" || true; }}
echo "BEFORE metadata=$(probe 100.100.100.200) other=$(probe 10.98.0.2)"
for _ in 1 2; do sh -c {guard}; done
echo "AFTER metadata=$(probe 100.100.100.200) other=$(probe 10.98.0.2)"
echo "OTHER-STACK metadata=$(probe 100.100.100.200 other)"
echo "RULES $(iptables -w -S DOCKER-USER | grep -c 100.100.100.200)"
"#,
        guard = futurestack::shell::quote(guard),
        ours = ours,
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
fn on_an_existing_host_only_the_stacks_own_bridges_are_refused() {
    let bridges = bridges_of(EXISTING);
    assert_eq!(bridges.len(), 2, "{bridges:?}");
    let Some((ok, out)) = run_on(&command_of(EXISTING), &bridges[0]) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(out.contains("AFTER metadata=000 other=200"), "{out}");
    // Another stack's container on the same host keeps its access.
    assert!(out.contains("OTHER-STACK metadata=200"), "{out}");
    assert!(out.contains("RULES 2"), "{out}");
    // Guard: the new host's host-wide rule would take it from the other stack.
    let Some((_, out)) = run_on(&guard_command(), &bridges[0]) else {
        return;
    };
    assert!(out.contains("OTHER-STACK metadata=000"), "{out}");
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
fn every_host_gets_a_guard_and_an_existing_one_names_the_stacks_bridges() {
    let mut existing = 0;
    for dir in support::golden_env_dirs() {
        let Ok(text) = std::fs::read_to_string(dir.join("terraform/deploy.sh.tftpl")) else {
            continue;
        };
        let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
        let named: Vec<&str> = compose
            .lines()
            .filter_map(|l| l.trim().strip_prefix("com.docker.network.bridge.name: "))
            .collect();
        let existing_host = text.contains("# The host already runs Docker");
        let guarded = dir.join("host/metadata-guard.service").is_file();
        // An existing host whose stack only joins others' networks has none.
        assert_eq!(
            guarded,
            !existing_host || !named.is_empty(),
            "{}",
            dir.display()
        );
        assert_eq!(
            guarded,
            text.contains("metadata-guard.service"),
            "{}",
            dir.display()
        );
        if !guarded {
            continue;
        }
        let unit = std::fs::read_to_string(dir.join("host/metadata-guard.service")).unwrap();
        if existing_host {
            existing += 1;
            // Per stack, never host-wide: other stacks may rely on it.
            assert!(!unit.contains("-C DOCKER-USER -d"), "{}", dir.display());
            for bridge in named {
                assert!(bridge.len() <= 15, "{bridge}");
                assert!(
                    unit.contains(&format!("-I DOCKER-USER -i {bridge} ")),
                    "{}: {bridge} is not guarded",
                    dir.display()
                );
            }
        } else {
            assert!(
                unit.contains("-I DOCKER-USER -d 100.100.100.200/32"),
                "{}",
                dir.display()
            );
        }
    }
    assert!(existing >= 3, "{existing}");
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
