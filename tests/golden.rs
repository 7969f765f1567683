//! Golden tests: one named test per case, discovered at run time.
//!
//! A case is a project folder: the shipped project itself (`shipped`) and every
//! folder under `tests/cases/`. A case with a `golden/` folder must pass
//! `futurestack check` (the same code path users and CI run). A case named
//! `err_*` must fail, and its stderr must match `expected.txt`; nothing may be
//! written. A case's `args` file adds arguments (`--deny-warnings` for cases
//! whose problems are warnings). `UPDATE_GOLDEN=1` regenerates instead, and
//! refuses to run in CI.

mod support;

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use support::{in_ci, repo, run_in, snapshot};

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

fn cases() -> Vec<(String, PathBuf)> {
    let mut cases = vec![("shipped".to_owned(), repo())];
    let dir = repo().join("tests/cases");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    found.sort();
    cases.extend(found);
    cases
}

fn golden_case(dir: &Path) -> Result<(), Failed> {
    if updating() {
        let out = run_in(dir, &["generate"]);
        if out.code != 0 {
            return Err(format!("generate failed ({}):\n{}", out.code, out.stderr).into());
        }
        return Ok(());
    }
    if !dir.join("golden").is_dir() {
        return Err("no golden/ folder: run with UPDATE_GOLDEN=1 to create it".into());
    }
    let out = run_in(dir, &["check"]);
    if out.code != 0 {
        return Err(format!(
            "check failed ({}); if the change is intended, run UPDATE_GOLDEN=1 cargo test --test golden and review the diff\n{}{}",
            out.code, out.stdout, out.stderr
        )
        .into());
    }
    if !out.stderr.is_empty() {
        return Err(format!("check printed warnings for a golden case:\n{}", out.stderr).into());
    }
    Ok(())
}

/// Extra arguments of a case (`args` file: one line, split on spaces), for
/// example `--deny-warnings` for cases whose problems are warnings.
fn case_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|t| t.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn error_case(dir: &Path) -> Result<(), Failed> {
    let before = snapshot(dir);
    let mut args = vec!["generate".to_owned()];
    args.extend(case_args(dir));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_in(dir, &args);
    let after = snapshot(dir);
    if before != after {
        return Err("an invalid spec must not write anything, but files changed".into());
    }
    if out.code != 1 {
        return Err(format!(
            "expected exit code 1, got {}\nstderr:\n{}",
            out.code, out.stderr
        )
        .into());
    }
    if !out.stdout.is_empty() {
        return Err(format!("expected no stdout, got:\n{}", out.stdout).into());
    }
    // Parity: `validate` finds exactly what `generate` refuses (FS160 included).
    let mut validate_args = vec!["validate".to_owned()];
    validate_args.extend(case_args(dir));
    let validate_args: Vec<&str> = validate_args.iter().map(String::as_str).collect();
    let validated = run_in(dir, &validate_args);
    if (validated.code, &validated.stderr) != (out.code, &out.stderr) {
        return Err(format!(
            "`validate` differs from `generate`: exit {} vs {}\nvalidate:\n{}\ngenerate:\n{}",
            validated.code, out.code, validated.stderr, out.stderr
        )
        .into());
    }
    let actual = format!("exit code: {}\n{}", out.code, out.stderr);
    let expected_path = dir.join("expected.txt");
    if updating() {
        std::fs::write(&expected_path, &actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).map_err(|_| {
        format!(
            "missing {}: run with UPDATE_GOLDEN=1 to create it",
            expected_path.display()
        )
    })?;
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .header("expected.txt", "actual")
            .to_string();
        return Err(format!("diagnostics differ from expected.txt:\n{diff}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    if updating() && in_ci() {
        eprintln!(
            "UPDATE_GOLDEN=1 refuses to run in CI (CI is set): golden files are reviewed, not regenerated, there"
        );
        std::process::exit(2);
    }
    let trials = cases()
        .into_iter()
        .map(|(name, dir)| {
            let is_error = name.starts_with("err_");
            Trial::test(name, move || {
                if is_error {
                    error_case(&dir)
                } else {
                    golden_case(&dir)
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
