//! The detail view's building blocks: a titled block of `label: value` lines, and how a
//! time reads in it. Shared by the object sections and the ground-truth sections.

use chrono::{DateTime, Utc};

use crate::ui::panes::age;

/// A titled block of `label: value` lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub lines: Vec<(String, String)>,
}

pub(super) fn section(title: impl Into<String>, lines: Vec<(String, String)>) -> Section {
    Section {
        title: title.into(),
        lines,
    }
}

pub(super) fn l(label: &str, value: impl Into<String>) -> (String, String) {
    (label.to_string(), value.into())
}

pub(super) fn when(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!(
            "{} ({} ago)",
            t.format("%Y-%m-%d %H:%M:%S UTC"),
            age(Some(t), now)
        ),
        None => "-".into(),
    }
}
