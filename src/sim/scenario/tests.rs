use super::clock::shift_line;
use super::parse::{Parsed, parse_file};
use super::*;

fn parse(text: &str) -> Result<Parsed, ScenarioError> {
    let mut p = Parsed::default();
    parse_file("t.yaml", text, &mut p).map(|_| p)
}

#[test]
fn durations() {
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert!(parse_duration("10").is_err());
    assert!(parse_duration("5d").is_err());
}

#[test]
fn errors_name_the_document_and_line() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "t.yaml: document 2 (line 5): the object has no metadata.name: every object needs apiVersion, kind and metadata.name"
    );
    let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# two\nkind: a: b\n";
    let err = parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "t.yaml: document 2 (line 6, column 8): mapping values are not allowed in this context"
    );
}

#[test]
fn lists_are_unpacked_and_items_named() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: b}\n";
    let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "t.yaml: document 1 (line 1), items[1]: the object has no apiVersion: every object needs apiVersion, kind and metadata.name"
    );
}

#[test]
fn a_field_of_the_wrong_shape_is_named_as_such() {
    let err = |text: &str| parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err("apiVersion: v1\nkind: List\nitems: notalist\n"),
        "t.yaml: document 1 (line 1): items of a List must be a list of objects, found a string"
    );
    assert_eq!(
        err("apiVersion: v1\nkind: ConfigMap\nmetadata: astring\n"),
        "t.yaml: document 1 (line 1): metadata must be a mapping (name, namespace, labels...), found a string"
    );
}

#[test]
fn timestamps_move_with_the_clock() {
    let mut v = serde_json::json!({"a": "2026-11-24T06:00:00Z", "b": ["2026-11-23T06:00:00.5Z"], "c": "not a time"});
    shift_times(&mut v, chrono::Duration::hours(2));
    assert_eq!(v["a"], "2026-11-24T08:00:00Z");
    assert_eq!(v["b"][0], "2026-11-23T08:00:00.500Z");
    assert_eq!(v["c"], "not a time");
    assert_eq!(
        shift_line("2026-11-24T06:00:00Z hello", chrono::Duration::hours(1)),
        "2026-11-24T07:00:00Z hello"
    );
}
