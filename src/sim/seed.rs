//! A cluster at scale for benchmarks: the healthy scenario plus N Backups and N Pods
//! spread over 50 namespaces, and 100 each of Clusters, ObjectStores, ScheduledBackups,
//! Kustomizations and GitRepositories. The same `Scale` and `now` give the same objects:
//! names, uids and phases come from a fixed-seed generator, times from `now`.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::scenario::{self, GenerateSpec, LogSpec, Scenario};
use super::store::now_rfc3339;

#[derive(Debug, Clone)]
pub struct Scale {
    pub backups: usize,
    pub pods: usize,
    /// How many of each other watched kind.
    pub others: usize,
    pub namespaces: usize,
    pub rng_seed: u64,
    /// Lines a second the plugin pod's log writes (0: none).
    pub log_lines_per_second: f64,
}

impl Scale {
    /// The benchmark's shape: n Backups and n Pods, 100 of each other kind, 50 namespaces.
    pub fn of(n: usize) -> Scale {
        Scale {
            backups: n,
            pods: n,
            others: 100,
            namespaces: 50,
            rng_seed: 0x5eed_ba5e,
            log_lines_per_second: 0.0,
        }
    }
}

/// The plugin pod of the healthy scenario: where the seeded log is written.
pub const LOG_POD: &str = "cnpg-system/barman-cloud-fttg7fqgd5-zrklv";
pub const LOG_CONTAINER: &str = "barman-cloud";

/// splitmix64: tiny, fixed, and good enough to spread names and phases (and the
/// benchmark's choice of objects to change).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }
    fn uid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
    /// A pod-template-hash or pod suffix: lowercase consonants and digits, as Kubernetes uses.
    fn suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

fn ts(t: DateTime<Utc>) -> String {
    now_rfc3339(t)
}

fn namespace(i: usize) -> String {
    format!("tenant-{i:02}")
}

fn cluster_name(i: usize) -> String {
    format!("pg-{i:03}")
}

fn template<'a>(base: &'a Scenario, kind: &str, name: &str) -> anyhow::Result<&'a Value> {
    base.objects
        .iter()
        .find(|o| {
            o.get("kind").and_then(Value::as_str) == Some(kind)
                && o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
        })
        .with_context(|| format!("the healthy scenario has no {kind} {name} to copy"))
}

/// `text` with every `from` replaced, through the object's JSON.
fn renamed(obj: &Value, from: &str, to: &str) -> anyhow::Result<Value> {
    let text = serde_json::to_string(obj).context("encoding a template")?;
    serde_json::from_str(&text.replace(from, to)).context("decoding a renamed template")
}

fn set(obj: &mut Value, pointer: &str, v: Value) {
    if let Some(slot) = obj.pointer_mut(pointer) {
        *slot = v;
    }
}

fn managed_fields(manager: &str, at: DateTime<Utc>, fields: Value, status: Option<Value>) -> Value {
    let mut entries = vec![json!({
        "apiVersion": "postgresql.cnpg.io/v1", "fieldsType": "FieldsV1", "fieldsV1": fields,
        "manager": manager, "operation": "Update", "time": ts(at),
    })];
    if let Some(s) = status {
        entries.push(json!({
            "apiVersion": "postgresql.cnpg.io/v1", "fieldsType": "FieldsV1", "fieldsV1": s,
            "manager": manager, "operation": "Update", "subresource": "status", "time": ts(at),
        }));
    }
    Value::Array(entries)
}

/// The healthy scenario with the objects of `scale` added.
pub fn scenario(scale: &Scale, now: DateTime<Utc>) -> anyhow::Result<Scenario> {
    let mut sc = scenario::load("healthy", now).context("loading the healthy scenario")?;
    let mut rng = Rng(scale.rng_seed);
    let namespaces = scale.namespaces.max(1);
    let clusters = scale.others.max(1);
    let cluster_t = template(&sc, "Cluster", "pg-orders")?.clone();
    let store_t = template(&sc, "ObjectStore", "pg-orders-s3")?.clone();
    let sched_t = template(&sc, "ScheduledBackup", "pg-orders-daily")?.clone();
    let secret_t = template(&sc, "Secret", "pg-orders-s3-creds")?.clone();
    let kust_t = template(&sc, "Kustomization", "apps-postgresql")?.clone();
    let git_t = template(&sc, "GitRepository", "flux-system")?.clone();
    let mut out: Vec<Value> = Vec::new();

    for n in 0..namespaces {
        out.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": namespace(n), "uid": rng.uid(), "creationTimestamp": ts(now - Duration::days(120)),
            "labels": {"kubernetes.io/metadata.name": namespace(n), "team": format!("team-{}", n % 7)}}}));
    }
    for c in 0..clusters {
        let (ns, name) = (namespace(c % namespaces), cluster_name(c));
        let mut cluster = renamed(&cluster_t, "pg-orders", &name)?;
        set(&mut cluster, "/metadata/namespace", json!(ns));
        set(&mut cluster, "/metadata/uid", json!(rng.uid()));
        out.push(cluster);

        let mut store = renamed(&store_t, "pg-orders", &name)?;
        set(&mut store, "/metadata/namespace", json!(ns));
        set(&mut store, "/metadata/uid", json!(rng.uid()));
        set(
            &mut store,
            "/spec/configuration/destinationPath",
            json!(format!("s3://acme-prod-pg-backups/{ns}/")),
        );
        out.push(store);

        let mut secret = renamed(&secret_t, "pg-orders", &name)?;
        set(&mut secret, "/metadata/namespace", json!(ns));
        set(&mut secret, "/metadata/uid", json!(rng.uid()));
        out.push(secret);

        let mut sched = renamed(&sched_t, "pg-orders", &name)?;
        set(&mut sched, "/metadata/namespace", json!(ns));
        set(&mut sched, "/metadata/uid", json!(rng.uid()));
        out.push(sched);
    }
    for k in 0..scale.others {
        let repo = format!("tenant-repo-{k:03}");
        let mut git = git_t.clone();
        set(&mut git, "/metadata/name", json!(repo));
        set(&mut git, "/metadata/uid", json!(rng.uid()));
        set(
            &mut git,
            "/spec/url",
            json!(format!("ssh://git@github.com/example/{repo}")),
        );
        out.push(git);

        let mut kust = kust_t.clone();
        set(
            &mut kust,
            "/metadata/name",
            json!(format!("apps-{}", namespace(k % namespaces))),
        );
        if k >= namespaces {
            set(
                &mut kust,
                "/metadata/name",
                json!(format!("apps-{}-{k:03}", namespace(k % namespaces))),
            );
        }
        set(&mut kust, "/metadata/uid", json!(rng.uid()));
        set(&mut kust, "/spec/sourceRef/name", json!(repo));
        set(
            &mut kust,
            "/spec/path",
            json!(format!("./apps/{}", namespace(k % namespaces))),
        );
        out.push(kust);
    }
    for i in 0..scale.backups {
        let c = i % clusters;
        // Each cluster's backups go back an hour at a time, newest first.
        let hours = (i / clusters) as i64;
        out.push(backup(&mut rng, c, namespaces, hours, now));
    }
    for i in 0..scale.pods {
        out.push(pod(&mut rng, i, namespaces, now));
    }
    sc.objects.extend(out);
    if scale.log_lines_per_second > 0.0 {
        sc.logs.push(LogSpec {
            pod: LOG_POD.into(),
            container: LOG_CONTAINER.into(),
            lines: Vec::new(),
            previous: Vec::new(),
            generate: Some(GenerateSpec {
                per_second: scale.log_lines_per_second,
                lines: vec![
                    r#"{"level":"info","ts":"2026-11-24T06:00:00Z","logger":"barman-cloud","msg":"Archived WAL file","walName":"000000030000002D00000035","startTime":"2026-11-24T06:00:00Z","elapsedWalTime":0.41}"#.into(),
                    r#"{"level":"info","ts":"2026-11-24T06:00:00Z","logger":"barman-cloud","msg":"Checking WAL archive","walName":"000000030000002D00000036"}"#.into(),
                ],
            }),
        });
    }
    sc.name = format!("scale-{}", scale.backups);
    sc.description = format!(
        "The healthy scenario plus {} Backups and {} Pods over {} namespaces, and {} of each other kind",
        scale.backups, scale.pods, namespaces, scale.others
    );
    Ok(sc)
}

fn backup(rng: &mut Rng, c: usize, namespaces: usize, hours: i64, now: DateTime<Utc>) -> Value {
    let (ns, cluster) = (namespace(c % namespaces), cluster_name(c));
    // Finished (at most 9 minutes after it starts) before `now`.
    let created = now - Duration::hours(hours) - Duration::minutes(10 + (c % 50) as i64);
    let name = format!("{cluster}-{}", created.format("%Y%m%d%H%M%S"));
    let started = created + Duration::seconds(11);
    let roll = rng.below(100);
    // Mostly completed; a few failed; the newest of some clusters still running (a plugin
    // backup goes started -> completed|failed, there is no `running` phase).
    let phase = if hours == 0 && roll < 10 {
        "started"
    } else if roll < 2 {
        "failed"
    } else {
        "completed"
    };
    let mut status = json!({
        "backupId": started.format("%Y%m%dT%H%M%S").to_string(),
        // The plugin names the base backup itself, `backup-<compact timestamp>`.
        "backupName": format!("backup-{}", started.format("%Y%m%d%H%M%S")),
        "beginLSN": format!("{:X}/{:08X}", 0x2d + hours, rng.below(u32::MAX as u64)),
        "beginWal": format!("00000003{:016X}", rng.below(u64::MAX >> 8)),
        "instanceID": {
            "ContainerID": format!("containerd://{}", rng.hex(64)),
            "podName": format!("{cluster}-{}", 1 + rng.below(3)),
            "sessionID": rng.uid(),
        },
        "majorVersion": 17,
        "method": "plugin",
        "online": true,
        "phase": phase,
        "pluginMetadata": {
            "clusterUID": rng.uid(), "displayName": "BarmanCloudInstance",
            "name": "barman-cloud.cloudnative-pg.io", "pluginName": "barman-cloud.cloudnative-pg.io",
            "timeline": "3", "version": "0.14.0",
        },
        "reconciliationStartedAt": ts(created + Duration::seconds(1)),
        "startedAt": ts(started),
    });
    if phase != "started" {
        let stopped = started + Duration::seconds(120 + rng.below(400) as i64);
        status["stoppedAt"] = json!(ts(stopped));
        status["reconciliationTerminatedAt"] = json!(ts(stopped + Duration::seconds(2)));
        status["endLSN"] = json!(format!(
            "{:X}/{:08X}",
            0x2d + hours,
            rng.below(u32::MAX as u64)
        ));
        status["endWal"] = json!(format!("00000003{:016X}", rng.below(u64::MAX >> 8)));
    }
    if phase == "failed" {
        // barman-cloud-backup's failure comes back as the bare exit error over gRPC.
        status["error"] = json!("rpc error: code = Unknown desc = exit status 4");
    }
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Backup",
        "metadata": {
            "annotations": {"cnpg.io/operatorVersion": "1.27.1"},
            "creationTimestamp": ts(created),
            "generation": 1,
            "labels": {"cnpg.io/cluster": cluster, "cnpg.io/immediateBackup": "false",
                       "cnpg.io/scheduled-backup": format!("{cluster}-daily")},
            "managedFields": managed_fields("manager", created,
                json!({"f:metadata": {"f:labels": {".": {}, "f:cnpg.io/cluster": {}, "f:cnpg.io/immediateBackup": {}, "f:cnpg.io/scheduled-backup": {}},
                                      "f:ownerReferences": {".": {}, "k:{\"uid\":\"0\"}": {}}},
                       "f:spec": {".": {}, "f:cluster": {".": {}, "f:name": {}}, "f:method": {}, "f:pluginConfiguration": {".": {}, "f:name": {}}, "f:target": {}}}),
                Some(json!({"f:status": {".": {}, "f:backupId": {}, "f:phase": {}, "f:startedAt": {}, "f:stoppedAt": {}, "f:instanceID": {".": {}, "f:podName": {}}}}))),
            "name": name,
            "namespace": ns,
            "ownerReferences": [{"apiVersion": "postgresql.cnpg.io/v1", "blockOwnerDeletion": true, "controller": true,
                                 "kind": "ScheduledBackup", "name": format!("{cluster}-daily"), "uid": rng.uid()}],
            "uid": rng.uid(),
        },
        "spec": {"cluster": {"name": cluster}, "method": "plugin",
                 "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}, "target": "prefer-standby"},
        "status": status,
    })
}

fn pod(rng: &mut Rng, i: usize, namespaces: usize, now: DateTime<Utc>) -> Value {
    let ns = namespace(i % namespaces);
    let app = format!("web-{}", (i / namespaces) % 40);
    let hash = rng.suffix(10);
    let name = format!("{app}-{hash}-{}", rng.suffix(5));
    let created = now - Duration::minutes(30 + rng.below(60 * 24 * 30) as i64);
    let restarts = if rng.below(20) == 0 { rng.below(5) } else { 0 };
    let node = format!("worker-{:02}", rng.below(40));
    let image = format!(
        "registry.example.com/{ns}/{app}:1.{}.{}",
        rng.below(9),
        rng.below(30)
    );
    let ip = format!(
        "10.{}.{}.{}",
        40 + i % 8,
        rng.below(256),
        rng.below(254) + 1
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/restartedAt": ts(created), "prometheus.io/scrape": "true", "prometheus.io/port": "9102"},
            "creationTimestamp": ts(created),
            "generateName": format!("{app}-{hash}-"),
            "labels": {"app": app, "app.kubernetes.io/part-of": ns, "pod-template-hash": hash},
            "managedFields": [
                {"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager", "operation": "Update", "time": ts(created),
                 "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}}, "f:ownerReferences": {}},
                              "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}, "f:ports": {}, "f:resources": {}}}}}},
                {"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubelet", "operation": "Update", "subresource": "status", "time": ts(created + Duration::seconds(9)),
                 "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:startTime": {}}}}
            ],
            "name": name,
            "namespace": ns,
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true, "kind": "ReplicaSet",
                                 "name": format!("{app}-{hash}"), "uid": rng.uid()}],
            "uid": rng.uid(),
        },
        "spec": {
            "containers": [{"image": image, "imagePullPolicy": "IfNotPresent", "name": "app",
                            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                            "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "128Mi"}},
                            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "nodeName": node, "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
        },
        "status": {
            "conditions": [
                {"lastTransitionTime": ts(created + Duration::seconds(8)), "status": "True", "type": "Ready"},
                {"lastTransitionTime": ts(created + Duration::seconds(8)), "status": "True", "type": "ContainersReady"},
                {"lastTransitionTime": ts(created), "status": "True", "type": "PodScheduled"},
            ],
            "containerStatuses": [{"containerID": format!("containerd://{}", rng.hex(64)), "image": image,
                                   "imageID": format!("{image}@sha256:{}", rng.hex(64)), "lastState": {}, "name": "app",
                                   "ready": true, "restartCount": restarts, "started": true,
                                   "state": {"running": {"startedAt": ts(created + Duration::seconds(7))}}}],
            "hostIP": "192.168.10.21", "phase": "Running", "podIP": ip, "qosClass": "Burstable", "startTime": ts(created),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(sc: &Scenario, kind: &str) -> usize {
        sc.objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some(kind))
            .count()
    }

    #[test]
    fn the_same_scale_gives_the_same_cluster() {
        let now = Utc::now();
        let a = scenario(&Scale::of(500), now).unwrap();
        let b = scenario(&Scale::of(500), now).unwrap();
        assert_eq!(a.objects, b.objects);
        // The healthy scenario's own objects come on top.
        assert_eq!(count(&a, "Backup"), 500 + 21);
        assert_eq!(count(&a, "Cluster"), 100 + 3);
        assert_eq!(count(&a, "Kustomization"), 100 + 4);
        let sizes: Vec<usize> = a
            .objects
            .iter()
            .filter(|o| {
                matches!(
                    o.get("kind").and_then(Value::as_str),
                    Some("Backup" | "Pod")
                )
            })
            .filter(|o| {
                o.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.starts_with("tenant-"))
            })
            .map(|o| serde_json::to_string(o).unwrap().len())
            .collect();
        assert!(
            sizes.iter().all(|s| (2000..=3600).contains(s)),
            "seeded objects are 2-3 KB: {:?}",
            (sizes.iter().min(), sizes.iter().max())
        );
    }

    #[test]
    fn the_seeded_cluster_loads_and_names_are_unique() {
        let sc = scenario(&Scale::of(2000), Utc::now()).unwrap();
        // Loading refuses a second object of the same name.
        let sim = crate::sim::Sim::new(&sc).unwrap();
        let t = sim
            .store
            .read()
            .registry
            .by_kind("postgresql.cnpg.io", "Backup")
            .cloned()
            .unwrap();
        let (items, _) = sim
            .store
            .list(&t, None, &Default::default(), &Default::default());
        assert_eq!(items.len(), 2000 + 21, "no two seeded backups share a name");
    }
}
