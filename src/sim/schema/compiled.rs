//! The `pattern`s and `x-kubernetes-validations` rules of a schema, compiled once when its
//! CRD is loaded and looked up by their text while objects are validated.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use regex::Regex;
use serde_json::Value;

use super::cel::{self, Program};

/// The reasons a rule may name (`reason`), as the apiserver accepts them.
pub const REASONS: &[&str] = &[
    "FieldValueInvalid",
    "FieldValueForbidden",
    "FieldValueRequired",
    "FieldValueDuplicate",
];

#[derive(Debug, Default)]
pub struct Compiled {
    patterns: HashMap<String, Regex>,
    programs: HashMap<String, Program>,
}

/// Why a schema could not be compiled: the schema path and what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub path: String,
    pub message: String,
}

impl Compiled {
    pub fn pattern(&self, p: &str) -> Option<&Regex> {
        self.patterns.get(p)
    }

    /// Whether the schema holds CEL rules (the apiserver then runs its CEL validator).
    pub fn has_rules(&self) -> bool {
        !self.programs.is_empty()
    }

    pub fn program(&self, src: &str) -> Option<&Program> {
        self.programs.get(src)
    }

    /// Compiles every pattern and rule under `schema`; `path` names the schema in errors
    /// (`spec.versions[0].schema.openAPIV3Schema`).
    pub fn from_schema(schema: &Value, path: &str) -> Result<Compiled, Vec<CompileError>> {
        let mut c = Compiled::default();
        let mut errors = Vec::new();
        c.walk(schema, path, &mut errors);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    fn walk(&mut self, s: &Value, path: &str, errors: &mut Vec<CompileError>) {
        let mut fail = |path: String, message: String| errors.push(CompileError { path, message });
        if let Some(p) = s.get("pattern") {
            let at = format!("{path}.pattern");
            match p.as_str().map(|text| (text, Regex::new(text))) {
                Some((text, Ok(re))) => {
                    self.patterns.insert(text.to_string(), re);
                }
                Some((text, Err(e))) => fail(
                    at,
                    format!(
                        "Invalid value: {text:?}: must be a valid regular expression, but isn't: {}",
                        first_line(&e.to_string())
                    ),
                ),
                None => fail(at, "Invalid value: must be a string".into()),
            }
        }
        let rules = s.get("x-kubernetes-validations");
        for (i, rule) in rules
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{path}.x-kubernetes-validations[{i}]");
            let Some(src) = rule.get("rule").and_then(Value::as_str) else {
                fail(
                    format!("{at}.rule"),
                    "Required value: rule is not specified".into(),
                );
                continue;
            };
            match cel::compile(src) {
                Ok(p) => {
                    self.programs.insert(src.to_string(), p);
                }
                Err(e) => fail(
                    format!("{at}.rule"),
                    format!(
                        "Invalid value: {src:?}: compilation failed: {e} (the simulator evaluates a subset of CEL)"
                    ),
                ),
            }
            if let Some(m) = rule.get("messageExpression") {
                match m.as_str().map(|m| (m, cel::compile(m))) {
                    Some((m, Ok(p))) => {
                        self.programs.insert(m.to_string(), p);
                    }
                    Some((m, Err(e))) => fail(
                        format!("{at}.messageExpression"),
                        format!("Invalid value: {m:?}: compilation failed: {e}"),
                    ),
                    None => fail(
                        format!("{at}.messageExpression"),
                        "Invalid value: must be a string".into(),
                    ),
                }
            }
            if let Some(r) = rule.get("reason")
                && !r.as_str().is_some_and(|r| REASONS.contains(&r))
            {
                fail(
                    format!("{at}.reason"),
                    format!(
                        "Unsupported value: {r}: supported values: {}",
                        REASONS
                            .iter()
                            .map(|r| format!("{r:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if let Some(f) = rule.get("fieldPath")
                && field_path(f.as_str().unwrap_or_default()).is_none()
            {
                fail(
                    format!("{at}.fieldPath"),
                    format!(
                        "Invalid value: {f}: the simulator supports a path of dotted field names only"
                    ),
                );
            }
        }
        if rules.is_some_and(|r| !r.is_array()) {
            fail(
                format!("{path}.x-kubernetes-validations"),
                "Invalid value: must be a list".into(),
            );
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, sub) in props {
                self.walk(sub, &format!("{path}.properties[{k}]"), errors);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = s.get(key).filter(|v| v.is_object()) {
                self.walk(sub, &format!("{path}.{key}"), errors);
            }
        }
    }
}

/// A rule's `fieldPath` (`.serverName`, `.a.b`) as the field names it goes through.
pub fn field_path(p: &str) -> Option<Vec<&str>> {
    let rest = p.strip_prefix('.')?;
    let parts: Vec<&str> = rest.split('.').collect();
    parts
        .iter()
        .all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
        .then_some(parts)
}

fn first_line(s: &str) -> &str {
    s.lines()
        .rfind(|l| l.starts_with("error:"))
        .unwrap_or_else(|| s.lines().next().unwrap_or(s))
}

/// Compiled schemas by the schema allocation a loaded kind holds: a kind is compiled once
/// per CRD load, and a reloaded CRD (a new allocation) is compiled anew. Holding a `Weak`
/// keeps the address from being reused while the entry exists.
#[allow(clippy::type_complexity)]
static CACHE: LazyLock<Mutex<Vec<(Weak<Value>, Arc<Compiled>)>>> =
    LazyLock::new(|| Mutex::new(Vec::new()));

/// The compiled form of a loaded kind's schema.
pub fn cached(schema: &Arc<Value>) -> Result<Arc<Compiled>, Vec<CompileError>> {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = cache
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(schema)))
    {
        return Ok(c.clone());
    }
    let c = Arc::new(Compiled::from_schema(schema, "openAPIV3Schema")?);
    cache.retain(|(w, _)| w.strong_count() > 0);
    cache.push((Arc::downgrade(schema), c.clone()));
    Ok(c)
}
