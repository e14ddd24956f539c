//! What backstop shows a user never sends them to a document they do not have: a finding's
//! summary, evidence and remedy, and every text of a built-in tree, cite upstream
//! documentation by URL or the user's own guide by its title, never the project's internal
//! notes.

use chrono::{DateTime, Utc};

/// Names of documents that live beside the project, not with its users.
const INTERNAL: &[&str] = &[
    "DOMAIN",
    "FINDINGS.md",
    "TESTING-NOTES",
    "ARCHITECTURE.md",
    "PEERS.md",
    "the audit",
    "seed:",
    "the seed",
    "seed's",
];

fn internal_citations(text: &str) -> Vec<&'static str> {
    INTERNAL
        .iter()
        .copied()
        .filter(|name| text.contains(name))
        .collect()
}

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[tokio::test]
async fn no_finding_cites_an_internal_document() {
    let mut wrong = Vec::new();
    for name in backstop::sim::scenario::builtin_names() {
        let facts = backstop::checks::facts_from_scenario(name, anchor())
            .await
            .unwrap_or_else(|e| panic!("{name} loads: {e:#}"));
        let outcome = backstop::assess::assess(&facts, anchor(), &Default::default());
        for f in &outcome.findings {
            let text = format!("{} {} {}", f.summary, f.evidence.join(" "), f.remedy);
            for cited in internal_citations(&text) {
                wrong.push(format!("{name}: {} cites {cited}", f.code));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_tree_text_cites_an_internal_document() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/trees/builtin");
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .expect("the built-in trees")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "yaml") || path.ends_with("EXPECTED.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a tree file");
        for (i, line) in text.lines().enumerate() {
            // YAML comments are for maintainers; everything else reaches the walker.
            if line.trim_start().starts_with('#') {
                continue;
            }
            for cited in internal_citations(line) {
                wrong.push(format!(
                    "{}:{}: cites {cited}",
                    path.file_name().unwrap_or_default().to_string_lossy(),
                    i + 1
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The catalog and docs/FINDINGS.md (the contract users read) list the same codes.
#[test]
fn the_catalog_and_the_findings_document_list_the_same_codes() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/FINDINGS.md"),
    )
    .expect("docs/FINDINGS.md");
    let documented: std::collections::BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|c| c.len() == 6 && c[3..].chars().all(|d| d.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    let mut catalog = std::collections::BTreeSet::new();
    for prefix in [
        "PLG", "FLX", "OBJ", "CLU", "ARC", "BKP", "BKT", "RST", "GIT", "ALR", "FLE",
    ] {
        for n in 1..100 {
            let code = format!("{prefix}{n:03}");
            if backstop::assess::catalog::find(&code).is_some() {
                catalog.insert(code);
            }
        }
    }
    assert_eq!(catalog, documented);
}
