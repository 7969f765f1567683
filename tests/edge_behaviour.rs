//! The edge as it behaves: the real nginx (Debian's) runs each golden config in
//! a private mount and network namespace, with a recording stub for every app
//! on loopback (`tests/sandbox/upstream-stub.py`). Expectations come from the
//! model (the spec's routes), the answers from nginx and what the stub saw:
//! - every route of every domain reaches its app, with the path the route
//!   promises (prefix stripped or kept) and the proxy headers;
//! - no blocked path (the apps' metrics and admin endpoints) reaches an app in
//!   any spelling: encoded, newline, tab, `;`, `//`, `./`, `x/..`, case, `.`;
//! - an unknown host gets no answer, plain HTTP redirects when TLS is on, a body
//!   over the limit gets 413, a burst over a rate limit gets 429, WebSocket
//!   routes pass the upgrade, and an app that is down gives a fast 502.
//!
//! A guard runs the same checks on a config with the old prefix rewrite and
//! expects the newline bypass to be found.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use futurestack::load::{self, ReadSource, Sources};
use futurestack::model::Stack;
use futurestack::pipeline;
use futurestack::shell::quote as sh;
use serde_json::Value as J;
use support::golden_env_dirs;
use support::nginx::{namespace_tools, with_nginx_conf};

struct Fs(PathBuf);
impl ReadSource for Fs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(self.0.join(path))
    }
}

/// The model of the environment a golden folder was generated from.
fn stack(dir: &Path) -> Stack {
    let env = dir.file_name().unwrap().to_str().unwrap();
    let root = dir.parent().unwrap().parent().unwrap();
    let spec = format!("environments/{env}.yaml");
    let reader = Fs(root.to_owned());
    let loaded = load::load(Path::new(&spec), &spec, &reader, &mut Sources::default()).unwrap();
    let analysis = pipeline::analyze(&loaded);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    analysis.stack.unwrap()
}

/// One request and what must come of it.
struct Probe {
    what: String,
    curl: String,
    expect: Expect,
}

enum Expect {
    /// The app on `port` gets exactly `target`, with these headers.
    Reaches {
        port: u16,
        target: String,
        host: String,
        proto: &'static str,
        upgrade: bool,
    },
    /// No app sees it; nginx answers with one of these statuses.
    Refused(&'static [&'static str]),
}

/// Ways to spell a blocked path that a parser could take for it.
fn spellings(prefix: &str, blocked: &str) -> Vec<String> {
    let rest = blocked.strip_prefix(prefix).unwrap();
    let (first, tail) = rest.split_at(1);
    let encoded = format!("%{:02X}", first.as_bytes()[0]);
    vec![
        blocked.to_owned(),
        format!("{blocked}/"),
        format!("{blocked}/x"),
        format!("{blocked}%0A"),
        format!("{blocked}%0a"),
        format!("{blocked}%09"),
        format!("{blocked}%20"),
        format!("{blocked};x"),
        format!("{blocked}%3Bx"),
        format!("{blocked}."),
        format!("{blocked}%2Fx"),
        format!("{blocked}?x=1"),
        format!("{prefix}{encoded}{tail}"),
        format!("{prefix}{}", rest.to_uppercase()),
        format!("{prefix}/{rest}"),
        format!("{prefix}./{rest}"),
        format!("{prefix}x/../{rest}"),
        format!("{prefix}x/%2E%2E/{rest}"),
    ]
}

fn probes(stack: &Stack) -> Vec<Probe> {
    let edge = stack.edge.as_ref().unwrap();
    let tls = edge.tls();
    let (scheme, port, proto) = if tls {
        ("https", 443, "https")
    } else {
        ("http", 80, "http")
    };
    let upstream_port: BTreeMap<&str, u16> = edge
        .upstreams
        .iter()
        .map(|u| {
            (
                u.service.as_str(),
                u.address.rsplit_once(':').unwrap().1.parse().unwrap(),
            )
        })
        .collect();
    let mut out = vec![Probe {
        what: "a host nginx does not serve".into(),
        curl: format!("--resolve unknown.invalid:{port}:127.0.0.1 {scheme}://unknown.invalid/"),
        // 444: nginx closes the connection without a response.
        expect: Expect::Refused(&["000"]),
    }];
    let base = |domain: &str| format!("--resolve {domain}:{port}:127.0.0.1 {scheme}://{domain}");
    for server in &edge.servers {
        let d = &server.domain;
        for route in &server.routes {
            let app = upstream_port[route.service.as_str()];
            let (path, target) = if route.exact {
                (route.path.clone(), route.path.clone())
            } else {
                let sample = "probe/a%20b";
                let kept = format!("{}{sample}", route.path);
                let target = if route.strip_prefix {
                    format!("/{sample}")
                } else {
                    kept.clone()
                };
                (kept, target)
            };
            let mut extra = String::new();
            if route.websocket {
                extra.push_str(" --http1.1 -H 'Upgrade: websocket' -H 'Connection: Upgrade'");
            }
            out.push(Probe {
                what: format!("{d}{path} (route `{}` of `{}`)", route.name, route.service),
                curl: format!("{}{}{}", base(d), sh(&format!("{path}?q=1")), extra),
                expect: Expect::Reaches {
                    port: app,
                    target: format!("{target}?q=1"),
                    host: d.clone(),
                    proto,
                    upgrade: route.websocket,
                },
            });
            if route.websocket {
                out.push(Probe {
                    what: format!("{d}{path} without an upgrade (route `{}`)", route.name),
                    curl: format!("{}{}", base(d), sh(&path)),
                    expect: Expect::Refused(&["426"]),
                });
            }
            for blocked in &route.blocked {
                for spelling in spellings(&route.path, blocked) {
                    out.push(Probe {
                        what: format!("{d}{spelling} (blocked `{blocked}`)"),
                        curl: format!("{}{}", base(d), sh(&spelling)),
                        expect: Expect::Refused(&["404", "400"]),
                    });
                }
            }
        }
        let has_root = server.routes.iter().any(|r| r.path == "/" && !r.exact);
        if !has_root {
            out.push(Probe {
                what: format!("{d}/nothing-routed-here"),
                curl: format!("{}{}", base(d), sh("/nothing-routed-here")),
                expect: Expect::Refused(&["404"]),
            });
        }
        if tls && edge.redirect_http {
            out.push(Probe {
                what: format!("http://{d}/ redirects"),
                curl: format!("--resolve {d}:80:127.0.0.1 http://{d}/x"),
                expect: Expect::Refused(&["301"]),
            });
        }
    }
    out
}

/// Runs every probe against `conf`; returns what went wrong.
fn run_checks(dir: &Path, conf: &str, stack: &Stack) -> Vec<String> {
    let probes = probes(stack);
    let edge = stack.edge.as_ref().unwrap();
    let mut ports: Vec<String> = edge
        .upstreams
        .iter()
        .map(|u| u.address.rsplit_once(':').unwrap().1.to_owned())
        .collect();
    ports.sort();
    ports.dedup();
    let stub = support::repo().join("tests/sandbox/upstream-stub.py");
    let mut body = format!(
        "{}log=$(mktemp)\npython3 {} \"$log\" {} &\nstub=$!\n\
         for _ in $(seq 1 50); do curl -s --max-time 1 http://127.0.0.1:{}/ready >/dev/null && break; sleep 0.1; done\n: > \"$log\"\n",
        start_dns(dir),
        sh(&stub.display().to_string()),
        ports.join(" "),
        ports[0]
    );
    for (i, p) in probes.iter().enumerate() {
        let _ = writeln!(
            body,
            "printf 'RESULT {i} %s\\n' \"$(curl -sk --path-as-is --max-time 5 -o /dev/null -w '%{{http_code}}' -H 'X-Request-ID: probe-{i}' {})\"",
            p.curl
        );
    }
    // Limits: a body over the first route's limit, a burst over a rate limit.
    let server = &edge.servers[0];
    let (scheme, port) = if edge.tls() {
        ("https", 443)
    } else {
        ("http", 80)
    };
    let base = format!(
        "--resolve {d}:{port}:127.0.0.1 {scheme}://{d}",
        d = server.domain
    );
    let route = server.routes.iter().find(|r| !r.exact).unwrap();
    let _ = writeln!(
        body,
        "head -c {} /dev/zero > \"$log.body\"\nprintf 'BODY %s\\n' \"$(curl -sk --max-time 10 -o /dev/null -w '%{{http_code}}' --data-binary @\"$log.body\" {base}{})\"",
        (route.max_body.mib() + 1) * 1024 * 1024,
        sh(&format!("{}big", route.path))
    );
    if let Some(limited) = server.routes.iter().find(|r| r.limit.is_some() && !r.exact) {
        let (zone, burst) = limited.limit.as_ref().unwrap();
        let rate = edge
            .zones
            .iter()
            .find(|z| &z.name == zone)
            .unwrap()
            .per_second;
        // Then wait for the bucket to drain before the next request.
        let _ = writeln!(
            body,
            "for _ in $(seq 1 {}); do curl -sk --max-time 5 -o /dev/null -w '%{{http_code}}\\n' {base}{}; done | sort | uniq -c | sed 's/^/BURST /'\nsleep {}",
            burst + 15,
            sh(&format!("{}burst", limited.path)),
            burst.div_ceil(rate) + 1
        );
    }
    // The apps go away: nginx answers 502, and fast.
    let _ = writeln!(
        body,
        "kill $stub; wait $stub 2>/dev/null || true\nprintf 'DOWN %s\\n' \"$(curl -sk --max-time 10 -o /dev/null -w '%{{http_code}} %{{time_total}}' {base}{})\"\nsed 's/^/LOG /' \"$log\"",
        sh(&format!("{}down", route.path))
    );
    let empty = tempfile::tempdir().unwrap();
    let (ok, out) = with_nginx_conf(dir, conf, empty.path(), &body);
    if !ok {
        return vec![format!("the namespace run failed: {out}")];
    }
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, J> = BTreeMap::new();
    for line in out.lines().filter_map(|l| l.strip_prefix("LOG ")) {
        let entry: J = serde_json::from_str(line).unwrap();
        // Requests of the limit probes carry no probe id: not checked here.
        if let Some(id) = entry["request_id"]
            .as_str()
            .filter(|id| id.starts_with("probe-"))
        {
            seen.insert(id.to_owned(), entry);
        }
    }
    let results: BTreeMap<usize, String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| {
            let (i, code) = l.split_once(' ').unwrap_or((l, ""));
            (i.parse().unwrap(), code.to_owned())
        })
        .collect();
    for (i, p) in probes.iter().enumerate() {
        let code = results.get(&i).map(String::as_str).unwrap_or("none");
        let got = seen.get(&format!("probe-{i}"));
        match (&p.expect, got) {
            (
                Expect::Reaches {
                    port,
                    target,
                    host,
                    proto,
                    upgrade,
                },
                Some(e),
            ) => {
                let mut wrong = Vec::new();
                if e["port"] != *port {
                    wrong.push(format!("port {} not {port}", e["port"]));
                }
                if e["target"] != *target {
                    wrong.push(format!("target {} not {target:?}", e["target"]));
                }
                if e["host"] != *host || e["proto"] != *proto {
                    wrong.push(format!("Host {} / proto {}", e["host"], e["proto"]));
                }
                if *upgrade && e["upgrade"] != "websocket" {
                    wrong.push(format!("Upgrade {} not passed", e["upgrade"]));
                }
                if !wrong.is_empty() || code != "200" {
                    problems.push(format!("{}: {code}, {}", p.what, wrong.join(", ")));
                }
            }
            (Expect::Reaches { .. }, None) => {
                problems.push(format!("{}: never reached its app ({code})", p.what))
            }
            (Expect::Refused(_), Some(e)) => problems.push(format!(
                "{}: reached the app as {} ({code})",
                p.what, e["target"]
            )),
            (Expect::Refused(codes), None) => {
                if !codes.contains(&code) {
                    problems.push(format!("{}: {code}, expected one of {codes:?}", p.what));
                }
            }
        }
    }
    let line = |prefix: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_default()
            .to_owned()
    };
    if line("BODY ") != "413" {
        problems.push(format!(
            "a body over {} got {}",
            route.max_body.docker(),
            line("BODY ")
        ));
    }
    if server.routes.iter().any(|r| r.limit.is_some() && !r.exact)
        && !out
            .lines()
            .any(|l| l.starts_with("BURST ") && l.ends_with(" 429"))
    {
        problems.push("a burst over the rate limit got no 429".into());
    }
    let down = line("DOWN ");
    let (code, seconds) = down.split_once(' ').unwrap_or((&down, "99"));
    if code != "502" || seconds.parse::<f64>().unwrap_or(99.0) > 6.0 {
        problems.push(format!(
            "with the app down: {down} (want a 502 within the 5 s connect timeout)"
        ));
    }
    problems
}

/// Shell lines that start the stand-in for Docker's DNS on 127.0.0.11, naming
/// every compose service and alias 127.0.0.1 (in `$names`, a file the test may
/// change to move a name).
fn start_dns(dir: &Path) -> String {
    let compose = support::yaml(&dir.join("docker-compose.yml"));
    let names = support::nginx::compose_names(&compose).join(" ");
    let dns = support::repo().join("tests/sandbox/dns-stub.py");
    format!(
        "names=$(mktemp)\necho '127.0.0.1 {names}' > \"$names\"\npython3 {} \"$names\" \"$names.ready\" &\n\
         for _ in $(seq 1 100); do [ -e \"$names.ready\" ] && break; sleep 0.05; done\n",
        sh(&dns.display().to_string())
    )
}

fn nginx_dirs() -> Vec<PathBuf> {
    golden_env_dirs()
        .into_iter()
        .filter(|d| d.join("nginx/nginx.conf").is_file())
        .collect()
}

#[test]
fn every_route_reaches_its_app_and_no_blocked_path_does() {
    let dirs = nginx_dirs();
    assert!(dirs.len() >= 5, "{dirs:?}");
    let Some(()) = namespace_tools(&["python3"]) else {
        return;
    };
    for dir in dirs {
        let stack = stack(&dir);
        let conf = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
        let problems = run_checks(&dir, &conf, &stack);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            dir.display(),
            problems.join("\n")
        );
    }
}

#[test]
fn guard_the_old_prefix_rewrite_lets_a_newline_through() {
    let dir = support::repo().join("golden/prod");
    let Some(()) = namespace_tools(&["python3"]) else {
        return;
    };
    let stack = stack(&dir);
    let conf = std::fs::read_to_string(dir.join("nginx/nginx.conf")).unwrap();
    // What the generator wrote before: exact/prefix blocks and a rewrite of the
    // normalized path.
    let old = conf
        .replace(
            "            location ~* ^/api/recommend/admin(?:[^a-z0-9_-]|$) {\n                return 404;\n            }\n",
            "",
        )
        .replace(
            "            rewrite \"(?s)^/api/recommend/(.*)\\z\" /$1 break;",
            "            rewrite ^/api/recommend/(.*)$ /$1 break;",
        )
        .replacen(
            "        location ^~ /api/recommend/ {",
            "        location = /api/recommend/admin {\n            return 404;\n        }\n        location ^~ /api/recommend/admin/ {\n            return 404;\n        }\n        location ^~ /api/recommend/ {",
            1,
        );
    assert_ne!(old, conf);
    let problems = run_checks(&dir, &old, &stack);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("/api/recommend/admin%0A")
                && p.contains("reached the app as \"/admin\"")),
        "{problems:#?}"
    );
}

/// Where a request for the first route of `golden/prod` lands before and after
/// the app's name moves to another address (a recreated container), with nginx
/// running `conf`: the two addresses the app stub saw.
fn follow_a_move(conf: &str) -> (String, String) {
    let dir = support::repo().join("golden/prod");
    let stack = stack(&dir);
    let edge = stack.edge.as_ref().unwrap();
    let server = &edge.servers[0];
    let route = server.routes.iter().find(|r| !r.exact).unwrap();
    let upstream = edge
        .upstreams
        .iter()
        .find(|u| u.service == route.service)
        .unwrap();
    let (host, port) = upstream.address.rsplit_once(':').unwrap();
    let stub = support::repo().join("tests/sandbox/upstream-stub.py");
    let url = format!(
        "--resolve {d}:443:127.0.0.1 https://{d}{}",
        sh(&format!("{}moved", route.path)),
        d = server.domain
    );
    let body = format!(
        "{dns}log=$(mktemp)\n\
         for a in 127.0.0.1 127.0.0.2; do STUB_ADDRESS=$a python3 {stub} \"$log\" {port} & done\n\
         for a in 127.0.0.1 127.0.0.2; do for _ in $(seq 1 50); do curl -s --max-time 1 http://$a:{port}/ready >/dev/null && break; sleep 0.1; done; done\n\
         : > \"$log\"\n\
         curl -sk --max-time 5 -o /dev/null -H 'X-Request-ID: before' {url}\n\
         {{ echo '127.0.0.2 {host}'; cat \"$names\"; }} > \"$names.new\" && mv \"$names.new\" \"$names\"\n\
         sleep 11\n\
         curl -sk --max-time 5 -o /dev/null -H 'X-Request-ID: after' {url}\n\
         sed 's/^/LOG /' \"$log\"\n",
        dns = start_dns(&dir),
        stub = sh(&stub.display().to_string()),
    );
    let empty = tempfile::tempdir().unwrap();
    let (ok, out) = with_nginx_conf(&dir, conf, empty.path(), &body);
    assert!(ok, "{out}");
    let at = |id: &str| {
        out.lines()
            .filter_map(|l| l.strip_prefix("LOG "))
            .filter_map(|l| serde_json::from_str::<J>(l).ok())
            .find(|e| e["request_id"] == id)
            .map(|e| e["address"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| "nowhere".into())
    };
    (at("before"), at("after"))
}

#[test]
fn a_recreated_app_is_found_at_its_new_address() {
    let Some(()) = namespace_tools(&["python3"]) else {
        return;
    };
    let conf =
        std::fs::read_to_string(support::repo().join("golden/prod/nginx/nginx.conf")).unwrap();
    assert_eq!(
        follow_a_move(&conf),
        ("127.0.0.1".into(), "127.0.0.2".into())
    );
}

#[test]
fn guard_a_name_resolved_at_start_stays_at_the_old_address() {
    let Some(()) = namespace_tools(&["python3"]) else {
        return;
    };
    let conf =
        std::fs::read_to_string(support::repo().join("golden/prod/nginx/nginx.conf")).unwrap();
    // proxy_pass with a literal name: nginx resolves it once, at start.
    let mut fixed = String::new();
    let mut address = String::new();
    for line in conf.lines() {
        if let Some(a) = line.trim().strip_prefix("set $futurestack_upstream ") {
            address = a.trim_end_matches(';').to_owned();
        }
        if line.trim() == "proxy_pass http://$futurestack_upstream;" {
            fixed.push_str(&line.replace("$futurestack_upstream", &address));
        } else {
            fixed.push_str(line);
        }
        fixed.push('\n');
    }
    assert_ne!(fixed, conf);
    assert_eq!(
        follow_a_move(&fixed),
        ("127.0.0.1".into(), "127.0.0.1".into())
    );
}
