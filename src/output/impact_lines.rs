//! The report's lines on what the changes do ([`crate::impact`]): one per
//! actor and environment, shared by the text, markdown and GitHub formats.

use super::report::Summary;
use crate::impact;

/// One line per actor of an environment's impact (`compose recreates nginx
/// (image)`), then the files that could not be analysed.
pub(super) fn impact_lines(s: &Summary) -> Vec<String> {
    let Some(imp) = &s.impact else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let mut i = 0;
    while i < imp.effects.len() {
        let by = imp.effects[i].by;
        let group: Vec<&impact::Effect> =
            imp.effects[i..].iter().take_while(|e| e.by == by).collect();
        i += group.len();
        lines.push(impact::line(by, &group));
    }
    if !imp.not_analysed.is_empty() {
        lines.push(format!(
            "impact not known for {}: the committed file is not one futurestack wrote",
            imp.not_analysed.join(", ")
        ));
    }
    lines
}

/// Text from generated files in a markdown line: what could start markup is
/// escaped.
pub(super) fn md_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
