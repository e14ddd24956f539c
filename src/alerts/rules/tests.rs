use super::*;

fn th() -> RuleThresholds {
    RuleThresholds::from(&Thresholds::default())
}

#[test]
fn durations_are_written_in_their_largest_whole_unit() {
    assert_eq!(prom_duration(Duration::from_secs(26 * 3600)), "26h");
    assert_eq!(prom_duration(Duration::from_secs(90)), "90s");
    assert_eq!(prom_duration(Duration::from_secs(15 * 60)), "15m");
    assert_eq!(prom_duration(Duration::from_secs(7 * 86_400)), "7d");
}

#[test]
fn no_rule_reads_a_metric_that_freezes_on_plugin_clusters() {
    for a in alerts(&th()) {
        assert!(
            !a.expr.contains("cnpg_collector_"),
            "{}: {}",
            a.alert,
            a.expr
        );
        assert!(
            a.annotations.description.contains("backstop")
                || a.alert.starts_with("BackstopExporter"),
            "{} says what to run: {}",
            a.alert,
            a.annotations.description
        );
    }
}

#[test]
fn the_age_threshold_is_the_configs() {
    let t = Thresholds {
        backup_max_age: Duration::from_secs(30 * 3600),
        ..Default::default()
    };
    let rules = alerts(&RuleThresholds::from(&t));
    let old = rules
        .iter()
        .find(|a| a.alert == "BackstopBackupTooOld")
        .unwrap();
    assert!(old.expr.ends_with("> 108000"), "{}", old.expr);
    assert!(old.annotations.summary.ends_with("older than 30h"));
}

#[test]
fn a_prometheus_rule_carries_the_labels_asked_for() {
    let out = Output {
        plain: false,
        name: "backstop-backups".into(),
        namespace: Some("monitoring".into()),
        labels: parse_labels("release=kube-prometheus-stack, team=dba").unwrap(),
    };
    let y: serde_yaml::Value = serde_yaml::from_str(&render(&th(), &out).unwrap()).unwrap();
    assert_eq!(y["kind"], "PrometheusRule");
    assert_eq!(y["metadata"]["namespace"], "monitoring");
    assert_eq!(y["metadata"]["labels"]["release"], "kube-prometheus-stack");
    assert_eq!(y["spec"]["groups"][0]["name"], GROUP);
    let plain: serde_yaml::Value =
        serde_yaml::from_str(&render(&th(), &Output { plain: true, ..out }).unwrap()).unwrap();
    assert!(plain.get("kind").is_none());
    assert_eq!(
        plain["groups"][0]["rules"][0]["alert"],
        "BackstopBackupMissing"
    );
}

#[test]
fn labels_the_api_server_would_refuse_are_refused_here() {
    assert!(parse_labels("a=b,example.com/x=y_1").is_ok());
    for bad in ["nokey", "=v", "k=-v", "Bad_Prefix.COM/x=y", "k=v w"] {
        assert!(parse_labels(bad).is_err(), "{bad}");
    }
    assert!(valid_name("backstop-backups"));
    assert!(!valid_name("Backstop"));
}
