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
            crate::render::one_line(&imp.not_analysed.join(", "))
        ));
    }
    lines
}

/// A line of the report in markdown: a code span (as many backticks as
/// needed), in which nothing from a committed file can mention, link or
/// format.
pub(super) fn md_inline(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}
