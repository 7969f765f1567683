//! The one error type of futurestack and the one place it is printed.
//!
//! Everything that can go wrong with a spec becomes a [`Diagnostic`] (code,
//! severity, message, source position, help). Everything that can go wrong with
//! running the tool becomes an [`Error`]. Both are rendered here and nowhere
//! else; the rest of the code only builds values.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::load::Sources;

/// Where a value was written: file (as shown to the user), 1-based line and
/// column, and the byte range of the token for the caret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    #[serde(serialize_with = "serialize_arc_str")]
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

fn serialize_arc_str<S: serde::Serializer>(value: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

impl Origin {
    /// The first character of a file: for problems about a file as a whole.
    pub fn start_of(file: Arc<str>) -> Self {
        Origin {
            file,
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, `FS0xx` for loading and schema problems, `FS1xx` for semantic rules.
    pub code: &'static str,
    /// One lowercase line; names in backticks.
    pub message: String,
    pub origin: Option<Origin>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            origin: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            origin: None,
            help: None,
        }
    }

    pub fn at(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    pub fn at_opt(mut self, origin: Option<Origin>) -> Self {
        self.origin = origin;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file, line and column (problems without a position last),
/// then by code, and drops exact duplicates (an overlay chain can report the same
/// value twice).
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                d.origin.is_none(),
                d.origin
                    .as_ref()
                    .map(|o| (o.file.clone(), o.line, o.column)),
                d.code,
                d.message.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    diags.dedup();
}

/// Everything that can make a command fail. Each variant maps to one exit code.
#[derive(Debug)]
pub enum Error {
    /// The spec has problems; nothing was generated or written.
    Invalid {
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
    },
    /// Wrong arguments (unknown environment, missing directory...).
    Usage(String),
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A symbolic link where futurestack reads, writes or deletes: never followed.
    Link { path: PathBuf },
    /// A template failed to render (only possible with `--templates` overrides).
    Template { template: String, message: String },
}

/// Exit codes, also documented in `--help` and the README.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// `check` found drift, or a spec is invalid.
    pub const FAILED: u8 = 1;
    /// Usage error, or the tool could not run (I/O, templates).
    pub const USAGE: u8 = 2;
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid { .. } => exit::FAILED,
            Error::Usage(_) | Error::Io { .. } | Error::Link { .. } | Error::Template { .. } => {
                exit::USAGE
            }
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// How to print: with ANSI colour or plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Color,
}

/// Renders an error for the terminal. The only function that formats errors.
pub fn render_error(err: &Error, style: Style) -> String {
    match err {
        Error::Invalid {
            diagnostics,
            sources,
        } => render_diagnostics(diagnostics, sources, style),
        Error::Usage(message) => format!("error: {message}\n"),
        Error::Io { path, source } => {
            format!("error: cannot access `{}`: {source}\n", path.display())
        }
        Error::Link { path } => format!(
            "error: `{}` is a symbolic link: futurestack never reads, writes or deletes through links\nhelp: replace the link with a real folder or file (or point `--out` at the real folder) and run the command again\n",
            path.display()
        ),
        Error::Template { template, message } => {
            format!(
                "error: template `{template}` failed to render: {message}\nhelp: a value or a template override is wrong; with `--templates`, check the override, otherwise please report this as a bug\n"
            )
        }
    }
}

/// Renders diagnostics rustc-style, each with a caret snippet and `help:`, then a
/// count line.
pub fn render_diagnostics(diags: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let mut out = String::new();
    for diag in diags {
        let level = match diag.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(diag.message.as_str()).id(diag.code);
        let mut groups = Vec::new();
        let located = diag
            .origin
            .as_ref()
            .and_then(|o| sources.text(&o.file).map(|text| (o, text)));
        let group = match located {
            Some((origin, text)) => {
                let start = origin.offset.min(text.len());
                let end = (start + origin.len.max(1)).min(text.len()).max(start);
                let end = if end == start && start < text.len() {
                    start + 1
                } else {
                    end
                };
                let end = clamp_to_char_boundary(text, end);
                let span = clamp_to_line(text, start, end);
                title.element(
                    Snippet::source(text)
                        .path(origin.file.as_ref())
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(span)),
                )
            }
            None => Group::with_title(title),
        };
        groups.push(group);
        if let Some(help) = &diag.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        let _ = writeln!(out, "{}\n", renderer.render(&groups));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let _ = writeln!(out, "{}", count_line(errors, warnings));
    out
}

fn count_line(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => "no problems found".to_owned(),
        (e, 0) => format!("{} found; nothing was written", plural(e, "error")),
        (0, w) => plural(w, "warning") + " found",
        (e, w) => format!(
            "{} and {} found; nothing was written",
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

fn clamp_to_char_boundary(text: &str, mut idx: usize) -> usize {
    while idx < text.len() && !text.is_char_boundary(idx) {
        idx += 1;
    }
    idx.min(text.len())
}

/// Keeps a span on its first line so the caret underlines one token.
fn clamp_to_line(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let line_end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    let end = end.min(line_end).max(start);
    if end == start && start == line_end && start > 0 {
        // Pointing at a line end (e.g. an empty value): underline the character before.
        let prev = text[..start]
            .char_indices()
            .next_back()
            .map(|(i, _)| i)
            .unwrap_or(0);
        return prev..start;
    }
    start..end
}
