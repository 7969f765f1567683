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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
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
            message: bounded(message.into()),
            origin: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: bounded(message.into()),
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
        self.help = Some(bounded(help.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Longest message or help line kept, in bytes. A name in a message comes from
/// the spec, which may hold a 4 MiB string: it is cut, not echoed whole.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// Cuts `text` to [`MAX_MESSAGE_BYTES`] (on a character boundary), saying so.
pub fn bounded(text: String) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut: {} bytes in all)", &text[..end], text.len())
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
    let text = match err {
        Error::Invalid {
            diagnostics,
            sources,
        } => render_diagnostics(diagnostics, sources, style),
        Error::Usage(message) => format!("error: {}\n", bounded(message.clone())),
        Error::Io { path, source } => {
            bounded(format!(
                "error: cannot access `{}`: {source}",
                path.display()
            )) + "\n"
        }
        Error::Link { path } => format!(
            "error: `{}` is a symbolic link: futurestack never reads, writes or deletes through links\nhelp: replace the link with a real folder or file (or point `--out` at the real folder) and run the command again\n",
            path.display()
        ),
        Error::Template { template, message } => {
            let message = bounded(message.clone());
            let help = if message.contains("ran out of fuel")
                || message.contains("output is larger")
            {
                "a template override may run 5 000 000 instructions and write 64 MiB per file: this one loops or writes too much"
            } else {
                "a value or a template override is wrong; with `--templates`, check the override, otherwise please report this as a bug"
            };
            format!("error: template `{template}` failed to render: {message}\nhelp: {help}\n")
        }
    };
    match err {
        // annotate-snippets makes the diagnostics printable itself.
        Error::Invalid { .. } => text,
        _ => printable(&text),
    }
}

/// `text` with every control character but newlines written as `\u{..}`: a
/// name from the command line or a file name must not move the cursor or
/// recolour the terminal.
pub fn printable(text: &str) -> String {
    // Control characters, and those that reorder or break what a terminal or
    // a code host shows (bidirectional overrides, zero-width characters, the
    // line and paragraph separators).
    let hidden = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(hidden) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Diagnostics shown in text, in file order; the count line still counts all,
/// and `validate --format json` lists all. Keeps a hostile spec's output bounded.
pub const MAX_SHOWN: usize = 200;

/// Renders diagnostics rustc-style, each with a caret snippet and `help:`, then a
/// count line.
pub fn render_diagnostics(diags: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let mut line_starts: std::collections::BTreeMap<Arc<str>, Vec<usize>> = Default::default();
    let mut out = String::new();
    for diag in diags.iter().take(MAX_SHOWN) {
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
        // A window cut from the left of a long line makes annotate-snippets count
        // the column from the cut: the header is mended to the real column.
        let mut mend: Option<(String, String)> = None;
        let group = match located {
            Some((origin, text)) => {
                let starts = line_starts
                    .entry(origin.file.clone())
                    .or_insert_with(|| line_starts_of(text));
                let (window, span) = snippet_window(text, starts, origin.offset, origin.len);
                let shown_column = window[..span.start].chars().count() + 1;
                if shown_column != origin.column as usize {
                    let at = |col: usize| format!("{}:{}:{col}", origin.file, origin.line);
                    mend = Some((at(shown_column), at(origin.column as usize)));
                }
                title.element(
                    Snippet::source(window)
                        .path(origin.file.as_ref())
                        .line_start(origin.line as usize)
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
        let mut rendered = renderer.render(&groups);
        if let Some((shown, real)) = mend {
            rendered = rendered.replacen(&shown, &real, 1);
        }
        let _ = writeln!(out, "{rendered}\n");
    }
    if diags.len() > MAX_SHOWN {
        let _ = writeln!(
            out,
            "... and {} more not shown here; `futurestack validate --format json` lists every one\n",
            diags.len() - MAX_SHOWN
        );
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

/// A line is shown whole up to the caret when the caret starts within
/// `LEFT_WHOLE` bytes; otherwise `LEFT_CONTEXT` bytes before it are kept.
/// `RIGHT_CONTEXT` bytes follow the caret, which is at most `MAX_CARET_BYTES`.
const LEFT_WHOLE: usize = 120;
const LEFT_CONTEXT: usize = 48;
const RIGHT_CONTEXT: usize = 80;
const MAX_CARET_BYTES: usize = 120;

/// The part of the line holding `offset..offset+len` that a snippet shows, and the
/// caret's range in it. Each diagnostic costs a binary search in the file's line
/// table and its window, so thousands of diagnostics on one long line stay
/// n·log n.
fn snippet_window(
    text: &str,
    starts: &[usize],
    offset: usize,
    len: usize,
) -> (String, std::ops::Range<usize>) {
    let start = floor_char_boundary(text, offset.min(text.len()));
    let line = starts.partition_point(|&s| s <= start).saturating_sub(1);
    let line_start = starts.get(line).copied().unwrap_or(0);
    let line_end = starts
        .get(line + 1)
        .map_or(text.len(), |next| next - 1)
        .max(start);
    // A CRLF file: the `\r` is not part of the line shown.
    let line_end = if line_end > start && text.as_bytes().get(line_end - 1) == Some(&b'\r') {
        line_end - 1
    } else {
        line_end
    };
    let caret_end = ceil_char_boundary(
        text,
        (start + len.max(1))
            .min(line_end)
            .min(start + MAX_CARET_BYTES),
    )
    .max(start);
    let from = if start - line_start > LEFT_WHOLE {
        floor_char_boundary(text, start - LEFT_CONTEXT)
    } else {
        line_start
    };
    let to = ceil_char_boundary(text, (caret_end + RIGHT_CONTEXT).min(line_end));
    let mut window = String::new();
    if from > line_start {
        window.push_str("...");
    }
    let shift = window.len();
    window.push_str(&text[from..to]);
    if to < line_end {
        window.push_str("...");
    }
    let mut span = (start - from + shift)..(caret_end - from + shift);
    if span.is_empty() {
        // Pointing at a line end (e.g. an empty value): underline the character before.
        if span.start > 0 {
            let prev = floor_char_boundary(&window, span.start - 1);
            span = prev..span.start;
        }
    }
    (window, span)
}

/// Byte offset of the start of every line.
fn line_starts_of(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn floor_char_boundary(text: &str, mut idx: usize) -> usize {
    idx = idx.min(text.len());
    while idx > 0 && !text.is_char_boundary(idx) {
        idx -= 1;
    }
    idx
}

fn ceil_char_boundary(text: &str, mut idx: usize) -> usize {
    while idx < text.len() && !text.is_char_boundary(idx) {
        idx += 1;
    }
    idx.min(text.len())
}
