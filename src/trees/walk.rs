//! Walking a tree: at each node its check is answered, the branch is proposed, and (on
//! autopilot) taken, until a leaf or a node that asks the engineer.

use super::eval::{Answer, Env};
use super::load::Tree;
use super::model::ASK;
use super::record::Walk;

/// One node visited.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub node: String,
    pub answer: Answer,
    /// The branch the answer leads to, or `ask`.
    pub proposed: String,
}

/// Where a walk stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    Leaf(String),
    /// The branch is `ask`: the engineer must choose at this node.
    Ask(String),
}

impl End {
    /// `leaf-id`, or `ask:node-id`, as EXPECTED.yaml writes them.
    pub fn label(&self) -> String {
        match self {
            End::Leaf(id) => id.clone(),
            End::Ask(id) => format!("ask:{id}"),
        }
    }
}

/// The branch a node's answer proposes.
pub fn propose(tree: &Tree, node: &str, answer: &Answer) -> String {
    let Some(n) = tree.node(node) else {
        return ASK.to_string();
    };
    let target = match answer.verdict.branch() {
        "pass" => n.pass.as_deref(),
        "fail" => n.fail.as_deref(),
        "unknown" => Some(n.unknown.as_str()),
        _ => Some(n.error.as_str()),
    };
    target.unwrap_or(ASK).to_string()
}

/// Follows the proposed branch from the start until a leaf or an `ask`.
pub fn autopilot(tree: &Tree, env: &Env) -> (Vec<Step>, End) {
    let mut walk = Walk::new(tree.clone(), env.context.cloned(), false, env.now);
    // Autopilot is refused only in training, and this walk is not one.
    let _ = walk.autopilot(env);
    let steps = walk
        .visits
        .iter()
        .filter_map(|v| {
            Some(Step {
                node: v.node.clone(),
                answer: v.answer.clone()?,
                proposed: v.proposed.clone()?,
            })
        })
        .collect();
    let at = walk.current().node.clone();
    let end = if walk.leaf().is_some() {
        End::Leaf(at)
    } else {
        End::Ask(at)
    };
    (steps, end)
}
