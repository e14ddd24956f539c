//! The migration's edits of one declared document, made on its text (comments and layout
//! kept) and proven by parsing: the edited document must equal the original with the
//! change applied as data, or the edit is refused with where and why.

use serde_json::{Value, json};

use super::manifest::{self, ClusterChange, Legacy};
use super::yaml_edit::{Block, Text, block_lines};
use crate::model::domain::PLUGIN_NAME;

/// What a Cluster document becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterEdit<'a> {
    pub store: &'a str,
    /// serverName for the plugin entry (when the in-tree section wrote one).
    pub server: Option<&'a str>,
    /// (externalClusters entry name, its ObjectStore, its server name).
    pub externals: &'a [(String, String, String)],
}

fn spec(t: &Text, doc: usize) -> Result<Block, String> {
    let d = t.document(doc).ok_or("the document is not in the file")?;
    let e = t.find(d, "spec").ok_or("the document has no spec")?;
    if t.inline(e) {
        return Err("spec is written inline (flow style)".into());
    }
    t.child(e).ok_or_else(|| "spec is empty".into())
}

/// The keys of a mapping block.
fn keys(t: &Text, b: Block) -> Vec<String> {
    (b.start..b.end)
        .filter_map(|n| {
            let l = &t.lines[n];
            let col = if n == b.start && l.trim_start().starts_with("- ") {
                b.col
            } else {
                l.len() - l.trim_start_matches(' ').len()
            };
            if col != b.col || l.trim().is_empty() || l.trim_start().starts_with('#') {
                return None;
            }
            let k = l.get(b.col..)?.split_once(':')?.0.trim();
            Some(k.trim_matches(['"', '\'']).to_string())
        })
        .collect()
}

/// Edits the text of Cluster document `doc`; Ok(false) when it declares no in-tree
/// section (nothing to do here).
pub fn cluster(t: &mut Text, doc: usize, ch: &ClusterEdit) -> Result<bool, String> {
    let s = spec(t, doc)?;
    let spec_col = s.col;
    let mut touched = false;
    let mut insert_at = None;
    if let Some(b) = t.find(s, "backup") {
        if t.inline(b) {
            return Err("spec.backup is written inline (flow style)".into());
        }
        let bb = t.child(b).ok_or("spec.backup is empty")?;
        if t.find(bb, "barmanObjectStore").is_some() {
            // What stays is what `Legacy::of` keeps: not CloudNativePG's defaulted target.
            let default_target = t
                .find(bb, "target")
                .is_some_and(|e| t.scalar(e) == manifest::DEFAULT_BACKUP_TARGET);
            let rest: Vec<String> = keys(t, bb)
                .into_iter()
                .filter(|k| {
                    k != "barmanObjectStore"
                        && k != "retentionPolicy"
                        && !(k == "target" && default_target)
                })
                .collect();
            if rest.is_empty() {
                insert_at = Some(b.line);
                t.remove(b);
            } else {
                for key in ["retentionPolicy", "barmanObjectStore"] {
                    // Found again after each removal: the lines below it moved.
                    let s = spec(t, doc)?;
                    let bb = t
                        .child(t.find(s, "backup").ok_or("spec.backup vanished")?)
                        .ok_or("spec.backup vanished")?;
                    if let Some(e) = t.find(bb, key) {
                        t.remove(e);
                    }
                }
            }
            touched = true;
        }
    }
    if touched {
        plugin(t, doc, ch, spec_col, insert_at)?;
    }
    let externals = externals(t, doc, ch)?;
    Ok(touched || externals)
}

/// Whether document `doc` declares the in-tree section itself.
pub fn carries_backup(t: &Text, doc: usize) -> bool {
    spec(t, doc)
        .ok()
        .and_then(|s| t.find(s, "backup"))
        .and_then(|b| t.child(b))
        .is_some_and(|bb| t.find(bb, "barmanObjectStore").is_some())
}

/// The plugin entry, where the backup section was (or at the end of the spec).
fn plugin(
    t: &mut Text,
    doc: usize,
    ch: &ClusterEdit,
    spec_col: usize,
    insert_at: Option<usize>,
) -> Result<(), String> {
    let entry = manifest::plugin_entry(ch.store, ch.server);
    let s = match (spec(t, doc), insert_at) {
        (Ok(s), _) => s,
        // The backup section was all the spec had: the entry takes its place and column.
        (Err(_), Some(at)) => {
            let col = spec_col;
            let dash = t.sequence_style(col);
            let mut lines = vec![format!("{}plugins:", " ".repeat(col))];
            lines.extend(block_lines(&json!([entry]), dash));
            t.insert(at, lines);
            return Ok(());
        }
        (Err(e), None) => return Err(e),
    };
    match t.find(s, "plugins") {
        Some(p) if !t.inline(p) => {
            let dash = t
                .items(p)
                .first()
                .map(|i| i.col - 2)
                .unwrap_or_else(|| t.sequence_style(s.col));
            t.insert(p.end, block_lines(&json!([entry]), dash));
        }
        Some(p) => {
            // `plugins: []`: the list written out as a block.
            let dash = t.sequence_style(s.col);
            t.remove(p);
            let mut lines = vec![format!("{}plugins:", " ".repeat(s.col))];
            lines.extend(block_lines(&json!([entry]), dash));
            t.insert(p.line, lines);
        }
        None => {
            let dash = t.sequence_style(s.col);
            let mut lines = vec![format!("{}plugins:", " ".repeat(s.col))];
            lines.extend(block_lines(&json!([entry]), dash));
            t.insert(insert_at.unwrap_or(s.end), lines);
        }
    }
    Ok(())
}

/// externalClusters that read an in-tree archive, read through the plugin.
fn externals(t: &mut Text, doc: usize, ch: &ClusterEdit) -> Result<bool, String> {
    let mut touched = false;
    for (name, store, server) in ch.externals {
        let Ok(s) = spec(t, doc) else {
            return Ok(touched);
        };
        let Some(ext) = t.find(s, "externalClusters") else {
            continue;
        };
        for item in t.items(ext) {
            if t.find(item, "name").map(|e| t.scalar(e)).as_deref() != Some(name.as_str()) {
                continue;
            }
            let Some(bos) = t.find(item, "barmanObjectStore") else {
                continue;
            };
            let plugin = json!({"plugin": {"name": PLUGIN_NAME, "parameters": {"barmanObjectName": store, "serverName": server}}});
            let mut lines = block_lines(&plugin, item.col);
            // Written in key order (as `kubectl get -o yaml` does), the section opens the
            // item on its dash line: the dash stays, the plugin takes the section's place.
            if bos.line == item.start {
                let dash = t.lines[bos.line]
                    .get(..item.col)
                    .unwrap_or_default()
                    .to_string();
                if let Some(first) = lines.first_mut() {
                    *first = format!("{dash}{}", first.trim_start());
                }
            }
            t.remove(bos);
            t.insert(bos.line, lines);
            touched = true;
            break;
        }
    }
    Ok(touched)
}

/// Edits the text of ScheduledBackup document `doc` onto the plugin; Ok(false) when it
/// stays as it is (volume snapshots, or already the plugin).
pub fn scheduled(t: &mut Text, doc: usize) -> Result<bool, String> {
    let s = spec(t, doc)?;
    let method = t.find(s, "method");
    let current = method.map(|m| t.scalar(m));
    match current.as_deref() {
        None | Some("barmanObjectStore") | Some("") => {}
        Some(_) => return Ok(false),
    }
    match method {
        Some(m) => t.set_scalar(m, "method", "plugin"),
        None => t.insert(s.end, vec![format!("{}method: plugin", " ".repeat(s.col))]),
    }
    let s = spec(t, doc)?;
    if let Some(p) = t.find(s, "pluginConfiguration") {
        t.remove(p);
    }
    let s = spec(t, doc)?;
    t.insert(
        s.end,
        block_lines(
            &json!({"pluginConfiguration": {"name": PLUGIN_NAME}}),
            s.col,
        ),
    );
    Ok(true)
}

/// Appends `item` to the list at `path` (mapping keys from the document's top) in document
/// `doc`, creating the list (and no other key) when it is not there.
pub fn append_item(t: &mut Text, doc: usize, path: &[&str], item: &Value) -> Result<bool, String> {
    let (last, parents) = path.split_last().ok_or("an empty path")?;
    let mut b = t.document(doc).ok_or("the document is not in the file")?;
    for key in parents {
        let e = t
            .find(b, key)
            .ok_or_else(|| format!("the document has no {key}"))?;
        if t.inline(e) {
            return Err(format!("{key} is written inline (flow style)"));
        }
        b = t.child(e).ok_or_else(|| format!("{key} is empty"))?;
    }
    let items = block_lines(&json!([item]), 0);
    match t.find(b, last) {
        Some(e) if !t.inline(e) => {
            let dash = t
                .items(e)
                .first()
                .map(|i| i.col - 2)
                .unwrap_or_else(|| t.sequence_style(b.col));
            t.insert(e.end, indented(items, dash));
        }
        Some(e) => {
            if t.scalar(e) != "[]" {
                return Err(format!("{last} is written inline (flow style)"));
            }
            let dash = t.sequence_style(b.col);
            t.remove(e);
            let mut lines = vec![format!("{}{last}:", " ".repeat(b.col))];
            lines.extend(indented(items, dash));
            t.insert(e.line, lines);
        }
        None => {
            let dash = t.sequence_style(b.col);
            let mut lines = vec![format!("{}{last}:", " ".repeat(b.col))];
            lines.extend(indented(items, dash));
            t.insert(b.end, lines);
        }
    }
    Ok(true)
}

/// Sets `key` to `value` in the mapping at `path` of document `doc`: its entry replaced
/// in place, or added at the end of the mapping.
pub fn set_key(
    t: &mut Text,
    doc: usize,
    path: &[&str],
    key: &str,
    value: &Value,
) -> Result<bool, String> {
    let mut b = t.document(doc).ok_or("the document is not in the file")?;
    for k in path {
        let e = t
            .find(b, k)
            .ok_or_else(|| format!("the document has no {k}"))?;
        if t.inline(e) {
            return Err(format!("{k} is written inline (flow style)"));
        }
        b = t.child(e).ok_or_else(|| format!("{k} is empty"))?;
    }
    let lines = block_lines(&json!({ key: value }), b.col);
    match t.find(b, key) {
        Some(e) => {
            if e.line == b.start && t.lines[e.line].trim_start().starts_with("- ") {
                return Err(format!("{key} sits on a list item's dash line"));
            }
            t.remove(e);
            t.insert(e.line, lines);
        }
        None => t.insert(b.end, lines),
    }
    Ok(true)
}

/// What a document must be after `set_key`.
pub fn expected_set(doc: &Value, path: &[&str], key: &str, value: &Value) -> Option<Value> {
    let mut out = doc.clone();
    let mut cur = &mut out;
    for k in path {
        cur = cur.get_mut(*k)?;
    }
    cur.as_object_mut()?.insert(key.to_string(), value.clone());
    Some(out)
}

fn indented(lines: Vec<String>, col: usize) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| format!("{}{l}", " ".repeat(col)))
        .collect()
}

/// What a document must be after `append_item`.
pub fn expected_append(doc: &Value, path: &[&str], item: &Value) -> Option<Value> {
    let mut out = doc.clone();
    let (last, parents) = path.split_last()?;
    let mut cur = &mut out;
    for k in parents {
        cur = cur.get_mut(*k)?;
    }
    let m = cur.as_object_mut()?;
    match m.get_mut(*last) {
        Some(Value::Array(a)) => a.push(item.clone()),
        Some(_) => return None,
        None => {
            m.insert((*last).to_string(), json!([item]));
        }
    }
    Some(out)
}

/// The YAML documents of a text, parsed (None for one that does not parse).
pub fn parse_docs(text: &str) -> Vec<Option<Value>> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).ok())
        .collect()
}

/// What a Cluster document must be after the edit: the change applied as data.
pub fn expected_cluster(doc: &Value, ch: &ClusterEdit) -> Option<Value> {
    let mut out = doc.clone();
    if let Some(mut l) = Legacy::of(doc) {
        l.server_written = ch.server.is_some();
        if let Some(s) = ch.server {
            l.server = s.to_string();
        }
        l.external.clear();
        out = manifest::migrated_cluster(
            doc,
            &ClusterChange {
                legacy: &l,
                store: ch.store,
                external_stores: &[],
            },
        );
    }
    if let Some(ext) = out
        .pointer_mut("/spec/externalClusters")
        .and_then(Value::as_array_mut)
    {
        for e in ext {
            let n = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if e.get("barmanObjectStore").is_none() {
                continue;
            }
            if let Some((_, store, server)) = ch.externals.iter().find(|(en, _, _)| *en == n) {
                *e = manifest::external_entry(e, store, server);
            }
        }
    }
    Some(out)
}

/// Edits document `doc` of `text` with `edit` and proves the result: the edited document
/// parses to `expected(original)`, and every other document is unchanged.
pub fn proven_edit(
    text: &str,
    doc: usize,
    edit: impl FnOnce(&mut Text, usize) -> Result<bool, String>,
    expected: impl FnOnce(&Value) -> Option<Value>,
) -> Result<Option<String>, String> {
    let before = parse_docs(text);
    let Some(Some(original)) = before.get(doc) else {
        return Err(format!("document {} does not parse as YAML", doc + 1));
    };
    let mut t = Text::parse(text);
    if !edit(&mut t, doc)? {
        return Ok(None);
    }
    let out = t.render();
    let after = parse_docs(&out);
    let want = expected(original);
    if after.len() != before.len() {
        return Err("the edit changed the number of documents".into());
    }
    for (i, (a, b)) in after.iter().zip(&before).enumerate() {
        if i == doc {
            if a.is_none() || *a != want {
                return Err("the edited document does not read back as the planned change".into());
            }
        } else if a != b {
            return Err(format!("the edit would change document {}", i + 1));
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
#[path = "doc_edit_tests.rs"]
mod tests;
