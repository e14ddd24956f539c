//! Evaluation of a parsed rule on JSON values, with CEL's semantics for the subset.

use serde_json::{Number, Value};

use super::{BinOp, Expr, Method, Quantifier};

/// The variables of one evaluation: `self`, `oldSelf` (on updates) and macro variables.
pub struct Env<'a> {
    vars: Vec<(&'a str, Value)>,
}

impl<'a> Env<'a> {
    pub fn new(this: &Value, old: Option<&Value>) -> Env<'a> {
        let mut vars = vec![("self", this.clone())];
        if let Some(o) = old {
            vars.push(("oldSelf", o.clone()));
        }
        Env { vars }
    }

    fn get(&self, name: &str) -> Result<&Value, String> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("no such attribute: {name}"))
    }
}

/// Evaluates `e`; errors read like cel-go's runtime errors ("no such key: x").
pub fn eval<'a>(e: &'a Expr, env: &mut Env<'a>) -> Result<Value, String> {
    match e {
        Expr::Lit(v) => Ok(v.clone()),
        Expr::Ident(n) => env.get(n).cloned(),
        Expr::List(items) => items
            .iter()
            .map(|i| eval(i, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Expr::Select(t, f) => match eval(t, env)? {
            Value::Object(mut m) => m.remove(f).ok_or_else(|| format!("no such key: {f}")),
            _ => Err(format!("no such key: {f}")),
        },
        Expr::Index(t, i) => index(eval(t, env)?, eval(i, env)?),
        Expr::Has(t, f) => match eval(t, env)? {
            Value::Object(m) => Ok(Value::Bool(m.contains_key(f))),
            _ => Err("no such overload: has".into()),
        },
        Expr::Not(t) => Ok(Value::Bool(!truth(eval(t, env)?)?)),
        Expr::Neg(t) => match eval(t, env)? {
            Value::Number(n) if n.is_i64() => n
                .as_i64()
                .and_then(i64::checked_neg)
                .map(Value::from)
                .ok_or_else(|| "integer overflow".into()),
            Value::Number(n) => Ok(Number::from_f64(-n.as_f64().unwrap_or(0.0))
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            _ => Err("no such overload".into()),
        },
        // CEL's logical operators are commutative over errors: `error || true` is true.
        Expr::Or(a, b) => logic(eval(a, env), || eval(b, env), true),
        Expr::And(a, b) => logic(eval(a, env), || eval(b, env), false),
        Expr::Cond(c, a, b) => {
            if truth(eval(c, env)?)? {
                eval(a, env)
            } else {
                eval(b, env)
            }
        }
        Expr::Bin(op, a, b) => binary(*op, eval(a, env)?, eval(b, env)?),
        Expr::Call(m, t, args) => {
            let target = eval(t, env)?;
            let args = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<Vec<_>, _>>()?;
            call(*m, target, args)
        }
        Expr::Macro(q, t, var, body) => {
            let items: Vec<Value> = match eval(t, env)? {
                Value::Array(a) => a,
                Value::Object(m) => m.keys().map(|k| Value::String(k.clone())).collect(),
                _ => return Err("no such overload".into()),
            };
            quantify(*q, items, var, body, env)
        }
    }
}

fn quantify<'a>(
    q: Quantifier,
    items: Vec<Value>,
    var: &'a str,
    body: &'a Expr,
    env: &mut Env<'a>,
) -> Result<Value, String> {
    let mut matched = 0usize;
    let mut first_err = None;
    for item in items {
        env.vars.push((var, item));
        let r = eval(body, env).and_then(truth);
        env.vars.pop();
        match (q, r) {
            (Quantifier::All, Ok(false)) => return Ok(Value::Bool(false)),
            (Quantifier::Exists, Ok(true)) => return Ok(Value::Bool(true)),
            (_, Ok(true)) => matched += 1,
            (_, Ok(false)) => {}
            (Quantifier::ExistsOne, Err(e)) => return Err(e),
            (_, Err(e)) => first_err = first_err.or(Some(e)),
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(Value::Bool(match q {
        Quantifier::All => true,
        Quantifier::Exists => false,
        Quantifier::ExistsOne => matched == 1,
    }))
}

fn truth(v: Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("no such overload: expected bool, got {}", kind(&v)))
}

fn logic(
    a: Result<Value, String>,
    b: impl FnOnce() -> Result<Value, String>,
    short: bool,
) -> Result<Value, String> {
    let a = a.and_then(truth);
    if a == Ok(short) {
        return Ok(Value::Bool(short));
    }
    let b = b().and_then(truth);
    match (a, b) {
        (_, Ok(v)) if v == short => Ok(Value::Bool(short)),
        (Err(e), _) | (_, Err(e)) => Err(e),
        _ => Ok(Value::Bool(!short)),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null_type",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, String> {
    let order = || -> Result<std::cmp::Ordering, String> {
        match (&a, &b) {
            (Value::Number(x), Value::Number(y)) => x
                .as_f64()
                .zip(y.as_f64())
                .and_then(|(x, y)| x.partial_cmp(&y))
                .ok_or_else(|| "no such overload".to_string()),
            (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
            (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
            _ => Err(format!(
                "no such overload: {} {op:?} {}",
                kind(&a),
                kind(&b)
            )),
        }
    };
    use std::cmp::Ordering::*;
    let r = match op {
        BinOp::Eq => equal(&a, &b),
        BinOp::Ne => !equal(&a, &b),
        BinOp::Lt => order()? == Less,
        BinOp::Le => order()? != Greater,
        BinOp::Gt => order()? == Greater,
        BinOp::Ge => order()? != Less,
        BinOp::In => match &b {
            Value::Array(items) => items.iter().any(|i| equal(i, &a)),
            Value::Object(m) => a.as_str().is_some_and(|k| m.contains_key(k)),
            _ => return Err(format!("no such overload: {} in {}", kind(&a), kind(&b))),
        },
        BinOp::Add => return add(a, b),
    };
    Ok(Value::Bool(r))
}

fn add(a: Value, b: Value) -> Result<Value, String> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(Value::String(x + &y)),
        (Value::Array(mut x), Value::Array(y)) => {
            x.extend(y);
            Ok(Value::Array(x))
        }
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p
                .checked_add(q)
                .map(Value::from)
                .ok_or_else(|| "integer overflow".into()),
            _ => Ok(
                Number::from_f64(x.as_f64().unwrap_or(0.0) + y.as_f64().unwrap_or(0.0))
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            ),
        },
        (a, b) => Err(format!("no such overload: {} + {}", kind(&a), kind(&b))),
    }
}

fn index(t: Value, i: Value) -> Result<Value, String> {
    match (t, i) {
        (Value::Array(items), Value::Number(n)) => {
            let k = n.as_i64().ok_or("no such overload")?;
            usize::try_from(k)
                .ok()
                .and_then(|k| items.get(k).cloned())
                .ok_or_else(|| format!("index out of bounds: {k}"))
        }
        (Value::Object(mut m), Value::String(k)) => {
            m.remove(&k).ok_or_else(|| format!("no such key: {k}"))
        }
        (t, i) => Err(format!("no such overload: {}[{}]", kind(&t), kind(&i))),
    }
}

fn call(m: Method, target: Value, args: Vec<Value>) -> Result<Value, String> {
    if m == Method::Size {
        let n = match &target {
            Value::String(s) => s.chars().count(),
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            other => return Err(format!("no such overload: size({})", kind(other))),
        };
        return Ok(Value::from(n as u64));
    }
    let (Value::String(s), Some(Value::String(arg))) = (&target, args.first()) else {
        return Err(format!("no such overload: {m:?} on {}", kind(&target)));
    };
    Ok(Value::Bool(match m {
        Method::StartsWith => s.starts_with(arg.as_str()),
        Method::EndsWith => s.ends_with(arg.as_str()),
        _ => s.contains(arg.as_str()),
    }))
}
