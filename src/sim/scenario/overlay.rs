//! A scenario on top of a base (`spec.base`): what replaces, what is removed, what adds up.

use std::collections::HashSet;

use serde_json::Value;

use super::{Identity, LogSpec, ObjRef, Scenario, ScenarioError, describe, identity};
use crate::sim::registry::split_api_version;

/// The scenario `top` on top of `base`: its objects replace the base's of the same
/// identity, `remove` drops base objects, logs replace logs of the same container, and
/// timelines and faults add up.
pub(super) fn overlay(
    base: Scenario,
    top: Scenario,
    remove: &[ObjRef],
    place: &str,
    top_states_recovery: bool,
) -> Result<Scenario, ScenarioError> {
    let removed: HashSet<Identity> = remove.iter().map(ref_identity).collect();
    let base_ids: HashSet<Identity> = base.objects.iter().map(identity).collect();
    for r in remove {
        if !base_ids.contains(&ref_identity(r)) {
            return Err(ScenarioError::Invalid(format!(
                "{place}: spec.remove names {}, which the base scenario does not have",
                describe(&ref_identity(r))
            )));
        }
    }
    let replaced: HashSet<Identity> = top.objects.iter().map(identity).collect();
    let mut objects: Vec<Value> = base
        .objects
        .into_iter()
        .filter(|o| {
            let id = identity(o);
            !removed.contains(&id) && !replaced.contains(&id)
        })
        .collect();
    objects.extend(top.objects);
    let top_logs: HashSet<(String, String)> = top
        .logs
        .iter()
        .map(|l| (l.pod.clone(), l.container.clone()))
        .collect();
    let mut logs: Vec<LogSpec> = base
        .logs
        .into_iter()
        .filter(|l| !top_logs.contains(&(l.pod.clone(), l.container.clone())))
        .collect();
    logs.extend(top.logs);
    // An incident restates the whole timeline it wants: the base's demo loops would
    // otherwise keep "healing" what the incident breaks.
    let timeline = if top.timeline.is_empty() {
        base.timeline
    } else {
        top.timeline
    };
    let mut faults = base.faults;
    faults.latency = top.faults.latency.or(faults.latency);
    faults.errors.extend(top.faults.errors);
    faults.drop_watches_after = top.faults.drop_watches_after.or(faults.drop_watches_after);
    faults.expire_next_watch |= top.faults.expire_next_watch;
    faults.forbidden.extend(top.faults.forbidden);
    // An archiver stated on top replaces the base's for the same Cluster.
    let mut archivers: Vec<_> = base
        .archivers
        .into_iter()
        .filter(|a| !top.archivers.iter().any(|t| t.cluster == a.cluster))
        .collect();
    archivers.extend(top.archivers);
    Ok(Scenario {
        name: top.name,
        description: if top.description.is_empty() {
            base.description
        } else {
            top.description
        },
        expect: top.expect,
        objects,
        logs,
        timeline,
        faults,
        archivers,
        object_store: top.object_store.or(base.object_store),
        // The recovery's settings are one whole: stated on top, they replace the base's.
        recovery: if top_states_recovery {
            top.recovery
        } else {
            base.recovery
        },
        shift: top.shift,
        now: top.now.or(base.now),
    })
}

fn ref_identity(r: &ObjRef) -> Identity {
    let (group, _) = split_api_version(&r.api_version);
    (
        group.to_string(),
        r.kind.clone(),
        r.namespace.clone().unwrap_or_default(),
        r.name.clone(),
    )
}
