//! The lexer and the recursive-descent parser of the CEL subset.

use serde_json::{Number, Value};

use super::{BinOp, Expr, Method, Quantifier};

/// Parses a whole expression.
pub fn parse(src: &str) -> Result<Expr, String> {
    let tokens = lex(src)?;
    let mut p = Parser { tokens, pos: 0 };
    let expr = p.expr()?;
    if let Some(t) = p.tokens.get(p.pos) {
        return Err(format!("unexpected {t:?} after the end of the expression"));
    }
    Ok(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Double(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
}

const PUNCTS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", ".", ",", "?", ":", "!", "-", "+", "<",
    ">",
];

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let is_double = i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit();
            if is_double {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            if i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '_') {
                return Err(format!(
                    "number suffix '{}' at {start} is not supported",
                    chars[i]
                ));
            }
            out.push(if is_double {
                Tok::Double(text.parse().map_err(|_| format!("bad number {text}"))?)
            } else {
                Tok::Int(text.parse().map_err(|_| format!("bad number {text}"))?)
            });
        } else if c == '\'' || c == '"' {
            let (s, next) = string(&chars, i)?;
            out.push(Tok::Str(s));
            i = next;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if let Some(p) = PUNCTS.iter().find(|p| {
            p.chars()
                .enumerate()
                .all(|(k, pc)| chars.get(i + k) == Some(&pc))
        }) {
            out.push(Tok::Punct(p));
            i += p.len();
        } else {
            return Err(format!("unexpected character '{c}' at {i}"));
        }
    }
    Ok(out)
}

/// A quoted string from `chars[at]`: single or double quotes, simple escapes. Triple
/// quotes and raw/byte strings are outside the subset.
fn string(chars: &[char], at: usize) -> Result<(String, usize), String> {
    let quote = chars[at];
    if chars.get(at + 1) == Some(&quote) && chars.get(at + 2) == Some(&quote) {
        return Err(format!("triple-quoted strings (at {at}) are not supported"));
    }
    let mut s = String::new();
    let mut i = at + 1;
    loop {
        match chars.get(i) {
            None => return Err(format!("unterminated string starting at {at}")),
            Some(&c) if c == quote => return Ok((s, i + 1)),
            Some('\\') => {
                let e = chars.get(i + 1).copied();
                s.push(match e {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some(c @ ('\\' | '\'' | '"' | '`' | '?')) => c,
                    other => return Err(format!("escape \\{other:?} at {i} is not supported")),
                });
                i += 2;
            }
            Some(&c) => {
                s.push(c);
                i += 1;
            }
        }
    }
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_punct(&self, p: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Tok::Punct(q)) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.peek_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(format!(
                "expected '{p}', found {:?}",
                self.tokens.get(self.pos)
            ))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let c = self.or()?;
        if self.eat("?") {
            let a = self.or()?;
            self.expect(":")?;
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.eat("||") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.relation()?;
        while self.eat("&&") {
            e = Expr::And(Box::new(e), Box::new(self.relation()?));
        }
        Ok(e)
    }

    fn relation(&mut self) -> Result<Expr, String> {
        let mut e = self.addition()?;
        loop {
            let op = match self.tokens.get(self.pos) {
                Some(Tok::Punct("==")) => BinOp::Eq,
                Some(Tok::Punct("!=")) => BinOp::Ne,
                Some(Tok::Punct("<")) => BinOp::Lt,
                Some(Tok::Punct("<=")) => BinOp::Le,
                Some(Tok::Punct(">")) => BinOp::Gt,
                Some(Tok::Punct(">=")) => BinOp::Ge,
                Some(Tok::Ident(w)) if w == "in" => BinOp::In,
                _ => return Ok(e),
            };
            self.pos += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.addition()?));
        }
    }

    fn addition(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.eat("+") {
            e = Expr::Bin(BinOp::Add, Box::new(e), Box::new(self.unary()?));
        }
        if matches!(self.tokens.get(self.pos), Some(Tok::Punct("-"))) {
            return Err("subtraction is not supported".into());
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.member()
    }

    fn member(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let name = match self.tokens.get(self.pos) {
                    Some(Tok::Ident(n)) => n.clone(),
                    other => return Err(format!("expected a field name, found {other:?}")),
                };
                self.pos += 1;
                if self.eat("(") {
                    let args = self.args(")")?;
                    e = method(e, &name, args)?;
                } else {
                    e = Expr::Select(Box::new(e), name);
                }
            } else if self.eat("[") {
                let i = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut args = Vec::new();
        if self.eat(close) {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat(close) {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or("unexpected end of the expression")?;
        self.pos += 1;
        match t {
            Tok::Int(n) => Ok(Expr::Lit(Value::from(n))),
            Tok::Double(f) => Ok(Expr::Lit(
                Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            )),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Punct("[") => Ok(Expr::List(self.args("]")?)),
            Tok::Ident(w) => match w.as_str() {
                "true" => Ok(Expr::Lit(Value::Bool(true))),
                "false" => Ok(Expr::Lit(Value::Bool(false))),
                "null" => Ok(Expr::Lit(Value::Null)),
                _ if self.eat("(") => {
                    let args = self.args(")")?;
                    global(&w, args)
                }
                _ => Ok(Expr::Ident(w)),
            },
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

fn global(name: &str, mut args: Vec<Expr>) -> Result<Expr, String> {
    match (name, args.len()) {
        ("has", 1) => match args.pop() {
            Some(Expr::Select(t, f)) => Ok(Expr::Has(t, f)),
            _ => Err("invalid argument to has() macro".into()),
        },
        ("size", 1) => {
            let t = args.pop().ok_or("size() needs an argument")?;
            Ok(Expr::Call(Method::Size, Box::new(t), vec![]))
        }
        _ => Err(format!(
            "function '{name}' with {} arguments is not supported",
            args.len()
        )),
    }
}

fn method(target: Expr, name: &str, mut args: Vec<Expr>) -> Result<Expr, String> {
    let t = Box::new(target);
    let simple = |m| Ok(Expr::Call(m, t.clone(), args.clone()));
    match (name, args.len()) {
        ("size", 0) => simple(Method::Size),
        ("startsWith", 1) => simple(Method::StartsWith),
        ("endsWith", 1) => simple(Method::EndsWith),
        ("contains", 1) => simple(Method::Contains),
        ("all" | "exists" | "exists_one", 2) => {
            let body = args.pop().ok_or("macro body missing")?;
            let var = match args.pop() {
                Some(Expr::Ident(v)) => v,
                _ => return Err(format!("{name}() needs a variable name first")),
            };
            let q = match name {
                "all" => Quantifier::All,
                "exists" => Quantifier::Exists,
                _ => Quantifier::ExistsOne,
            };
            Ok(Expr::Macro(q, t, var, Box::new(body)))
        }
        _ => Err(format!(
            "method '{name}' with {} arguments is not supported",
            args.len()
        )),
    }
}
