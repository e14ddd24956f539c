//! Loading a scenario by name, file or folder: the objects read, duplicates refused, the
//! clock moved to the present, the timeline read into steps, and a base scenario beneath.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::clock::{shift_line, shift_times};
use super::overlay::overlay;
use super::parse::{Parsed, parse_file};
use super::{
    BUILTIN, Clock, Identity, RawEntry, RawScenarioDoc, RawSpec, RawStep, SCENARIO_API_VERSION,
    Scenario, ScenarioError, TimelineEntry, describe, identity,
};

/// Reads a scenario: a built-in name, a file, or a folder.
pub fn load(spec: &str, now: DateTime<Utc>) -> Result<Scenario, ScenarioError> {
    let mut sc = load_inner(spec, now, &mut Vec::new())?;
    if let Some(ep) = &sc.object_store {
        super::endpoint::apply(ep, &mut sc.objects)?;
    }
    if let Some(pg) = &mut sc.recovery.postgres {
        super::endpoint::resolve_postgres(pg)?;
    }
    Ok(sc)
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
    let (parsed, default_name) = read_source(spec)?;
    refuse_duplicates(&parsed.objects)?;

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
    let spec_doc = raw.spec;
    let name = raw
        .metadata
        .as_ref()
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(default_name);
    let shift = clock_shift(spec_doc.clock.as_ref(), &doc_place, now)?;

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
    let timeline = timeline(spec_doc.timeline, shift, &doc_place)?;
    let mut archivers = spec_doc.archivers;
    for a in &mut archivers {
        for t in [&mut a.last_archived_wal_time, &mut a.last_failed_wal_time]
            .into_iter()
            .flatten()
        {
            let mut v = Value::String(t.clone());
            shift_times(&mut v, shift);
            if let Value::String(moved) = v {
                *t = moved;
            }
        }
        if !a.cluster.contains('/') {
            return Err(ScenarioError::Invalid(format!(
                "{doc_place}: spec.archivers[].cluster '{}' must be namespace/name",
                a.cluster
            )));
        }
    }

    let mut scenario = Scenario {
        name,
        description: spec_doc.description.unwrap_or_default().trim().to_string(),
        expect: spec_doc.expect,
        objects,
        logs,
        timeline,
        faults: spec_doc.faults.unwrap_or_default(),
        archivers,
        object_store: spec_doc.object_store,
        recovery: spec_doc.recovery.clone().unwrap_or_default(),
        shift,
        now: Some(now),
    };

    if let Some(base_name) = &spec_doc.base {
        let base = load_inner(&base_spec(spec, base_name), now, chain)?;
        let own_recovery = spec_doc.recovery.is_some();
        scenario = overlay(base, scenario, &spec_doc.remove, &doc_place, own_recovery)?;
    } else if !spec_doc.remove.is_empty() {
        return Err(ScenarioError::Invalid(format!(
            "{doc_place}: spec.remove needs spec.base: there is nothing to remove from"
        )));
    }
    chain.pop();
    Ok(scenario)
}

/// Everything a built-in name, a file or a folder holds, and the name the scenario gets
/// when its Scenario document gives none.
fn read_source(spec: &str) -> Result<(Parsed, String), ScenarioError> {
    let mut parsed = Parsed::default();
    if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
        parse_file(&format!("{name}.yaml (built in)"), text, &mut parsed)?;
        return Ok((parsed, name.to_string()));
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(ScenarioError::Unknown(spec.to_string()));
    }
    if crate::archive::is_tar_gz(path) && path.is_file() {
        return read_bundle(path);
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
    let default_name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    Ok((parsed, default_name))
}

/// An incident bundle (`backstop report`): its object pages and its Scenario document
/// parsed as files of a folder would be, and each `logs/<namespace>/<pod>/<container>.log`
/// made the scenario's log of that container. The check, ground truth and transcript it
/// also holds are for people, not for the simulator.
fn read_bundle(path: &Path) -> Result<(Parsed, String), ScenarioError> {
    let io = |message: String| ScenarioError::Io {
        path: path.display().to_string(),
        message,
    };
    let entries = crate::archive::read_tar_gz(path, crate::archive::READ_LIMITS)
        .map_err(|e| io(format!("{e:#}")))?;
    let mut parsed = Parsed::default();
    let mut logs = Vec::new();
    let mut any = false;
    for (name, bytes) in entries {
        let place = format!("{}:{name}", path.display());
        let text = || {
            String::from_utf8(bytes.clone())
                .map_err(|_| ScenarioError::Invalid(format!("{place}: not UTF-8 text")))
        };
        if name == "scenario.yaml" || (name.starts_with("objects/") && name.ends_with(".yaml")) {
            any = true;
            parse_file(&place, &text()?, &mut parsed)?;
        } else if let Some(rest) = name.strip_prefix("logs/") {
            let parts: Vec<&str> = rest.splitn(3, '/').collect();
            let [ns, pod, file] = parts.as_slice() else {
                return Err(ScenarioError::Invalid(format!(
                    "{place}: a log is logs/<namespace>/<pod>/<container>.log"
                )));
            };
            let container = file.strip_suffix(".log").unwrap_or(file);
            logs.push(super::LogSpec {
                pod: format!("{ns}/{pod}"),
                container: container.to_string(),
                lines: text()?.lines().map(str::to_string).collect(),
                previous: Vec::new(),
                generate: None,
            });
        }
    }
    if !any {
        return Err(io(
            "this .tar.gz holds no objects/ and no scenario.yaml: it is not a bundle `backstop report` wrote".into(),
        ));
    }
    let doc = parsed.doc.get_or_insert_with(|| {
        (
            format!("{}:scenario.yaml", path.display()),
            RawScenarioDoc {
                api_version: SCENARIO_API_VERSION.into(),
                kind: "Scenario".into(),
                metadata: None,
                spec: RawSpec::default(),
            },
        )
    });
    doc.1.spec.logs.extend(logs);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.trim_end_matches(".tar.gz").trim_end_matches(".tgz"))
        .unwrap_or("bundle")
        .to_string();
    Ok((parsed, name))
}

/// Duplicates within one scenario are mistakes; objects replacing a base's are not.
fn refuse_duplicates(objects: &[(String, Value)]) -> Result<(), ScenarioError> {
    let mut seen: BTreeMap<Identity, String> = BTreeMap::new();
    for (place, obj) in objects {
        let id = identity(obj);
        if let Some(first) = seen.insert(id.clone(), place.clone()) {
            return Err(ScenarioError::Invalid(format!(
                "{place}: duplicate object {} (first defined in {first}); each object may appear once",
                describe(&id)
            )));
        }
    }
    Ok(())
}

/// How far the scenario's times move: from its clock anchor to `now`, or not at all.
fn clock_shift(
    clock: Option<&Clock>,
    doc_place: &str,
    now: DateTime<Utc>,
) -> Result<chrono::Duration, ScenarioError> {
    let Some(c) = clock else {
        return Ok(chrono::Duration::zero());
    };
    let anchor = DateTime::parse_from_rfc3339(&c.anchor).map_err(|e| {
        ScenarioError::Invalid(format!(
            "{doc_place}: spec.clock.anchor '{}' is not an RFC3339 time: {e}",
            c.anchor
        ))
    })?;
    Ok(now - anchor.with_timezone(&Utc))
}

/// The timeline's entries as steps: an inline action or a list of steps, never both.
fn timeline(
    mut entries: Vec<RawEntry>,
    shift: chrono::Duration,
    doc_place: &str,
) -> Result<Vec<TimelineEntry>, ScenarioError> {
    // Times written into timeline bodies move with the clock too; templates do not parse
    // as times and stay as they are.
    for entry in &mut entries {
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
    for (i, entry) in entries.into_iter().enumerate() {
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
    Ok(timeline)
}

/// Where a base is read from: a built-in name or an absolute path as given, any other path
/// relative to the scenario that names it.
fn base_spec(spec: &str, base_name: &str) -> String {
    if BUILTIN.iter().any(|(n, _)| *n == base_name) || Path::new(base_name).is_absolute() {
        base_name.to_string()
    } else {
        let here = Path::new(spec);
        let dir = if here.is_dir() {
            here
        } else {
            here.parent().unwrap_or(Path::new("."))
        };
        dir.join(base_name).display().to_string()
    }
}

fn read_dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    // The walk's errors name the file or folder they are about.
    let files = crate::files::files_below(dir, &["yaml", "yml", "json"])
        .map_err(|e| ScenarioError::Invalid(e.to_string()))?;
    out.extend(files);
    Ok(())
}
