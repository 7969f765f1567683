//! Template rendering shared by every target: the embedded templates, strict
//! undefined variables, auto-escaping chosen by output format, the "generated,
//! do not edit" banner, and newline handling, all in this one place.

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::Error;
use crate::model::Stack;

mod escape;

use escape::format_value;
pub use escape::{
    Format, compose_yaml, escape, nginx_token_ok, one_line, yaml_block, yaml_scalar, yaml_str,
};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Generated files of one environment: path relative to the environment's output
/// folder → contents. Ordered, so output and reports are stable.
pub type Files = BTreeMap<String, String>;

/// Where templates come from: the embedded set, optionally overridden file by file
/// from a directory (`--templates DIR`). Override files are read up front by the
/// command layer, so rendering itself does no I/O.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    overrides: BTreeMap<String, String>,
}

impl Templates {
    /// Embedded templates with some replaced: `overrides` maps a template path
    /// (`compose/docker-compose.yml.j2`) to its text. The command layer reads them
    /// from `--templates DIR`, so rendering does no I/O.
    pub fn with_overrides(overrides: BTreeMap<String, String>) -> Self {
        Templates { overrides }
    }

    /// Paths of every embedded template, relative to `templates/`.
    pub fn embedded_names() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(n, _)| *n)
    }

    /// Names of the templates of one target (`compose/...`), sorted.
    pub fn names_under(&self, prefix: &str) -> Vec<&'static str> {
        EMBEDDED
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| n.starts_with(prefix))
            .collect()
    }

    /// The embedded text of the template `name`.
    pub fn embedded(name: &str) -> Option<&'static str> {
        EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// Whether `--templates` replaces the template `name`.
    pub fn overrides(&self, name: &str) -> bool {
        self.overrides.contains_key(name)
    }

    fn source(&self, name: &str) -> Option<&str> {
        self.overrides
            .get(name)
            .map(String::as_str)
            .or_else(|| EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t))
    }

    /// The environment used to render: strict undefined, trimmed blocks, and an
    /// escaping formatter chosen by the template's output format.
    pub fn is_overridden(&self) -> bool {
        !self.overrides.is_empty()
    }

    pub fn environment(&self) -> Result<Environment<'_>, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters are valid");
        env.set_syntax(syntax);
        env.set_auto_escape_callback(|name| AutoEscape::Custom(Format::of(name).name().into()));
        env.set_formatter(format_value);
        if !self.overrides.is_empty() {
            // Overrides come from pull requests: a loop that never ends runs out
            // of fuel (an instruction budget; every embedded template, used as
            // an override, renders the shipped prod spec within 500 000), and
            // output past
            // `MAX_OUTPUT_BYTES` per file stops the render.
            env.set_fuel(Some(OVERRIDE_FUEL));
        }
        env.add_filter("comment", |value: Value| {
            Value::from_safe_string(one_line(&value.to_string()))
        });
        env.add_filter("block", |value: Value, indent: usize| {
            Value::from_safe_string(yaml_block(&value.to_string(), indent))
        });
        env.add_filter("yaml", |value: Value| {
            Value::from_safe_string(yaml_scalar(&value, false))
        });
        env.add_filter("compose", |value: Value| {
            Value::from_safe_string(yaml_scalar(&value, true))
        });
        for (name, _) in EMBEDDED {
            let source = self.source(name).unwrap_or_default();
            env.add_template(name, source)
                .map_err(|err| template_error(name, &err))?;
        }
        Ok(env)
    }
}

fn template_error(name: &str, err: &minijinja::Error) -> Error {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    Error::Template {
        template: name.to_owned(),
        message,
    }
}

/// Instruction budget of one render when templates are overridden: ten times
/// what the embedded templates need for the shipped prod spec.
pub const OVERRIDE_FUEL: u64 = 5_000_000;

/// Largest file a template may render, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// An `io::Write` into a string that fails past [`MAX_OUTPUT_BYTES`].
struct CappedOutput(Vec<u8>);

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT_BYTES {
            return Err(std::io::Error::other(format!(
                "the output is larger than {MAX_OUTPUT_BYTES} bytes"
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders every template of `target_dir` (`compose/`) with `context`. The output
/// path is the template path without the target folder and `.j2`.
pub fn render_target<C: Serialize>(
    templates: &Templates,
    env: &Environment<'_>,
    target_dir: &str,
    stack: &Stack,
    context: &C,
) -> Result<Files, Error> {
    render_templates(
        env,
        target_dir,
        &templates.names_under(target_dir),
        stack,
        context,
    )
}

/// [`render_target`] for some of the target's templates, `names`.
pub fn render_templates<C: Serialize>(
    env: &Environment<'_>,
    target_dir: &str,
    names: &[&str],
    stack: &Stack,
    context: &C,
) -> Result<Files, Error> {
    let mut files = Files::new();
    // Serialize the view once; every template of the target shares it.
    let context = Value::from(minijinja::value::Serde(context));
    for &name in names {
        let template = env
            .get_template(name)
            .map_err(|err| template_error(name, &err))?;
        let mut out = CappedOutput(Vec::new());
        template
            .render_captured_to(context.clone(), &mut out)
            .map_err(|err| template_error(name, &err))?;
        let body = String::from_utf8_lossy(&out.0).into_owned();
        let path = name.strip_prefix(target_dir).unwrap_or(name);
        let path = path.strip_suffix(".j2").unwrap_or(path).to_owned();
        // A template that renders nothing produces no file (for example the
        // Alertmanager config when an existing Prometheus does the alerting).
        if body.trim().is_empty() {
            continue;
        }
        let text = with_banner(&path, stack, &body);
        files.insert(path, text);
    }
    Ok(files)
}

/// Prepends the "generated, do not edit" banner in the file's comment syntax and
/// normalises newlines: no trailing spaces, no runs of blank lines, one final newline.
pub fn with_banner(path: &str, stack: &Stack, body: &str) -> String {
    let mut out = String::new();
    if path.ends_with(".md") {
        for line in banner_lines(stack) {
            out.push_str(&format!("<!-- {line} -->\n"));
        }
        out.push('\n');
    } else if let Some(prefix) = comment_prefix(path) {
        for line in banner_lines(stack) {
            out.push_str(prefix);
            out.push(' ');
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str(body);
    normalize_newlines(&out)
}

/// The lines of the banner, without comment markers.
pub fn banner_lines(stack: &Stack) -> Vec<String> {
    let mut from = format!("Generated by futurestack from {}", banner_path(&stack.file));
    if !stack.bases.is_empty() {
        let bases: Vec<String> = stack.bases.iter().map(|b| banner_path(b)).collect();
        from.push_str(&format!(" (extends {})", bases.join(", ")));
    }
    from.push('.');
    vec![
        from,
        "Do not edit: change the spec, then run `futurestack generate`.".to_owned(),
    ]
}

/// A spec path as a banner shows it: the folder comes from `--environments`
/// and `extends`, so anything but letters, digits, `.`, `_`, `-` and `/` becomes
/// `_` (no newline, `*/`, quote or `$` reaches a comment of any syntax), and it
/// is cut to 120 characters.
pub fn banner_path(path: &str) -> String {
    let mut out: String = path
        .chars()
        .take(120)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // `/*` and `*/` cannot form (no `*`), but `//` could start a comment in
    // some syntaxes' strings: collapse it.
    while out.contains("//") {
        out = out.replace("//", "/");
    }
    out
}

fn comment_prefix(path: &str) -> Option<&'static str> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let ext = file.rsplit('.').next().unwrap_or("");
    match ext {
        "yml" | "yaml" | "tf" | "conf" | "example" | "env" | "sh" | "toml" | "service"
        | "timer" | "py" => Some("#"),
        _ if file == crate::pipeline::MANIFEST => Some("#"),
        _ => None,
    }
}

/// Trailing whitespace removed, at most one blank line in a row, exactly one final newline.
pub fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars_quote_only_when_needed() {
        let s = |v: &str| yaml_scalar(&Value::from(v), false);
        assert_eq!(s("mysql:8.0.40"), "mysql:8.0.40");
        assert_eq!(s("/run/secrets/x"), "/run/secrets/x");
        assert_eq!(s("8.0"), "\"8.0\"");
        assert_eq!(s("yes"), "\"yes\"");
        assert_eq!(s("a: b"), "\"a: b\"");
        assert_eq!(s("x\ny"), "\"x\\ny\"");
        assert_eq!(s(""), "\"\"");
        assert_eq!(s("#comment"), "\"#comment\"");
        assert_eq!(yaml_scalar(&Value::from("pa$s"), true), "\"pa$$s\"");
        assert_eq!(yaml_scalar(&Value::from(3306), true), "3306");
    }

    #[test]
    fn hostile_strings_stay_one_scalar() {
        for hostile in [
            "x\"\ny: 1",
            "}: {a",
            "- item",
            "'q'",
            "a # b",
            "${HOME}",
            "\\",
        ] {
            let rendered = yaml_scalar(&Value::from(hostile), false);
            let parsed: String = serde_saphyr::from_str(&format!("{rendered}\n")).unwrap();
            assert_eq!(parsed, hostile);
        }
    }

    #[test]
    fn nginx_values_must_be_single_safe_tokens() {
        for ok in ["/api/nlp/", "ai-nlp:8110", "10m", "60s", "^~", "="] {
            assert!(nginx_token_ok(ok), "{ok}");
        }
        for bad in [
            "", "a;b", "a b", "a{", "}", "\"", "'", "$host", "a\nb", "a#b", "\\",
        ] {
            assert!(!nginx_token_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn nginx_templates_refuse_unsafe_values() {
        let templates = Templates::with_overrides(BTreeMap::from([(
            "nginx/nginx/nginx.conf.j2".to_owned(),
            "server_name {{ name }};".to_owned(),
        )]));
        let env = templates.environment().unwrap();
        let template = env.get_template("nginx/nginx/nginx.conf.j2").unwrap();
        assert_eq!(
            template
                .render(minijinja::context! { name => "ok.example.com" })
                .unwrap(),
            "server_name ok.example.com;"
        );
        assert!(
            template
                .render(minijinja::context! { name => "x; include /etc/passwd" })
                .is_err()
        );
    }

    #[test]
    fn newlines_are_normalized() {
        assert_eq!(normalize_newlines("a  \n\n\n\nb\n\n"), "a\n\nb\n");
        assert_eq!(normalize_newlines("a"), "a\n");
    }

    #[test]
    fn formats_follow_template_paths() {
        assert_eq!(
            Format::of("compose/docker-compose.yml.j2"),
            Format::ComposeYaml
        );
        assert_eq!(Format::of("prometheus/prometheus.yml.j2"), Format::Yaml);
        assert_eq!(Format::of("compose/.env.example.j2"), Format::Line);
        assert_eq!(Format::of("nginx/acme/renew.sh.j2"), Format::Shell);
        assert_eq!(Format::of("nginx/acme/acme.timer.j2"), Format::Line);
    }

    #[test]
    fn shell_values_are_one_quoted_word() {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| AutoEscape::Custom(Format::of(name).name().into()));
        env.set_formatter(format_value);
        env.add_template("x.sh", "echo {{ v }}").unwrap();
        let out = env
            .get_template("x.sh")
            .unwrap()
            .render(minijinja::context! { v => "a'b $(id)\nc" })
            .unwrap();
        assert_eq!(out, "echo 'a'\\''b $(id)\nc'");
    }
}
