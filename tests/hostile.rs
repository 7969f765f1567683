//! The hostile corpus: every free-text field of the spec × every payload class
//! (command substitution, quotes, newlines, comment closers, template
//! directives, header injection...). Each case is either refused with a clean
//! error at the value's `file:line:column`, or accepted, and then every
//! artifact still parses, no payload makes a key, and none reaches a shell or
//! nginx outside quotes. The class of every case is pinned in
//! `tests/hostile/expected.txt` (`UPDATE_GOLDEN=1` rewrites it, refused in CI).
//!
//! A second set runs the real binary under a memory and CPU cap (`prlimit`) on
//! inputs built to exhaust them.

mod support;

use std::path::Path;

use futurestack::error::{Style, render_diagnostics};
use futurestack::load::{self, ReadSource, Sources, to_json_value};
use futurestack::pipeline;
use futurestack::render::Templates;
use serde_json::{Value as J, json};
use support::artifacts::{MARK, check_artifacts, self_test};
use support::{One, in_ci, repo};

/// Payloads; each carries [`MARK`].
const PAYLOADS: &[(&str, &str)] = &[
    ("subst", "$(touch /tmp/FSPWN)"),
    ("backtick", "`touch FSPWN`"),
    ("single-quote", "a'b;FSPWN"),
    ("double-quote", "x\" ; FSPWN \""),
    ("newline-key", "line\nFSPWN: 1"),
    ("braces", "}; FSPWN {"),
    ("comment-closer", "*/ FSPWN /*"),
    ("dollar-brace", "${FSPWN}"),
    ("tf-directive", "%{ if true }FSPWN%{ endif }"),
    ("crlf-header", "FSPWN\r\nX-Injected: 1"),
    ("cloud-param", "{{FSPWN}}"),
    ("hash-newline", "#FSPWN\nrm -rf /"),
    ("terminal-escape", "\u{1b}]0;FSPWN\u{7}\u{1b}[2J"),
];

/// Where a payload goes: a JSON pointer into the seed and the text put before
/// it, so the value is otherwise well formed (a path starts with `/`, a URL
/// with `https://`).
enum Field {
    Value(&'static str, &'static str),
    /// A new key under the object at the pointer, holding `value`.
    Key(&'static str, fn() -> J),
}

const FIELDS: &[(&str, Field)] = &[
    ("stack", Field::Value("/stack", "")),
    (
        "app.description",
        Field::Value("/services/ai-recommend/description", "AI "),
    ),
    (
        "app.image",
        Field::Value(
            "/services/ai-recommend/image",
            "registry.example.com/a:1.0.0",
        ),
    ),
    (
        "app.env.value",
        Field::Value("/services/ai-recommend/env/LOG_LEVEL", "info"),
    ),
    (
        "app.env.key",
        Field::Key("/services/ai-recommend/env", || json!("1")),
    ),
    (
        "app.route.path",
        Field::Value("/services/ai-recommend/routes/api/path", "/api/x"),
    ),
    (
        "app.health.http",
        Field::Value("/services/ai-recommend/healthcheck/http", "/health"),
    ),
    (
        "worker.command",
        Field::Value("/services/worker/command/4", "--concurrency=2"),
    ),
    (
        "worker.health.command",
        Field::Value("/services/worker/healthcheck/command/6", "5"),
    ),
    (
        "mysql.user",
        Field::Value("/services/mysql/user", "future_user"),
    ),
    (
        "mysql.database",
        Field::Value("/services/mysql/database", "future_users"),
    ),
    (
        "external.description",
        Field::Value("/services/weaviate/description", "vectors"),
    ),
    (
        "service.name",
        Field::Key(
            "/services",
            || json!({"kind": "external", "networks": ["production"], "ports": {"http": {"host": 9999}}}),
        ),
    ),
    (
        "network.description",
        Field::Value("/networks/future-edge/description", "apps"),
    ),
    (
        "network.external",
        Field::Value("/networks/production/external", "production_net"),
    ),
    (
        "group.description",
        Field::Value("/groups/ai-recommend/description", "AI"),
    ),
    (
        "secret.env",
        Field::Value("/secrets/mysql-password/env", "FUTURE_X"),
    ),
    (
        "secret.description",
        Field::Value("/secrets/mysql-password/description", "password"),
    ),
    (
        "edge.domain",
        Field::Value("/edge/domains/0", "future.example.com"),
    ),
    (
        "edge.certificate",
        Field::Value("/edge/tls/certificate", "/etc/ssl/future/cert.pem"),
    ),
    (
        "email.to",
        Field::Value("/monitoring/receivers/ops-email/to", "ops@example.com"),
    ),
    (
        "email.smarthost",
        Field::Value(
            "/monitoring/receivers/ops-email/smarthost",
            "smtp.example.com:465",
        ),
    ),
    (
        "rule.summary",
        Field::Value("/monitoring/rules/Custom/summary", "custom"),
    ),
    (
        "rule.description",
        Field::Value("/monitoring/rules/Custom/description", "custom"),
    ),
    (
        "rule.expr",
        Field::Value("/monitoring/rules/Custom/expr", "up == 0"),
    ),
    (
        "rule.name",
        Field::Key(
            "/monitoring/rules",
            || json!({"expr": "up == 0", "for": "5m", "severity": "warning", "summary": "s", "description": "d"}),
        ),
    ),
    ("host.region", Field::Value("/host/region", "cn-hangzhou")),
    (
        "host.bundle_url",
        Field::Value(
            "/host/bootstrap/bundle_url",
            "https://example.com/b.tar.gz?",
        ),
    ),
];

struct Repo;
impl ReadSource for Repo {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(repo().join(path))
    }
}

/// The shipped prod spec, merged, with a worker (command and command health
/// check), an explicit HTTP health check and a custom alert rule added, so
/// every free-text field exists.
fn seed() -> J {
    let path = "environments/prod.yaml";
    let loaded = load::load(Path::new(path), path, &Repo, &mut Sources::default()).unwrap();
    let mut spec = to_json_value(&loaded.tree);
    spec["services"]["worker"] = json!({
        "kind": "app",
        "image": "registry.example.com/future/shared:1.0.0",
        "command": ["celery", "-A", "shared.sync", "worker", "--concurrency=2"],
        "healthcheck": {"command": ["celery", "-A", "shared.sync", "inspect", "ping", "--timeout", "5"]},
        "uses": ["redis"],
        "resources": {"cpus": 0.1, "memory": "64MiB"},
    });
    spec["services"]["ai-recommend"]["healthcheck"] = json!({"http": "/health"});
    spec["monitoring"]["rules"] = json!({"Custom": {
        "expr": "up == 0", "for": "5m", "severity": "warning",
        "summary": "custom", "description": "custom",
    }});
    spec
}

/// What happened to one spec: its class line, and the files when accepted.
fn classify(spec: &J, payload: &str, key_payload: bool) -> String {
    let text = serde_json::to_string_pretty(spec).unwrap();
    let file = "environments/prod.yaml";
    let mut sources = Sources::default();
    let loaded = match load::load(Path::new(file), file, &One(text), &mut sources) {
        Ok(l) => l,
        Err(diags) => return error_class(&diags, &sources),
    };
    let analysis = pipeline::analyze(&loaded);
    if analysis.has_errors() {
        return error_class(&analysis.diagnostics, &sources);
    }
    let stack = analysis.stack.expect("a model without errors");
    let files = match pipeline::render(&stack, &Templates::default()) {
        Ok(files) => files,
        Err(err) => {
            return format!(
                "BUG: valid, but rendering failed: {}",
                futurestack::error::render_error(&err, Style::Plain)
            );
        }
    };
    match check_artifacts(&files, &[payload], key_payload) {
        Ok(()) => "accepted; artifacts parse, payload quoted".to_owned(),
        Err(problem) => format!("BUG: {problem}"),
    }
}

/// The first error's header line with its position (`@ line:column`).
fn error_class(diags: &[futurestack::error::Diagnostic], sources: &Sources) -> String {
    let first = diags.iter().find(|d| d.is_error()).expect("an error");
    let rendered = render_diagnostics(std::slice::from_ref(first), sources, Style::Plain);
    let header = rendered.lines().next().unwrap_or_default().to_owned();
    match &first.origin {
        Some(o) => format!("{header} @ {}:{}", o.line, o.column),
        None => format!("{header} @ no position"),
    }
}

fn run_case(seed: &J, field: &Field, payload: &str) -> String {
    let mut spec = seed.clone();
    match field {
        Field::Value(pointer, prefix) => {
            let slot = spec
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer} in the seed"));
            *slot = J::from(format!("{prefix}{payload}"));
            classify(&spec, payload, false)
        }
        Field::Key(pointer, value) => {
            let map = spec
                .pointer_mut(pointer)
                .and_then(J::as_object_mut)
                .unwrap();
            map.insert(payload.to_owned(), value());
            classify(&spec, payload, true)
        }
    }
}

#[test]
fn the_artifact_checks_catch_what_they_look_for() {
    self_test();
}

#[test]
fn the_seed_is_valid() {
    // Guard: the corpus would prove nothing if the seed itself were refused.
    let class = classify(&seed(), MARK, false);
    assert_eq!(class, "accepted; artifacts parse, payload quoted");
}

#[test]
fn every_hostile_case_is_refused_cleanly_or_quoted() {
    let seed = seed();
    let mut lines = Vec::new();
    let mut bugs = Vec::new();
    for (field_name, field) in FIELDS {
        for (payload_name, payload) in PAYLOADS {
            let class = run_case(&seed, field, payload);
            if class.starts_with("BUG") || class.ends_with("@ no position") {
                bugs.push(format!("{field_name} × {payload_name}: {class}"));
            }
            lines.push(format!("{field_name} × {payload_name} => {class}"));
        }
    }
    assert!(lines.len() >= 100, "the corpus has {} cases", lines.len());
    assert!(
        bugs.is_empty(),
        "{} cases fail:\n{}",
        bugs.len(),
        bugs.join("\n")
    );
    let actual = lines.join("\n") + "\n";
    let expected_path = repo().join("tests/hostile/expected.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        assert!(!in_ci(), "UPDATE_GOLDEN is refused under CI=true");
        std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
        std::fs::write(&expected_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .expect("tests/hostile/expected.txt: run with UPDATE_GOLDEN=1 to create it");
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .header("expected.txt", "actual")
            .to_string();
        panic!("hostile corpus classes changed:\n{diff}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Random text around the marker, in a random free-text field: refused with
    /// a position, or accepted with every artifact intact and the text quoted.
    #[test]
    fn random_text_in_any_free_text_field_is_refused_or_quoted(
        field in 0..FIELDS.len(),
        before in "[ -~\n\r\t\u{a0}-\u{2fff}]{0,16}",
        after in "[ -~\n\r\t]{0,16}",
    ) {
        let payload = format!("{before}{MARK}{after}");
        let class = run_case(&SEED.with(J::clone), &FIELDS[field].1, &payload);
        proptest::prop_assert!(
            !class.starts_with("BUG") && !class.ends_with("@ no position"),
            "{} × {payload:?}: {class}",
            FIELDS[field].0
        );
    }
}

thread_local! {
    static SEED: J = seed();
}

/// Runs the real binary on `project` under `prlimit`: 1 GiB of address space
/// and 60 s of CPU. Returns the exit code (None: killed by a signal) and stderr.
fn capped(project: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new("prlimit")
        .args(["--as=1073741824", "--cpu=60", "--"])
        .arg(env!("CARGO_BIN_EXE_futurestack"))
        .arg("-C")
        .arg(project)
        .args(args)
        .output()
        .expect("prlimit (util-linux) runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn spec_project(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn exhausting_inputs_end_cleanly_under_a_memory_and_cpu_cap() {
    let base = std::fs::read_to_string(repo().join("environments/base.yaml")).unwrap();
    let prod = std::fs::read_to_string(repo().join("environments/prod.yaml")).unwrap();
    let prices = std::fs::read_to_string(repo().join("prices/example.yaml")).unwrap();
    let with_base = |base: String| {
        spec_project(&[
            ("environments/base.yaml", base),
            ("environments/prod.yaml", prod.clone()),
            ("prices/example.yaml", prices.clone()),
        ])
    };
    let mut bomb = String::from("stack: s\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let unknown: Vec<String> = (0..10_000).map(|i| format!("ghost{i}")).collect();
    let cases: Vec<(&str, tempfile::TempDir, Vec<&str>, i32)> = vec![
        (
            "3 MiB name",
            with_base(base.replacen(
                "uses: [mysql, redis]",
                &format!("uses: [mysql, redis, {}]", "n".repeat(3 << 20)),
                1,
            )),
            vec!["validate"],
            1,
        ),
        (
            "10 000 unknown names",
            with_base(base.replacen(
                "uses: [mysql, redis]",
                &format!("uses: [mysql, redis, {}]", unknown.join(", ")),
                1,
            )),
            vec!["validate"],
            1,
        ),
        (
            "10 000 duplicate uses",
            with_base(base.replacen(
                "uses: [mysql, redis]",
                &format!("uses: [{}]", vec!["mysql"; 10_000].join(", ")),
                1,
            )),
            vec!["validate"],
            1,
        ),
        (
            "alias bomb",
            spec_project(&[("environments/a.yaml", bomb)]),
            vec!["validate"],
            1,
        ),
        (
            "deep nesting",
            spec_project(&[(
                "environments/a.yaml",
                format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            )]),
            vec!["validate"],
            1,
        ),
        (
            "extends /dev/zero",
            spec_project(&[("environments/a.yaml", "extends: z.yaml\n".to_owned())]),
            vec!["validate", "--allow-outside-root"],
            1,
        ),
        (
            "template loop",
            {
                let dir = with_base(base.clone());
                std::fs::create_dir_all(dir.path().join("t/overview")).unwrap();
                std::fs::write(dir.path().join("t/overview/STACK.md.j2"), "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}").unwrap();
                dir
            },
            vec!["generate", "--templates", "t"],
            2,
        ),
        (
            "template doubling",
            {
                let dir = with_base(base.clone());
                std::fs::create_dir_all(dir.path().join("t/overview")).unwrap();
                std::fs::write(
                    dir.path().join("t/overview/STACK.md.j2"),
                    "{% for a in range(1000) %}{{ 'x' * 100000000 }}{% endfor %}",
                )
                .unwrap();
                dir
            },
            vec!["generate", "--templates", "t"],
            2,
        ),
    ];
    let zero = cases[5].1.path().join("environments/z.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for (name, dir, args, expected) in &cases {
        let (code, stderr) = capped(dir.path(), args);
        assert_eq!(code, Some(*expected), "{name}: {stderr}");
        // At most `MAX_SHOWN` diagnostics of at most a few hundred bytes each.
        assert!(
            stderr.len() < 256 * 1024,
            "{name}: {} bytes on stderr",
            stderr.len()
        );
        assert!(
            stderr.starts_with("error"),
            "{name}: {}",
            &stderr[..stderr.len().min(500)]
        );
        if *name == "10 000 unknown names" {
            // Bounded text, but the count is whole.
            assert!(stderr.contains("... and 9800 more not shown here; `futurestack validate --format json` lists every one"), "{name}");
            assert!(
                stderr.ends_with("10000 errors found; nothing was written\n"),
                "{name}"
            );
        }
    }
}
