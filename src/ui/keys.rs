//! The key map: one table drives the key handler, the `?` help and the footer hints, so
//! they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextPane,
    PrevPane,
    FocusPane(usize),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Filter,
    Open,
    Back,
    Help,
    Command,
    NextTheme,
    Yaml,
    Events,
    Logs,
    Findings,
    /// The tree chooser.
    Walk,
    /// The fitting tree, about the selected object or finding.
    WalkThis,
    /// Flux reconcile; on a plugin or operator pod, rollout restart.
    Reconcile,
    ReconcileWithSource,
    Suspend,
    BackupNow,
}

/// Keys in the walker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkAction {
    Take,
    Up,
    Down,
    Pick(usize),
    StepBack,
    Autopilot,
    Note,
    Rerun,
    Export,
    ScrollUp,
    ScrollDown,
    Leave,
}

/// Keys in the tree chooser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooserAction {
    Up,
    Down,
    Start,
    Training,
    Leave,
}

pub struct Binding<A: 'static> {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in help.
    pub label: &'static str,
    pub action: A,
    pub help: &'static str,
    /// Shown in the footer.
    pub hint: Option<&'static str>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

pub const BINDINGS: &[Binding<Action>] = &[
    Binding {
        keys: &[(KeyCode::Tab, NONE)],
        label: "Tab",
        action: Action::NextPane,
        help: "focus the next pane",
        hint: Some("pane"),
    },
    Binding {
        keys: &[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)],
        label: "Shift-Tab",
        action: Action::PrevPane,
        help: "focus the previous pane",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('1'), NONE)],
        label: "1",
        action: Action::FocusPane(0),
        help: "focus Plugin & operator",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('2'), NONE)],
        label: "2",
        action: Action::FocusPane(1),
        help: "focus ObjectStores",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('3'), NONE)],
        label: "3",
        action: Action::FocusPane(2),
        help: "focus Backups",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('4'), NONE)],
        label: "4",
        action: Action::FocusPane(3),
        help: "focus Flux",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)],
        label: "k ↑",
        action: Action::Up,
        help: "move up",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)],
        label: "j ↓",
        action: Action::Down,
        help: "move down",
        hint: Some("move"),
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)],
        label: "PgUp",
        action: Action::PageUp,
        help: "a page up",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)],
        label: "PgDn",
        action: Action::PageDown,
        help: "a page down",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
        label: "Home g",
        action: Action::Home,
        help: "first row",
        hint: None,
    },
    Binding {
        keys: &[
            (KeyCode::End, NONE),
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
        ],
        label: "End G",
        action: Action::End,
        help: "last row",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('/'), NONE)],
        label: "/",
        action: Action::Filter,
        help: "filter the focused pane (Esc clears)",
        hint: Some("filter"),
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        action: Action::Open,
        help: "details of the selected row",
        hint: Some("details"),
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        action: Action::Back,
        help: "back, or clear the filter",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('f'), NONE)],
        label: "f",
        action: Action::Findings,
        help: "findings, worst first (Enter opens the object)",
        hint: Some("findings"),
    },
    Binding {
        keys: &[(KeyCode::Char('w'), NONE)],
        label: "w",
        action: Action::Walk,
        help: "troubleshooting trees: choose one to walk (t in the chooser: training)",
        hint: Some("walk"),
    },
    Binding {
        keys: &[(KeyCode::Char('W'), SHIFT), (KeyCode::Char('W'), NONE)],
        label: "W",
        action: Action::WalkThis,
        help: "walk this: the tree that fits the selected row, finding or object, about it",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Reconcile,
        help: "action: reconcile a Kustomization or GitRepository; restart a plugin or operator pod's Deployment",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('R'), SHIFT), (KeyCode::Char('R'), NONE)],
        label: "R",
        action: Action::ReconcileWithSource,
        help: "action: reconcile a Kustomization with its source (the GitRepository first)",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('s'), NONE)],
        label: "s",
        action: Action::Suspend,
        help: "action: suspend or resume a Kustomization or ScheduledBackup",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('b'), NONE)],
        label: "b",
        action: Action::BackupNow,
        help: "action: back up the selected Cluster now (each action asks first; --read-only turns them off)",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('y'), NONE)],
        label: "y",
        action: Action::Yaml,
        help: "YAML of the selected object, fetched fresh (Secret values hidden)",
        hint: Some("yaml"),
    },
    Binding {
        keys: &[(KeyCode::Char('e'), NONE)],
        label: "e",
        action: Action::Events,
        help: "events of the selected object",
        hint: Some("events"),
    },
    Binding {
        keys: &[(KeyCode::Char('l'), NONE)],
        label: "l",
        action: Action::Logs,
        help: "logs followed live: the plugin container, or an instance's plugin-barman-cloud sidecar",
        hint: Some("logs"),
    },
    Binding {
        keys: &[(KeyCode::Char(':'), NONE), (KeyCode::Char(':'), SHIFT)],
        label: ":",
        action: Action::Command,
        help: "command: :ns NAME|all, :q",
        hint: Some("command"),
    },
    Binding {
        keys: &[(KeyCode::Char('t'), NONE)],
        label: "t",
        action: Action::NextTheme,
        help: "next colour theme",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        label: "?",
        action: Action::Help,
        help: "this help",
        hint: Some("help"),
    },
    Binding {
        keys: &[(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        label: "q",
        action: Action::Quit,
        help: "quit",
        hint: Some("quit"),
    },
];

pub const WALK_BINDINGS: &[Binding<WalkAction>] = &[
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        action: WalkAction::Take,
        help: "take the selected branch (the proposed one unless you moved)",
        hint: Some("take"),
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)],
        label: "Esc",
        action: WalkAction::Leave,
        help: "leave the walker (the walk is kept: w resumes it)",
        hint: Some("leave"),
    },
    Binding {
        keys: &[(KeyCode::Char('x'), NONE)],
        label: "x",
        action: WalkAction::Export,
        help: "export the walk as a Markdown transcript",
        hint: Some("export"),
    },
    Binding {
        keys: &[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)],
        label: "k ↑",
        action: WalkAction::Up,
        help: "select the previous branch",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)],
        label: "j ↓",
        action: WalkAction::Down,
        help: "select the next branch",
        hint: Some("branch"),
    },
    Binding {
        keys: &[(KeyCode::Char('1'), NONE)],
        label: "1",
        action: WalkAction::Pick(0),
        help: "select the first branch",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('2'), NONE)],
        label: "2",
        action: WalkAction::Pick(1),
        help: "select the second branch",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('3'), NONE)],
        label: "3",
        action: WalkAction::Pick(2),
        help: "select the third branch",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('4'), NONE)],
        label: "4",
        action: WalkAction::Pick(3),
        help: "select the fourth branch",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Backspace, NONE)],
        label: "Backspace",
        action: WalkAction::StepBack,
        help: "step back to the previous node",
        hint: Some("back"),
    },
    Binding {
        keys: &[(KeyCode::Char('a'), NONE)],
        label: "a",
        action: WalkAction::Autopilot,
        help: "autopilot: follow the evidence to the first diagnosis (not in training)",
        hint: Some("autopilot"),
    },
    Binding {
        keys: &[(KeyCode::Char('n'), NONE)],
        label: "n",
        action: WalkAction::Note,
        help: "write a note on this node (Esc saves it)",
        hint: Some("note"),
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: WalkAction::Rerun,
        help: "run the check again on fresh data",
        hint: Some("re-run"),
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE)],
        label: "PgUp",
        action: WalkAction::ScrollUp,
        help: "scroll the evidence up",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE)],
        label: "PgDn",
        action: WalkAction::ScrollDown,
        help: "scroll the evidence down",
        hint: None,
    },
];

pub const CHOOSER_BINDINGS: &[Binding<ChooserAction>] = &[
    Binding {
        keys: &[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)],
        label: "k ↑",
        action: ChooserAction::Up,
        help: "previous tree",
        hint: None,
    },
    Binding {
        keys: &[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)],
        label: "j ↓",
        action: ChooserAction::Down,
        help: "next tree",
        hint: Some("move"),
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        action: ChooserAction::Start,
        help: "walk the selected tree (or resume the walk in progress)",
        hint: Some("walk"),
    },
    Binding {
        keys: &[(KeyCode::Char('t'), NONE)],
        label: "t",
        action: ChooserAction::Training,
        help: "training: proposals hidden until you choose, a score at the end",
        hint: Some("training"),
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)],
        label: "Esc",
        action: ChooserAction::Leave,
        help: "close",
        hint: Some("close"),
    },
];

/// The action a key press means in normal navigation, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    action_in(BINDINGS, key)
}

/// The action a key press means in one of the key tables.
pub fn action_in<A: Copy>(table: &[Binding<A>], key: &KeyEvent) -> Option<A> {
    table
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|(code, mods)| *code == key.code && *mods == key.modifiers)
        })
        .map(|b| b.action)
}

/// Help and quit come first: a narrow footer loses the others, never those.
pub fn hints() -> Vec<(&'static str, &'static str)> {
    let mut ordered: Vec<&Binding<Action>> = BINDINGS.iter().collect();
    ordered.sort_by_key(|b| !matches!(b.action, Action::Help | Action::Quit));
    hints_of(ordered)
}

/// The footer hints of a table, in its order.
pub fn hints_of<'a, A: 'static>(
    table: impl IntoIterator<Item = &'a Binding<A>>,
) -> Vec<(&'static str, &'static str)> {
    table
        .into_iter()
        .filter_map(|b| b.hint.map(|h| (b.label, h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things() {
        fn check<A>(table: &[Binding<A>]) {
            let mut seen = std::collections::HashSet::new();
            for b in table {
                for k in b.keys {
                    assert!(seen.insert(*k), "{:?} is bound twice", k);
                }
            }
        }
        check(BINDINGS);
        check(WALK_BINDINGS);
        check(CHOOSER_BINDINGS);
    }

    #[test]
    fn ctrl_c_quits_and_digits_focus() {
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('c'), CTRL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('3'), NONE)),
            Some(Action::FocusPane(2))
        );
        assert_eq!(action_for(&KeyEvent::new(KeyCode::Char('z'), NONE)), None);
    }
}
