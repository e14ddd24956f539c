//! The subset of CEL that the `x-kubernetes-validations` rules of the CRDs we serve use:
//! `self`/`oldSelf` and field selection, `has()`, `!`, `&&`, `||`, `? :`, comparisons,
//! `in`, `+`, `size()`, `startsWith`/`endsWith`/`contains`, the `all`/`exists`/`exists_one`
//! macros, string/int/double/bool/null literals and lists. Anything else is refused when the
//! rule is compiled, so a CRD carrying a rule we cannot evaluate fails to load instead of
//! passing every object silently. The `cel` crate would cover the whole language but brings
//! an ANTLR runtime and ten other crates for a dozen one-line rules.

mod eval;
mod parse;

use serde_json::Value;

pub use self::eval::{Env, eval};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    Size,
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantifier {
    All,
    Exists,
    ExistsOne,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Value),
    Ident(String),
    List(Vec<Expr>),
    Select(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Has(Box<Expr>, String),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Method, Box<Expr>, Vec<Expr>),
    Macro(Quantifier, Box<Expr>, String, Box<Expr>),
}

/// A compiled rule: its tree and whether it reads `oldSelf` (a transition rule, evaluated
/// on updates only).
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub expr: Expr,
    pub uses_old_self: bool,
}

/// Parses `src`; the error says what is outside the supported subset, and where.
pub fn compile(src: &str) -> Result<Program, String> {
    let expr = parse::parse(src)?;
    let mut scope = vec!["self".to_string(), "oldSelf".to_string()];
    let mut uses_old_self = false;
    resolve(&expr, &mut scope, &mut uses_old_self)?;
    Ok(Program {
        expr,
        uses_old_self,
    })
}

/// Identifiers must be `self`, `oldSelf` or a macro's variable.
fn resolve(e: &Expr, scope: &mut Vec<String>, old: &mut bool) -> Result<(), String> {
    match e {
        Expr::Lit(_) => Ok(()),
        Expr::Ident(name) => {
            if !scope.iter().any(|s| s == name) {
                return Err(format!("undeclared reference to '{name}'"));
            }
            *old |= name == "oldSelf";
            Ok(())
        }
        Expr::List(items) => items.iter().try_for_each(|i| resolve(i, scope, old)),
        Expr::Select(t, _) | Expr::Has(t, _) | Expr::Not(t) | Expr::Neg(t) => {
            resolve(t, scope, old)
        }
        Expr::Index(a, b) | Expr::And(a, b) | Expr::Or(a, b) | Expr::Bin(_, a, b) => {
            resolve(a, scope, old)?;
            resolve(b, scope, old)
        }
        Expr::Cond(a, b, c) => {
            resolve(a, scope, old)?;
            resolve(b, scope, old)?;
            resolve(c, scope, old)
        }
        Expr::Call(_, t, args) => {
            resolve(t, scope, old)?;
            args.iter().try_for_each(|a| resolve(a, scope, old))
        }
        Expr::Macro(_, t, var, body) => {
            resolve(t, scope, old)?;
            scope.push(var.clone());
            let r = resolve(body, scope, old);
            scope.pop();
            r
        }
    }
}

#[cfg(test)]
mod tests;
