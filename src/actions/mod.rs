//! Safe actions, planned purely: what will change, the equivalent flux or kubectl command,
//! the exact requests (the ones flux and kubectl send, DOMAIN §4.5 and §2.7), the
//! permissions they need, and how to follow them to their outcome. `plan` plans one from
//! the dashboard's view, `remedy` says what a diagnosis's action acts on, `exec` sends it.

pub mod exec;
mod plan;
pub(crate) mod remedy;

use serde_json::Value;

use crate::model::{Kind, ObjectRef};

pub use plan::plan;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Reconcile,
    ReconcileWithSource,
    /// Suspend when running, resume when suspended.
    ToggleSuspend,
    Restart,
    BackupNow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// application/merge-patch+json
    Merge,
    /// application/strategic-merge-patch+json
    Strategic,
    /// A POST of a new object.
    Create,
}

/// One request, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What it writes: the API addresses it by the kind's group, version and plural.
    pub kind: Kind,
    pub namespace: String,
    /// The object patched; for a create, the new object's name.
    pub name: String,
    pub body: Body,
    pub payload: Value,
}

impl Request {
    /// The permission it needs: (verb, group, resource, namespace).
    pub fn access(&self) -> (&'static str, &'static str, &'static str, &str) {
        let verb = if self.body == Body::Create {
            "create"
        } else {
            "patch"
        };
        (verb, self.kind.group(), self.kind.plural(), &self.namespace)
    }
}

/// How to know the action reached its end.
#[derive(Debug, Clone, PartialEq)]
pub enum Follow {
    /// Until status.lastHandledReconcileAt is the value sent, then the Ready condition.
    Reconcile {
        namespace: String,
        name: String,
        requested_at: String,
    },
    /// Through its phases until one that ends it: completed, failed, walArchivingFailing,
    /// invalid backup definition.
    Backup { namespace: String, name: String },
    /// Until the Deployment's controller has observed the new generation.
    Rollout { namespace: String, name: String },
    /// The write is the outcome.
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub verb: Verb,
    pub target: ObjectRef,
    /// What will change, for the confirm dialog.
    pub what: String,
    /// The equivalent commands, to copy or to compare.
    pub commands: Vec<String>,
    pub requests: Vec<Request>,
    pub follow: Follow,
}

impl Plan {
    /// One line for the record: the first command.
    pub fn command(&self) -> &str {
        self.commands.first().map(String::as_str).unwrap_or("")
    }
}
