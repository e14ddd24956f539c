//! Every YAML document of a file, split where kubectl and kustomize split them (`---` at the
//! start of a line) so that each keeps its 1-based start line, and parsed leniently: a
//! document that does not parse is kept as an error with its line, never a panic.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The most characters of a kind, name or namespace kept from a document.
const MAX_NAME: usize = 253;

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct Doc {
    pub file: PathBuf,
    /// The 1-based line of the document's first content line.
    pub line: usize,
    /// 0-based, counting the non-empty documents of the file.
    pub doc_index: usize,
    pub api_version: String,
    pub kind: String,
    /// `metadata.namespace` as written (empty when absent).
    pub namespace: String,
    pub name: String,
    pub value: Value,
    /// The document's own lines, for finding the line of a field.
    text: String,
}

/// A document that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl Doc {
    /// The absolute line of the first `key:` (a mapping key, or the first key of a list
    /// item) at or after the document line `after` (absolute), else the document's line.
    pub fn line_of(&self, key: &str, after: usize) -> usize {
        self.find_line(after, |t| {
            let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
            t.strip_prefix(key)
                .is_some_and(|r| r.starts_with(':') || r.starts_with("\":"))
        })
        .unwrap_or(self.line)
    }

    /// The absolute line of the first line at or after `after` holding `needle`.
    pub fn line_with(&self, needle: &str, after: usize) -> Option<usize> {
        self.find_line(after, |t| t.contains(needle))
    }

    fn find_line(&self, after: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .map(|(i, l)| (self.line + i, l))
            .filter(|(n, _)| *n >= after)
            .find(|(_, l)| !l.trim_start().starts_with('#') && pred(l.trim_start()))
            .map(|(n, _)| n)
    }

    /// A string at a path of mapping keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        get(&self.value, path).and_then(Value::as_str)
    }
}

/// The value at a path of mapping keys.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A scalar as text: strings, numbers and booleans as YAML writes them.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a line separates documents: `---` alone or followed by a space (a directive
/// end marker may carry content after it; kustomize's reader splits on the marker).
fn is_separator(line: &str) -> bool {
    let l = line.trim_end_matches('\r');
    l == "---" || l.starts_with("--- ") || l.starts_with("---\t")
}

/// The documents of `text`, read from `file`.
pub fn parse(file: &Path, text: &str) -> (Vec<Doc>, Vec<ParseError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut chunks: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        if is_separator(line) {
            chunks.push((start, std::mem::take(&mut current)));
            start = i + 2;
            // Content after the marker on its line belongs to the next document.
            let rest = line.trim_end_matches('\r')[3..].trim();
            if !rest.is_empty() {
                current.push_str(rest);
                current.push('\n');
                start = i + 1;
            }
            continue;
        }
        if line.trim_end() == "..." {
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    chunks.push((start, current));
    for (chunk_start, chunk) in chunks {
        // The document starts at its first line of content, past blank lines and comments.
        let Some(skip) = chunk
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        else {
            continue;
        };
        let line = chunk_start + skip;
        let body: String = chunk.lines().skip(skip).fold(String::new(), |mut s, l| {
            s.push_str(l);
            s.push('\n');
            s
        });
        match serde_yaml::from_str::<Value>(&body) {
            Ok(Value::Null) => {}
            Ok(value) => {
                // Kubernetes names are at most 253 characters; a file's are untrusted and
                // end up in every finding about it.
                let s = |path: &[&str]| {
                    let v = get(&value, path).and_then(scalar).unwrap_or_default();
                    crate::sanitize::bounded(&v, MAX_NAME).into_owned()
                };
                docs.push(Doc {
                    file: file.to_path_buf(),
                    line,
                    doc_index: docs.len(),
                    api_version: s(&["apiVersion"]),
                    kind: s(&["kind"]),
                    namespace: s(&["metadata", "namespace"]),
                    name: s(&["metadata", "name"]),
                    value,
                    text: body,
                });
            }
            Err(e) => {
                let at = e.location().map(|l| l.line()).unwrap_or(1);
                errors.push(ParseError {
                    file: file.to_path_buf(),
                    line: line + at.saturating_sub(1),
                    message: first_line(&e.to_string()),
                });
            }
        }
    }
    // A file that is valid but not a mapping per document (a bare list, a scalar) is left to
    // the rules: Flux fails on it only when it applies it.
    (docs, errors)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_start_lines_and_indices() {
        let text = "# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\n---\n# b\nkind: Secret\nmetadata:\n  name: b\n  namespace: x\n--- \nkind: Secret\n\tname: tabbed\n";
        let (docs, errors) = parse(Path::new("f.yaml"), text);
        assert_eq!(docs.len(), 2);
        assert_eq!(
            (docs[0].line, docs[0].doc_index, docs[0].name.as_str()),
            (2, 0, "a")
        );
        assert_eq!((docs[1].line, docs[1].doc_index), (10, 1));
        assert_eq!(docs[1].namespace, "x");
        assert_eq!(docs[1].line_of("namespace", docs[1].line), 13);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 16, "{errors:?}");
    }
}
