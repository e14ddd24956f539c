//! Objects read for rows only: the metadata a row uses (no managedFields, ownerReferences
//! or finalizers, which are skipped while parsing, never allocated), the rest as JSON.
//! At 50,000 objects this is most of the difference between parsing and projecting.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{ApiResource, DynamicObject, TypeMeta};
use kube::core::{DynamicResourceScope, Resource};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A DynamicObject parsed for a row. Serialises as its DynamicObject (it is only sent
/// when kube-runtime needs to, which a watcher does not).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Lean(
    pub DynamicObject,
    /// Metadata fields that were present but not what Kubernetes writes, read as absent:
    /// the watcher names the object and the field.
    #[serde(skip)]
    pub Vec<&'static str>,
);

thread_local! {
    /// The malformed fields of the object being parsed on this thread: serde gives a
    /// field's deserializer no way back to the object it belongs to.
    static MALFORMED: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The metadata a row reads. One object with a field of the wrong type (a timestamp
/// `garbage`, labels given as a list) must not fail the whole list it came in, which would
/// hide every object of the kind: such a field reads as absent.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    #[serde(deserialize_with = "lenient_i64")]
    generation: Option<i64>,
    #[serde(deserialize_with = "lenient_labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "lenient_annotations")]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "lenient_created")]
    creation_timestamp: Option<Time>,
    #[serde(deserialize_with = "lenient_deleted")]
    deletion_timestamp: Option<Time>,
}

/// Accepts any JSON value, keeping what `keep` makes of it: never an error. A value that
/// is there but yields nothing is noted as malformed under `field`.
struct AnyValue<F>(&'static str, F);

impl<'de, T, F: FnOnce(Value) -> Option<T>> serde::de::DeserializeSeed<'de> for AnyValue<F> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        let v = Value::deserialize(d)?;
        let present = !v.is_null();
        let kept = (self.1)(v);
        if present && kept.is_none() {
            MALFORMED.with(|m| m.borrow_mut().push(self.0));
        }
        Ok(kept)
    }
}

fn lenient_created<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    lenient_time("metadata.creationTimestamp", d)
}

fn lenient_deleted<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    lenient_time("metadata.deletionTimestamp", d)
}

fn lenient_labels<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    lenient_map("metadata.labels", d)
}

fn lenient_annotations<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    lenient_map("metadata.annotations", d)
}

fn lenient_time<'de, D: Deserializer<'de>>(
    field: &'static str,
    d: D,
) -> Result<Option<Time>, D::Error> {
    use serde::de::DeserializeSeed;
    AnyValue(field, |v: Value| match v {
        Value::String(s) => s.parse::<k8s_openapi::jiff::Timestamp>().ok().map(Time),
        _ => None,
    })
    .deserialize(d)
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::DeserializeSeed;
    AnyValue("metadata.generation", |v: Value| v.as_i64()).deserialize(d)
}

/// A map of strings; a value that is not a string is dropped, anything but a map is none.
fn lenient_map<'de, D: Deserializer<'de>>(
    field: &'static str,
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    use serde::de::DeserializeSeed;
    AnyValue(field, |v: Value| match v {
        Value::Object(m) => Some(
            m.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    })
    .deserialize(d)
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> ObjectMeta {
        ObjectMeta {
            name: m.name,
            namespace: m.namespace,
            uid: m.uid,
            resource_version: m.resource_version,
            generation: m.generation,
            labels: m.labels,
            annotations: m.annotations,
            creation_timestamp: m.creation_timestamp,
            deletion_timestamp: m.deletion_timestamp,
            ..ObjectMeta::default()
        }
    }
}

struct LeanVisitor;

impl<'de> Visitor<'de> for LeanVisitor {
    type Value = Lean;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lean, A::Error> {
        let mut api_version = None;
        let mut kind = None;
        let mut metadata = ObjectMeta::default();
        let mut malformed = Vec::new();
        let mut data = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "apiVersion" => api_version = map.next_value::<Option<String>>()?,
                "kind" => kind = map.next_value::<Option<String>>()?,
                "metadata" => {
                    MALFORMED.with(|m| m.borrow_mut().clear());
                    metadata = map.next_value::<Option<Meta>>()?.unwrap_or_default().into();
                    malformed = MALFORMED.with(|m| std::mem::take(&mut *m.borrow_mut()));
                }
                _ => {
                    data.insert(key.into_owned(), map.next_value::<Value>()?);
                }
            }
        }
        let types = match (api_version, kind) {
            (Some(api_version), Some(kind)) => Some(TypeMeta { api_version, kind }),
            _ => None,
        };
        Ok(Lean(
            DynamicObject {
                types,
                metadata,
                data: Value::Object(data),
            },
            malformed,
        ))
    }
}

impl<'de> Deserialize<'de> for Lean {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lean, D::Error> {
        d.deserialize_map(LeanVisitor)
    }
}

impl Resource for Lean {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn group(dt: &ApiResource) -> Cow<'_, str> {
        DynamicObject::group(dt)
    }
    fn version(dt: &ApiResource) -> Cow<'_, str> {
        DynamicObject::version(dt)
    }
    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        DynamicObject::kind(dt)
    }
    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        DynamicObject::api_version(dt)
    }
    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        DynamicObject::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.0.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.0.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_rows_read_and_drops_managed_fields() {
        let text = r#"{"apiVersion":"v1","kind":"Pod",
            "metadata":{"name":"web-0","namespace":"demo","resourceVersion":"42","generation":3,
                "labels":{"app":"web"},"annotations":{"a":"b"},
                "creationTimestamp":"2026-11-24T05:00:00Z","deletionTimestamp":"2026-11-24T06:00:00Z",
                "managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{}}}],
                "ownerReferences":[{"kind":"ReplicaSet","name":"web-abc"}]},
            "spec":{"containers":[{"name":"app"}]},"status":{"phase":"Running"}}"#;
        let lean: Lean = serde_json::from_str(text).unwrap();
        let full: DynamicObject = serde_json::from_str(text).unwrap();
        assert_eq!(lean.0.data, full.data);
        assert_eq!(lean.0.types, full.types);
        let (l, f) = (&lean.0.metadata, &full.metadata);
        assert_eq!(
            (&l.name, &l.namespace, &l.resource_version, l.generation),
            (&f.name, &f.namespace, &f.resource_version, f.generation)
        );
        assert_eq!((&l.labels, &l.annotations), (&f.labels, &f.annotations));
        assert_eq!(l.creation_timestamp, f.creation_timestamp);
        assert_eq!(l.deletion_timestamp, f.deletion_timestamp);
        assert!(f.managed_fields.is_some() && l.managed_fields.is_none());
        assert!(l.owner_references.is_none());
    }
}
