//! POSIX shell quoting: the one escaping layer for every value that reaches a
//! shell script (the deploy script, the `.sh` templates).

/// A shell word that stands for `s` exactly (single quotes; a `'` inside becomes `'\''`).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_keeps_every_byte() {
        assert_eq!(quote("/opt/futurestack/a"), "'/opt/futurestack/a'");
        assert_eq!(quote("it's $(x)"), "'it'\\''s $(x)'");
        assert_eq!(quote(""), "''");
    }
}
