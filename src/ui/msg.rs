//! What the dashboard is told (`Msg`: keys, data, verdicts, reads and action outcomes) and
//! what it asks for (`Cmd`: the IO the runtime performs). The App turns one into the other
//! without doing any IO; the runtime is the only place the two meet the cluster.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::actions::Plan;
use crate::actions::exec::Progress;
use crate::assess::Outcome;
use crate::checks::Extras;
use crate::cluster::connect::ConnectError;
use crate::cluster::fetch::{EventLine, LogChunk};
use crate::model::bucket::StoreProof;
use crate::model::{ObjectRef, Snapshot};
use crate::restore::drill::scratch::Leftover;
use crate::restore::{Refused, RestorePlan, Target};

use super::settings::Location;

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock moved.
    Tick(DateTime<Utc>),
    /// The watched kinds changed.
    Data(Box<Snapshot>),
    /// The kinds and logs only the rules read were gathered.
    Extras(Box<Extras>),
    /// What reading the stores' buckets proved.
    Proofs(Vec<StoreProof>),
    /// The rules' verdict on the data as it stood, and what it cost.
    Verdict(Outcome, std::time::Duration),
    /// A YAML view's lines, or why not.
    Text {
        id: u64,
        lines: Result<Vec<String>, String>,
    },
    /// An events view's events, or why not: shown as of the dashboard's clock.
    Events {
        id: u64,
        events: Result<Vec<EventLine>, String>,
    },
    /// More of a followed log, or its end.
    Log {
        id: u64,
        chunk: LogChunk,
    },
    /// Whether the API server allows the pending action.
    Access(Result<(), String>),
    /// How the running action goes.
    Progress(Progress),
    /// The API server's version, or why it could not be asked.
    ServerVersion(Result<String, String>),
    TranscriptSaved(Result<PathBuf, String>),
    /// A line for the footer from the runtime (a namespace that does not exist, an
    /// action not recorded, a context that could not be switched to).
    Note(super::panes::Health, String),
    /// The watchers moved to another namespace (None: all): what is shown was about the
    /// old one.
    Scope(Option<String>),
    /// Connected (again) to `Location`: everything shown so far was about another scope.
    Connected(Location),
    /// Connecting failed: the error screen.
    ConnectFailed(ConnectError),
    /// A restore plan for a plan view: the plan or the planner's refusal; Err when the
    /// source could not be read.
    RestorePlanned {
        id: u64,
        result: Result<Box<Result<RestorePlan, Refused>>, String>,
    },
    /// A plan's YAML was written (where), or why not.
    PlanWritten(Result<PathBuf, String>),
    /// What a drill's confirm dialog shows, or why it cannot be offered.
    DrillPrepared {
        id: u64,
        result: Result<Box<DrillPrep>, String>,
    },
    /// The running drill's progress lines.
    DrillLines(Vec<String>),
    /// The drill ended: torn down, reported.
    DrillDone(Box<DrillEnd>),
}

/// What a drill would do: its plan (or the refusal), the earlier drills' namespaces it
/// deletes first, and whether the user may.
#[derive(Debug, Clone)]
pub struct DrillPrep {
    pub plan: Result<RestorePlan, Refused>,
    pub leftovers: Vec<Leftover>,
    /// Whether the API server allows what the drill does (SelfSubjectAccessReviews).
    pub access: Result<(), String>,
}

/// A confirmed drill: the plan it runs, the leftovers it deletes first, where its report
/// goes and how long it may wait for a healthy primary.
#[derive(Debug, Clone)]
pub struct DrillStart {
    pub plan: RestorePlan,
    pub clean: Vec<String>,
    pub report_dir: PathBuf,
    pub timeout: std::time::Duration,
    pub thresholds: crate::assess::Thresholds,
}

/// How a drill ended, as the footer and the record say it.
#[derive(Debug, Clone)]
pub struct DrillEnd {
    pub source: (String, String),
    pub namespace: String,
    pub target: String,
    pub passed: bool,
    /// PASSED, or FAILED (why).
    pub verdict: String,
    pub rto: Option<String>,
    pub rpo: Option<String>,
    /// The first finding the drill met: its code and remedy.
    pub remedy: Option<String>,
    /// What the teardown did.
    pub teardown: String,
    /// Where the report was written, or why it was not.
    pub report: Result<PathBuf, String>,
}

/// IO the runtime does for the app.
#[derive(Debug, Clone)]
pub enum Cmd {
    Quit,
    /// Back to the fleet screen this dashboard was opened from.
    Leave,
    /// Write an incident bundle (progress and the result come back as notes).
    Bundle(Box<crate::bundle::take::Take>),
    /// Watch another namespace (None: all).
    Namespace(Option<String>),
    /// Connect to another context; None retries the connection as first asked.
    Context(Option<String>),
    Yaml {
        id: u64,
        target: ObjectRef,
    },
    Events {
        id: u64,
        target: ObjectRef,
    },
    Logs {
        id: u64,
        namespace: String,
        pod: String,
        container: String,
    },
    /// The text view closed: stop following its log.
    CloseText,
    /// Gather the rules' facts now (a walker's check waits for them).
    Gather {
        /// Probe ObjectStore endpoints too.
        network: bool,
    },
    /// Read the stores' buckets now, rather than at the next slow tick.
    Prove,
    /// Run the rules on this input (one run at a time; the newest input waits).
    Assess(Box<super::rules_task::RulesInput>),
    /// Write a walk's transcript.
    SaveTranscript {
        path: PathBuf,
        markdown: String,
    },
    /// Ask whether the user may run the plan (SelfSubjectAccessReview).
    CheckAccess(Plan),
    /// Run the confirmed plan.
    RunAction(Plan),
    /// Append a line to the session's action log (no walk is open to record it).
    LogAction(String),
    /// Gather the facts about a Cluster and plan its restore to `target`, judged as of
    /// the dashboard's clock.
    PlanRestore {
        id: u64,
        cluster: ObjectRef,
        target: Target,
        now: DateTime<Utc>,
    },
    /// Write a plan's YAML to a file.
    WritePlan {
        path: PathBuf,
        yaml: String,
    },
    /// Plan a drill of a Cluster and list the namespaces earlier drills left.
    PrepareDrill {
        id: u64,
        cluster: ObjectRef,
        target: Target,
    },
    /// Run the confirmed drill (one at a time).
    RunDrill(Box<DrillStart>),
    /// Stop the running drill: it tears down and ends.
    CancelDrill,
}
