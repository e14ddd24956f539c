//! Loading and linting trees: YAML errors with their line, then what YAML cannot see:
//! dangling branches, unreachable nodes, cycles, unknown checks, parameters, codes and
//! actions. Every error names the file and, where it can, the line.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{ASK, Check, HELM_REASONS, Node, RemedyAction, SERVED, TreeFile, served_kind};
use crate::assess::catalog;
use crate::model::kubefmt::parse_duration;

/// A tree that passed lint.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub name: String,
    pub title: String,
    pub description: String,
    pub findings: Vec<String>,
    pub source: String,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
    /// Where it came from: "built in" or a path.
    pub origin: String,
}

impl Tree {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn leaves(&self) -> usize {
        self.nodes.values().filter(|n| n.is_leaf()).count()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LintError {
    pub line: Option<usize>,
    pub message: String,
}

/// Renders errors as `FILE:LINE: message`, one per line.
pub fn render(origin: &str, errors: &[LintError]) -> String {
    errors
        .iter()
        .map(|e| match e.line {
            Some(l) => format!("{origin}:{l}: {}", e.message),
            None => format!("{origin}: {}", e.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The line of `key: value` at or after `from` (1-based), for pointing at an error.
fn line_of(text: &str, key: &str, value: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find_map(|(i, l)| {
            let t = l.trim().trim_start_matches("- ").trim();
            let rest = t.strip_prefix(key)?.trim_start().strip_prefix(':')?.trim();
            (rest.trim_matches(['"', '\'']) == value).then_some(i + 1)
        })
}

fn check_params(check: &Check) -> Option<String> {
    match check {
        Check::ApiServed { resource } if served_kind(resource).is_none() => Some(format!(
            "api_served: unknown resource '{resource}': use one of {}",
            SERVED.map(|k| k.qualified()).join(", ")
        )),
        Check::BackupRecent { max_age } => parse_duration(max_age)
            .err()
            .map(|e| format!("backup_recent.max_age: {e}")),
        Check::BackupsFast { max_duration } => parse_duration(max_duration)
            .err()
            .map(|e| format!("backups_fast.max_duration: {e}")),
        Check::EventSeen { within, .. } => parse_duration(within)
            .err()
            .map(|e| format!("event_seen.within: {e}")),
        Check::Condition { kind, status, .. } => {
            const KINDS: &[&str] = &[
                "Cluster",
                "Kustomization",
                "GitRepository",
                "Deployment",
                "Certificate",
            ];
            if !KINDS.contains(&kind.as_str()) {
                Some(format!(
                    "condition.kind: '{kind}' has no conditions backstop reads: use {}",
                    KINDS.join(", ")
                ))
            } else if !matches!(status.as_str(), "True" | "False" | "Unknown") {
                Some(format!(
                    "condition.status: '{status}': use True, False or Unknown"
                ))
            } else {
                None
            }
        }
        Check::Finding { code } if catalog::find(code).is_none() => Some(format!(
            "finding: '{code}' is not a finding code (FINDINGS)"
        )),
        Check::HelmreleaseReason { reasons, .. } if reasons.is_empty() => {
            Some("helmrelease_reason.reasons: empty".into())
        }
        Check::HelmreleaseReason { reasons, .. } => reasons
            .iter()
            .find(|r| !HELM_REASONS.contains(&r.as_str()))
            .map(|r| {
                format!(
                    "helmrelease_reason.reasons: '{r}' is not a reason helm-controller writes: use {}",
                    HELM_REASONS.join(", ")
                )
            }),
        Check::LogMatches { pattern, .. } if pattern.trim().is_empty() => {
            Some("log_matches.pattern: empty".into())
        }
        _ => None,
    }
}

/// Parses and lints one tree file.
pub fn parse(origin: &str, text: &str) -> Result<Tree, Vec<LintError>> {
    let file: TreeFile = serde_yaml::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        vec![LintError {
            line: e.location().map(|l| l.line()),
            message: msg,
        }]
    })?;
    let mut errors = Vec::new();
    let mut err = |line: Option<usize>, message: String| errors.push(LintError { line, message });
    if file.api_version != "backstop.dev/v1" || file.kind != "Tree" {
        err(
            Some(1),
            format!(
                "apiVersion/kind must be backstop.dev/v1 Tree, found {} {}",
                file.api_version, file.kind
            ),
        );
    }
    if !valid_id(&file.metadata.name) {
        err(
            line_of(text, "name", &file.metadata.name, 1),
            format!(
                "metadata.name '{}': use lower-case letters, digits and dashes",
                file.metadata.name
            ),
        );
    }
    for code in &file.metadata.findings {
        if catalog::find(code).is_none() {
            err(
                line_of(text, "findings", code, 1).or_else(|| {
                    text.lines()
                        .position(|l| l.contains(code.as_str()))
                        .map(|i| i + 1)
                }),
                format!("metadata.findings: '{code}' is not a finding code"),
            );
        }
    }

    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for node in &file.nodes {
        let line = line_of(text, "id", &node.id, 1);
        if !valid_id(&node.id) {
            err(
                line,
                format!(
                    "node id '{}': use lower-case letters, digits and dashes",
                    node.id
                ),
            );
        }
        if node.id == ASK {
            err(
                line,
                "node id 'ask' is reserved: it means the engineer chooses".into(),
            );
        }
        let mut typed = node.clone();
        if let Some(leaf) = typed.leaf.as_mut() {
            // Unknown names are reported below, with their line.
            leaf.remedy.actions = leaf
                .remedy
                .written
                .iter()
                .filter_map(|a| RemedyAction::from_name(a))
                .collect();
        }
        if nodes.insert(node.id.clone(), typed).is_some() {
            err(line, format!("duplicate node id '{}'", node.id));
        }
        lines.entry(node.id.clone()).or_insert(line.unwrap_or(0));
    }
    let at = |id: &str| lines.get(id).copied().filter(|l| *l > 0);

    for node in &file.nodes {
        let line = at(&node.id);
        match (&node.check, &node.leaf) {
            (Some(_), Some(_)) => err(
                line,
                format!(
                    "node '{}' has both a check and a leaf: a node asks or concludes, not both",
                    node.id
                ),
            ),
            (None, None) => err(
                line,
                format!("node '{}' has neither a check nor a leaf", node.id),
            ),
            (None, Some(leaf)) => {
                if node.pass.is_some() || node.fail.is_some() {
                    err(
                        line,
                        format!("leaf '{}' has branches: a leaf ends the walk", node.id),
                    );
                }
                if let Some(code) = &leaf.finding
                    && catalog::find(code).is_none()
                {
                    err(
                        line_of(text, "finding", code, line.unwrap_or(1)),
                        format!("leaf '{}': '{code}' is not a finding code", node.id),
                    );
                }
                for a in &leaf.remedy.written {
                    if RemedyAction::from_name(a).is_none() {
                        err(
                            line_of(text, "-", a, line.unwrap_or(1)).or(line),
                            format!(
                                "leaf '{}': unknown action '{a}': use {}",
                                node.id,
                                RemedyAction::ALL.map(RemedyAction::name).join(", ")
                            ),
                        );
                    }
                }
                if leaf.diagnosis.trim().is_empty() {
                    err(line, format!("leaf '{}' has an empty diagnosis", node.id));
                }
            }
            (Some(check), None) => {
                if let Some(problem) = check_params(check) {
                    err(line, format!("node '{}': {problem}", node.id));
                }
                if node.pass.is_none() || node.fail.is_none() {
                    err(
                        line,
                        format!("node '{}' needs both a pass and a fail branch", node.id),
                    );
                }
                for (branch, target) in node.branches() {
                    if target != ASK && !nodes.contains_key(target) {
                        err(
                            line_of(text, branch.name(), target, line.unwrap_or(1)).or(line),
                            format!(
                                "node '{}': {branch} goes to '{target}', which is not a node of this tree",
                                node.id
                            ),
                        );
                    }
                }
            }
        }
    }

    if !nodes.contains_key(&file.start) {
        err(
            line_of(text, "start", &file.start, 1),
            format!("start '{}' is not a node of this tree", file.start),
        );
    } else {
        // Reachability, then cycles, from the start.
        let mut seen = BTreeSet::new();
        let mut stack = vec![file.start.clone()];
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if let Some(n) = nodes.get(&id) {
                stack.extend(
                    n.branches()
                        .iter()
                        .filter(|(_, t)| *t != ASK && nodes.contains_key(*t))
                        .map(|(_, t)| t.to_string()),
                );
            }
        }
        for id in nodes.keys().filter(|id| !seen.contains(*id)) {
            err(
                at(id),
                format!("node '{id}' is unreachable from start '{}'", file.start),
            );
        }
        if let Some(cycle) = find_cycle(&nodes, &file.start) {
            err(at(&cycle[0]), format!("cycle: {}", cycle.join(" → ")));
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Tree {
        name: file.metadata.name,
        title: file.metadata.title,
        description: file.metadata.description,
        findings: file.metadata.findings,
        source: file.metadata.source,
        start: file.start,
        nodes,
        origin: origin.to_string(),
    })
}

/// A path that comes back to a node it passed, if any: a walk must always end.
fn find_cycle(nodes: &BTreeMap<String, Node>, start: &str) -> Option<Vec<String>> {
    fn visit(
        id: &str,
        nodes: &BTreeMap<String, Node>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|p| p == id) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(id.to_string());
            return Some(cycle);
        }
        if done.contains(id) {
            return None;
        }
        path.push(id.to_string());
        if let Some(n) = nodes.get(id) {
            for (_, t) in n.branches() {
                if t != ASK
                    && nodes.contains_key(t)
                    && let Some(c) = visit(t, nodes, path, done)
                {
                    return Some(c);
                }
            }
        }
        path.pop();
        done.insert(id.to_string());
        None
    }
    visit(start, nodes, &mut Vec::new(), &mut BTreeSet::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "apiVersion: backstop.dev/v1
kind: Tree
metadata:
  name: t
  title: T
  findings: [PLG004]
start: a
nodes:
  - id: a
    title: Is the plugin running?
    check: {plugin_pods_ready: {}}
    pass: ok
    fail: broken
  - id: ok
    leaf: {diagnosis: fine}
  - id: broken
    leaf:
      diagnosis: not fine
      finding: PLG004
      remedy: {actions: [restart-plugin]}
";

    fn lint(text: &str) -> String {
        match parse("t.yaml", text) {
            Ok(_) => "ok".into(),
            Err(e) => render("t.yaml", &e),
        }
    }

    #[test]
    fn a_good_tree_loads() {
        let t = parse("t.yaml", GOOD).expect("loads");
        assert_eq!((t.nodes.len(), t.leaves()), (3, 2));
        let leaf = t.node("broken").and_then(|n| n.leaf.as_ref());
        assert_eq!(
            leaf.map(|l| l.remedy.actions.clone()),
            Some(vec![RemedyAction::RestartPlugin]),
            "the action names are read at load"
        );
    }

    #[test]
    fn each_defect_class_is_named_with_its_line() {
        assert_eq!(
            lint(&GOOD.replace("fail: broken", "fail: nowhere")),
            "t.yaml:13: node 'a': fail goes to 'nowhere', which is not a node of this tree\nt.yaml:16: node 'broken' is unreachable from start 'a'"
        );
        assert_eq!(
            lint(&GOOD.replace("plugin_pods_ready: {}", "plugin_pods_readdy: {}"))
                .lines()
                .next()
                .map(|l| l.starts_with(
                    "t.yaml:11: nodes[0].check: unknown variant `plugin_pods_readdy`"
                )),
            Some(true),
            "{}",
            lint(&GOOD.replace("plugin_pods_ready: {}", "plugin_pods_readdy: {}"))
        );
        assert!(
            lint(&GOOD.replace("plugin_pods_ready: {}", "plugin_pods_ready: {colour: red}"))
                .starts_with("t.yaml:11: nodes[0].check.plugin_pods_ready: unknown field `colour`"),
            "{}",
            lint(&GOOD.replace("plugin_pods_ready: {}", "plugin_pods_ready: {colour: red}"))
        );
        assert_eq!(
            lint(&GOOD.replace(
                "plugin_pods_ready: {}",
                "api_served: {resource: widgets.example.com}"
            ))
            .lines()
            .next(),
            Some(
                "t.yaml:9: node 'a': api_served: unknown resource 'widgets.example.com': use one of clusters.postgresql.cnpg.io, backups.postgresql.cnpg.io, objectstores.barmancloud.cnpg.io, kustomizations.kustomize.toolkit.fluxcd.io, gitrepositories.source.toolkit.fluxcd.io, certificates.cert-manager.io"
            )
        );
        let cycle = GOOD.replace(
            "  - id: ok\n    leaf: {diagnosis: fine}",
            "  - id: ok\n    check: {operator_ready: {}}\n    pass: a\n    fail: broken",
        );
        assert!(
            lint(&cycle).contains("t.yaml:9: cycle: a → ok → a"),
            "{}",
            lint(&cycle)
        );
        assert!(
            lint(&GOOD.replace("  - id: ok", "  - id: broken"))
                .contains("duplicate node id 'broken'")
        );
        assert!(
            lint(&GOOD.replace("finding: PLG004", "finding: PLG999"))
                .contains("t.yaml:19: leaf 'broken': 'PLG999' is not a finding code"),
            "{}",
            lint(&GOOD.replace("finding: PLG004", "finding: PLG999"))
        );
        assert_eq!(
            lint(&GOOD.replace("restart-plugin", "reboot-everything")),
            "t.yaml:16: leaf 'broken': unknown action 'reboot-everything': use restart-plugin, restart-operator, reconcile, reconcile-with-source, suspend, resume, backup-now"
        );
        assert!(
            lint(&GOOD.replace("start: a", "start: z"))
                .contains("t.yaml:7: start 'z' is not a node of this tree")
        );
        assert!(
            lint("kind: [").starts_with("t.yaml:1: "),
            "{}",
            lint("kind: [")
        );
        assert!(
            lint(&GOOD.replace("    pass: ok\n", ""))
                .contains("node 'a' needs both a pass and a fail branch")
        );
    }
}
