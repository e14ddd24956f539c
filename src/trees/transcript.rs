//! A walk as Markdown for the incident channel, in the shape of the seed's change
//! documentation template: summary, root cause, solution applied, validation, prevention.
//! Every free text goes through `untrusted`: no credential value leaves in a transcript, and
//! no field runs longer than the sanitiser allows.

use chrono::{DateTime, Utc};

use super::walk::{Visit, Walk};
use crate::assess::{Finding, Severity, catalog};
use crate::sanitize::untrusted;

/// What the transcript says beside the walk itself.
pub struct Export<'a> {
    pub walk: &'a Walk,
    /// Where the walk ran: context and server.
    pub cluster: &'a str,
    pub now: DateTime<Utc>,
    /// The findings when exported, if the rules have run: the validation.
    pub findings: Option<&'a [Finding]>,
    /// Where the evidence leads from the start (a training walk is compared with it).
    pub evidence_leads_to: Option<String>,
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S UTC").to_string()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn fenced(lines: &[String], lang: &str, indent: &str) -> String {
    let fence = crate::sanitize::code_fence(lines.iter().map(String::as_str));
    let mut out = format!("{indent}{fence}{lang}\n");
    for l in lines {
        out.push_str(&format!("{indent}{}\n", untrusted(l)));
    }
    out.push_str(&format!("{indent}{fence}\n"));
    out
}

fn title_of<'a>(walk: &'a Walk, id: &'a str) -> &'a str {
    walk.tree
        .node(id)
        .map(|n| n.title.as_str())
        .filter(|t| !t.is_empty())
        .unwrap_or(id)
}

fn step(walk: &Walk, i: usize, v: &Visit) -> String {
    let mut out = format!(
        "### {}. {} (`{}`)\n\n",
        i + 1,
        title_of(walk, &v.node),
        v.node
    );
    let node = walk.tree.node(&v.node);
    if let Some(why) = node.map(|n| n.why.as_str()).filter(|w| !w.is_empty()) {
        out.push_str(&format!("- **Why**: {why}\n"));
    }
    if let Some(check) = node.and_then(|n| n.check.as_ref()) {
        let when = v.checked.map(time).unwrap_or_else(|| "not run".into());
        out.push_str(&format!("- **Check**: `{}` at {when}\n", check.describe()));
    }
    if let Some(a) = &v.answer {
        out.push_str(&format!(
            "- **Result**: {}: {}\n",
            a.verdict.branch(),
            untrusted(&a.summary)
        ));
        if !a.evidence.is_empty() {
            out.push_str("- **Evidence**:\n\n");
            out.push_str(&fenced(&a.evidence, "text", "  "));
        }
    }
    if let Some(c) = &v.choice {
        let by = if c.auto { " (autopilot)" } else { "" };
        out.push_str(&format!("- **Chosen**: {} → `{}`{by}", c.branch, c.target));
        match v.decided() {
            Some(p) if v.overridden() => {
                out.push_str(&format!(" — **override**: the evidence proposed `{p}`"))
            }
            None => out.push_str(" — the evidence did not decide"),
            _ => {}
        }
        out.push('\n');
    }
    if !v.note.trim().is_empty() {
        out.push_str("- **Note**:\n\n");
        for l in v.note.lines() {
            out.push_str(&format!("  > {}\n", untrusted(l)));
        }
    }
    for a in &v.actions {
        out.push_str(&format!("- **Action taken**: `{}`\n", untrusted(a)));
    }
    out.push('\n');
    out
}

/// The transcript, ready for a file: names, titles, evidence and notes came from the
/// cluster, the trees and the user, so the whole document passes the sanitiser.
pub fn markdown(e: &Export) -> String {
    crate::sanitize::clean(&compose(e)).into_owned()
}

fn compose(e: &Export) -> String {
    let w = e.walk;
    let leaf = w.leaf();
    let leaf_id = &w.current().node;
    let code = leaf.and_then(|l| l.finding.as_deref());
    let entry = code.and_then(catalog::find);
    let mut out = format!("# Incident walk: {}\n\n", w.tree.title);

    out.push_str("## Change Summary\n\n");
    out.push_str(&format!("- **Date**: {}\n", w.started.format("%Y-%m-%d")));
    let component = code
        .map(|c| catalog::area(c).1)
        .unwrap_or("CNPG Barman Plugin");
    out.push_str(&format!("- **Component**: {component}\n"));
    out.push_str(&format!(
        "- **Type**: Troubleshooting walk (tree `{}`, {})\n",
        w.tree.name, w.tree.origin
    ));
    let impact = match entry.map(|c| c.severity) {
        Some(Severity::Critical) => "High",
        Some(Severity::Warning) => "Medium",
        Some(Severity::Info) => "Low",
        None => "Not rated (the diagnosis has no finding code)",
    };
    out.push_str(&format!("- **Impact**: {impact}\n"));
    out.push_str(&format!("- **Cluster**: {}\n", e.cluster));
    let about = match &w.context {
        Some(s) if s.namespace.is_empty() => format!("{} {}", s.kind, s.name),
        Some(s) => format!("{} {}/{}", s.kind, s.namespace, s.name),
        None => "the whole cluster".into(),
    };
    out.push_str(&format!("- **About**: {about}\n"));
    let chosen = w.visits.iter().filter(|v| v.choice.is_some()).count();
    out.push_str(&format!(
        "- **Walk**: started {}, exported {}; {}, {}{}\n\n",
        time(w.started),
        time(e.now),
        plural(chosen, "step", "steps"),
        plural(w.overrides(), "override", "overrides"),
        if w.training {
            format!(", training score {}/100", w.score().percent())
        } else {
            String::new()
        }
    ));

    out.push_str("## Root Cause\n\n");
    match leaf {
        Some(l) => {
            out.push_str(&format!(
                "**Diagnosis** (`{leaf_id}`): {}\n\n",
                untrusted(l.diagnosis.trim())
            ));
            if let (Some(c), Some(entry)) = (code, entry) {
                out.push_str(&format!(
                    "**Finding**: {c} ({}): {}\n\n",
                    entry.severity.as_str(),
                    entry.title
                ));
            }
        }
        None => out.push_str(&format!(
            "Not reached: the walk stopped at \"{}\" (`{leaf_id}`) before a diagnosis.\n\n",
            title_of(w, leaf_id)
        )),
    }
    out.push_str("How the walk got there:\n\n");
    for (i, v) in w.visits.iter().enumerate() {
        if w.tree.node(&v.node).is_some_and(|n| n.is_leaf()) {
            continue;
        }
        out.push_str(&step(w, i, v));
    }

    out.push_str("## Solution Applied\n\n");
    let actions: Vec<&String> = w.visits.iter().flat_map(|v| &v.actions).collect();
    if actions.is_empty() {
        out.push_str("No action was run from backstop.\n\n");
    } else {
        out.push_str("Run from backstop:\n\n");
        for a in actions {
            out.push_str(&format!("- `{}`\n", untrusted(a)));
        }
        out.push('\n');
    }
    let last = w.current();
    if leaf.is_some() && !last.note.trim().is_empty() {
        out.push_str("Notes at the diagnosis:\n\n");
        for l in last.note.lines() {
            out.push_str(&format!("> {}\n", untrusted(l)));
        }
        out.push('\n');
    }
    if let Some(l) = leaf
        && !l.remedy.commands.is_empty()
    {
        out.push_str("The tree's remedy:\n\n");
        out.push_str(&fenced(&l.remedy.commands, "sh", ""));
        out.push('\n');
    }

    out.push_str("## Validation\n\n");
    match (code, e.findings) {
        (Some(c), Some(findings)) => {
            let now: Vec<&Finding> = findings.iter().filter(|f| f.code == c).collect();
            if now.is_empty() {
                out.push_str(&format!(
                    "- At {}, the health rules no longer find {c}.\n",
                    time(e.now)
                ));
            } else {
                for f in now {
                    out.push_str(&format!(
                        "- At {}, {c} is still found on {} {}: {}\n",
                        time(e.now),
                        f.object.kind,
                        if f.object.namespace.is_empty() {
                            f.object.name.clone()
                        } else {
                            format!("{}/{}", f.object.namespace, f.object.name)
                        },
                        untrusted(&f.summary)
                    ));
                }
            }
        }
        (Some(c), None) => out.push_str(&format!(
            "- The health rules had not run when this was exported: {c} is not confirmed either way.\n"
        )),
        (None, _) => {}
    }
    out.push_str(&format!(
        "- Confirm with `backstop check --fail-on warning`, and walk again with `backstop trees walk {}`.\n\n",
        w.tree.name
    ));

    out.push_str("## Prevention\n\n");
    if let Some(l) = leaf {
        for p in &l.prevention {
            out.push_str(&format!("- {}\n", untrusted(p)));
        }
    }
    match code {
        Some(c) => out.push_str(&format!(
            "- Run `backstop check` daily or from cron: it reports {c} with its evidence before the next incident does.\n\n"
        )),
        None => out.push_str(
            "- Run `backstop check` daily or from cron: it reports what the rules can see before the next incident does.\n\n",
        ),
    }

    if let Some(l) = leaf
        && !l.references.is_empty()
    {
        out.push_str("## References\n\n");
        for r in &l.references {
            out.push_str(&format!("- {r}\n"));
        }
        out.push('\n');
    }

    if w.training {
        let s = w.score();
        out.push_str("## Training\n\n");
        out.push_str(&format!(
            "- Score: {}/100 ({} of {} choices followed the evidence, {} taken back)\n",
            s.percent(),
            s.agreed,
            s.judged,
            plural(s.steps_back, "step", "steps")
        ));
        if let Some(end) = &e.evidence_leads_to {
            let verdict = if end == leaf_id {
                "the same place"
            } else {
                "elsewhere"
            };
            out.push_str(&format!(
                "- The evidence leads to `{end}`; this walk ended at `{leaf_id}` ({verdict}).\n"
            ));
        }
        for &i in &s.departures {
            let v = &w.visits[i];
            out.push_str(&format!(
                "- Step {} (\"{}\"): chose `{}`, the evidence proposed `{}`: {}\n",
                i + 1,
                title_of(w, &v.node),
                v.choice.as_ref().map(|c| c.target.as_str()).unwrap_or(""),
                v.decided().unwrap_or(""),
                v.answer
                    .as_ref()
                    .map(|a| untrusted(&a.summary))
                    .unwrap_or_default()
            ));
        }
        out.push('\n');
    }
    out.push_str("Secret values are never part of a transcript: backstop does not read Secret data, and credential-looking values in evidence and notes are masked.\n");
    out
}
