//! Every key table: the panes', each overlay's, and the few keys that act everywhere.

use crossterm::event::{KeyCode, KeyModifiers};

use super::{Binding, bind};

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

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
    /// Alert coverage of each Cluster.
    Alerts,
    /// The tree chooser.
    Walk,
    /// The fitting tree, about the selected object or finding.
    WalkThis,
    /// Flux reconcile; on a plugin or operator pod, rollout restart.
    Reconcile,
    ReconcileWithSource,
    Suspend,
    BackupNow,
    /// The restore plan of the selected Cluster, Backup or ObjectStore.
    RestorePlan,
    /// A restore drill of the selected Cluster (or shows the running one).
    RestoreDrill,
    /// An incident bundle of this cluster, as `backstop report` writes it.
    Bundle,
}

impl Action {
    /// Keys that act on the selected row's object, and so also on the object a detail
    /// view shows.
    pub fn acts_on_an_object(self) -> bool {
        matches!(
            self,
            Action::Yaml
                | Action::Events
                | Action::Logs
                | Action::Walk
                | Action::WalkThis
                | Action::Reconcile
                | Action::ReconcileWithSource
                | Action::Suspend
                | Action::BackupNow
                | Action::RestorePlan
                | Action::RestoreDrill
        )
    }
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

/// Keys that act in every view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalAction {
    /// Quit from wherever you are (a walk with unsaved notes asks first).
    Quit,
}

/// Scrolling a read-only overlay (help, detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrollAction {
    Up,
    Down,
    PageUp,
    PageDown,
    Close,
}

/// Keys in the findings list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingsAction {
    Up,
    Down,
    Open,
    Walk,
    WalkThis,
    Close,
}

/// Keys in a YAML, events or log view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAction {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Follow,
    Wrap,
    Search,
    Next,
    Previous,
}

/// Editing a line: the pane filter, a command, a text view's search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputAction {
    Cancel,
    Accept,
    Erase,
}

/// Keys in a walk's note editor (every other key is text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteAction {
    Save,
}

/// Keys in an action's confirm dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmAction {
    Run,
    Cancel,
}

/// Keys in a restore plan's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Wrap,
    Write,
    Target,
    Drill,
}

/// Keys in a restore drill's confirm dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillConfirmAction {
    Run,
    Cancel,
    Up,
    Down,
}

/// Keys in a running drill's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillAction {
    Hide,
    Stop,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// Keys on the screen that says the cluster cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectErrorAction {
    Retry,
    /// Back to the fleet screen, when the dashboard was opened from it.
    Back,
}

/// Keys on the fleet screen (`backstop --context a,b` or `--all-contexts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetAction {
    Up,
    Down,
    Top,
    Bottom,
    Dive,
    Reread,
    Quit,
}

#[rustfmt::skip]
pub const GLOBAL_BINDINGS: &[Binding<GlobalAction>] = &[
    bind(&[(KeyCode::Char('c'), CTRL)], "Ctrl-C", GlobalAction::Quit, "quit, from any view (stops a running drill first; in the drill's view, only stops it)", None),
];

#[rustfmt::skip]
pub const BINDINGS: &[Binding<Action>] = &[
    bind(&[(KeyCode::Tab, NONE)], "Tab", Action::NextPane, "focus the next pane", Some("pane")),
    bind(&[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)], "Shift-Tab", Action::PrevPane, "focus the previous pane", None),
    bind(&[(KeyCode::Char('1'), NONE)], "1", Action::FocusPane(0), "focus Plugin & operator", None),
    bind(&[(KeyCode::Char('2'), NONE)], "2", Action::FocusPane(1), "focus ObjectStores", None),
    bind(&[(KeyCode::Char('3'), NONE)], "3", Action::FocusPane(2), "focus Backups", None),
    bind(&[(KeyCode::Char('4'), NONE)], "4", Action::FocusPane(3), "focus Flux", None),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", Action::Up, "move up", None),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", Action::Down, "move down", Some("move")),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", Action::PageUp, "a page up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", Action::PageDown, "a page down", None),
    bind(&[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)], "Home g", Action::Home, "first row", None),
    bind(&[(KeyCode::End, NONE), (KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE)], "End G", Action::End, "last row", None),
    bind(&[(KeyCode::Char('/'), NONE)], "/", Action::Filter, "filter the focused pane (Esc clears)", Some("filter")),
    bind(&[(KeyCode::Enter, NONE)], "Enter", Action::Open, "details of the selected row", Some("details")),
    bind(&[(KeyCode::Esc, NONE)], "Esc", Action::Back, "back, or clear the filter; opened from the fleet screen, back to it", None),
    bind(&[(KeyCode::Char('f'), NONE)], "f", Action::Findings, "findings, worst first (Enter opens the object)", Some("findings")),
    bind(&[(KeyCode::Char('a'), NONE)], "a", Action::Alerts, "alerts: which PrometheusRule alerts watch each Cluster's backups, frozen metrics, scraping", None),
    bind(&[(KeyCode::Char('w'), NONE)], "w", Action::Walk, "troubleshooting trees: choose one to walk (t in the chooser: training)", Some("walk")),
    bind(&[(KeyCode::Char('W'), SHIFT), (KeyCode::Char('W'), NONE)], "W", Action::WalkThis, "walk this: the tree that fits the selected row, finding or object, about it", None),
    bind(&[(KeyCode::Char('r'), NONE)], "r", Action::Reconcile, "action: reconcile a Kustomization or GitRepository; restart a plugin or operator pod's Deployment", None),
    bind(&[(KeyCode::Char('R'), SHIFT), (KeyCode::Char('R'), NONE)], "R", Action::ReconcileWithSource, "action: reconcile a Kustomization with its source (the GitRepository first)", None),
    bind(&[(KeyCode::Char('s'), NONE)], "s", Action::Suspend, "action: suspend or resume a Kustomization or ScheduledBackup", None),
    bind(&[(KeyCode::Char('b'), NONE)], "b", Action::BackupNow, "action: back up the selected Cluster now (each action asks first; --read-only turns them off)", None),
    bind(&[(KeyCode::Char('y'), NONE)], "y", Action::Yaml, "YAML of the selected object, fetched fresh (Secret values hidden)", Some("yaml")),
    bind(&[(KeyCode::Char('e'), NONE)], "e", Action::Events, "events of the selected object", Some("events")),
    bind(&[(KeyCode::Char('l'), NONE)], "l", Action::Logs, "logs followed live: the plugin container, or an instance's plugin-barman-cloud sidecar", Some("logs")),
    bind(&[(KeyCode::Char(':'), NONE), (KeyCode::Char(':'), SHIFT)], ":", Action::Command, "command: :ns NAME|all, :q", Some("command")),
    bind(&[(KeyCode::Char('p'), NONE)], "p", Action::RestorePlan, "restore plan of the selected Cluster, Backup (to its end) or ObjectStore's Cluster", Some("restore plan")),
    bind(&[(KeyCode::Char('B'), SHIFT), (KeyCode::Char('B'), NONE)], "B", Action::Bundle, "incident bundle: objects, events, logs, the check, the ground truth and the walk's transcript in one .tar.gz in the working folder (as `backstop report`)", None),
    bind(&[(KeyCode::Char('D'), SHIFT), (KeyCode::Char('D'), NONE)], "D", Action::RestoreDrill, "action: restore drill of the selected Cluster in a scratch namespace; D shows a running one", None),
    bind(&[(KeyCode::Char('t'), NONE)], "t", Action::NextTheme, "next colour theme", None),
    bind(&[(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)], "?", Action::Help, "this help", Some("help")),
    bind(&[(KeyCode::Char('q'), NONE)], "q", Action::Quit, "quit", Some("quit")),
];

#[rustfmt::skip]
pub const WALK_BINDINGS: &[Binding<WalkAction>] = &[
    bind(&[(KeyCode::Enter, NONE)], "Enter", WalkAction::Take, "take the selected branch (the proposed one unless you moved)", Some("take")),
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "Esc", WalkAction::Leave, "leave the walker (the walk is kept: w resumes it)", Some("leave")),
    bind(&[(KeyCode::Char('x'), NONE)], "x", WalkAction::Export, "export the walk as a Markdown transcript", Some("export")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", WalkAction::Up, "select the previous branch", None),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", WalkAction::Down, "select the next branch", Some("branch")),
    bind(&[(KeyCode::Char('1'), NONE)], "1", WalkAction::Pick(0), "select the first branch", None),
    bind(&[(KeyCode::Char('2'), NONE)], "2", WalkAction::Pick(1), "select the second branch", None),
    bind(&[(KeyCode::Char('3'), NONE)], "3", WalkAction::Pick(2), "select the third branch", None),
    bind(&[(KeyCode::Char('4'), NONE)], "4", WalkAction::Pick(3), "select the fourth branch", None),
    bind(&[(KeyCode::Backspace, NONE)], "Backspace", WalkAction::StepBack, "step back to the previous node", Some("back")),
    bind(&[(KeyCode::Char('a'), NONE)], "a", WalkAction::Autopilot, "autopilot: follow the evidence to the first diagnosis (not in training)", Some("autopilot")),
    bind(&[(KeyCode::Char('n'), NONE)], "n", WalkAction::Note, "write a note on this node (Esc saves it)", Some("note")),
    bind(&[(KeyCode::Char('r'), NONE)], "r", WalkAction::Rerun, "run the check again on fresh data", Some("re-run")),
    bind(&[(KeyCode::PageUp, NONE)], "PgUp", WalkAction::ScrollUp, "scroll the evidence up", None),
    bind(&[(KeyCode::PageDown, NONE)], "PgDn", WalkAction::ScrollDown, "scroll the evidence down", None),
];

#[rustfmt::skip]
pub const CHOOSER_BINDINGS: &[Binding<ChooserAction>] = &[
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", ChooserAction::Up, "previous tree", None),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", ChooserAction::Down, "next tree", Some("move")),
    bind(&[(KeyCode::Enter, NONE)], "Enter", ChooserAction::Start, "walk the selected tree (or resume the walk in progress)", Some("walk")),
    bind(&[(KeyCode::Char('t'), NONE)], "t", ChooserAction::Training, "training: proposals hidden until you choose, a score at the end", Some("training")),
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "Esc", ChooserAction::Leave, "close", Some("close")),
];

#[rustfmt::skip]
pub const HELP_BINDINGS: &[Binding<ScrollAction>] = &[
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", ScrollAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", ScrollAction::Up, "scroll up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", ScrollAction::PageDown, "a page down", None),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", ScrollAction::PageUp, "a page up", None),
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE), (KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT), (KeyCode::Enter, NONE)], "Esc", ScrollAction::Close, "close the help", Some("close")),
];

#[rustfmt::skip]
pub const DETAIL_BINDINGS: &[Binding<ScrollAction>] = &[
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE), (KeyCode::Backspace, NONE)], "Esc", ScrollAction::Close, "back to the panes", Some("back")),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", ScrollAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", ScrollAction::Up, "scroll up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", ScrollAction::PageDown, "a page down", None),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", ScrollAction::PageUp, "a page up", None),
];

#[rustfmt::skip]
pub const FINDINGS_BINDINGS: &[Binding<FindingsAction>] = &[
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", FindingsAction::Down, "next finding", Some("move")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", FindingsAction::Up, "previous finding", None),
    bind(&[(KeyCode::Enter, NONE)], "Enter", FindingsAction::Open, "open the object the finding is about", Some("open")),
    bind(&[(KeyCode::Char('W'), SHIFT), (KeyCode::Char('W'), NONE)], "W", FindingsAction::WalkThis, "walk the tree that explains the finding", Some("walk this")),
    bind(&[(KeyCode::Char('w'), NONE)], "w", FindingsAction::Walk, "choose a tree to walk", None),
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE), (KeyCode::Char('f'), NONE)], "Esc", FindingsAction::Close, "close the list", Some("close")),
];

#[rustfmt::skip]
pub const TEXT_BINDINGS: &[Binding<TextAction>] = &[
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "Esc", TextAction::Close, "back", Some("back")),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", TextAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", TextAction::Up, "scroll up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", TextAction::PageDown, "a page down", None),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", TextAction::PageUp, "a page up", None),
    bind(&[(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)], "g", TextAction::Top, "the first line", None),
    bind(&[(KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE), (KeyCode::End, NONE)], "G", TextAction::Bottom, "the last line (a log follows again)", None),
    bind(&[(KeyCode::Char('/'), NONE)], "/", TextAction::Search, "search (Enter finds)", Some("search")),
    bind(&[(KeyCode::Char('n'), NONE)], "n", TextAction::Next, "next match", Some("next")),
    bind(&[(KeyCode::Char('N'), SHIFT), (KeyCode::Char('N'), NONE)], "N", TextAction::Previous, "previous match", None),
    bind(&[(KeyCode::Char('w'), NONE)], "w", TextAction::Wrap, "wrap long lines or not", Some("wrap")),
    bind(&[(KeyCode::Char('f'), NONE)], "f", TextAction::Follow, "follow a log's newest lines, or pause", Some("follow")),
];

#[rustfmt::skip]
pub const INPUT_BINDINGS: &[Binding<InputAction>] = &[
    bind(&[(KeyCode::Enter, NONE)], "Enter", InputAction::Accept, "keep the filter, run the command, find the text", Some("keep")),
    bind(&[(KeyCode::Esc, NONE)], "Esc", InputAction::Cancel, "clear and close", Some("clear")),
    bind(&[(KeyCode::Backspace, NONE)], "Backspace", InputAction::Erase, "erase a character", None),
];

#[rustfmt::skip]
pub const NOTE_BINDINGS: &[Binding<NoteAction>] = &[
    bind(&[(KeyCode::Esc, NONE)], "Esc", NoteAction::Save, "keep the note and close the editor (Ctrl-U/Ctrl-R undo/redo)", Some("saves the note")),
];

#[rustfmt::skip]
pub const CONFIRM_BINDINGS: &[Binding<ConfirmAction>] = &[
    bind(&[(KeyCode::Char('y'), NONE)], "y", ConfirmAction::Run, "run the action (once the API server allows it)", Some("run it")),
    bind(&[(KeyCode::Char('n'), NONE), (KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "n Esc", ConfirmAction::Cancel, "cancel: nothing is changed", Some("cancel")),
];

#[rustfmt::skip]
pub const PLAN_BINDINGS: &[Binding<PlanAction>] = &[
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "Esc", PlanAction::Close, "back", Some("back")),
    bind(&[(KeyCode::Char('s'), NONE)], "s", PlanAction::Write, "save the manifests to restore-NAME.yaml in the working folder (for kubectl apply -f or Git)", Some("save YAML")),
    bind(&[(KeyCode::Char('t'), NONE)], "t", PlanAction::Target, "restore to: latest, a time with its timezone, or a backup ID; plans again", Some("target")),
    bind(&[(KeyCode::Char('D'), SHIFT), (KeyCode::Char('D'), NONE)], "D", PlanAction::Drill, "run a restore drill of this Cluster to this target (asks first)", Some("drill")),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", PlanAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", PlanAction::Up, "scroll up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", PlanAction::PageDown, "a page down", None),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", PlanAction::PageUp, "a page up", None),
    bind(&[(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)], "g", PlanAction::Top, "the first line", None),
    bind(&[(KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE), (KeyCode::End, NONE)], "G", PlanAction::Bottom, "the last line", None),
    bind(&[(KeyCode::Char('w'), NONE)], "w", PlanAction::Wrap, "wrap long lines or not", None),
];

#[rustfmt::skip]
pub const DRILL_CONFIRM_BINDINGS: &[Binding<DrillConfirmAction>] = &[
    bind(&[(KeyCode::Char('y'), NONE)], "y", DrillConfirmAction::Run, "run the drill (once it is planned and not refused)", Some("run the drill")),
    bind(&[(KeyCode::Char('n'), NONE), (KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "n Esc", DrillConfirmAction::Cancel, "cancel: nothing is created", Some("cancel")),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE), (KeyCode::PageDown, NONE)], "j ↓", DrillConfirmAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE), (KeyCode::PageUp, NONE)], "k ↑", DrillConfirmAction::Up, "scroll up", None),
];

#[rustfmt::skip]
pub const DRILL_BINDINGS: &[Binding<DrillAction>] = &[
    bind(&[(KeyCode::Esc, NONE), (KeyCode::Char('q'), NONE)], "Esc", DrillAction::Hide, "hide the view: the drill goes on (D shows it again)", Some("hide")),
    bind(&[(KeyCode::Char('x'), NONE)], "x", DrillAction::Stop, "stop the drill: it deletes its namespace and ends (Ctrl-C here does the same)", Some("stop drill")),
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", DrillAction::Down, "scroll down", Some("scroll")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", DrillAction::Up, "scroll up", None),
    bind(&[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)], "PgDn", DrillAction::PageDown, "a page down", None),
    bind(&[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)], "PgUp", DrillAction::PageUp, "a page up", None),
    bind(&[(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)], "g", DrillAction::Top, "the first line", None),
    bind(&[(KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE), (KeyCode::End, NONE)], "G", DrillAction::Bottom, "the newest line (follows again)", None),
];

#[rustfmt::skip]
pub const CONNECT_ERROR_BINDINGS: &[Binding<ConnectErrorAction>] = &[
    bind(&[(KeyCode::Char('r'), NONE)], "r", ConnectErrorAction::Retry, "retry the connection (any other key quits)", Some("retry")),
    bind(&[(KeyCode::Esc, NONE)], "Esc", ConnectErrorAction::Back, "back to the fleet screen, when the dashboard was opened from it (else quits)", None),
];

#[rustfmt::skip]
pub const FLEET_BINDINGS: &[Binding<FleetAction>] = &[
    bind(&[(KeyCode::Char('j'), NONE), (KeyCode::Down, NONE)], "j ↓", FleetAction::Down, "next Kubernetes cluster", Some("move")),
    bind(&[(KeyCode::Char('k'), NONE), (KeyCode::Up, NONE)], "k ↑", FleetAction::Up, "previous Kubernetes cluster", None),
    bind(&[(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)], "g", FleetAction::Top, "the first (worst) one", None),
    bind(&[(KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE), (KeyCode::End, NONE)], "G", FleetAction::Bottom, "the last one", None),
    bind(&[(KeyCode::Enter, NONE)], "Enter", FleetAction::Dive, "open its dashboard (Esc there comes back here)", Some("dashboard")),
    bind(&[(KeyCode::Char('r'), NONE)], "r", FleetAction::Reread, "read every context again now (else every 30 s)", Some("re-read")),
    bind(&[(KeyCode::Char('q'), NONE)], "q", FleetAction::Quit, "quit", Some("quit")),
];
