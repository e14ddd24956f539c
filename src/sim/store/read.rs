//! Reads: one object, a (paged) list, and how many objects there are.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::{ObjKey, Store};
use crate::sim::registry::ResourceType;
use crate::sim::selectors::{FieldSelector, LabelSelector};
use crate::sim::status::ApiError;

impl Store {
    pub fn resource_version(&self) -> u64 {
        self.read().rv
    }

    pub fn get(&self, t: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        let inner = self.read();
        inner
            .objects
            .get(&t.key())
            .and_then(|m| m.get(&(ns.to_string(), name.to_string())))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&t.group, &t.plural, name))
    }

    /// Matching objects in key order and the resourceVersion they are current at.
    pub fn list(
        &self,
        t: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> (Vec<Arc<Value>>, u64) {
        self.list_after(t, ns, labels, fields, None)
    }

    /// Like `list`, from after `after` (a page's continue key): a page of a 50k list
    /// starts where the last ended instead of walking the whole kind.
    pub fn list_after(
        &self,
        t: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        after: Option<&ObjKey>,
    ) -> (Vec<Arc<Value>>, u64) {
        use std::ops::Bound;
        let inner = self.read();
        let Some(map) = inner.objects.get(&t.key()) else {
            return (vec![], inner.rv);
        };
        let everything = labels.is_empty() && fields.is_empty();
        let keep = |o: &&Arc<Value>| everything || (labels.matches(o) && fields.matches(o));
        let start = match (after, ns) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let items = map
            .range((start, Bound::Unbounded))
            .take_while(|((n, _), _)| ns.is_none_or(|ns| n == ns))
            .map(|(_, v)| v)
            .filter(keep)
            .cloned()
            .collect();
        (items, inner.rv)
    }

    pub fn count(&self) -> usize {
        self.read().objects.values().map(BTreeMap::len).sum()
    }
}
