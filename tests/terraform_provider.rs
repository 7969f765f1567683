//! Every resource and argument in the generated Terraform exists in the pinned
//! `aliyun/alicloud` release and is not deprecated or removed there, per
//! `data/alicloud-provider.tsv` (derived from the provider's docs and Go schema
//! by `scripts/provider-since.py`); and the deploy invocation waits as long as
//! the deploy command may run.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use futurestack::model::deploy::TIMEOUT_SECONDS;
use futurestack::targets::terraform::PROVIDER_VERSION;
use support::{golden_env_dirs, repo};

/// Arguments Terraform itself handles on every resource.
const META_ATTRIBUTES: &[&str] = &["count", "for_each", "depends_on", "provider"];
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

type Version = (u32, u32, u32);

fn version(text: &str) -> Option<Version> {
    let mut parts = text.trim_start_matches("<=").split('.');
    let mut next = || parts.next()?.parse().ok();
    Some((next()?, next()?, next()?))
}

/// One row of the table: when the argument (or, for `-`, the resource) came,
/// was deprecated and was removed.
#[derive(Debug, Default)]
struct Row {
    since: Option<Version>,
    deprecated: Option<Option<Version>>,
    removed: Option<Option<Version>>,
    replaced_by: Option<String>,
}

struct Table(BTreeMap<(String, String), Row>);

impl Table {
    fn load() -> Table {
        let path = repo().join("data/alicloud-provider.tsv");
        let text = std::fs::read_to_string(&path).unwrap();
        Table::parse(&text)
    }

    fn parse(text: &str) -> Table {
        let mut rows = BTreeMap::new();
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        assert_eq!(
            lines.next(),
            Some("resource\targument\tsince\tdeprecated\tremoved\tnote")
        );
        for line in lines {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 6, "{line}");
            let note = |key: &str| {
                cells[5]
                    .split("; ")
                    .find_map(|n| n.strip_prefix(key)?.strip_prefix('='))
            };
            // A version the docs state and the first release whose schema shows
            // it can disagree; the later one is when it is surely there.
            let since = [Some(cells[2]), note("release-first")]
                .into_iter()
                .flatten()
                .filter_map(version)
                .max();
            let when = |cell: &str, released: Option<&str>| match (cell, released) {
                ("-", None) => None,
                ("-", Some(v)) | ("yes", Some(v)) => Some(version(v)),
                (v, _) => Some(version(v)),
            };
            let row = Row {
                since,
                deprecated: when(cells[3], note("release-deprecated")),
                removed: when(cells[4], note("release-removed")),
                replaced_by: note("replaced-by").map(str::to_owned),
            };
            rows.insert((cells[0].to_owned(), cells[1].to_owned()), row);
        }
        Table(rows)
    }

    /// What is wrong with `resource.argument` (`-` for the resource) at `pin`.
    fn problem(&self, resource: &str, argument: &str, pin: Version) -> Option<String> {
        let Some(row) = self.0.get(&(resource.to_owned(), argument.to_owned())) else {
            return Some("not in the provider's documentation or schema".to_owned());
        };
        let fmt = |v: &Version| format!("{}.{}.{}", v.0, v.1, v.2);
        if let Some(since) = row.since.filter(|s| *s > pin) {
            return Some(format!("available only since {}", fmt(&since)));
        }
        if let Some(removed) = &row.removed
            && removed.is_none_or(|v| v <= pin)
        {
            return Some("removed".to_owned());
        }
        if let Some(deprecated) = &row.deprecated
            && deprecated.is_none_or(|v| v <= pin)
        {
            let since = deprecated.map(|v| format!(" since {}", fmt(&v)));
            let instead = row.replaced_by.as_ref().map(|r| format!("; use `{r}`"));
            return Some(format!(
                "deprecated{}{}",
                since.unwrap_or_default(),
                instead.unwrap_or_default()
            ));
        }
        None
    }
}

/// Every problem of one `.tf` file's resources, as `file: resource.argument: why`.
fn problems(file: &str, text: &str, table: &Table, pin: Version) -> Vec<String> {
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = Vec::new();
    for block in body.blocks().filter(|b| b.identifier() == "resource") {
        let kind = block.labels()[0].as_str();
        if !kind.starts_with("alicloud_") {
            continue;
        }
        let mut report = |argument: &str| {
            if let Some(why) = table.problem(kind, argument, pin) {
                out.push(format!("{file}: {kind}.{argument}: {why}"));
            }
        };
        report("-");
        walk(block.body(), "", true, &mut report);
    }
    out
}

fn walk(body: &hcl::Body, prefix: &str, top: bool, report: &mut dyn FnMut(&str)) {
    for attribute in body.attributes() {
        if !(top && META_ATTRIBUTES.contains(&attribute.key())) {
            report(&format!("{prefix}{}", attribute.key()));
        }
    }
    for block in body.blocks() {
        let (name, inner) = match block.identifier() {
            meta if top && META_BLOCKS.contains(&meta) => continue,
            "dynamic" => {
                let content = block.body().blocks().find(|b| b.identifier() == "content");
                let Some(content) = content else { continue };
                (block.labels()[0].as_str(), content.body())
            }
            name => (name, block.body()),
        };
        let path = format!("{prefix}{name}");
        // `timeouts` has no row of its own; its operations do (`timeouts.create`).
        if !(top && name == "timeouts") {
            report(&path);
        }
        walk(inner, &format!("{path}."), false, report);
    }
}

fn tf_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in golden_env_dirs() {
        let Ok(entries) = std::fs::read_dir(dir.join("terraform")) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "tf") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn pin() -> Version {
    version(PROVIDER_VERSION).unwrap()
}

#[test]
fn generated_terraform_uses_only_what_the_pinned_provider_has() {
    let table = Table::load();
    let files = tf_files();
    assert!(files.len() >= 10, "{files:?}");
    let mut all = Vec::new();
    let mut resources = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        resources += text.matches("\nresource \"alicloud_").count();
        let name = path.strip_prefix(repo()).unwrap().display().to_string();
        all.extend(problems(&name, &text, &table, pin()));
    }
    assert!(resources >= 40, "only {resources} alicloud resources seen");
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn the_table_is_from_the_pinned_release_or_later() {
    let text = std::fs::read_to_string(repo().join("data/alicloud-provider.tsv")).unwrap();
    let newest = text
        .lines()
        .find_map(|l| l.strip_prefix("# newest-release-in-changelog: "))
        .and_then(|l| version(l.split(' ').next()?))
        .expect("header names the newest release");
    assert!(
        newest >= pin(),
        "the table stops at {newest:?}, before the pinned {PROVIDER_VERSION}: rerun scripts/provider-since.py"
    );
}

#[test]
fn guard_the_check_catches_late_deprecated_removed_and_unknown_arguments() {
    let table = Table::parse(concat!(
        "resource\targument\tsince\tdeprecated\tremoved\tnote\n",
        "alicloud_x\t-\t1.0.0\t-\t-\t-\n",
        "alicloud_x\tnew_arg\t1.239.0\t-\t-\t-\n",
        "alicloud_x\tlate_in_schema\t-\t-\t-\trelease-first=1.250.0\n",
        "alicloud_x\told_arg\t-\t1.200.0\t-\treplaced-by=new_arg\n",
        "alicloud_x\tgone\t-\t-\t1.100.0\t-\n",
        "alicloud_x\tblock\t-\t-\t-\t-\n",
        "alicloud_x\tblock.inner\t-\tyes\t-\t-\n",
        "alicloud_x\tfine\t-\t-\t-\t-\n",
        "alicloud_x\ttimeouts.create\t-\t-\t-\t-\n",
    ));
    let tf = r#"
resource "alicloud_x" "a" {
  count          = 1
  fine           = 1
  new_arg        = 1
  late_in_schema = 1
  old_arg        = 1
  gone           = 1
  unknown        = 1
  block {
    inner = 1
  }
  dynamic "block" {
    for_each = []
    content {
      fine = 1
    }
  }
  timeouts {
    create = "60m"
    update = "1m"
  }
  lifecycle {
    ignore_changes = [fine]
  }
}
resource "alicloud_y" "b" {}
resource "random_id" "c" {}
"#;
    let found = problems("x.tf", tf, &table, (1, 235, 0));
    assert_eq!(
        found,
        [
            "x.tf: alicloud_x.new_arg: available only since 1.239.0",
            "x.tf: alicloud_x.late_in_schema: available only since 1.250.0",
            "x.tf: alicloud_x.old_arg: deprecated since 1.200.0; use `new_arg`",
            "x.tf: alicloud_x.gone: removed",
            "x.tf: alicloud_x.unknown: not in the provider's documentation or schema",
            "x.tf: alicloud_x.block.inner: deprecated",
            "x.tf: alicloud_x.block.fine: not in the provider's documentation or schema",
            "x.tf: alicloud_x.timeouts.update: not in the provider's documentation or schema",
            "x.tf: alicloud_y.-: not in the provider's documentation or schema",
        ]
    );
    // The same file at a newer pin: only what is not about versions is left.
    assert_eq!(problems("x.tf", tf, &table, (1, 260, 0)).len(), 7);
}

/// `timeout = 3600` of the command against `timeouts { create = "60m" }` of the
/// invocation: the provider stops waiting for the invocation after its create
/// timeout (1 minute unless set; `timeout-default` in the table), and the
/// apply then fails while the deploy still runs.
#[test]
fn the_deploy_invocation_waits_as_long_as_the_command_may_run() {
    let mut seen = 0;
    for path in tf_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let body = hcl::parse(&text).unwrap();
        for block in body.blocks().filter(|b| b.identifier() == "resource") {
            let kind = block.labels()[0].as_str();
            if kind == "alicloud_ecs_command" {
                let timeout = block.body().attributes().find(|a| a.key() == "timeout");
                let timeout = timeout.map(|a| a.expr().to_string());
                assert_eq!(timeout.as_deref(), Some(&*TIMEOUT_SECONDS.to_string()));
            }
            if kind == "alicloud_ecs_invocation" {
                seen += 1;
                let create = block
                    .body()
                    .blocks()
                    .filter(|b| b.identifier() == "timeouts")
                    .flat_map(|b| b.body().attributes())
                    .find(|a| a.key() == "create")
                    .map(|a| a.expr().to_string())
                    .unwrap_or_else(|| {
                        panic!("{}: invocation without a create timeout", path.display())
                    });
                let seconds = go_duration_seconds(create.trim_matches('"'));
                assert!(
                    seconds >= u64::from(TIMEOUT_SECONDS),
                    "{}: the invocation waits {create}, the command may run {TIMEOUT_SECONDS} s",
                    path.display()
                );
            }
        }
    }
    assert!(seen >= 3, "only {seen} invocations");
}

fn go_duration_seconds(text: &str) -> u64 {
    let (number, unit) = text.split_at(text.len() - 1);
    let number: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("duration {text:?}"));
    number
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => panic!("duration {text:?}"),
        }
}
