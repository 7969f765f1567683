//! "Did you mean ...?" suggestions for misspelled names.

/// Longest name compared: Jaro-Winkler costs the product of both lengths, and a
/// typo of a real name is never this long.
const MAX_COMPARED: usize = 128;

/// The closest candidate to `input`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if input.len() > MAX_COMPARED {
        return None;
    }
    candidates
        .into_iter()
        .filter(|c| c.len() <= MAX_COMPARED)
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("prots", ["ports", "uses", "image"]),
            Some("ports")
        );
        assert_eq!(did_you_mean("mysq", ["mysql", "postgres"]), Some("mysql"));
        assert_eq!(did_you_mean("zzz", ["ports", "uses"]), None);
        let long = "p".repeat(200);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
    }
}
