//! Where a YAML syntax error was most likely made. The parser stops at the
//! token where the document stops making sense, which is often the line after
//! the mistake: a key without its `:`, a line dedented by mistake, a flow
//! mapping never closed. These point at that line instead.

/// A better place and wording for a parser error reported at `line`
/// (1-based): `(line, column, message, help)`.
pub(super) fn likely_cause(text: &str, line: usize, message: &str) -> Option<Cause> {
    let lines: Vec<&str> = text.lines().collect();
    let here = *lines.get(line.checked_sub(1)?)?;
    if message.contains("did not find expected ',' or '}'")
        || message.contains("did not find expected ',' or ']'")
    {
        return unclosed_flow(&lines, line);
    }
    if !message.starts_with("mapping values are not allowed") {
        return None;
    }
    // The nearest line before it that holds something.
    let (prev_no, prev) = lines[..line - 1]
        .iter()
        .enumerate()
        .rev()
        .map(|(i, l)| (i + 1, strip_comment(l)))
        .find(|(_, l)| !l.trim().is_empty())?;
    let content = prev.trim();
    let indent = |l: &str| l.len() - l.trim_start().len();
    if !content.contains(':') && !content.starts_with('-') && !content.starts_with(['{', '[']) {
        // `  web` above `    kind: app`: the key lost its colon.
        return Some(Cause {
            line: prev_no,
            column: prev[..indent(prev)].chars().count() + content.chars().count() + 1,
            message: format!(
                "`{content}` has no `:`, so the indented lines after it cannot belong to it"
            ),
            help: format!("write `{content}:`"),
        });
    }
    if let Some((key, value)) = content.split_once(": ")
        && !value.trim().is_empty()
        && indent(here) > indent(prev)
    {
        // `  image: x` above `    ports: {}`: one of the two is indented wrongly.
        let key = key.trim_start_matches("- ").trim();
        return Some(Cause {
            line: prev_no,
            column: prev[..indent(prev)].chars().count() + 1,
            message: format!(
                "the line after `{key}` is indented deeper than it, but `{key}` already has a value"
            ),
            help: format!(
                "indent `{key}:` like the keys around it, or the line after it like `{key}`"
            ),
        });
    }
    None
}

/// The parser's error, moved.
pub(super) struct Cause {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: String,
}

/// The `{` or `[` left open before `line`: the last one whose nesting never
/// closed (quotes skipped).
fn unclosed_flow(lines: &[&str], line: usize) -> Option<Cause> {
    let mut open: Vec<(usize, usize, char)> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(line) {
        let mut quote: Option<char> = None;
        for (col, c) in strip_comment(l).chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '{' | '[') => open.push((i + 1, col + 1, c)),
                (None, '}' | ']') => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    // The innermost bracket still open before the line the parser stopped on.
    let (at, column, c) = open.into_iter().rev().find(|(at, _, _)| *at < line)?;
    let close = if c == '{' { '}' } else { ']' };
    Some(Cause {
        line: at,
        column,
        message: format!("this `{c}` is never closed"),
        help: format!("add the `{close}` that ends it"),
    })
}

/// A line without its `# comment` (a `#` after a space, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(text: &str, line: usize, message: &str) -> Option<(usize, String)> {
        likely_cause(text, line, message).map(|c| (c.line, c.message))
    }

    #[test]
    fn a_key_without_its_colon_is_blamed_not_the_line_after() {
        let text = "services:\n  web\n    kind: app\n";
        let got = cause(text, 3, "mapping values are not allowed in this context").unwrap();
        assert_eq!(got.0, 2);
        assert!(got.1.contains("`web` has no `:`"), "{}", got.1);
    }

    #[test]
    fn a_dedented_key_with_a_value_is_blamed() {
        let text = "services:\n  web:\n    kind: app\n  image: x\n    ports: {}\n";
        let got = cause(text, 5, "mapping values are not allowed in this context").unwrap();
        assert_eq!(got.0, 4);
    }

    #[test]
    fn an_unclosed_flow_mapping_is_blamed_where_it_opens() {
        let text = "a:\n  ports: {http: {container: 8080} # a comment {\n  api:\n";
        let got = cause(
            text,
            3,
            "while parsing a flow mapping, did not find expected ',' or '}'",
        )
        .unwrap();
        assert_eq!(got, (2, "this `{` is never closed".to_owned()));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "services:\n  名前\n    kind: app\n";
        let got = likely_cause(text, 3, "mapping values are not allowed in this context").unwrap();
        assert_eq!((got.line, got.column), (2, 5));
        let text = "näme: {c: 1\nd: 2\n";
        let got = likely_cause(text, 2, "did not find expected ',' or '}'").unwrap();
        assert_eq!((got.line, got.column), (1, 7));
    }

    #[test]
    fn other_errors_keep_their_place() {
        assert!(cause("a: \"x\n", 1, "unclosed quote").is_none());
        assert!(cause("a:\n  b: c\n  d: e\n", 3, "mapping values are not allowed").is_none());
    }
}
