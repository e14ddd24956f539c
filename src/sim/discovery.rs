//! Discovery documents (legacy and aggregated v2), /version, and the slice of /openapi/v3
//! that lets `kubectl create -f` and `apply` validate on the server side.

use serde_json::{Value, json};

use super::registry::Registry;

pub const AGGREGATED_CT: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether the client asked for aggregated discovery (kubectl does; kube's
/// `Discovery::run_aggregated` does).
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| {
        first.contains("as=APIGroupDiscoveryList") && first.contains("g=apidiscovery.k8s.io")
    })
}

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.5-backstop-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-01T00:00:00Z",
        "goVersion": "go1.23.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn api_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
           "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
}

fn group_entry(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

pub fn api_groups(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .group_versions()
        .iter()
        .map(|(g, v)| group_entry(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    let (g, v) = reg.group_versions().into_iter().find(|(g, _)| g == group)?;
    let mut e = group_entry(&g, &v);
    e["kind"] = json!("APIGroup");
    e["apiVersion"] = json!("v1");
    Some(e)
}

pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let resources: Vec<Value> = types.iter().flat_map(|t| t.api_resource()).collect();
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// APIGroupDiscoveryList for /api (core only) or /apis (every other group).
pub fn aggregated(reg: &Registry, core: bool) -> Value {
    let gvs: Vec<(String, String)> = if core {
        vec![(String::new(), "v1".to_string())]
    } else {
        reg.group_versions()
    };
    let items: Vec<Value> = gvs
        .iter()
        .map(|(g, v)| {
            let resources: Vec<Value> = reg.in_group_version(g, v).iter().map(|t| t.aggregated_resource()).collect();
            let meta = if g.is_empty() { json!({"creationTimestamp": null}) } else { json!({"name": g, "creationTimestamp": null}) };
            json!({"metadata": meta, "versions": [{"version": v, "resources": resources, "freshness": "Current"}]})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// /openapi/v3: one entry per served group/version.
pub fn openapi_index(reg: &Registry) -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs = vec![(String::new(), "v1".to_string())];
    gvs.extend(reg.group_versions());
    for (g, v) in gvs {
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=0")}),
        );
    }
    json!({"paths": paths})
}

/// The document of one group/version: per item path a `patch` operation carrying the
/// group-version-kind and the fieldValidation parameter. That tells kubectl the server
/// validates fields itself, so it sends `fieldValidation=Strict` instead of needing schemas.
pub fn openapi_group_version(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut paths = serde_json::Map::new();
    for t in types {
        let base = format!("/{}", gv_path(group, version));
        let item = if t.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{base}/{}/{{name}}", t.plural)
        };
        let gvk = json!({"group": group, "version": version, "kind": t.kind});
        let params = json!([
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        paths.insert(
            item,
            json!({
                "patch": {"operationId": format!("patch{}", t.kind), "x-kubernetes-action": "patch",
                          "x-kubernetes-group-version-kind": gvk, "parameters": params,
                          "responses": {"200": {"description": "OK"}}},
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.5-backstop-sim"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::from_crd;

    /// kubectl resolves `kubectl get ks` and `kubectl get <category>` from these two fields
    /// of discovery: both documents carry what the CRD's `names` state.
    #[test]
    fn short_names_and_categories_of_a_crd_reach_discovery() {
        let crd = json!({"spec": {"group": "kustomize.toolkit.fluxcd.io", "scope": "Namespaced",
            "names": {"kind": "Kustomization", "plural": "kustomizations", "shortNames": ["ks"],
                      "categories": ["all", "fluxcd", "fluxcd-appliers"]},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}}]}});
        let mut reg = Registry::with_builtins();
        reg.insert(from_crd(&crd).expect("CRD parses"));
        let legacy = resource_list(&reg, "kustomize.toolkit.fluxcd.io", "v1").expect("served");
        assert_eq!(legacy["resources"][0]["shortNames"], json!(["ks"]));
        assert_eq!(
            legacy["resources"][0]["categories"],
            json!(["all", "fluxcd", "fluxcd-appliers"])
        );
        let agg = aggregated(&reg, false);
        let item = agg["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["metadata"]["name"] == "kustomize.toolkit.fluxcd.io")
            })
            .expect("group listed");
        let r = &item["versions"][0]["resources"][0];
        assert_eq!(r["shortNames"], json!(["ks"]));
        assert_eq!(r["categories"], json!(["all", "fluxcd", "fluxcd-appliers"]));
    }
}
