//! The checks a tree parameterises: api_served, condition, event_seen, git.

use super::*;

#[test]
fn api_served_fails_only_when_the_api_is_absent() {
    let served = |resource: &str| Check::ApiServed {
        resource: resource.into(),
    };
    let mut facts = Facts::default();
    facts.snapshot.clusters = live(vec![]);
    facts.snapshot.backups = state(forbidden("backups.postgresql.cnpg.io"));
    facts.snapshot.object_stores = state(SyncState::NotInstalled {
        what: "the Barman Cloud plugin is not installed".into(),
    });
    assert_eq!(
        on(served("clusters.postgresql.cnpg.io"), &facts),
        said(Verdict::Pass, "clusters.postgresql.cnpg.io is served", &[])
    );
    assert_eq!(
        on(served("backups.postgresql.cnpg.io"), &facts),
        said(
            Verdict::Pass,
            "backups.postgresql.cnpg.io is served (but may not be listed)",
            &[]
        )
    );
    assert_eq!(
        on(served("objectstores.barmancloud.cnpg.io"), &facts),
        said(
            Verdict::Fail,
            "the Barman Cloud plugin is not installed",
            &["objectstores.barmancloud.cnpg.io: not served"]
        )
    );
    assert_eq!(
        on(served("certificates.cert-manager.io"), &facts),
        said(
            Verdict::Unknown,
            "certificates.cert-manager.io: not read yet",
            &[]
        )
    );
}

fn deployments(rows: Vec<DeploymentRow>) -> Facts {
    Facts {
        deployments: live(rows),
        ..Default::default()
    }
}

fn deployment(name: &str, conditions: Vec<Condition>) -> DeploymentRow {
    DeploymentRow {
        namespace: "cnpg-system".into(),
        name: name.into(),
        conditions,
        ..Default::default()
    }
}

#[test]
fn condition_holds_on_every_matching_object() {
    let available = |reason: Option<&str>, name: Option<&str>| Check::Condition {
        kind: "Deployment".into(),
        kind_of_condition: "Available".into(),
        status: "True".into(),
        reason: reason.map(str::to_string),
        name: name.map(str::to_string),
        namespace: None,
    };
    let up = deployment(
        "barman-cloud",
        vec![cond("Available", "True", "MinimumReplicasAvailable", "")],
    );
    let down = deployment(
        "cnpg",
        vec![cond(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "0/1 ready",
        )],
    );
    let facts = deployments(vec![up, down, deployment("bare", vec![])]);
    assert_eq!(
        on(available(None, Some("barman-cloud")), &facts),
        said(
            Verdict::Pass,
            "Available=True on every matching Deployment",
            &[]
        )
    );
    assert_eq!(
        on(available(None, None), &facts),
        said(
            Verdict::Fail,
            "Available is not True",
            &[
                "Deployment cnpg-system/bare: no Available condition",
                "Deployment cnpg-system/cnpg Available=False MinimumReplicasUnavailable: 0/1 ready",
            ]
        )
    );
    assert_eq!(
        on(
            available(Some("NewReplicaSetAvailable"), Some("barman-cloud")),
            &facts
        )
        .verdict,
        Verdict::Fail,
        "the reason must match too"
    );
    assert_eq!(
        on(available(None, Some("gone")), &facts),
        said(Verdict::Unknown, "no Deployment matches", &[])
    );
    let cert = Check::Condition {
        kind: "Certificate".into(),
        kind_of_condition: "Ready".into(),
        status: "True".into(),
        reason: None,
        name: None,
        namespace: None,
    };
    let no_cert_manager = Facts {
        certificates: state(SyncState::NotInstalled {
            what: "cert-manager is not installed".into(),
        }),
        ..Default::default()
    };
    assert_eq!(
        on(cert, &no_cert_manager),
        said(
            Verdict::Unknown,
            "Certificate: cert-manager is not installed",
            &[]
        )
    );
}

#[test]
fn event_seen_looks_back_as_far_as_asked() {
    let seen = |within: &str| Check::EventSeen {
        reason: "BackOff".into(),
        kind: Some("Pod".into()),
        within: within.into(),
    };
    let event = EventRow {
        namespace: "cnpg-system".into(),
        involved_kind: "Pod".into(),
        involved_namespace: "cnpg-system".into(),
        involved_name: "barman-cloud-1".into(),
        kind: "Warning".into(),
        reason: "BackOff".into(),
        message: "Back-off restarting failed container".into(),
        last_seen: Some(at("2026-11-24T05:30:00Z")),
        ..Default::default()
    };
    let facts = Facts {
        events: live(vec![event]),
        ..Default::default()
    };
    assert_eq!(
        on(seen("1h"), &facts),
        said(
            Verdict::Pass,
            "BackOff seen",
            &[
                "event Warning BackOff on Pod cnpg-system/barman-cloud-1: Back-off restarting failed container"
            ]
        )
    );
    assert_eq!(
        on(seen("10m"), &facts),
        said(Verdict::Fail, "no BackOff event within 10m", &[])
    );
    assert_eq!(
        on(seen("1h"), &Facts::default()),
        said(Verdict::Unknown, "events: not read yet", &[])
    );
    assert_eq!(
        on(seen("later"), &facts),
        said(Verdict::Error, "'later' is not a duration", &[])
    );
}

/// A checkout that ignores `*.env` and tracks everything else; `broken/` cannot be asked.
struct FakeRepo;

impl GitRepo for FakeRepo {
    fn ignored(&self, path: &str) -> Result<bool, String> {
        if path.starts_with("broken/") {
            return Err("git check-ignore broken/x: fatal: not a git repository".into());
        }
        Ok(path.ends_with(".env"))
    }

    fn tracked(&self, path: &str) -> Result<bool, String> {
        Ok(!path.ends_with(".env"))
    }
}

#[test]
fn git_checks_ask_the_checkout_and_are_unknown_without_one() {
    let facts = Facts::default();
    let assessed = Assessed::default();
    let in_repo = |check: Check| {
        evaluate(
            &check,
            &Env {
                facts: &facts,
                assessed: &assessed,
                context: None,
                now: at(NOW),
                git: Some(&FakeRepo),
            },
        )
    };
    let ignored = |path: &str| Check::GitIgnored { path: path.into() };
    let tracked = |path: &str| Check::GitTracked { path: path.into() };
    assert_eq!(
        in_repo(ignored("apps/secret.env")),
        said(
            Verdict::Pass,
            "apps/secret.env is ignored by .gitignore",
            &[]
        )
    );
    assert_eq!(
        in_repo(ignored("apps/store.yaml")),
        said(
            Verdict::Fail,
            "apps/store.yaml is not ignored by .gitignore",
            &[]
        )
    );
    assert_eq!(
        in_repo(tracked("apps/store.yaml")),
        said(Verdict::Pass, "apps/store.yaml is tracked", &[])
    );
    assert_eq!(
        in_repo(tracked("apps/secret.env")),
        said(Verdict::Fail, "apps/secret.env is not tracked", &[])
    );
    assert_eq!(
        in_repo(ignored("broken/x")),
        said(
            Verdict::Error,
            "git check-ignore broken/x: fatal: not a git repository",
            &[]
        )
    );
    assert_eq!(
        on(tracked("apps/store.yaml"), &facts),
        said(
            Verdict::Unknown,
            "no GitOps checkout configured: pass --repo PATH to check the repository",
            &[]
        )
    );
}

/// A checkout whose lint gives what it holds.
struct LintedRepo(Vec<Finding>);

impl GitRepo for LintedRepo {
    fn ignored(&self, _: &str) -> Result<bool, String> {
        Ok(false)
    }

    fn tracked(&self, _: &str) -> Result<bool, String> {
        Ok(true)
    }

    fn lint(&self) -> Result<Vec<Finding>, String> {
        Ok(self.0.clone())
    }
}

#[test]
fn gitops_lint_clean_fails_on_a_warning_and_passes_on_info_only() {
    let facts = Facts::default();
    let assessed = Assessed::default();
    let with = |findings: Vec<Finding>| {
        let repo = LintedRepo(findings);
        evaluate(
            &Check::GitopsLintClean {},
            &Env {
                facts: &facts,
                assessed: &assessed,
                context: None,
                now: at(NOW),
                git: Some(&repo),
            },
        )
    };
    let f = |code: &'static str, severity| Finding {
        code,
        severity,
        object: ObjectRef::new(Kind::Kustomization, "flux-system", "databases"),
        summary: "apps/x-backup.yaml is under a Flux path but not in Git".into(),
        evidence: vec![],
        remedy: String::new(),
    };
    assert_eq!(
        with(vec![f("GIT010", crate::assess::Severity::Info)]),
        said(Verdict::Pass, "the GitOps checkout lints clean", &[])
    );
    assert_eq!(
        with(vec![f("GIT002", crate::assess::Severity::Critical)]),
        said(
            Verdict::Fail,
            "the GitOps checkout has 1 lint finding(s): backstop gitops lint <checkout> says what and how to fix each",
            &["GIT002 critical: apps/x-backup.yaml is under a Flux path but not in Git"]
        )
    );
    assert_eq!(
        on(Check::GitopsLintClean {}, &facts).verdict,
        Verdict::Unknown
    );
}
