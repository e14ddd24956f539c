//! Scenarios: plain Kubernetes YAML (a List, multi-document files, folders) plus an
//! optional `kind: Scenario` document for logs, a timeline and faults. See docs/SCENARIOS.md.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::faults::{ErrorRule, Forbid};
use super::registry::split_api_version;
pub use crate::model::kubefmt::parse_duration;

pub const SCENARIO_API_VERSION: &str = "sim.backstop.dev/v1";

/// The scenarios embedded in the binary, in the order `sim list` shows them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("healthy", include_str!("../scenarios/healthy.yaml")),
    (
        "gitignore-trap",
        include_str!("../scenarios/gitignore-trap.yaml"),
    ),
    (
        "plugin-crashloop-oom",
        include_str!("../scenarios/plugin-crashloop-oom.yaml"),
    ),
    (
        "objectstore-credentials",
        include_str!("../scenarios/objectstore-credentials.yaml"),
    ),
    (
        "slow-backups",
        include_str!("../scenarios/slow-backups.yaml"),
    ),
    (
        "flux-stuck-dependency",
        include_str!("../scenarios/flux-stuck-dependency.yaml"),
    ),
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScenarioError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("no scenario named '{0}': give a built-in name ({names}) or a file or folder of YAML", names = builtin_names().join(", "))]
    Unknown(String),
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| parse_duration(&s).map_err(serde::de::Error::custom))
        .transpose()
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Clock {
    pub anchor: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateSpec {
    pub per_second: f64,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogSpec {
    /// `namespace/name`
    pub pod: String,
    pub container: String,
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub previous: Vec<String>,
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchStep {
    #[serde(rename = "ref")]
    pub target: ObjRef,
    pub merge: Value,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestartStep {
    /// `namespace/name`
    pub pod: String,
    pub container: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub then: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventStep {
    pub involved: ObjRef,
    #[serde(default = "normal")]
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub message: String,
    #[serde(default)]
    pub source: Option<String>,
}

fn normal() -> String {
    "Normal".into()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Apply(Value),
    Patch(PatchStep),
    Delete(ObjRef),
    Restart(RestartStep),
    Event(EventStep),
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawStep {
    #[serde(default, deserialize_with = "de_opt_duration")]
    after: Option<Duration>,
    #[serde(default)]
    apply: Option<Value>,
    #[serde(default)]
    patch: Option<PatchStep>,
    #[serde(default)]
    delete: Option<ObjRef>,
    #[serde(default)]
    restart: Option<RestartStep>,
    #[serde(default)]
    event: Option<EventStep>,
}

impl RawStep {
    fn action(self) -> Result<(Duration, Action), String> {
        let after = self.after.unwrap_or_default();
        let mut actions: Vec<Action> = Vec::new();
        actions.extend(self.apply.map(Action::Apply));
        actions.extend(self.patch.map(Action::Patch));
        actions.extend(self.delete.map(Action::Delete));
        actions.extend(self.restart.map(Action::Restart));
        actions.extend(self.event.map(Action::Event));
        match actions.len() {
            1 => Ok((after, actions.remove(0))),
            0 => Err("a step needs one action: apply, patch, delete, restart or event".into()),
            _ => Err("a step has more than one action: give each its own step".into()),
        }
    }
}

// Not deny_unknown_fields: the flattened map takes the inline action, which is then read
// as a step, and that rejects unknown fields.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(deserialize_with = "de_duration")]
    at: Duration,
    #[serde(default, deserialize_with = "de_opt_duration")]
    every: Option<Duration>,
    #[serde(default)]
    steps: Vec<RawStep>,
    #[serde(flatten)]
    inline: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: Duration,
    pub every: Option<Duration>,
    pub steps: Vec<(Duration, Action)>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub latency: Option<Duration>,
    #[serde(default)]
    pub errors: Vec<ErrorRule>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub drop_watches_after: Option<Duration>,
    #[serde(default)]
    pub expire_next_watch: bool,
    #[serde(default)]
    pub forbidden: Vec<Forbid>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSpec {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    remove: Vec<ObjRef>,
    #[serde(default)]
    clock: Option<Clock>,
    #[serde(default)]
    logs: Vec<LogSpec>,
    #[serde(default)]
    timeline: Vec<RawEntry>,
    #[serde(default)]
    faults: Option<FaultSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScenarioDoc {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    metadata: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    spec: RawSpec,
}

/// A scenario ready to load: its objects with timestamps already moved to the present.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub expect: Vec<String>,
    pub objects: Vec<Value>,
    pub logs: Vec<LogSpec>,
    pub timeline: Vec<TimelineEntry>,
    pub faults: FaultSpec,
    /// How far the scenario's timestamps were moved (now - anchor).
    pub shift: chrono::Duration,
}

/// Identity of an object within a scenario: (group, kind, namespace, name).
pub type Identity = (String, String, String, String);

pub fn identity(obj: &Value) -> Identity {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let av = s("/apiVersion");
    let (group, _) = split_api_version(&av);
    (
        group.to_string(),
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

fn ref_identity(r: &ObjRef) -> Identity {
    let (group, _) = split_api_version(&r.api_version);
    (
        group.to_string(),
        r.kind.clone(),
        r.namespace.clone().unwrap_or_default(),
        r.name.clone(),
    )
}

fn describe(id: &Identity) -> String {
    if id.2.is_empty() {
        format!("{} {}", id.1, id.3)
    } else {
        format!("{} {}/{}", id.1, id.2, id.3)
    }
}

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
struct Parsed {
    objects: Vec<(String, Value)>,
    doc: Option<(String, RawScenarioDoc)>,
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

fn parse_file(file: &str, text: &str, out: &mut Parsed) -> Result<(), ScenarioError> {
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

fn read_dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    // The walk's errors name the file or folder they are about.
    let files = crate::files::files_below(dir, &["yaml", "yml", "json"])
        .map_err(|e| ScenarioError::Invalid(e.to_string()))?;
    out.extend(files);
    Ok(())
}

/// Reads a scenario: a built-in name, a file, or a folder.
pub fn load(spec: &str, now: DateTime<Utc>) -> Result<Scenario, ScenarioError> {
    load_inner(spec, now, &mut Vec::new())
}

fn load_inner(
    spec: &str,
    now: DateTime<Utc>,
    chain: &mut Vec<String>,
) -> Result<Scenario, ScenarioError> {
    if chain.iter().any(|c| c == spec) {
        return Err(ScenarioError::Invalid(format!(
            "scenario bases form a cycle: {} -> {spec}",
            chain.join(" -> ")
        )));
    }
    chain.push(spec.to_string());
    let mut parsed = Parsed::default();
    let default_name;
    if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
        parse_file(&format!("{name}.yaml (built in)"), text, &mut parsed)?;
        default_name = name.to_string();
    } else {
        let path = Path::new(spec);
        if !path.exists() {
            return Err(ScenarioError::Unknown(spec.to_string()));
        }
        let mut files = Vec::new();
        if path.is_dir() {
            read_dir_files(path, &mut files)?;
            if files.is_empty() {
                return Err(ScenarioError::Invalid(format!(
                    "{spec}: the folder holds no .yaml, .yml or .json file"
                )));
            }
        } else {
            files.push(path.to_path_buf());
        }
        for f in &files {
            let text = crate::files::read_text(f, crate::files::DUMP_LIMIT).map_err(|e| {
                ScenarioError::Io {
                    path: f.display().to_string(),
                    message: e.to_string(),
                }
            })?;
            parse_file(&f.display().to_string(), &text, &mut parsed)?;
        }
        default_name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario")
            .to_string();
    }

    // Duplicates within one scenario are mistakes; objects replacing a base's are not.
    let mut seen: BTreeMap<Identity, String> = BTreeMap::new();
    for (place, obj) in &parsed.objects {
        let id = identity(obj);
        if let Some(first) = seen.insert(id.clone(), place.clone()) {
            return Err(ScenarioError::Invalid(format!(
                "{place}: duplicate object {} (first defined in {first}); each object may appear once",
                describe(&id)
            )));
        }
    }

    let (doc_place, raw) = parsed.doc.unwrap_or_else(|| {
        (
            String::new(),
            RawScenarioDoc {
                api_version: SCENARIO_API_VERSION.into(),
                kind: "Scenario".into(),
                metadata: None,
                spec: RawSpec::default(),
            },
        )
    });
    let mut spec_doc = raw.spec;
    let name = raw
        .metadata
        .as_ref()
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(default_name);

    let shift = match &spec_doc.clock {
        Some(c) => {
            let anchor = DateTime::parse_from_rfc3339(&c.anchor).map_err(|e| {
                ScenarioError::Invalid(format!(
                    "{doc_place}: spec.clock.anchor '{}' is not an RFC3339 time: {e}",
                    c.anchor
                ))
            })?;
            now - anchor.with_timezone(&Utc)
        }
        None => chrono::Duration::zero(),
    };

    let mut objects: Vec<Value> = parsed.objects.into_iter().map(|(_, o)| o).collect();
    for o in &mut objects {
        shift_times(o, shift);
    }
    let mut logs = spec_doc.logs.clone();
    for l in &mut logs {
        for line in l.lines.iter_mut().chain(l.previous.iter_mut()) {
            *line = shift_line(line, shift);
        }
    }

    // Times written into timeline bodies move with the clock too; templates do not parse
    // as times and stay as they are.
    for entry in &mut spec_doc.timeline {
        for v in entry.inline.values_mut() {
            shift_times(v, shift);
        }
        for step in &mut entry.steps {
            if let Some(a) = &mut step.apply {
                shift_times(a, shift);
            }
            if let Some(p) = &mut step.patch {
                shift_times(&mut p.merge, shift);
            }
        }
    }
    let mut timeline = Vec::new();
    for (i, entry) in spec_doc.timeline.into_iter().enumerate() {
        let place = format!("{doc_place}: spec.timeline[{i}]");
        let mut steps = Vec::new();
        if !entry.inline.is_empty() {
            if !entry.steps.is_empty() {
                return Err(ScenarioError::Invalid(format!(
                    "{place}: give either steps or one action, not both"
                )));
            }
            let raw: RawStep =
                serde_json::from_value(Value::Object(entry.inline.into_iter().collect()))
                    .map_err(|e| ScenarioError::Invalid(format!("{place}: {e}")))?;
            steps.push(
                raw.action()
                    .map_err(|e| ScenarioError::Invalid(format!("{place}: {e}")))?,
            );
        }
        for (j, s) in entry.steps.into_iter().enumerate() {
            steps.push(
                s.action()
                    .map_err(|e| ScenarioError::Invalid(format!("{place}.steps[{j}]: {e}")))?,
            );
        }
        if steps.is_empty() {
            return Err(ScenarioError::Invalid(format!(
                "{place}: an entry needs steps or one action"
            )));
        }
        if entry.every.is_some_and(|e| e.is_zero()) {
            return Err(ScenarioError::Invalid(format!(
                "{place}: every must be longer than 0s"
            )));
        }
        timeline.push(TimelineEntry {
            at: entry.at,
            every: entry.every,
            steps,
        });
    }

    let mut scenario = Scenario {
        name,
        description: spec_doc.description.unwrap_or_default().trim().to_string(),
        expect: spec_doc.expect,
        objects,
        logs,
        timeline,
        faults: spec_doc.faults.unwrap_or_default(),
        shift,
    };

    if let Some(base_name) = &spec_doc.base {
        // A base that is a path is read relative to the scenario that names it.
        let base_spec =
            if BUILTIN.iter().any(|(n, _)| n == base_name) || Path::new(base_name).is_absolute() {
                base_name.clone()
            } else {
                let here = Path::new(spec);
                let dir = if here.is_dir() {
                    here
                } else {
                    here.parent().unwrap_or(Path::new("."))
                };
                dir.join(base_name).display().to_string()
            };
        let base = load_inner(&base_spec, now, chain)?;
        scenario = overlay(base, scenario, &spec_doc.remove, &doc_place)?;
    } else if !spec_doc.remove.is_empty() {
        return Err(ScenarioError::Invalid(format!(
            "{doc_place}: spec.remove needs spec.base: there is nothing to remove from"
        )));
    }
    chain.pop();
    Ok(scenario)
}

/// The scenario `top` on top of `base`: its objects replace the base's of the same
/// identity, `remove` drops base objects, logs replace logs of the same container, and
/// timelines and faults add up.
fn overlay(
    base: Scenario,
    top: Scenario,
    remove: &[ObjRef],
    place: &str,
) -> Result<Scenario, ScenarioError> {
    let removed: HashSet<Identity> = remove.iter().map(ref_identity).collect();
    let base_ids: HashSet<Identity> = base.objects.iter().map(identity).collect();
    for r in remove {
        if !base_ids.contains(&ref_identity(r)) {
            return Err(ScenarioError::Invalid(format!(
                "{place}: spec.remove names {}, which the base scenario does not have",
                describe(&ref_identity(r))
            )));
        }
    }
    let replaced: HashSet<Identity> = top.objects.iter().map(identity).collect();
    let mut objects: Vec<Value> = base
        .objects
        .into_iter()
        .filter(|o| {
            let id = identity(o);
            !removed.contains(&id) && !replaced.contains(&id)
        })
        .collect();
    objects.extend(top.objects);
    let top_logs: HashSet<(String, String)> = top
        .logs
        .iter()
        .map(|l| (l.pod.clone(), l.container.clone()))
        .collect();
    let mut logs: Vec<LogSpec> = base
        .logs
        .into_iter()
        .filter(|l| !top_logs.contains(&(l.pod.clone(), l.container.clone())))
        .collect();
    logs.extend(top.logs);
    // An incident restates the whole timeline it wants: the base's demo loops would
    // otherwise keep "healing" what the incident breaks.
    let timeline = if top.timeline.is_empty() {
        base.timeline
    } else {
        top.timeline
    };
    let mut faults = base.faults;
    faults.latency = top.faults.latency.or(faults.latency);
    faults.errors.extend(top.faults.errors);
    faults.drop_watches_after = top.faults.drop_watches_after.or(faults.drop_watches_after);
    faults.expire_next_watch |= top.faults.expire_next_watch;
    faults.forbidden.extend(top.faults.forbidden);
    Ok(Scenario {
        name: top.name,
        description: if top.description.is_empty() {
            base.description
        } else {
            top.description
        },
        expect: top.expect,
        objects,
        logs,
        timeline,
        faults,
        shift: top.shift,
    })
}

fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    (20..=35).contains(&b.len()) && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}

fn shift_str(s: &str, shift: chrono::Duration) -> Option<String> {
    if !looks_like_time(s) {
        return None;
    }
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc) + shift;
    let frac = s.contains('.');
    Some(t.to_rfc3339_opts(
        if frac {
            SecondsFormat::AutoSi
        } else {
            SecondsFormat::Secs
        },
        true,
    ))
}

/// Moves every RFC3339 timestamp in an object by `shift`.
pub fn shift_times(v: &mut Value, shift: chrono::Duration) {
    if shift.is_zero() {
        return;
    }
    match v {
        Value::String(s) => {
            if let Some(n) = shift_str(s, shift) {
                *s = n;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_times(x, shift)),
        Value::Object(m) => m.values_mut().for_each(|x| shift_times(x, shift)),
        _ => {}
    }
}

/// Moves every RFC3339 time in a log line, wherever it stands (a leading stamp, a JSON
/// "ts" field), so the line keeps its age.
fn shift_line(line: &str, shift: chrono::Duration) -> String {
    if shift.is_zero() {
        return line.to_string();
    }
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 20 <= bytes.len() {
        let candidate = bytes[i].is_ascii_digit() && bytes[i + 4] == b'-' && bytes[i + 10] == b'T';
        if candidate {
            // The longest RFC3339 time starting here: digits, separators, fraction, zone.
            let end = (i..bytes.len().min(i + 35))
                .take_while(|&j| {
                    bytes[j].is_ascii_digit()
                        || matches!(bytes[j], b'-' | b':' | b'T' | b'.' | b'Z' | b'+')
                })
                .last()
                .map_or(i, |j| j + 1);
            if let Some(shifted) = line.get(i..end).and_then(|t| shift_str(t, shift)) {
                out.push_str(&line[copied..i]);
                out.push_str(&shifted);
                i = end;
                copied = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

#[cfg(test)]
mod tests {
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
}
