//! Just enough PromQL to audit alerts: where an expression names a metric, and the label
//! matchers of that selector. A full parser is not needed for that question, and this stays
//! on the safe side: a selector it cannot read counts as matching every Cluster, so a rule
//! written in a way it does not follow never yields a finding that it covers nothing.

/// Each deprecated in-core metric and the plugin's metric that replaces it (plugin-barman-cloud
/// `web/docs/migration.md`, "Verify your metrics"). CloudNativePG deprecated them in 1.26:
/// they stop updating once a Cluster backs up through a plugin (they read 0 or freeze).
pub const DEPRECATED: [(&str, &str); 3] = [
    (
        "cnpg_collector_last_failed_backup_timestamp",
        "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp",
    ),
    (
        "cnpg_collector_last_available_backup_timestamp",
        "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
    ),
    (
        "cnpg_collector_first_recoverability_point",
        "barman_cloud_cloudnative_pg_io_first_recoverability_point",
    ),
];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Where a metric name occurs whole in a text: `x_total` is not `x`.
fn occurrences<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(name).filter_map(move |(i, m)| {
        let after = text[i + m.len()..].chars().next();
        let before = text[..i].chars().next_back();
        (!after.is_some_and(is_name_char) && !before.is_some_and(is_name_char)).then_some(i)
    })
}

/// Whether a text names a metric (whole).
pub fn names(text: &str, metric: &str) -> bool {
    occurrences(text, metric).next().is_some()
}

/// The deprecated metrics a text names, each once, in the table's order.
pub fn deprecated_in(text: &str) -> Vec<(&'static str, &'static str)> {
    DEPRECATED
        .iter()
        .filter(|(old, _)| names(text, old))
        .copied()
        .collect()
}

/// One label matcher: `label op "value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    pub op: String,
    pub value: String,
}

impl Matcher {
    /// Whether a series whose label is `value` passes it. A regex Prometheus would refuse
    /// passes (the rule could not load anyway; no finding is built on it).
    pub fn accepts(&self, value: &str) -> bool {
        let re = || regex::Regex::new(&format!("^(?:{})$", self.value)).ok();
        match self.op.as_str() {
            "=" => self.value == value,
            "!=" => self.value != value,
            "=~" => re().is_none_or(|r| r.is_match(value)),
            "!~" => re().is_none_or(|r| !r.is_match(value)),
            _ => true,
        }
    }
}

/// The matchers of each selector of `metric` in `expr`: an empty list for a bare name,
/// None for one that could not be read.
pub fn selectors(expr: &str, metric: &str) -> Vec<Option<Vec<Matcher>>> {
    occurrences(expr, metric)
        .map(|i| {
            let rest = expr[i + metric.len()..].trim_start();
            match rest.strip_prefix('{') {
                Some(body) => matchers(body),
                None => Some(Vec::new()),
            }
        })
        .collect()
}

/// Reads `label op "value", ...}`; None when it is not that shape.
fn matchers(body: &str) -> Option<Vec<Matcher>> {
    let mut out = Vec::new();
    let mut chars = body.char_indices().peekable();
    loop {
        // The label.
        while chars
            .next_if(|(_, c)| c.is_whitespace() || *c == ',')
            .is_some()
        {}
        let (start, c) = chars.next()?;
        if c == '}' {
            return Some(out);
        }
        let mut end = start + c.len_utf8();
        while let Some((i, c)) = chars.next_if(|(_, c)| is_name_char(*c)) {
            end = i + c.len_utf8();
        }
        let label = body.get(start..end)?.to_string();
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        // The operator.
        let mut op = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| matches!(c, '=' | '!' | '~')) {
            op.push(c);
        }
        if !matches!(op.as_str(), "=" | "!=" | "=~" | "!~") {
            return None;
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        // The value: "…", '…' with backslash escapes, or `…` raw.
        let (_, quote) = chars.next()?;
        if !matches!(quote, '"' | '\'' | '`') {
            return None;
        }
        let mut value = String::new();
        loop {
            let (_, c) = chars.next()?;
            match c {
                c if c == quote => break,
                '\\' if quote != '`' => {
                    let (_, e) = chars.next()?;
                    value.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                c => value.push(c),
            }
        }
        out.push(Matcher { label, op, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_read_with_their_matchers() {
        let e = r#"time() - cnpg_collector_last_available_backup_timestamp{namespace=~"prod-.*", pod!='x-1'} > 1 or cnpg_collector_last_available_backup_timestamp"#;
        let s = selectors(e, "cnpg_collector_last_available_backup_timestamp");
        assert_eq!(s.len(), 2);
        let first = s[0].as_ref().unwrap();
        assert_eq!(first[0].label, "namespace");
        assert!(first[0].accepts("prod-eu"));
        assert!(!first[0].accepts("staging"));
        assert!(!first[1].accepts("x-1"));
        assert_eq!(s[1], Some(vec![]));
    }

    #[test]
    fn a_longer_name_is_another_metric() {
        assert!(!names(
            "cnpg_collector_first_recoverability_point_total > 0",
            "cnpg_collector_first_recoverability_point"
        ));
        assert!(deprecated_in("x:cnpg_collector_last_failed_backup_timestamp").is_empty());
    }

    #[test]
    fn an_unreadable_selector_is_none() {
        assert_eq!(selectors("m{namespace}", "m"), vec![None]);
        assert_eq!(
            selectors(r#"m{a="b\"c"}"#, "m")[0].as_ref().unwrap()[0].value,
            "b\"c"
        );
    }
}
