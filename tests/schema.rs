//! The committed JSON Schema is what the types generate, and every spec file
//! (overlays included) validates against it and points editors at it.

mod support;

use std::path::{Path, PathBuf};

use futurestack::load::{to_json_value, yaml};
use support::repo;

fn spec_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![repo().join("environments")];
    for case in std::fs::read_dir(repo().join("tests/cases")).unwrap() {
        let case = case.unwrap().path();
        if !case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("err_")
        {
            dirs.push(case.join("environments"));
        }
    }
    for dir in dirs {
        for entry in std::fs::read_dir(dir).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

#[test]
fn committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(repo().join("schema/futurestack.schema.json")).unwrap();
    assert!(
        committed == futurestack::schema::editor_schema_text(),
        "schema/futurestack.schema.json is stale: run `cargo run -- schema`"
    );
}

#[test]
fn every_spec_file_validates_against_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/futurestack.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let files = spec_files();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let schema_ref = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} must start with the schema comment", file.display()));
        let target = file.parent().unwrap().join(schema_ref);
        assert_eq!(
            std::fs::canonicalize(&target).unwrap(),
            std::fs::canonicalize(repo().join("schema/futurestack.schema.json")).unwrap(),
            "{}: $schema does not point at the committed schema",
            file.display()
        );
        let node = yaml::parse(&file.display().to_string().into(), &text).unwrap();
        let json = to_json_value(&node);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    }
}

#[test]
fn editor_schema_rejects_what_the_tool_rejects() {
    // The relaxed schema still catches typos and wrong types in any file.
    let schema: serde_json::Value =
        serde_json::from_str(&futurestack::schema::editor_schema_text()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    for bad in [
        "services: {api: {prots: {}}}",
        "services: {api: {kind: memcached}}",
        "host: {memory: 8G}",
        "services: {api: {uses: redis}}",
    ] {
        let node = yaml::parse(&Path::new("x.yaml").display().to_string().into(), bad).unwrap();
        let json = to_json_value(&node);
        assert!(!validator.is_valid(&json), "{bad} should be rejected");
    }
    let node = yaml::parse(
        &"x.yaml".into(),
        "services: {redis: null}\nextends: base.yaml\n",
    )
    .unwrap();
    assert!(
        validator.is_valid(&to_json_value(&node)),
        "null removes a key in overlays"
    );
}
