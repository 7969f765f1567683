//! Reading is bounded: `extends` reads only regular `.yaml` files inside the
//! project, of a capped size; diagnostics never echo a huge value or a file that
//! is not a spec.

mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use support::{run_in, shipped_copy};

fn project_with(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("environments")).unwrap();
    fs::write(dir.path().join("environments/dev.yaml"), spec).unwrap();
    dir
}

/// Runs `validate` and returns the first line of stderr, checking the run is a
/// clean failure (exit 1, bounded output).
fn first_error(dir: &Path) -> String {
    let out = run_in(dir, &["validate"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.len() < 8 * 1024,
        "{} bytes on stderr",
        out.stderr.len()
    );
    out.stderr.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn extends_refuses_files_outside_the_project() {
    for target in [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "/proc/self/environ",
    ] {
        let dir = project_with(&format!("extends: {target}\n"));
        let out = run_in(dir.path(), &["validate"]);
        assert_eq!(out.code, 1, "{target}: {}", out.stderr);
        // Not a spec file name: refused before anything is read.
        assert!(
            out.stderr
                .contains("`extends` must name a spec file ending in `.yaml`"),
            "{target}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("root:"), "{}", out.stderr);
    }
}

#[test]
fn a_link_to_a_file_outside_the_project_is_refused_unless_allowed() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    fs::write(&secret, "stack: [SECRET-TOKEN-LINE\n").unwrap();
    let dir = project_with("extends: base.yaml\n");
    symlink(&secret, dir.path().join("environments/base.yaml")).unwrap();

    let line = first_error(dir.path());
    assert_eq!(
        line,
        "error[FS002]: cannot read `environments/base.yaml`, named by `extends`: it is outside the project root (pass `--allow-outside-root` if that is intended)"
    );
    let out = run_in(dir.path(), &["validate"]);
    assert!(!out.stderr.contains("SECRET-TOKEN"), "{}", out.stderr);

    // Guard: with the flag, the file is read (and its parse error shown).
    let allowed = run_in(dir.path(), &["validate", "--allow-outside-root"]);
    assert!(
        allowed.stderr.contains("SECRET-TOKEN"),
        "{}",
        allowed.stderr
    );
}

#[test]
fn an_environment_spec_that_links_outside_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("x.yaml"), "PRIVATE: [\n").unwrap();
    let dir = project_with("stack: s\n");
    symlink(
        outside.path().join("x.yaml"),
        dir.path().join("environments/prod.yaml"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["validate"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("cannot read `environments/prod.yaml`: it is outside the project root"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("PRIVATE"), "{}", out.stderr);
}

#[test]
fn devices_fifos_and_folders_are_not_read() {
    let dir = project_with("extends: base.yaml\n");
    let base = dir.path().join("environments/base.yaml");

    symlink("/dev/zero", &base).unwrap();
    // `/dev/zero` is outside the root; with the flag it is still not a regular file.
    let out = run_in(dir.path(), &["validate", "--allow-outside-root"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("it is not a regular file"),
        "{}",
        out.stderr
    );
    fs::remove_file(&base).unwrap();

    let status = std::process::Command::new("mkfifo")
        .arg(&base)
        .status()
        .unwrap();
    assert!(status.success());
    let line = first_error(dir.path());
    assert!(line.contains("it is not a regular file"), "{line}");
    fs::remove_file(&base).unwrap();

    fs::create_dir(&base).unwrap();
    let line = first_error(dir.path());
    assert!(line.contains("it is not a regular file"), "{line}");
}

#[test]
fn an_oversized_spec_is_refused_with_the_limit() {
    let dir = project_with("extends: base.yaml\n");
    let big = "# padding\n".repeat(500_000); // 5 MB
    fs::write(dir.path().join("environments/base.yaml"), big).unwrap();
    let line = first_error(dir.path());
    assert!(
        line.contains("more than the 4194304-byte limit for a spec file; split it with `extends`"),
        "{line}"
    );
}

#[test]
fn a_huge_name_is_not_echoed_whole() {
    let name = "n".repeat(3 * 1024 * 1024);
    let dir = shipped_copy();
    let base = dir.path().join("environments/base.yaml");
    let spec = fs::read_to_string(&base).unwrap().replacen(
        "uses: [mysql, redis]",
        &format!("uses: [mysql, redis, {name}]"),
        1,
    );
    fs::write(&base, spec).unwrap();
    let out = run_in(dir.path(), &["validate"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.len() < 64 * 1024,
        "{} bytes on stderr",
        out.stderr.len()
    );
    assert!(
        out.stderr.contains("(cut: "),
        "{}",
        &out.stderr[..2000.min(out.stderr.len())]
    );
}

#[test]
fn a_snippet_of_a_long_line_is_cut_but_keeps_the_real_column() {
    // 150 unknown names on one 1.5 KB line: every diagnostic shows a window of
    // the line, and its header the real column.
    let names: Vec<String> = (0..150).map(|i| format!("ghost{i}")).collect();
    let dir = shipped_copy();
    let base = dir.path().join("environments/base.yaml");
    let text = fs::read_to_string(&base).unwrap();
    let line_no = text
        .lines()
        .position(|l| l.contains("uses: [mysql, redis]"))
        .unwrap()
        + 1;
    let replaced = text.replacen(
        "uses: [mysql, redis]",
        &format!("uses: [mysql, redis, {}]", names.join(", ")),
        1,
    );
    fs::write(&base, &replaced).unwrap();
    let line = replaced.lines().nth(line_no - 1).unwrap();
    let column = line.find("ghost149").unwrap() + 1;

    let out = run_in(dir.path(), &["validate"]);
    assert_eq!(out.code, 1);
    let header = format!("--> environments/base.yaml:{line_no}:{column}\n");
    assert!(out.stderr.contains(&header), "no `{header}`");
    // Each snippet line is a window, not the whole line.
    let widest = out.stderr.lines().map(str::len).max().unwrap();
    assert!(widest < 400, "a line of {widest} bytes");
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains(" | ...") && l.ends_with("ghost148, ghost149]")),
        "window with a cut mark"
    );
}

/// A project with one template override, and the outcome of `generate` with it.
fn generate_with_override(name: &str, text: &str) -> (tempfile::TempDir, support::Outcome) {
    let dir = shipped_copy();
    let path = dir.path().join("overrides").join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    let out = run_in(dir.path(), &["generate", "--templates", "overrides"]);
    (dir, out)
}

#[test]
fn an_identical_override_renders_within_the_fuel_budget() {
    // Guard for the two tests below: fuel and the output cap leave the real
    // templates room.
    let embedded = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/compose/docker-compose.yml.j2"),
    )
    .unwrap();
    let (_dir, out) = generate_with_override("compose/docker-compose.yml.j2", &embedded);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn an_override_that_never_ends_runs_out_of_fuel() {
    let (dir, out) = generate_with_override(
        "overview/STACK.md.j2",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: template `overview/STACK.md.j2` failed to render: ")
            && out.stderr.contains("fuel"),
        "{}",
        out.stderr
    );
    // Nothing was written.
    assert!(
        fs::read_to_string(dir.path().join("golden/prod/STACK.md"))
            .unwrap()
            .contains("Generated by futurestack")
    );
}

#[test]
fn an_override_with_huge_output_is_stopped() {
    let (_dir, out) = generate_with_override(
        "overview/STACK.md.j2",
        "{% for a in range(10) %}{{ 'x' * 10000000 }}{% endfor %}\n",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("larger than 67108864 bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_override_may_not_be_a_link_outside_the_project() {
    let dir = shipped_copy();
    fs::create_dir_all(dir.path().join("overrides/overview")).unwrap();
    symlink(
        "/etc/hostname",
        dir.path().join("overrides/overview/STACK.md.j2"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["generate", "--templates", "overrides"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("outside the project root"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_yaml_budget_names_its_limit_and_how_to_raise_it() {
    // 300 000 values from a 7 KB file: only aliases get past one value per
    // two bytes.
    let values = vec!["1"; 1_000].join(",");
    let uses = vec!["*a"; 300].join(",");
    let dir = project_with(&format!("stack: s\nv: &a [{values}]\nx: [{uses}]\n"));
    assert_eq!(
        first_error(dir.path()),
        "error[FS001]: the YAML has more than 250000 values (aliases counted each time they are used): the parser's budget"
    );
    let out = run_in(dir.path(), &["validate"]);
    assert!(out.stderr.contains("help: split the spec with `extends`, expand fewer aliases, or raise the budget with `--yaml-max-nodes 500000`"), "{}", out.stderr);
    // Guard: the flag raises it (the spec then fails on its content instead).
    let raised = run_in(dir.path(), &["validate", "--yaml-max-nodes", "500000"]);
    assert!(
        !raised.stderr.contains("parser's budget"),
        "{}",
        raised.stderr
    );
    assert!(
        raised.stderr.contains("missing key `host`") || raised.stderr.contains("unknown key"),
        "{}",
        raised.stderr
    );
}

#[test]
fn a_large_spec_without_aliases_is_within_the_budget() {
    // 300 000 values written out (a 10 000-service spec has as many): the
    // budget grows with the file.
    let values = vec!["1"; 300_000].join(",");
    let dir = project_with(&format!("stack: s\nx: [{values}]\n"));
    let line = first_error(dir.path());
    assert!(!line.contains("budget"), "{line}");
}

#[test]
fn long_keys_over_many_values_do_not_multiply_into_memory() {
    // An 8000-character key above 150 000 values: each value's position
    // would repeat the key (1.6 GB); positions past a budget are not kept.
    let key = "k".repeat(8_000);
    let values = vec!["1"; 150_000].join(",");
    let dir = project_with(&format!(
        "stack: s\njunk:\n  ? {key}\n  : image: [{values}]\n"
    ));
    let line = first_error(dir.path());
    assert!(line.starts_with("error["), "{line}");
}

#[test]
fn an_overlay_of_thousands_of_keys_stays_linear() {
    // 3 000 `null`s that remove nothing and 3 000 new keys, against a base
    // of 3 000: each is compared with the base's keys a bounded number of times.
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    fs::create_dir_all(&envs).unwrap();
    let base: String = (0..3_000).map(|i| format!("  j{i}: 1\n")).collect();
    let overlay: String = (0..3_000)
        .map(|i| format!("  x{i}: null\n  y{i}: 1\n"))
        .collect();
    fs::write(
        envs.join("base.yaml"),
        format!("abstract: true\nstack: s\njunk:\n{base}"),
    )
    .unwrap();
    fs::write(
        envs.join("dev.yaml"),
        format!("extends: base.yaml\njunk:\n{overlay}"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("`junk.x0: null` removes nothing"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_merge_key_in_every_service_is_not_an_alias_bomb() {
    // One anchor, 150 aliases (`<<: *d`): past serde-saphyr's ten-to-one
    // ratio heuristic, well inside the node budget.
    let mut spec =
        String::from("stack: s\nx-d: &d {kind: app, image: example/a:1.0.0}\nservices:\n");
    for i in 0..150 {
        spec.push_str(&format!("  s{i}:\n    <<: *d\n"));
    }
    let dir = project_with(&spec);
    let line = first_error(dir.path());
    assert!(!line.contains("budget"), "{line}");
}

#[test]
fn an_alias_bomb_and_deep_nesting_are_refused_cleanly() {
    let mut bomb = String::from("stack: s\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let dir = project_with(&bomb);
    let line = first_error(dir.path());
    assert!(line.starts_with("error[FS001]: the YAML "), "{line}");

    let deep = format!("stack: s\nx: {}{}\n", "[".repeat(5_000), "]".repeat(5_000));
    let dir = project_with(&deep);
    assert_eq!(
        first_error(dir.path()),
        "error[FS001]: the YAML nests too deeply (the parser's limit is 64 levels)"
    );
}

#[test]
fn banners_never_carry_a_raw_path() {
    // `--environments` names a folder whose name holds a newline, a comment
    // closer, a command substitution and a Terraform template directive.
    let hostile = "env$(touch PWNED)%{x}\n/*\n*/`id`";
    let dir = shipped_copy();
    let envs = dir.path().join(hostile);
    fs::create_dir_all(&envs).unwrap();
    for entry in fs::read_dir(dir.path().join("environments")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), envs.join(entry.file_name())).unwrap();
    }
    // `cost.prices` is relative to the spec: `../prices/` next to the folder.
    support::copy_dir(
        &dir.path().join("prices"),
        &envs.parent().unwrap().join("prices"),
    );
    let out = run_in(
        dir.path(),
        &["generate", "--environments", hostile, "--out", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut checked = 0;
    for (path, bytes) in support::snapshot(&dir.path().join("out")) {
        let text = String::from_utf8(bytes).unwrap();
        for needle in ["$(touch", "%{x}", "`id`", "*/`"] {
            assert!(
                !text.contains(needle),
                "{} holds `{needle}`",
                path.display()
            );
        }
        if text.contains("Generated by futurestack from env__touch_PWNED___x__/___/_id_/") {
            checked += 1;
        }
    }
    assert!(
        checked > 20,
        "banners name the sanitized path ({checked} files)"
    );
}

#[test]
fn a_named_file_that_is_not_a_spec_is_not_read() {
    let dir = project_with("stack: s\n");
    fs::write(dir.path().join("secrets.env"), "TOKEN=SECRET-VALUE\n").unwrap();
    let out = run_in(dir.path(), &["validate", "secrets.env"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "error: `secrets.env` is not a spec file: spec files end in `.yaml` or `.yml`\n"
    );
}

#[test]
fn a_crlf_spec_shows_clean_snippets() {
    let dir = project_with("stack: Bad_Name\r\nhost: {}\r\n");
    let out = run_in(dir.path(), &["validate"]);
    assert_eq!(out.code, 1);
    assert!(
        !out.stderr.contains('\r') && !out.stderr.contains('␍'),
        "{:?}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 | stack: Bad_Name\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_long_extends_chain_ends_with_an_error_not_a_crash() {
    // Each level of `extends` is a recursion: thousands of files overflowed
    // the stack before the depth was bounded.
    let dir = extends_chain(3_000);
    let out = run_in(dir.path(), &["validate", "--env", "b0"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error[FS002]: `extends` goes deeper than 16 files"),
        "{}",
        &out.stderr[..out.stderr.len().min(400)]
    );
    // Guard: a chain within the bound is followed to its end.
    let short = extends_chain(5);
    let out = run_in(short.path(), &["validate", "--env", "b0"]);
    assert!(!out.stderr.contains("goes deeper"), "{}", out.stderr);
    assert!(out.stderr.contains("missing key `host`"), "{}", out.stderr);
}

/// A project whose `b0.yaml` extends `b1.yaml`, and so on to `b<n-1>.yaml`.
fn extends_chain(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    fs::create_dir(&envs).unwrap();
    for i in 0..n {
        let text = if i + 1 < n {
            let abstract_ = if i > 0 { "abstract: true\n" } else { "" };
            format!("{abstract_}extends: b{}.yaml\n", i + 1)
        } else {
            "abstract: true\nstack: s\n".to_owned()
        };
        fs::write(envs.join(format!("b{i}.yaml")), text).unwrap();
    }
    dir
}

#[test]
fn control_characters_never_reach_the_terminal() {
    // From the command line, and from a file name planted in the output folder.
    let dir = shipped_copy();
    let out = run_in(dir.path(), &["validate", "--env", "x\u{1b}[2Jy"]);
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(out.stderr.contains("x\\u{1b}[2Jy"), "{}", out.stderr);
    fs::write(dir.path().join("golden/prod/\u{1b}]0;pwn\u{7}"), "x").unwrap();
    let check = run_in(dir.path(), &["check"]);
    assert!(
        !check.stdout.contains('\u{1b}') && !check.stdout.contains('\u{7}'),
        "{:?}",
        check.stdout
    );
    assert!(
        check.stdout.contains("\\u{1b}]0;pwn\\u{7}"),
        "{}",
        check.stdout
    );
}
