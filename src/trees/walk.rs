//! Walking a tree: at each node its check is answered and a branch proposed; an engineer
//! takes it or another (an override when they differ), or autopilot takes the proposals to
//! a leaf or a node that asks. The walk keeps the nodes visited, each check's answer when it
//! ran, notes and actions. Pure: the checks are answered from the `Env` the caller passes in.

use chrono::{DateTime, Utc};

use super::eval::{Answer, Env, evaluate};
use super::load::Tree;
use super::model::{ASK, Branch, Leaf, Node};
use crate::model::ObjectRef;

/// The branch taken at a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub branch: Branch,
    pub target: String,
    /// Taken by autopilot, not by a person.
    pub auto: bool,
}

/// One node on the path.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub node: String,
    /// When its check last ran (None for a leaf, or before the first run).
    pub checked: Option<DateTime<Utc>>,
    pub answer: Option<Answer>,
    /// The node the answer leads to, or `ask`.
    pub proposed: Option<String>,
    pub choice: Option<Choice>,
    pub note: String,
    /// Actions run from this node, as their equivalent commands.
    pub actions: Vec<String>,
}

impl Visit {
    fn at(node: &str) -> Visit {
        Visit {
            node: node.to_string(),
            checked: None,
            answer: None,
            proposed: None,
            choice: None,
            note: String::new(),
            actions: Vec::new(),
        }
    }

    /// The evidence decided a branch: not a leaf, not `ask`, not yet unrun.
    pub fn decided(&self) -> Option<&str> {
        self.proposed.as_deref().filter(|p| *p != ASK)
    }

    /// A branch was chosen against the evidence's proposal.
    pub fn overridden(&self) -> bool {
        match (&self.choice, self.decided()) {
            (Some(c), Some(p)) => c.target != p,
            _ => false,
        }
    }
}

/// How a training walk went.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Choices where the evidence decided a branch.
    pub judged: usize,
    /// Of those, the ones that followed it.
    pub agreed: usize,
    /// Indices of the visits whose choice left the evidence.
    pub departures: Vec<usize>,
    pub steps_back: usize,
}

impl Score {
    /// Out of 100: agreement, less 5 per step taken back.
    pub fn percent(&self) -> u32 {
        let base = (self.agreed * 100).checked_div(self.judged).unwrap_or(100) as u32;
        base.saturating_sub(5 * self.steps_back as u32)
    }
}

#[derive(Debug, Clone)]
pub struct Walk {
    pub tree: Tree,
    /// The object the walk is about, when started from one.
    pub context: Option<ObjectRef>,
    /// Proposals stay hidden until the trainee has chosen; autopilot is off.
    pub training: bool,
    pub started: DateTime<Utc>,
    /// Never empty: the last one is where the walk stands.
    pub visits: Vec<Visit>,
    pub steps_back: usize,
}

impl Walk {
    pub fn new(tree: Tree, context: Option<ObjectRef>, training: bool, now: DateTime<Utc>) -> Walk {
        let start = Visit::at(&tree.start);
        Walk {
            tree,
            context,
            training,
            started: now,
            visits: vec![start],
            steps_back: 0,
        }
    }

    pub fn current(&self) -> &Visit {
        // `visits` starts with one entry and `back` never removes the first.
        &self.visits[self.visits.len() - 1]
    }

    fn current_mut(&mut self) -> &mut Visit {
        let last = self.visits.len() - 1;
        &mut self.visits[last]
    }

    pub fn node(&self) -> Option<&Node> {
        self.tree.node(&self.current().node)
    }

    pub fn leaf(&self) -> Option<&Leaf> {
        self.node().and_then(|n| n.leaf.as_ref())
    }

    /// Answers the current node's check again, as of `env`.
    pub fn run_check(&mut self, env: &Env) {
        let Some(check) = self.node().and_then(|n| n.check.clone()) else {
            return;
        };
        let answer = evaluate(&check, env);
        let proposed = propose(&self.tree, &self.current().node, &answer);
        let v = self.current_mut();
        v.answer = Some(answer);
        v.proposed = Some(proposed);
        v.checked = Some(env.now);
    }

    /// The branches that lead somewhere, as (branch, target); branches to the same node are
    /// one choice, named by the first.
    pub fn branches(&self) -> Vec<(Branch, String)> {
        let mut out: Vec<(Branch, String)> = Vec::new();
        if let Some(n) = self.node() {
            for (b, t) in n.branches() {
                if t != ASK && !out.iter().any(|(_, seen)| seen == t) {
                    out.push((b, t.to_string()));
                }
            }
        }
        out
    }

    /// Takes the branch to `target` and runs the next node's check.
    pub fn choose(&mut self, target: &str, env: &Env) -> Result<(), String> {
        self.take(target, false, env)
    }

    fn take(&mut self, target: &str, auto: bool, env: &Env) -> Result<(), String> {
        if self.leaf().is_some() {
            return Err("this is a diagnosis: there is no branch to take".into());
        }
        let proposed_branch = self
            .current()
            .answer
            .as_ref()
            .map(|a| a.verdict.branch())
            .filter(|_| self.current().decided() == Some(target));
        let branches = self.branches();
        let Some((first, _)) = branches.iter().find(|(_, t)| t == target) else {
            return Err(format!("'{target}' is not a branch of this node"));
        };
        let branch = proposed_branch.unwrap_or(*first);
        self.current_mut().choice = Some(Choice {
            branch,
            target: target.to_string(),
            auto,
        });
        self.visits.push(Visit::at(target));
        self.run_check(env);
        Ok(())
    }

    /// Takes the proposed branch.
    pub fn accept(&mut self, env: &Env) -> Result<(), String> {
        match self.current().decided().map(str::to_string) {
            Some(target) => self.take(&target, false, env),
            None if self.leaf().is_some() => Err("this is a diagnosis: the walk ends here".into()),
            None if self.current().answer.is_none() => Err("the check has not run yet".into()),
            None => Err("the evidence does not decide here: choose a branch".into()),
        }
    }

    /// Steps back to the previous node, forgetting the choice made there. False at the start.
    pub fn back(&mut self) -> bool {
        if self.visits.len() < 2 {
            return false;
        }
        self.visits.pop();
        self.current_mut().choice = None;
        self.steps_back += 1;
        true
    }

    /// Follows the proposals from here to the first leaf or undecided node; the number of
    /// steps taken.
    pub fn autopilot(&mut self, env: &Env) -> Result<usize, String> {
        if self.training {
            return Err("autopilot is off in training: choose each branch yourself".into());
        }
        let mut taken = 0;
        // Lint rules out cycles; the bound is a second guard.
        for _ in 0..=self.tree.nodes.len() {
            if self.current().answer.is_none() {
                self.run_check(env);
            }
            let Some(target) = self.current().decided().map(str::to_string) else {
                break;
            };
            self.take(&target, true, env)?;
            taken += 1;
        }
        Ok(taken)
    }

    pub fn set_note(&mut self, note: String) {
        self.current_mut().note = note;
    }

    pub fn record_action(&mut self, command: String) {
        self.current_mut().actions.push(command);
    }

    pub fn overrides(&self) -> usize {
        self.visits.iter().filter(|v| v.overridden()).count()
    }

    pub fn score(&self) -> Score {
        let mut s = Score {
            judged: 0,
            agreed: 0,
            departures: Vec::new(),
            steps_back: self.steps_back,
        };
        for (i, v) in self.visits.iter().enumerate() {
            if v.choice.is_none() || v.decided().is_none() {
                continue;
            }
            s.judged += 1;
            if v.overridden() {
                s.departures.push(i);
            } else {
                s.agreed += 1;
            }
        }
        s
    }
}

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

/// The node a node's answer proposes, or `ask`.
pub fn propose(tree: &Tree, node: &str, answer: &Answer) -> String {
    tree.node(node)
        .and_then(|n| n.target(answer.verdict.branch()))
        .unwrap_or(ASK)
        .to_string()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{Facts, Outcome};
    use crate::trees::load::parse;

    const TREE: &str = r#"
apiVersion: backstop.dev/v1
kind: Tree
metadata: {name: t, title: T}
start: a
nodes:
  - id: a
    title: Are the plugin pods down?
    check: {finding: {code: PLG004}}
    pass: down
    fail: b
  - id: b
    title: Was the plugin OOMKilled?
    check: {finding: {code: PLG005}}
    pass: oom
    fail: fine
  - id: down
    leaf: {diagnosis: pods down}
  - id: oom
    leaf: {diagnosis: oom}
  - id: fine
    leaf: {diagnosis: fine}
"#;

    fn walk(training: bool) -> Walk {
        let tree = parse("t.yaml", TREE).expect("tree parses");
        Walk::new(tree, None, training, Utc::now())
    }

    fn env<'a>(facts: &'a Facts, outcome: &'a Outcome) -> Env<'a> {
        Env {
            facts,
            assessed: outcome,
            context: None,
            now: Utc::now(),
            git: None,
        }
    }

    #[test]
    fn accept_follows_the_evidence_and_an_override_is_kept_as_one() {
        let facts = Facts::default();
        let outcome = Outcome::default();
        let env = env(&facts, &outcome);
        let mut w = walk(false);
        w.run_check(&env);
        assert_eq!(w.current().decided(), Some("b"));
        w.accept(&env).expect("accepts");
        assert_eq!(w.current().node, "b");
        assert_eq!(w.current().decided(), Some("fine"), "the next check ran");
        w.choose("oom", &env).expect("chooses");
        assert_eq!(w.leaf().map(|l| l.diagnosis.as_str()), Some("oom"));
        assert_eq!(w.overrides(), 1);
        assert_eq!(
            w.visits[1].choice.as_ref().map(|c| c.branch),
            Some(Branch::Pass)
        );
        assert!(w.accept(&env).is_err(), "a leaf has no branch");
        assert!(w.choose("down", &env).is_err());
    }

    #[test]
    fn back_forgets_the_choice_and_counts() {
        let facts = Facts::default();
        let outcome = Outcome::default();
        let env = env(&facts, &outcome);
        let mut w = walk(false);
        w.run_check(&env);
        assert!(!w.back(), "nothing before the start");
        w.accept(&env).expect("accepts");
        assert!(w.back());
        assert_eq!(w.current().node, "a");
        assert_eq!(w.current().choice, None);
        assert_eq!(w.steps_back, 1);
    }

    #[test]
    fn autopilot_runs_to_the_leaf_but_not_in_training() {
        let facts = Facts::default();
        let outcome = Outcome::default();
        let env = env(&facts, &outcome);
        let mut w = walk(false);
        assert_eq!(w.autopilot(&env), Ok(2));
        assert_eq!(w.current().node, "fine");
        assert!(w.visits[0].choice.as_ref().is_some_and(|c| c.auto));
        let mut t = walk(true);
        assert!(t.autopilot(&env).is_err());
        assert_eq!(t.current().node, "a");
    }

    #[test]
    fn training_score_counts_departures_and_steps_back() {
        let facts = Facts::default();
        let outcome = Outcome::default();
        let env = env(&facts, &outcome);
        let mut w = walk(true);
        w.run_check(&env);
        w.choose("down", &env).expect("chooses");
        w.back();
        w.choose("b", &env).expect("chooses");
        w.choose("oom", &env).expect("chooses");
        let s = w.score();
        assert_eq!((s.judged, s.agreed), (2, 1));
        assert_eq!(s.departures, vec![1]);
        assert_eq!(s.percent(), 45);
    }

    #[test]
    fn an_undecided_node_asks() {
        let facts = Facts::default();
        let outcome = Outcome::default();
        let env = env(&facts, &outcome);
        let mut w = walk(false);
        assert_eq!(w.accept(&env), Err("the check has not run yet".into()));
        w.visits[0].answer = Some(Answer {
            verdict: crate::trees::eval::Verdict::Unknown,
            summary: String::new(),
            evidence: vec![],
        });
        w.visits[0].proposed = Some(ASK.into());
        assert!(w.accept(&env).unwrap_err().contains("choose a branch"));
        assert_eq!(w.autopilot(&env), Ok(0));
    }
}
