//! The one escaping layer per output syntax: how a value is written into a
//! file of each format, for templates (the formatter of the template
//! environment) and for the targets that write their files directly.

use minijinja::value::Value;
use minijinja::{AutoEscape, Output, State};

/// Output formats with their own escaping rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML read by Docker Compose: YAML quoting, and `$` doubled so Compose does
    /// not interpolate it.
    ComposeYaml,
    /// Plain YAML.
    Yaml,
    /// JSON: values become JSON literals.
    Json,
    /// nginx configuration: a value must be one safe token (nginx has no way to
    /// escape `$`, and `;`, `{`, quotes or whitespace would end a directive), else
    /// rendering fails. Validation rejects such values first; this is the backstop.
    Nginx,
    /// Markdown: a value stays in its table cell (`|` escaped, one line) and
    /// cannot open HTML.
    Markdown,
    /// POSIX shell: a value becomes one single-quoted word.
    Shell,
    /// Line-oriented text where a value must stay on one line (`.env` files,
    /// systemd units).
    Line,
}

impl Format {
    pub fn of(template: &str) -> Format {
        let output = template.trim_end_matches(".j2");
        if output.starts_with("compose/") && (output.ends_with(".yml") || output.ends_with(".yaml"))
        {
            Format::ComposeYaml
        } else if output.ends_with(".yml") || output.ends_with(".yaml") {
            Format::Yaml
        } else if output.ends_with(".json") {
            Format::Json
        } else if output.ends_with(".conf") {
            Format::Nginx
        } else if output.ends_with(".md") {
            Format::Markdown
        } else if output.ends_with(".sh") {
            Format::Shell
        } else {
            Format::Line
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Format::ComposeYaml => "compose-yaml",
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Nginx => "nginx",
            Format::Markdown => "markdown",
            Format::Shell => "shell",
            Format::Line => "line",
        }
    }

    fn from_auto_escape(ae: &AutoEscape) -> Format {
        match ae {
            AutoEscape::Custom(name) if name == "compose-yaml" => Format::ComposeYaml,
            AutoEscape::Custom(name) if name == "yaml" => Format::Yaml,
            AutoEscape::Custom(name) if name == "json" => Format::Json,
            AutoEscape::Custom(name) if name == "nginx" => Format::Nginx,
            AutoEscape::Custom(name) if name == "markdown" => Format::Markdown,
            AutoEscape::Custom(name) if name == "shell" => Format::Shell,
            _ => Format::Line,
        }
    }
}

pub(super) fn format_value(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = escape(Format::from_auto_escape(&state.auto_escape()), value)?;
    out.write_str(&text).map_err(Into::into)
}

/// [`escape`] into compose YAML, which refuses no value (only the JSON and
/// nginx formats do): for files written directly.
pub fn compose_yaml(value: &Value) -> String {
    if value.is_safe() {
        return value.as_str().unwrap_or_default().to_owned();
    }
    yaml_scalar(value, true)
}

/// `value` as it is written into a file of `format`: a safe value as it is,
/// anything else escaped for the syntax (the one escaping layer per output
/// syntax, for templates and for the targets that write their files directly).
pub fn escape(format: Format, value: &Value) -> Result<String, minijinja::Error> {
    if value.is_safe() {
        return Ok(value.as_str().unwrap_or_default().to_owned());
    }
    let text = match format {
        Format::ComposeYaml => compose_yaml(value),
        Format::Yaml => yaml_scalar(value, false),
        Format::Json => serde_json::to_string(value).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
        })?,
        Format::Nginx => {
            let text = value.to_string();
            if !nginx_token_ok(&text) {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!(
                        "`{}` is not safe in an nginx directive",
                        text.escape_debug()
                    ),
                ));
            }
            text
        }
        Format::Markdown => one_line(&value.to_string())
            .replace('|', "\\|")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        Format::Shell => crate::shell::quote(&value.to_string()),
        Format::Line => one_line(&value.to_string()),
    };
    Ok(text)
}

/// A YAML literal block scalar (`|-`) holding `text` verbatim, its lines
/// indented by `indent` spaces: the readable way to embed a script.
pub fn yaml_block(text: &str, indent: usize) -> String {
    // The first line sets the block's indentation, so it must not start with a space.
    debug_assert!(
        !text.starts_with(' '),
        "a block scalar cannot start with a space"
    );
    let pad = " ".repeat(indent);
    let mut out = "|-".to_owned();
    for line in text.trim_end_matches('\n').lines() {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

/// Joins the lines of `text` with spaces, for values that must stay on one line
/// (comments, `.env` entries): a newline there would start a new directive.
pub fn one_line(text: &str) -> String {
    // Other control characters are written as `\u{..}`: YAML forbids them
    // even in comments, and a terminal would act on them.
    if !text.contains(['\r', '\n']) && text.trim() == text {
        return crate::error::printable(text);
    }
    crate::error::printable(
        &text
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Renders a value as a YAML scalar (or a JSON flow collection, which YAML reads).
/// Strings stay plain when that cannot be misread, else they are double-quoted.
pub fn yaml_scalar(value: &Value, compose: bool) -> String {
    if value.is_none() || value.is_undefined() {
        return "null".to_owned();
    }
    if let Some(s) = value.as_str() {
        let s = if compose {
            s.replace('$', "$$")
        } else {
            s.to_owned()
        };
        return yaml_str(&s);
    }
    match value.kind() {
        // `true`/`false`, as YAML 1.2 and JSON spell them.
        minijinja::value::ValueKind::Bool => value.is_true().to_string(),
        minijinja::value::ValueKind::Number => value.to_string(),
        minijinja::value::ValueKind::Seq => {
            let items: Vec<String> = value
                .try_iter()
                .into_iter()
                .flatten()
                .map(|item| yaml_scalar(&item, compose))
                .collect();
            format!("[{}]", items.join(", "))
        }
        minijinja::value::ValueKind::Map => {
            let entries: Vec<String> = value
                .try_iter()
                .into_iter()
                .flatten()
                .map(|key| {
                    let item = value.get_item(&key).unwrap_or_default();
                    format!(
                        "{}: {}",
                        yaml_scalar(&key, compose),
                        yaml_scalar(&item, compose)
                    )
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        _ => yaml_scalar(&Value::from(value.to_string()), compose),
    }
}

/// A string as a YAML scalar: plain when that cannot be misread, else quoted.
pub fn yaml_str(s: &str) -> String {
    if yaml_plain_ok(s) {
        s.to_owned()
    } else if s.contains('"') && !s.contains('\'') && !s.chars().any(|c| c.is_control()) {
        // Single quotes keep PromQL and shell commands readable: only `'` is escaped.
        format!("'{s}'")
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

/// Whether a value can stand in an nginx directive as one token, unquoted.
pub fn nginx_token_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~/:@=+,*^-".contains(c))
}

/// Whether a string can be written as a plain YAML scalar and read back as the
/// same string (not a number, boolean, null, or something with YAML syntax).
fn yaml_plain_ok(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '/' || first == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+=".contains(c))
        && !s.ends_with(':')
        && !s.contains("::")
        && !KEYWORDS.contains(&s.to_ascii_lowercase().as_str())
}
