//! What a hostile value may not do to a generated artifact: break its syntax,
//! add a key to a YAML, JSON or HCL document, or reach a shell or nginx outside
//! quotes. Shared by the hostile corpus and the property tests.

use std::collections::BTreeMap;

use serde_json::Value as J;

/// The marker every hostile payload carries.
pub const MARK: &str = "FSPWN";

/// Quote state before a byte of a shell or nginx text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Q {
    Normal,
    /// After a backslash outside single quotes: the byte is literal.
    Escaped,
    Single,
    Double,
    DoubleEscaped,
    Comment,
}

/// The state before every byte of `text`, lexed as POSIX shell (or nginx, whose
/// quoting and comments follow the same rules for this purpose).
fn states(text: &str) -> Vec<Q> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut q = Q::Normal;
    for (i, &b) in bytes.iter().enumerate() {
        out.push(q);
        let word_start =
            i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b';' | b'{' | b'(');
        q = match (q, b) {
            (Q::Escaped, _) => Q::Normal,
            (Q::DoubleEscaped, _) => Q::Double,
            (Q::Normal, b'\\') => Q::Escaped,
            (Q::Normal, b'\'') => Q::Single,
            (Q::Normal, b'"') => Q::Double,
            (Q::Normal, b'#') if word_start => Q::Comment,
            (Q::Single, b'\'') => Q::Normal,
            (Q::Double, b'\\') => Q::DoubleEscaped,
            (Q::Double, b'"') => Q::Normal,
            (Q::Comment, b'\n') => Q::Normal,
            (state, _) => state,
        };
    }
    out
}

/// Whether the payload holds something a shell or nginx would act on.
fn has_meta(payload: &str) -> bool {
    payload
        .chars()
        .any(|c| "$`'\";|&<>(){}\n\r#\\*".contains(c))
}

/// Every raw occurrence of `payload` in `text` must lie inside one quoted
/// string or comment: single quotes for a shell, single or double quotes for
/// nginx (without `$`, which nginx expands in both).
fn check_quoted(where_: &str, text: &str, payload: &str, nginx: bool) -> Result<(), String> {
    if !has_meta(payload) {
        return Ok(());
    }
    let st = states(text);
    for (at, _) in text.match_indices(payload) {
        let inside = &st[at..at + payload.len()];
        let first = inside[0];
        let same = inside.iter().all(|s| *s == first);
        let safe = same
            && match first {
                Q::Single | Q::Comment => true,
                Q::Double => nginx && !payload.contains('$'),
                _ => false,
            };
        if !safe {
            let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let to = text[at..].find('\n').map_or(text.len(), |i| at + i);
            return Err(format!(
                "{where_}: payload {payload:?} reaches the {} unquoted ({first:?}): {:?}",
                if nginx { "nginx config" } else { "shell" },
                &text[from..to]
            ));
        }
    }
    Ok(())
}

/// Keys of a parsed document that hold the marker: a payload that made a key.
fn marked_keys(value: &J, out: &mut Vec<String>) {
    match value {
        J::Object(map) => {
            for (k, v) in map {
                if k.contains(MARK) {
                    out.push(k.clone());
                }
                marked_keys(v, out);
            }
        }
        J::Array(items) => items.iter().for_each(|v| marked_keys(v, out)),
        _ => {}
    }
}

/// Shell strings inside a compose file: `CMD-SHELL` health checks and
/// `sh -c` commands and entrypoints, with Compose's `$$` turned back into `$`.
fn compose_shell_strings(doc: &J) -> Vec<String> {
    let mut out = Vec::new();
    let Some(services) = doc.get("services").and_then(J::as_object) else {
        return out;
    };
    for service in services.values() {
        let lists = [
            service.pointer("/healthcheck/test"),
            service.get("command"),
            service.get("entrypoint"),
        ];
        for list in lists.into_iter().flatten() {
            let Some(items) = list.as_array() else {
                continue;
            };
            let words: Vec<&str> = items.iter().filter_map(J::as_str).collect();
            let script = match words.as_slice() {
                ["CMD-SHELL", script, ..] => Some(*script),
                [sh, "-c", script, ..] if sh.ends_with("sh") => Some(*script),
                _ => None,
            };
            if let Some(script) = script {
                out.push(script.replace("$$", "$"));
            }
        }
    }
    out
}

/// Checks every artifact against `payloads`. `key_payload`: the case put the
/// payload in a key on purpose (an `env` name), so a marked key is expected.
pub fn check_artifacts(
    files: &BTreeMap<String, String>,
    payloads: &[&str],
    key_payload: bool,
) -> Result<(), String> {
    for (path, text) in files {
        let doc: Option<J> = if path.ends_with(".yml") || path.ends_with(".yaml") {
            Some(serde_saphyr::from_str(text).map_err(|e| format!("{path} is not YAML: {e}"))?)
        } else if path.ends_with(".json") {
            Some(serde_json::from_str(text).map_err(|e| format!("{path} is not JSON: {e}"))?)
        } else if path.ends_with(".tf") {
            let body: hcl::Body =
                hcl::parse(text).map_err(|e| format!("{path} is not HCL: {e}"))?;
            let json: J = hcl::from_body(body).map_err(|e| format!("{path}: {e}"))?;
            Some(json)
        } else {
            None
        };
        if let Some(doc) = &doc {
            let mut keys = Vec::new();
            marked_keys(doc, &mut keys);
            if !keys.is_empty() && !key_payload {
                return Err(format!("{path}: a payload made keys {keys:?}"));
            }
            if path == "docker-compose.yml" {
                for script in compose_shell_strings(doc) {
                    for p in payloads {
                        check_quoted(&format!("{path} (shell string)"), &script, p, false)?;
                    }
                }
            }
        }
        let shell = path.ends_with(".sh") || path.ends_with(".tftpl");
        let nginx = path.ends_with("nginx.conf");
        if shell || nginx {
            // Terraform's template escapes come undone before the shell runs.
            let text = if path.ends_with(".tftpl") {
                text.replace("$${", "${").replace("%%{", "%{")
            } else {
                text.clone()
            };
            for p in payloads {
                check_quoted(path, &text, p, nginx)?;
            }
        }
    }
    Ok(())
}

/// Guards for the checks themselves: each catches what it is meant to.
pub fn self_test() {
    let p = "$(touch FSPWN)";
    assert!(check_quoted("t", "echo '$(touch FSPWN)'", p, false).is_ok());
    assert!(check_quoted("t", "echo $(touch FSPWN)", p, false).is_err());
    assert!(check_quoted("t", "echo \"$(touch FSPWN)\"", p, false).is_err());
    let q = "a'b;FSPWN";
    assert!(check_quoted("t", "echo 'a'\\''b;FSPWN'", q, false).is_ok());
    assert!(check_quoted("t", "echo 'a'b;FSPWN'", q, false).is_err());
    let nl = "x\nFSPWN";
    assert!(check_quoted("t", "# x\nFSPWN", nl, false).is_err());
    assert!(check_quoted("t", "server_name \"a;FSPWN\";", "a;FSPWN", true).is_ok());
    assert!(check_quoted("t", "server_name a;FSPWN;", "a;FSPWN", true).is_err());
    let files = BTreeMap::from([("x.yml".to_owned(), "a: 1\nFSPWN: 2\n".to_owned())]);
    assert!(check_artifacts(&files, &[], false).is_err());
    let files = BTreeMap::from([(
        "docker-compose.yml".to_owned(),
        "services:\n  a:\n    healthcheck:\n      test: [CMD-SHELL, \"curl $$(touch FSPWN)\"]\n"
            .to_owned(),
    )]);
    assert!(check_artifacts(&files, &[p], false).is_err());
}
