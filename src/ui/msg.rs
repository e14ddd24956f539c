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
}

/// IO the runtime does for the app.
#[derive(Debug, Clone)]
pub enum Cmd {
    Quit,
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
}
