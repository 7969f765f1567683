//! Digest pins: an image written `name@sha256:<digest>` or
//! `name:tag@sha256:<digest>` is accepted, kept byte for byte in the compose
//! file, raises no tag warning (FS109), and is still judged by its tag's
//! release line when it has one (FS175/FS176). In production, an image
//! pinned by tag only is FS178 (a warning) unless the spec says why.

mod support;

use futurestack::load::{self, Sources};
use futurestack::pipeline;
use support::{One, yaml};

const DIGEST: &str = "sha256:9b1f6c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

fn spec(redis_image: &str, tier: &str) -> String {
    format!(
        r#"
stack: pin
tier: {tier}
accept_unpinned_images: null
host: {{provider: alicloud, region: cn-hangzhou, instance_type: ecs.c7.xlarge, vcpus: 4, memory: 8GiB, disk: 40GiB,
       bootstrap: {{bundle_url: https://example.com/pin.tar.gz}}}}
networks:
  app: {{default_for: [apps, data]}}
secrets:
  redis: {{env: PIN_REDIS}}
services:
  cache:
    kind: redis
    image: "{redis_image}"
    secrets: {{password: redis}}
"#
    )
}

/// The codes of what `validate` reports for a spec, and whether it is valid.
fn codes(text: &str) -> (bool, Vec<&'static str>) {
    let path = "environments/pin.yaml";
    let loaded = load::load(
        std::path::Path::new(path),
        path,
        &One(text.to_owned()),
        &mut Sources::default(),
    )
    .unwrap();
    let analysis = pipeline::analyze(&loaded);
    let stacks: Vec<_> = analysis.stack.into_iter().collect();
    let mut diags = analysis.diagnostics;
    diags.extend(futurestack::validate::lifecycle::check(
        &stacks,
        "2026-11-29",
    ));
    (
        !diags.iter().any(|d| d.is_error()),
        diags.iter().map(|d| d.code).collect(),
    )
}

#[test]
fn a_digest_pin_is_kept_and_raises_no_tag_warning() {
    for image in [
        format!("redis@{DIGEST}"),
        format!("redis:7.4.6-alpine@{DIGEST}"),
    ] {
        let text = spec(&image, "production");
        let (valid, found) = codes(&text);
        assert!(valid, "{image}: {found:?}");
        assert!(!found.contains(&"FS109"), "{image}: {found:?}");
        let dir = support::render_spec("pin", &text);
        let compose = yaml(&dir.path().join("docker-compose.yml"));
        assert_eq!(compose["services"]["cache"]["image"], image.as_str());
    }
}

#[test]
fn a_pinned_digest_does_not_hide_a_vulnerable_tag() {
    // Guard: the tag still says which release line the digest is of.
    let (valid, found) = codes(&spec(&format!("redis:7.4.2-alpine@{DIGEST}"), "production"));
    assert!(!valid && found.contains(&"FS176"), "{found:?}");
    // And a malformed digest is no image reference.
    let (valid, found) = codes(&spec("redis@sha256:1234", "production"));
    assert!(!valid && found.contains(&"FS170"), "{found:?}");
}

#[test]
fn production_asks_for_a_digest_unless_the_spec_says_why() {
    // By tag only, in production: a warning, not an error.
    let (valid, found) = codes(&spec("redis:7.4.6-alpine", "production"));
    assert!(valid && found == ["FS178"], "{found:?}");
    // A kind's default image is judged too.
    let default =
        spec("redis:7.4.6-alpine", "production").replace("    image: \"redis:7.4.6-alpine\"\n", "");
    assert!(!default.contains("image:"), "{default}");
    assert_eq!(codes(&default).1, ["FS178"]);
    // By digest, or with a reason, or outside production: nothing.
    assert!(
        codes(&spec(&format!("redis:7.4.6-alpine@{DIGEST}"), "production"))
            .1
            .is_empty()
    );
    let why = spec("redis:7.4.6-alpine", "production").replace(
        "accept_unpinned_images: null",
        "accept_unpinned_images: digests are recorded at release",
    );
    assert!(codes(&why).1.is_empty());
    assert!(codes(&spec("redis:7.4.6-alpine", "staging")).1.is_empty());
}
