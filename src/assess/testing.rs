//! Builders the rule modules' tests share.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Finding, Outcome};
use crate::model::{KindState, SyncState};

pub fn live<R: crate::model::rows::Row>(rows: Vec<R>) -> KindState<R> {
    KindState::live(rows)
}

pub fn state<R: crate::model::rows::Row>(sync: SyncState) -> KindState<R> {
    KindState::without_rows(sync)
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a timestamp")
}

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn one<'a>(out: &'a Outcome, code: &str) -> &'a Finding {
    let all: Vec<&Finding> = out.findings.iter().filter(|f| f.code == code).collect();
    assert_eq!(all.len(), 1, "{code} in {:#?}", out.findings);
    all[0]
}
