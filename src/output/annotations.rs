//! GitHub Actions workflow commands (`::error file=...,line=...::message`):
//! how `check --format github` and `diff --format github` show both drifted
//! files and spec problems as annotations on the pull request.

use std::fmt::Write as _;

use crate::error::{Diagnostic, Severity};

/// Escapes a workflow command's message (`%`, CR, LF).
pub(super) fn gh_message(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
pub(super) fn gh_property(s: &str) -> String {
    gh_message(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` or `::warning` line per diagnostic, at its file, line and
/// column, titled with its code; the help follows the message.
pub fn diagnostics(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = Vec::new();
        if let Some(origin) = &d.origin {
            properties.push(format!("file={}", gh_property(&origin.file)));
            properties.push(format!("line={}", origin.line));
            properties.push(format!("col={}", origin.column));
        }
        properties.push(format!("title={}", gh_property(d.code)));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            gh_message(&message)
        );
    }
    out
}
