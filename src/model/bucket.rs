//! The barman-cloud object store as it is: how a store is reached (references only, never a
//! secret value) and what reading it proved (the base backups, the WAL per timeline, the gaps
//! and the recovery window). Pure data; the reading is `ground::bucket`, the proof
//! `ground::prove`.

use chrono::{DateTime, Utc};

/// A key of a Secret in the store's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

/// The credentials a store names, as references: which Secret keys hold them, or which
/// ambient identity barman-cloud is told to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// None named: barman-cloud would fall back to its environment.
    #[default]
    None,
    S3 {
        access_key_id: Option<SecretKeyRef>,
        secret_access_key: Option<SecretKeyRef>,
        session_token: Option<SecretKeyRef>,
        region: Option<SecretKeyRef>,
        inherit_from_iam_role: bool,
    },
    Azure {
        connection_string: Option<SecretKeyRef>,
        storage_account: Option<SecretKeyRef>,
        storage_key: Option<SecretKeyRef>,
        storage_sas_token: Option<SecretKeyRef>,
        inherit_from_azure_ad: bool,
        use_default_azure_credentials: bool,
    },
    Google {
        application_credentials: Option<SecretKeyRef>,
        gke_environment: bool,
    },
}

/// How to reach a barman-cloud store: an ObjectStore's `spec.configuration` or an in-tree
/// Cluster's `spec.backup.barmanObjectStore`, compacted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreAccess {
    pub destination: String,
    pub endpoint: Option<String>,
    pub endpoint_ca: Option<SecretKeyRef>,
    /// `serverName` as the configuration states it (in-tree only; the plugin takes it from
    /// the Cluster's parameters).
    pub server_name: Option<String>,
    pub credentials: Credentials,
}

/// One base backup as its `backup.info` describes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaseBackup {
    /// The folder under `base/`, e.g. `20261124T060000`.
    pub id: String,
    pub name: Option<String>,
    /// DONE, FAILED, STARTED, WAITING_FOR_WALS...; empty when backup.info could not be read.
    pub status: String,
    pub begin_wal: Option<String>,
    pub end_wal: Option<String>,
    pub begin_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub timeline: Option<u32>,
    pub systemid: Option<String>,
    pub segment_size: Option<u64>,
    /// backup.info's `error`, redacted and cleaned.
    pub error: Option<String>,
    /// Why backup.info could not be read, when it could not.
    pub unreadable: Option<String>,
}

impl BaseBackup {
    pub fn done(&self) -> bool {
        self.status == "DONE"
    }
}

/// The WAL segments archived on one timeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimelineWal {
    pub timeline: u32,
    pub first: String,
    pub last: String,
    pub count: u64,
    /// When the newest segment object was written (the store's last-modified).
    pub newest_at: Option<DateTime<Utc>>,
    /// `.partial` segments (written at a promotion), by name.
    pub partial: Vec<String>,
}

/// Missing segments: `missing` segments after `after` and before `before`. A gap across a
/// timeline switch names the parent's last segment and the child's first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WalGap {
    pub timeline: u32,
    pub after: String,
    pub before: String,
    pub missing: u64,
    /// The newest DONE backup that begins before the gap: PITR from it stops at `after`.
    pub cuts_backup: Option<String>,
    /// No DONE backup begins after the gap: nothing after it is restorable at all.
    pub fatal: bool,
}

/// From the end of a restorable base backup to the newest WAL reachable from it without a
/// gap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecoveryWindow {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub backup: String,
    pub last_wal: String,
}

/// Whether the newest DONE backup's end WAL is in the store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndWalCheck {
    pub backup: String,
    pub end_wal: String,
    /// None: past where a truncated listing stopped, so unknown.
    pub archived: Option<bool>,
}

/// What reading a store proved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketFacts {
    pub backups: Vec<BaseBackup>,
    pub timelines: Vec<TimelineWal>,
    /// Timelines with a `.history` file.
    pub history: Vec<u32>,
    /// The window that reaches the newest WAL, from the oldest backup that reaches it.
    pub window: Option<RecoveryWindow>,
    pub gaps: Vec<WalGap>,
    pub end_wal: Option<EndWalCheck>,
    pub newest_wal: Option<String>,
    pub newest_wal_at: Option<DateTime<Utc>>,
    /// Distinct `systemid`s of the base backups: more than one, two servers wrote here.
    pub system_ids: Vec<String>,
    pub segment_size: u64,
    /// The listing stopped at the object limit or the time limit: what follows the last
    /// listed key is unknown.
    pub truncated: Option<String>,
    /// The last WAL key listed when truncated.
    pub listed_up_to: Option<String>,
    pub requests: u64,
    pub objects: u64,
    pub elapsed_ms: u64,
}

/// Why a store's contents are or are not known.
#[derive(Debug, Clone, PartialEq)]
pub enum ProofOutcome {
    /// Cannot be read from here (an ambient cloud identity, a missing reference), with the
    /// reason.
    Unknown(String),
    /// The store's own error, redacted.
    Failed(String),
    Proven(Box<BucketFacts>),
}

/// One store read for one server.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreProof {
    pub namespace: String,
    /// The ObjectStore's name, or the Cluster's for an in-tree `barmanObjectStore`.
    pub store: String,
    /// True for a Cluster's in-tree `barmanObjectStore`.
    pub in_tree: bool,
    pub server_name: String,
    pub destination: String,
    pub checked_at: DateTime<Utc>,
    pub outcome: ProofOutcome,
}

impl StoreProof {
    pub fn facts(&self) -> Option<&BucketFacts> {
        match &self.outcome {
            ProofOutcome::Proven(f) => Some(f),
            _ => None,
        }
    }
}
