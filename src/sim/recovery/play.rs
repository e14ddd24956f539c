//! A recovery acted out over time: the objects appear and change as the operator, the Job
//! controller and the kubelet would make them, the logs grow line by line, and a failed
//! attempt is retried as Kubernetes retries it until the backoff limit.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};

use super::Recovery;
use super::ctx::{Ctx, PodView};
use super::lines::Postgres;
use super::objects::{self as o, instance_name, job_name};
use super::plan::{self, Plan, Shape};
use super::script;
use crate::sim::store::{Store, now_rfc3339};

/// Kubernetes' default `backoffLimit`: seven attempts in all.
pub const BACKOFF_LIMIT: u32 = 6;

/// Plays the recovery of `p` until it converges or fails for good.
pub async fn run(r: Arc<Recovery>, store: Arc<Store>, p: Plan) {
    let node = format!("worker-{}", 1 + p.cluster.len() % 3);
    let ctx = Ctx { r, store, p, node };
    ctx.pause(1.0).await;
    if !ctx.alive() || !ctx.cluster_status(o::cluster_setting_up(&ctx.p)) {
        return;
    }
    ctx.event(
        &ctx.cluster_ref(),
        false,
        "CreatingInstance",
        "Primary instance (from backup)",
        "cloudnative-pg",
    );
    if let Some(name) = &ctx.p.missing_backup {
        ctx.event(
            &ctx.cluster_ref(),
            true,
            "ErrorNoBackup",
            &format!("Backup object \"{}/{name}\" is missing", ctx.p.ns),
            "cloudnative-pg",
        );
    }
    for pvc in o::pvcs(&ctx.p) {
        let name = pvc["metadata"]["name"].as_str().unwrap_or("").to_string();
        if ctx.create("", "persistentvolumeclaims", pvc).is_none() {
            return;
        }
        ctx.merge("", "persistentvolumeclaims", &name, &o::pvc_status());
    }
    for svc in o::services(&ctx.p) {
        ctx.create("", "services", svc);
    }
    let converged = match ctx.p.shape {
        Shape::Job => job_shape(&ctx).await,
        Shape::InitContainer => init_shape(&ctx).await,
    };
    if converged && ctx.alive() {
        ctx.cluster_status(o::cluster_healthy(&ctx.p));
    }
}

/// The `<cluster>-1-full-recovery` Job, retried pod by pod, then the instance pod.
async fn job_shape(ctx: &Ctx) -> bool {
    let p = &ctx.p;
    ctx.pause(1.0).await;
    let Some(job) = ctx.create("batch", "jobs", o::job(p)) else {
        return false;
    };
    let jname = job_name(p);
    let started = now_rfc3339(Utc::now());
    let job_ref = ctx.involved("batch/v1", "Job", &job);
    for attempt in 0..=BACKOFF_LIMIT {
        let pod = format!("{jname}-{}", ctx.store.random_suffix());
        if ctx
            .create("", "pods", o::job_pod(p, &job, &pod, &ctx.node))
            .is_none()
        {
            return false;
        }
        ctx.merge(
            "batch",
            "jobs",
            &jname,
            &json!({"status": {"active": 1, "ready": 0, "startTime": started}}),
        );
        ctx.event(
            &job_ref,
            false,
            "SuccessfulCreate",
            &format!("Created pod: {pod}"),
            "job-controller",
        );
        let mut inits = vec![o::container(
            "bootstrap-controller",
            o::CNPG_IMAGE,
            "running",
            Utc::now(),
            0,
        )];
        if p.sidecar() {
            let mut s = o::container(
                "plugin-barman-cloud",
                o::SIDECAR_IMAGE,
                "waiting:PodInitializing",
                Utc::now(),
                0,
            );
            s["restartPolicy"] = json!("Always");
            inits.push(s);
        }
        let mut view = PodView {
            name: pod.clone(),
            phase: "Pending",
            inits,
            containers: vec![o::container(
                "full-recovery",
                &p.image,
                "waiting:PodInitializing",
                Utc::now(),
                0,
            )],
            ip: None,
        };
        ctx.pod_status(&view);
        ctx.pause(1.0).await;
        view.set(o::container(
            "bootstrap-controller",
            o::CNPG_IMAGE,
            "completed",
            Utc::now(),
            0,
        ));
        view.set(o::container(
            "plugin-barman-cloud",
            o::SIDECAR_IMAGE,
            "running",
            Utc::now(),
            0,
        ));
        view.set(o::container(
            "full-recovery",
            &p.image,
            "running",
            Utc::now(),
            0,
        ));
        view.phase = "Running";
        view.ip = Some(format!("10.244.{}.{}", 1 + attempt % 3, 20 + attempt));
        if !ctx.pod_status(&view) {
            return false;
        }
        let main = ctx.key(&pod, "full-recovery");
        let side = ctx.key(&pod, "plugin-barman-cloud");
        let mut pg = Postgres::new(&jname, 27 + attempt, Utc::now());
        let ok = script::attempt(ctx, &jname, &main, &side, &mut pg, &mut view).await;
        if !ctx.alive() {
            return false;
        }
        ctx.r.logs.end(&main);
        ctx.r.logs.end(&side);
        let end = if ok { "completed" } else { "error" };
        view.set(o::container("full-recovery", &p.image, end, Utc::now(), 0));
        view.set(o::container(
            "plugin-barman-cloud",
            o::SIDECAR_IMAGE,
            "completed",
            Utc::now(),
            0,
        ));
        view.phase = if ok { "Succeeded" } else { "Failed" };
        ctx.pod_status(&view);
        let now = now_rfc3339(Utc::now());
        if ok {
            ctx.merge("batch", "jobs", &jname, &json!({"status": {"active": 0, "ready": 0, "succeeded": 1,
                "completionTime": now, "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now},
                    {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now}]}}));
            ctx.event(
                &job_ref,
                false,
                "Completed",
                "Job completed",
                "job-controller",
            );
            return instance(ctx).await;
        }
        ctx.merge(
            "batch",
            "jobs",
            &jname,
            &json!({"status": {"active": 0, "ready": 0, "failed": attempt + 1}}),
        );
        if attempt == BACKOFF_LIMIT {
            let msg = "Job has reached the specified backoff limit";
            ctx.merge("batch", "jobs", &jname, &json!({"status": {"conditions": [
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": msg,
                 "lastProbeTime": now, "lastTransitionTime": now},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": msg,
                 "lastProbeTime": now, "lastTransitionTime": now}]}}));
            ctx.event(
                &job_ref,
                true,
                "BackoffLimitExceeded",
                msg,
                "job-controller",
            );
            ctx.pause(1.0).await;
            if ctx.alive() {
                ctx.cluster_status(o::cluster_unrecoverable(&format!(
                    "Instance creation failed for the following jobs: {jname}. Check the job logs to investigate the cause of the failure."
                )));
            }
            return false;
        }
        tokio::time::sleep(ctx.backoff(attempt)).await;
    }
    false
}

/// The instance pod bootstraps itself in its `bootstrap-instance` init container; a
/// failure restarts that container with the kubelet's back-off until the operator gives up.
async fn init_shape(ctx: &Ctx) -> bool {
    let p = &ctx.p;
    let name = instance_name(p);
    ctx.pause(1.0).await;
    let Some(pod) = ctx.create("", "pods", o::instance_pod(p, &ctx.node, true)) else {
        return false;
    };
    let pod_ref = ctx.involved("v1", "Pod", &pod);
    let mut inits = vec![o::container(
        "bootstrap-controller",
        o::CNPG_IMAGE,
        "running",
        Utc::now(),
        0,
    )];
    if p.sidecar() {
        let mut s = o::container(
            "plugin-barman-cloud",
            o::SIDECAR_IMAGE,
            "waiting:PodInitializing",
            Utc::now(),
            0,
        );
        s["restartPolicy"] = json!("Always");
        inits.push(s);
    }
    inits.push(o::container(
        "bootstrap-instance",
        &p.image,
        "waiting:PodInitializing",
        Utc::now(),
        0,
    ));
    let mut view = PodView {
        name: name.clone(),
        phase: "Pending",
        inits,
        containers: vec![o::container(
            "postgres",
            &p.image,
            "waiting:PodInitializing",
            Utc::now(),
            0,
        )],
        ip: Some(format!(
            "10.244.{}.{}",
            1 + p.cluster.len() % 3,
            40 + p.cluster.len() % 50
        )),
    };
    ctx.pod_status(&view);
    ctx.pause(1.0).await;
    view.set(o::container(
        "bootstrap-controller",
        o::CNPG_IMAGE,
        "completed",
        Utc::now(),
        0,
    ));
    view.set(o::container(
        "plugin-barman-cloud",
        o::SIDECAR_IMAGE,
        "running",
        Utc::now(),
        0,
    ));
    let main = ctx.key(&name, "bootstrap-instance");
    let side = ctx.key(&name, "plugin-barman-cloud");
    for attempt in 0..=BACKOFF_LIMIT {
        view.set(o::container(
            "bootstrap-instance",
            &p.image,
            "running",
            Utc::now(),
            0,
        ));
        if !ctx.pod_status(&view) {
            return false;
        }
        let mut pg = Postgres::new(&name, 27 + attempt, Utc::now());
        let ok = script::attempt(ctx, &name, &main, &side, &mut pg, &mut view).await;
        if !ctx.alive() {
            return false;
        }
        if ok {
            ctx.r.logs.end(&main);
            view.set(o::container(
                "bootstrap-instance",
                &p.image,
                "completed",
                Utc::now(),
                0,
            ));
            return postgres_up(ctx, &mut view).await;
        }
        view.set(o::container(
            "bootstrap-instance",
            &p.image,
            "error",
            Utc::now(),
            0,
        ));
        ctx.pod_status(&view);
        ctx.pause(0.5).await;
        view.restarted("bootstrap-instance", "Error", 1);
        view.set(o::container(
            "bootstrap-instance",
            &p.image,
            "waiting:CrashLoopBackOff",
            Utc::now(),
            0,
        ));
        ctx.pod_status(&view);
        ctx.event(
            &pod_ref,
            true,
            "BackOff",
            &format!(
                "Back-off restarting failed container bootstrap-instance in pod {name}_{}({})",
                p.ns,
                pod.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            "kubelet",
        );
        if attempt == BACKOFF_LIMIT {
            // cloudnative-pg#11319: "A stuck bootstrap surfaces as PhaseUnrecoverable". The
            // operator's exact reason text was not in the source we read; this one says
            // what happened in the same words as the Job shape's.
            ctx.cluster_status(o::cluster_unrecoverable(&format!(
                "Instance bootstrap failed for the following pods: {name}. Check the bootstrap-instance container logs to investigate the cause of the failure."
            )));
            return false;
        }
        tokio::time::sleep(ctx.backoff(attempt)).await;
        ctx.r.logs.restart(&main);
    }
    false
}

/// After the Job: the instance pod starts PostgreSQL on the restored data.
async fn instance(ctx: &Ctx) -> bool {
    let p = &ctx.p;
    ctx.pause(1.0).await;
    if ctx
        .create("", "pods", o::instance_pod(p, &ctx.node, false))
        .is_none()
    {
        return false;
    }
    let mut view = PodView {
        name: instance_name(p),
        phase: "Pending",
        inits: vec![o::container(
            "bootstrap-controller",
            o::CNPG_IMAGE,
            "running",
            Utc::now(),
            0,
        )],
        containers: vec![o::container(
            "postgres",
            &p.image,
            "waiting:PodInitializing",
            Utc::now(),
            0,
        )],
        ip: Some(format!(
            "10.244.{}.{}",
            1 + p.cluster.len() % 3,
            40 + p.cluster.len() % 50
        )),
    };
    ctx.pod_status(&view);
    ctx.pause(1.0).await;
    view.set(o::container(
        "bootstrap-controller",
        o::CNPG_IMAGE,
        "completed",
        Utc::now(),
        0,
    ));
    postgres_up(ctx, &mut view).await
}

async fn postgres_up(ctx: &Ctx, view: &mut PodView) -> bool {
    let p = &ctx.p;
    let name = instance_name(p);
    view.set(o::container("postgres", &p.image, "running", Utc::now(), 0));
    view.phase = "Running";
    if !ctx.pod_status(view) {
        return false;
    }
    let key = ctx.key(&name, "postgres");
    script::instance_started(ctx, &key, &name);
    ctx.pause(1.0).await;
    ctx.alive()
}

/// Collects what the recovery made for a deleted Cluster (its owner), as the garbage
/// collector would: the Job and its pods, the instance pod, the PVCs and Services.
pub fn collect(r: &Recovery, store: &Store, ns: &str, uid: &str) {
    if uid.is_empty() {
        return;
    }
    let owned_by = |o: &Value, uid: &str| {
        o.pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
    };
    let mut owners = vec![uid.to_string()];
    for (group, plural) in [
        ("batch", "jobs"),
        ("", "pods"),
        ("", "persistentvolumeclaims"),
        ("", "services"),
    ] {
        let Some(t) = store
            .read()
            .registry
            .get(&(group.to_string(), plural.to_string()))
            .cloned()
        else {
            continue;
        };
        for obj in plan::list(store, group, plural, Some(ns)) {
            if !owners.iter().any(|u| owned_by(&obj, u)) {
                continue;
            }
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Some(u) = obj.pointer("/metadata/uid").and_then(Value::as_str) {
                owners.push(u.to_string());
            }
            if plural == "pods" {
                r.logs.forget(ns, Some(name));
            }
            let _ = store.delete(&t, ns, name);
        }
    }
}
