//! The house's rules, read off the `use` lines: the model floor imports nothing of the
//! crate, no layer imports one above it, the simulator is imported only where a scenario
//! is the input, and no two files import each other around a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, lowest first. A room may import anything on its floor or lower, never
/// higher.
const FLOORS: &[(&str, u8)] = &[
    ("model", 0),
    ("files", 0),
    ("redact", 0),
    ("sanitize", 0),
    ("timings", 0),
    ("cluster", 1),
    ("ground", 1),
    ("gitops", 1),
    ("assess", 1),
    ("sim", 1),
    ("trees", 2),
    ("actions", 2),
    ("restore", 2),
    ("migrate", 2),
    ("alerts", 2),
    ("checks", 2),
    ("config", 2),
    ("exporter", 2),
    ("fleet", 2),
    ("bundle", 2),
    ("ui", 3),
    ("cli", 4),
];

/// The rooms that may import the simulator: the commands (`demo`, `sim serve`, `check
/// --dump` start it or read a scenario) and the dump reader.
const MAY_IMPORT_SIM: &[&str] = &["src/cli/", "src/checks/dump.rs"];

fn floor(room: &str) -> Option<u8> {
    FLOORS.iter().find(|(r, _)| *r == room).map(|(_, f)| *f)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its test module and its comments: tests may reach anywhere.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut skipping_tests = false;
    let mut depth = 0i32;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // `#[cfg(test)] mod tests;` (a file of its own) or an inline block.
            if lines.peek().is_some_and(|l| l.trim_end().ends_with(';')) {
                lines.next();
                continue;
            }
            skipping_tests = true;
            depth = 0;
            continue;
        }
        if skipping_tests {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if depth <= 0 && line.contains('}') {
                skipping_tests = false;
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::room` a file names.
fn rooms_named(code: &str) -> BTreeSet<String> {
    let mut rooms = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let room: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !room.is_empty() {
            rooms.insert(room);
        }
    }
    rooms
}

struct Source {
    /// `src/ui/app.rs`
    path: String,
    /// `ui`, or the file's stem for a root file.
    room: String,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            if rel.ends_with("lib.rs") || rel.ends_with("main.rs") || rel.ends_with("/tests.rs") {
                return None;
            }
            if rel.contains("/tests/") {
                return None;
            }
            let inner = rel.strip_prefix("src/")?;
            let room = inner.split('/').next()?.trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&p).ok()?;
            Some(Source {
                path: rel,
                room,
                code: production_code(&text),
            })
        })
        .collect()
}

#[test]
fn no_room_imports_a_floor_above_its_own() {
    let mut wrong = Vec::new();
    for s in sources() {
        let Some(own) = floor(&s.room) else {
            wrong.push(format!(
                "{}: room {} has no floor in FLOORS",
                s.path, s.room
            ));
            continue;
        };
        for other in rooms_named(&s.code) {
            if other == s.room {
                continue;
            }
            // Beside its own floor is allowed; a circle between rooms is caught below.
            match floor(&other) {
                Some(f) if f <= own => {}
                Some(_) => wrong.push(format!("{} imports {other}", s.path)),
                None => wrong.push(format!("{}: unknown room {other}", s.path)),
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn the_model_stands_on_nothing_and_the_simulator_is_imported_only_where_scenarios_are_read() {
    let mut wrong = Vec::new();
    for s in sources() {
        let named = rooms_named(&s.code);
        if s.room == "model" {
            wrong.extend(
                named
                    .iter()
                    .filter(|r| *r != "model")
                    .map(|r| format!("{} (model) imports {r}", s.path)),
            );
        }
        if named.contains("sim")
            && s.room != "sim"
            && !MAY_IMPORT_SIM.iter().any(|p| s.path.starts_with(p))
        {
            wrong.push(format!("{} imports the simulator", s.path));
        }
        if named.contains("ui") && !matches!(s.room.as_str(), "ui" | "cli") {
            wrong.push(format!("{} imports the UI", s.path));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The sibling files a file names: `super::x` and `crate::room::x` where x is a file of the
/// same folder. A folder's `mod.rs` re-exporting its children is its interface, not a
/// dependency, so edges from `mod.rs` down to its children are not counted.
fn sibling_edges(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_folder: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let (folder, file) = s.path.rsplit_once('/').unwrap_or(("", &s.path));
        by_folder
            .entry(folder.to_string())
            .or_default()
            .insert(file.trim_end_matches(".rs").to_string());
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let (folder, file) = s.path.rsplit_once('/').unwrap_or(("", &s.path));
        let me = file.trim_end_matches(".rs");
        if me == "mod" {
            continue;
        }
        let siblings = &by_folder[folder];
        let crate_prefix = format!(
            "crate::{}::",
            folder.trim_start_matches("src/").replace('/', "::")
        );
        let mut named = BTreeSet::new();
        for prefix in ["super::", crate_prefix.as_str()] {
            let mut rest = s.code.as_str();
            while let Some(i) = rest.find(prefix) {
                rest = &rest[i + prefix.len()..];
                // `super::{a, b::c}`: each first segment of the group.
                let segments: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    group[..end]
                        .split(',')
                        .map(|p| {
                            p.trim()
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect()
                        })
                        .collect()
                } else {
                    vec![
                        rest.chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect(),
                    ]
                };
                for seg in segments {
                    if seg != me && siblings.contains(&seg) {
                        named.insert(format!("{folder}/{seg}"));
                    }
                }
            }
        }
        edges.insert(format!("{folder}/{me}"), named);
    }
    edges
}

#[test]
fn no_two_files_import_each_other_around_a_circle() {
    let edges = sibling_edges(&sources());
    let mut circles = Vec::new();
    // Depth-first search for a path back to the start, from each file.
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    circles.push(format!("{} → {start}", path.join(" → ")));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    circles.sort();
    circles.dedup();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_rooms_themselves_form_no_circle() {
    let mut room_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources() {
        let named = rooms_named(&s.code);
        room_edges
            .entry(s.room.clone())
            .or_default()
            .extend(named.into_iter().filter(|r| *r != s.room));
    }
    let mut circles = Vec::new();
    for (a, outs) in &room_edges {
        for b in outs {
            if room_edges.get(b).is_some_and(|o| o.contains(a)) && a < b {
                circles.push(format!("{a} ↔ {b}"));
            }
        }
    }
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}
