use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const AT: &str = "/etc/backstop/config.yaml";

fn parse(text: &str) -> Result<Settings, ConfigError> {
    Settings::parse(Path::new(AT), text)
}

#[test]
fn the_example_file_loads_and_changes_nothing() {
    assert_eq!(parse(EXAMPLE), Ok(Settings::default()));
    // Every threshold the flag takes is documented in the example.
    for name in thresholds::NAMES {
        assert!(EXAMPLE.contains(&format!("    {name}: ")), "{name}");
    }
}

#[test]
fn the_example_with_its_suggestions_filled_in_gives_them() {
    let text = EXAMPLE
        .replace("silence: []", "silence: [BKP010, plg009]")
        .replace("backup-max-age: 26h", "backup-max-age: 30h")
        .replace("repo: null", "repo: /")
        .replace("transcripts: null", "transcripts: ~/incidents")
        .replace("theme: null", "theme: light")
        .replace(
            "contexts: {}",
            "contexts:\n  prod-eu: {read_only: true}\n  dev: {}",
        );
    let s = parse(&text).expect("loads");
    assert_eq!(s.check.silence, ["BKP010", "PLG009"]);
    assert_eq!(
        s.check.thresholds.backup_max_age,
        Duration::from_secs(30 * 3600)
    );
    assert_eq!(s.walker.repo, Some(PathBuf::from("/")));
    if let Some(home) = std::env::var_os("HOME") {
        assert_eq!(
            s.walker.transcripts,
            Some(PathBuf::from(home).join("incidents"))
        );
    }
    assert_eq!(s.dashboard.theme.as_deref(), Some("light"));
    assert_eq!(s.dashboard.read_only_contexts, ["prod-eu"]);
    assert!(!s.dashboard.read_only && s.warnings.is_empty());
}

#[test]
fn paths_resolve_from_home_and_from_the_file() {
    let cfg = Path::new(AT);
    assert_eq!(
        resolve(Path::new("notes"), cfg),
        PathBuf::from("/etc/backstop/notes")
    );
    assert_eq!(
        resolve(Path::new("/srv/gitops"), cfg),
        PathBuf::from("/srv/gitops")
    );
    if let Some(home) = std::env::var_os("HOME") {
        assert_eq!(
            resolve(Path::new("~/incidents"), cfg),
            PathBuf::from(home).join("incidents")
        );
    }
    // A theme file beside the config is found there; a theme's name stays a name.
    let theme = |t: &str| {
        parse(&format!("theme: {t}\n"))
            .expect("loads")
            .dashboard
            .theme
    };
    assert_eq!(
        theme("mine.yaml").as_deref(),
        Some("/etc/backstop/mine.yaml")
    );
    assert_eq!(theme("solarized").as_deref(), Some("solarized"));
}

#[test]
fn a_typo_names_file_line_and_field() {
    let e = parse("check:\n  silence: [BKP010]\n  treshold:\n    restarts: 5\n").expect_err("typo");
    assert_eq!(e.problems.len(), 1);
    assert!(
        e.problems[0].starts_with(&format!("{AT}: line 3: check: unknown field `treshold`")),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("(see `backstop config example` for the format)")
    );
}

#[test]
fn every_bad_value_is_named_with_its_line() {
    let e = parse(concat!(
        "# restarts: and BKP999 in a comment are not where the errors are\n",
        "check:\n",
        "  silence: [BKP010, NOPE01]\n",
        "  thresholds:\n",
        "    backup-max-age: soon\n",
        "    restarts: many   # restarts\n",
        "    speed: 3\n",
        "    cert-expiry: [14d]\n",
    ))
    .expect_err("five bad values");
    let p = &e.problems;
    assert_eq!(p.len(), 5, "{e}");
    // In the file's order.
    let expect = [
        "line 3: check.silence: 'NOPE01' is not a finding code",
        "line 5: check.thresholds: threshold backup-max-age=soon: 'soon' is not a duration",
        "line 6: check.thresholds: threshold restarts=many: a whole number is needed",
        "line 7: check.thresholds: unknown threshold 'speed'",
        "line 8: check.thresholds.cert-expiry: expected a value like 26h or 3, found a list",
    ];
    for (problem, said) in p.iter().zip(expect) {
        assert!(problem.starts_with(&format!("{AT}: {said}")), "{problem}");
    }
}

#[test]
fn an_empty_or_commented_out_file_and_a_missing_one_are_the_defaults() {
    for text in ["", "\n  \n", "# all commented out\n# check:\n", "---\n"] {
        assert_eq!(parse(text), Ok(Settings::default()), "{text:?}");
    }
    let absent = Path::new("/nonexistent/backstop/config.yaml");
    assert_eq!(Settings::load(absent), Ok(Settings::default()));
}

#[test]
fn a_walker_repo_that_is_not_a_folder_is_a_warning_not_an_error() {
    let s = parse("read_only: true\nwalker:\n  repo: /nonexistent/gitops\n").expect("loads");
    assert!(s.dashboard.read_only);
    assert_eq!(
        s.warnings,
        [format!(
            "{AT}: line 3: walker.repo: /nonexistent/gitops is not a folder, so the trees' git checks cannot run"
        )]
    );
}

#[test]
fn flags_override_the_file_and_every_bad_flag_is_named() {
    let mut check = parse("check:\n  silence: [BKP010]\n  thresholds: {restarts: 5}\n")
        .expect("loads")
        .check;
    check
        .override_with(&["restarts=7".into()], &["plg004".into()])
        .expect("good flags");
    assert_eq!(check.thresholds.restarts, 7);
    assert_eq!(check.silence, ["BKP010", "PLG004"]);
    let e = check
        .override_with(
            &["backup-max-age".into(), "speed=1".into()],
            &["NOPE01".into()],
        )
        .expect_err("three bad flags");
    assert_eq!(
        e.problems[..2],
        [
            "--threshold backup-max-age: write it as NAME=VALUE, e.g. backup-max-age=30h",
            "--threshold: unknown threshold 'speed': use backup-max-age, backup-slow, pending-stuck, running-stuck, restarts, cert-expiry, min-throughput, archiver-ready-wal, wal-volume-warning, wal-volume-critical, wal-runway, archiver-sample-gap or drill-max-age",
        ]
    );
    // Every area's codes, from the catalog, not a list written by hand that goes stale.
    let silence = &e.problems[2];
    assert!(
        silence
            .starts_with("cannot silence 'NOPE01': not a finding code (PLG001…PLG014, FLX001…FLX"),
        "{silence}"
    );
    assert!(
        silence.contains("CLU001…CLU010") && silence.contains("BKP001…BKP013"),
        "{silence}"
    );
    assert!(
        silence.ends_with("; docs/FINDINGS.md says what each means)"),
        "{silence}"
    );
}

#[test]
fn the_readme_example_loads() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("**The config file.**")
        .nth(1)
        .expect("the README's config section");
    let example = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its example");
    let s = parse(example).unwrap_or_else(|e| panic!("{e}\n{example}"));
    assert_eq!(s.check.silence, ["BKP010"]);
    assert_eq!(
        s.check.thresholds.cert_expiry,
        Duration::from_secs(21 * 86_400)
    );
    assert_eq!(s.dashboard.theme.as_deref(), Some("light"));
    assert_eq!(s.dashboard.read_only_contexts, ["prod-eu"]);
}

#[test]
fn an_alertmanager_url_is_checked_when_the_file_is_read() {
    let s = parse(&EXAMPLE.replace("  url: null", "  url: http://alertmanager.monitoring:9093/"))
        .unwrap();
    assert_eq!(
        s.alertmanager.url.as_deref(),
        Some("http://alertmanager.monitoring:9093")
    );
    let e = parse("alertmanager:\n  url: ftp://am\n").unwrap_err();
    assert!(
        e.problems[0].contains("alertmanager.url: 'ftp://am' is not an http(s) URL"),
        "{:?}",
        e.problems
    );
    assert!(parse("alertmanager:\n  uri: http://am\n").is_err());
}
