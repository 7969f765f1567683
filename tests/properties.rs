//! Property tests: whatever a spec says, load → validate → render never panics,
//! and a spec that validates renders files that parse back (YAML, JSON, HCL).

mod support;

use std::path::Path;

use futurestack::load::{self, Sources, to_json_value};
use futurestack::pipeline;
use futurestack::render::Templates;
use proptest::prelude::*;
use serde_json::Value as J;
use support::{One, repo};

/// Runs the whole pipeline on one spec text; panics are what the tests look for.
fn compile(text: &str) -> Option<futurestack::render::Files> {
    let loaded = load::load(
        Path::new("env.yaml"),
        "env.yaml",
        &One(text.to_owned()),
        &mut Sources::default(),
    )
    .ok()?;
    let analysis = pipeline::analyze(&loaded);
    if analysis.has_errors() {
        return None;
    }
    pipeline::render(analysis.stack.as_ref()?, &Templates::default()).ok()
}

fn assert_parses_back(files: &futurestack::render::Files) {
    for (path, text) in files {
        if path.ends_with(".yml") || path.ends_with(".yaml") {
            let parsed: Result<J, _> = serde_saphyr::from_str(text);
            assert!(
                parsed.is_ok(),
                "{path} is not YAML: {:?}\n{text}",
                parsed.err()
            );
        } else if path.ends_with(".json") {
            assert!(
                serde_json::from_str::<J>(text).is_ok(),
                "{path} is not JSON"
            );
        } else if path.ends_with(".tf") {
            assert!(hcl::parse(text).is_ok(), "{path} is not HCL");
        }
    }
}

/// A valid spec as a JSON tree (JSON is YAML): the small embedded-bootstrap case
/// (compose, nginx, ROS, Terraform) with monitoring added.
fn seed() -> J {
    let text = std::fs::read_to_string(
        repo().join("tests/cases/embedded-bootstrap/environments/small.yaml"),
    )
    .unwrap();
    let node = load::yaml::parse(&"small.yaml".into(), &text).unwrap();
    let mut json = to_json_value(&node);
    json["secrets"]["grafana-pw"] = serde_json::json!({"env": "SMALL_GRAFANA_PW"});
    json["monitoring"] = serde_json::json!({"grafana": {"admin_password": "grafana-pw"}});
    json["host"]["bootstrap"] =
        serde_json::json!({"bundle_url": "https://example.com/small.tar.gz"});
    json
}

/// Every path to a value in a tree.
fn paths(value: &J, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        J::Object(map) => map.iter().for_each(|(k, v)| {
            let mut p = at.clone();
            p.push(k.clone());
            paths(v, p, out)
        }),
        J::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let mut p = at.clone();
            p.push(i.to_string());
            paths(v, p, out)
        }),
        _ => {}
    }
}

fn get_mut<'a>(value: &'a mut J, path: &[String]) -> Option<&'a mut J> {
    path.iter().try_fold(value, |v, seg| match v {
        J::Object(map) => map.get_mut(seg),
        J::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

fn hostile() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        (-1e6f64..1e6).prop_map(J::from),
        prop::sample::select(vec![
            "",
            " ",
            "a;b",
            "x}",
            "{",
            "\"quoted\"",
            "'single'",
            "line\nbreak",
            "${HOME}",
            "$$",
            "../../etc/passwd",
            "/api/",
            "8GiB",
            "0MiB",
            "latest",
            "app",
            "redis",
            "edge",
            "cn-hangzhou",
            "ecs.c7.large",
            "%{x}",
            "\\",
            "#comment",
            "- item",
            "null",
            "true",
            "99999999999",
            "ai-recommend",
        ])
        .prop_map(J::from),
        prop::collection::vec(any::<u8>().prop_map(|b| J::from(b as u64)), 0..3).prop_map(J::Array),
        Just(serde_json::json!({})),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, J),
    Remove(usize),
    AddKey(usize, String, J),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), hostile()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), "[a-z_]{1,8}", hostile()).prop_map(|(i, k, v)| Mutation::AddKey(i, k, v)),
    ]
}

fn apply(spec: &mut J, m: &Mutation) {
    let mut all = Vec::new();
    paths(spec, Vec::new(), &mut all);
    match m {
        Mutation::Replace(i, v) => {
            let path = &all[i % all.len()];
            if let Some(slot) = get_mut(spec, path) {
                *slot = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let path = &all[i % all.len()];
            if let Some((last, parent)) = path.split_last() {
                match get_mut(spec, parent) {
                    Some(J::Object(map)) => {
                        map.remove(last);
                    }
                    Some(J::Array(items)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            if i < items.len() {
                                items.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::AddKey(i, key, v) => {
            let path = &all[i % all.len()];
            if let Some(J::Object(map)) = get_mut(spec, path) {
                map.insert(key.clone(), v.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = compile(&text);
    }

    #[test]
    fn arbitrary_yaml_like_text_never_panics(text in "([a-z_]{1,6}: ?(\\[|\\{|[a-z0-9.\"'$;/]{0,8})\n {0,4}){0,12}") {
        let _ = compile(&text);
    }

    #[test]
    fn mutated_specs_never_panic_and_valid_ones_render_parsable_files(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut spec = seed();
        for m in &mutations {
            apply(&mut spec, m);
        }
        let text = serde_json::to_string_pretty(&spec).unwrap();
        if let Some(files) = compile(&text) {
            assert_parses_back(&files);
        }
    }
}

#[test]
fn the_seed_spec_is_valid_and_renders_every_target() {
    let text = serde_json::to_string_pretty(&seed()).unwrap();
    let files = compile(&text).expect("the seed spec is valid");
    for expected in [
        "docker-compose.yml",
        "nginx/nginx.conf",
        "ros/template.yaml",
        "terraform/main.tf",
        "prometheus/prometheus.yml",
    ] {
        assert!(files.contains_key(expected), "{expected}");
    }
    assert_parses_back(&files);
}
