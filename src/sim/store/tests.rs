use super::*;

fn ns(store: &Store, name: &str) {
    let t = store
        .read()
        .registry
        .by_kind("", "Namespace")
        .cloned()
        .expect("namespaces served");
    store
        .create(
            &t,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
            &WriteOpts::default(),
        )
        .expect("namespace created");
}

#[test]
fn resource_versions_grow_and_stale_writes_conflict() {
    let store = Store::new();
    ns(&store, "db");
    let t = store
        .read()
        .registry
        .by_kind("", "ConfigMap")
        .cloned()
        .expect("configmaps served");
    let a = store
        .create(&t, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "db"}}), &WriteOpts::default())
        .expect("created");
    let rv = |v: &Value| {
        v.pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .parse::<u64>()
            .unwrap_or(0)
    };
    assert_eq!(rv(&a), 2);
    let b = store
        .update(&t, "db", "a", Part::Main, &WriteOpts::default(), |old| {
            let mut n = old.clone();
            n["data"] = json!({"k": "v"});
            Ok(n)
        })
        .expect("updated");
    assert_eq!(rv(&b), 3);
    let stale = store.update(&t, "db", "a", Part::Main, &WriteOpts::default(), |_| {
        Ok((*a).clone())
    });
    assert_eq!(stale.map(|_| ()).unwrap_err().code, 409);
    let dup = store.create(&t, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "db"}}), &WriteOpts::default());
    assert_eq!(dup.map(|_| ()).unwrap_err().reason, "AlreadyExists");
}

#[test]
fn compaction_expires_old_resource_versions() {
    let store = Store::new();
    ns(&store, "db");
    assert!(store.changes_since(0).is_ok());
    store.compact();
    assert_eq!(store.changes_since(0).map(|_| ()).unwrap_err().code, 410);
    assert!(store.changes_since(store.resource_version()).is_ok());
}

#[test]
fn deleting_a_namespace_deletes_what_it_holds() {
    let store = Store::new();
    ns(&store, "db");
    let t = store
        .read()
        .registry
        .by_kind("", "Secret")
        .cloned()
        .expect("secrets served");
    store
        .create(&t, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "db"}}), &WriteOpts::default())
        .expect("created");
    let nst = store
        .read()
        .registry
        .by_kind("", "Namespace")
        .cloned()
        .expect("namespaces served");
    store.delete(&nst, "", "db").expect("deleted");
    assert!(store.get(&t, "db", "s").is_err());
}
