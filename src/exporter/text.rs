//! The Prometheus text exposition format (version 0.0.4), written by hand: a handful of
//! gauge and counter families rebuilt whole at each evaluation. A client library's registry
//! keeps metric objects alive between scrapes and would have to be emptied every time;
//! here a family is a list of samples that lives only while the text is written.

use std::collections::BTreeSet;
use std::fmt::Write;

/// Longest label value written: Kubernetes names stop at 253 characters, anything longer
/// did not come from a name and is cut rather than allowed to grow the page.
const MAX_LABEL_VALUE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Gauge,
    Counter,
}

/// One metric family: its samples in the order added, duplicates of a label set ignored.
#[derive(Debug)]
pub struct Family {
    name: &'static str,
    help: &'static str,
    kind: Type,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
    seen: BTreeSet<Vec<(&'static str, String)>>,
}

impl Family {
    pub fn gauge(name: &'static str, help: &'static str) -> Family {
        Family::new(name, help, Type::Gauge)
    }

    pub fn counter(name: &'static str, help: &'static str) -> Family {
        Family::new(name, help, Type::Counter)
    }

    fn new(name: &'static str, help: &'static str, kind: Type) -> Family {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Adds a sample; false (and nothing added) when this label set is already there.
    pub fn add(&mut self, labels: &[(&'static str, &str)], value: f64) -> bool {
        let labels: Vec<(&'static str, String)> = labels
            .iter()
            .map(|(k, v)| (*k, bounded(v).to_string()))
            .collect();
        if !self.seen.insert(labels.clone()) {
            return false;
        }
        self.samples.push((labels, value));
        true
    }

    /// Whether this label set is already there.
    pub fn has(&self, labels: &[(&'static str, &str)]) -> bool {
        let labels: Vec<(&'static str, String)> = labels
            .iter()
            .map(|(k, v)| (*k, bounded(v).to_string()))
            .collect();
        self.seen.contains(&labels)
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// HELP and TYPE, then each sample. A family without samples writes nothing: a
    /// metadata line alone would announce a series that does not exist.
    pub fn write(&self, out: &mut String) {
        if self.is_empty() {
            return;
        }
        let kind = match self.kind {
            Type::Gauge => "gauge",
            Type::Counter => "counter",
        };
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(self.help));
        let _ = writeln!(out, "# TYPE {} {kind}", self.name);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
}

fn bounded(v: &str) -> &str {
    match v.char_indices().nth(MAX_LABEL_VALUE) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

/// A label value as the format wants it: backslash, double quote and line feed escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped (a quote is literal there).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value as Go's `strconv.FormatFloat(v, 'g', -1, 64)` would read back:
/// integers without a fraction, and the format's spelling of the special values.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let mut f = Family::gauge("x", "an x");
        f.add(&[("name", "a\\b\"c\nd")], 1.0);
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP x an x\n# TYPE x gauge\nx{name=\"a\\\\b\\\"c\\nd\"} 1\n"
        );
    }

    #[test]
    fn a_label_set_is_written_once_and_an_empty_family_not_at_all() {
        let mut f = Family::counter("y_total", "line one\nline two \\ end");
        assert!(f.add(&[("a", "1"), ("b", "2")], 3.0));
        assert!(!f.add(&[("a", "1"), ("b", "2")], 4.0));
        assert!(f.add(&[("a", "1"), ("b", "3")], 0.5));
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP y_total line one\\nline two \\\\ end\n# TYPE y_total counter\n\
             y_total{a=\"1\",b=\"2\"} 3\ny_total{a=\"1\",b=\"3\"} 0.5\n"
        );
        let mut none = String::new();
        Family::gauge("z", "z").write(&mut none);
        assert_eq!(none, "");
    }

    #[test]
    fn values_and_long_labels_stay_in_the_format() {
        assert_eq!(number(1_700_000_000.0), "1700000000");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(-1.25), "-1.25");
        let mut f = Family::gauge("x", "x");
        f.add(&[("name", &"é".repeat(1000))], 1.0);
        assert_eq!(f.samples[0].0[0].1.chars().count(), MAX_LABEL_VALUE);
    }
}
