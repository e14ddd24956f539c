//! From YAML text to objects: documents split with the line each starts on, Lists unpacked,
//! every object checked for the fields the simulator needs, and the one Scenario document
//! set apart. Errors name the file, the document and the line.

use serde_json::Value;

use super::{RawScenarioDoc, SCENARIO_API_VERSION, ScenarioError};

/// One YAML document of a file, with the line it starts on.
struct Doc<'a> {
    index: usize,
    line: usize,
    text: &'a str,
}

fn split_documents(text: &str) -> Vec<Doc<'_>> {
    let mut docs = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed == "..." {
            docs.push((start_byte, offset, start_line));
            start_byte = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    docs.push((start_byte, text.len(), start_line));
    docs.into_iter()
        .filter(|(s, e, _)| {
            text[*s..*e]
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .enumerate()
        .map(|(index, (s, e, line))| Doc {
            index: index + 1,
            line,
            text: &text[s..e],
        })
        .collect()
}

fn yaml_error(file: &str, doc: &Doc, e: &serde_yaml::Error) -> ScenarioError {
    let location = e
        .location()
        .map(|l| format!("line {}, column {}", doc.line + l.line() - 1, l.column()))
        .unwrap_or_else(|| format!("line {}", doc.line));
    // serde_yaml appends "at line X column Y" relative to the document: drop it, ours is absolute.
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    ScenarioError::Invalid(format!(
        "{file}: document {} ({location}): {msg}",
        doc.index
    ))
}

/// Everything read from one source (a file, a folder, or an embedded scenario).
#[derive(Default)]
pub(super) struct Parsed {
    pub(super) objects: Vec<(String, Value)>,
    pub(super) doc: Option<(String, RawScenarioDoc)>,
}

fn check_object(obj: &Value, place: &str) -> Result<(), ScenarioError> {
    let missing = |field: &str| {
        ScenarioError::Invalid(format!(
            "{place}: the object has no {field}: every object needs apiVersion, kind and metadata.name"
        ))
    };
    if !obj.is_object() {
        return Err(ScenarioError::Invalid(format!(
            "{place}: expected a Kubernetes object (a mapping), found {}",
            kind_of(obj)
        )));
    }
    // Without this, `metadata: astring` read as "the object has no metadata.name".
    if let Some(metadata) = obj.get("metadata")
        && !metadata.is_object()
        && !metadata.is_null()
    {
        return Err(ScenarioError::Invalid(format!(
            "{place}: metadata must be a mapping (name, namespace, labels...), found {}",
            kind_of(metadata)
        )));
    }
    for (field, pointer) in [
        ("apiVersion", "/apiVersion"),
        ("kind", "/kind"),
        ("metadata.name", "/metadata/name"),
    ] {
        match obj.pointer(pointer) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(other) if !other.is_null() => {
                return Err(ScenarioError::Invalid(format!(
                    "{place}: {field} must be a string, found {}",
                    kind_of(other)
                )));
            }
            _ => return Err(missing(field)),
        }
    }
    Ok(())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(super) fn parse_file(file: &str, text: &str, out: &mut Parsed) -> Result<(), ScenarioError> {
    for doc in split_documents(text) {
        let value: Value =
            serde_yaml::from_str(doc.text).map_err(|e| yaml_error(file, &doc, &e))?;
        let place = format!("{file}: document {} (line {})", doc.index, doc.line);
        if value.get("kind").and_then(Value::as_str) == Some("Scenario")
            && value.get("apiVersion").and_then(Value::as_str) == Some(SCENARIO_API_VERSION)
        {
            let raw: RawScenarioDoc =
                serde_yaml::from_str(doc.text).map_err(|e| yaml_error(file, &doc, &e))?;
            if let Some((other, _)) = &out.doc {
                return Err(ScenarioError::Invalid(format!(
                    "{place}: a second Scenario document (the first is in {other}); a scenario has at most one"
                )));
            }
            out.doc = Some((place, raw));
            continue;
        }
        let kind_is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
        if kind_is_list
            && let Some(items) = value.get("items")
            && !items.is_array()
        {
            return Err(ScenarioError::Invalid(format!(
                "{place}: items of a {} must be a list of objects, found {}",
                value.get("kind").and_then(Value::as_str).unwrap_or("List"),
                kind_of(items)
            )));
        }
        let is_list = kind_is_list && value.get("items").is_some_and(Value::is_array);
        if is_list {
            let items = value
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, item) in items.into_iter().enumerate() {
                let place = format!("{place}, items[{i}]");
                check_object(&item, &place)?;
                out.objects.push((place, item));
            }
        } else {
            check_object(&value, &place)?;
            out.objects.push((place, value));
        }
    }
    Ok(())
}
