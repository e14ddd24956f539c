use super::*;
use serde_json::json;

fn run(rule: &str, this: Value, old: Option<Value>) -> Result<Value, String> {
    let p = compile(rule)?;
    let mut env = Env::new(&this, old.as_ref());
    eval(&p.expr, &mut env)
}

#[test]
fn the_shipped_rules_evaluate() {
    let chart =
        "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))";
    assert_eq!(run(chart, json!({"chart": {}}), None), Ok(json!(true)));
    assert_eq!(run(chart, json!({"chartRef": {}}), None), Ok(json!(true)));
    assert_eq!(run(chart, json!({}), None), Ok(json!(false)));
    assert_eq!(
        run(chart, json!({"chart": {}, "chartRef": {}}), None),
        Ok(json!(false))
    );
    let args = "!self.exists(a, a.startsWith('--log-level'))";
    assert_eq!(run(args, json!(["--x", "-v"]), None), Ok(json!(true)));
    assert_eq!(
        run(args, json!(["--x", "--log-level=debug"]), None),
        Ok(json!(false))
    );
    let strategy = "!has(self.retryInterval) || self.name != 'RemediateOnFailure'";
    assert_eq!(
        run(
            strategy,
            json!({"name": "RemediateOnFailure", "retryInterval": "1m"}),
            None
        ),
        Ok(json!(false))
    );
    assert_eq!(
        run(
            strategy,
            json!({"name": "RetryOnFailure", "retryInterval": "1m"}),
            None
        ),
        Ok(json!(true))
    );
    assert_eq!(
        run("oldSelf == self", json!({"a": 1}), Some(json!({"a": 1.0}))),
        Ok(json!(true))
    );
    assert_eq!(
        run(
            "self == oldSelf",
            json!({"name": "a"}),
            Some(json!({"name": "b"}))
        ),
        Ok(json!(false))
    );
}

#[test]
fn operators_follow_cel() {
    assert_eq!(run("self > 0", json!(2), None), Ok(json!(true)));
    assert_eq!(
        run("self.size() == 2 && size(self) <= 2", json!("ab"), None),
        Ok(json!(true))
    );
    assert_eq!(run("'b' in self", json!(["a", "b"]), None), Ok(json!(true)));
    assert_eq!(run("'k' in self", json!({"k": 1}), None), Ok(json!(true)));
    assert_eq!(run("self ? 1 : 2", json!(false), None), Ok(json!(2)));
    assert_eq!(
        run("self.a + \"-\" + self.b", json!({"a": "x", "b": "y"}), None),
        Ok(json!("x-y"))
    );
    assert_eq!(
        run("self.all(x, x > 0)", json!([1, 2]), None),
        Ok(json!(true))
    );
    assert_eq!(
        run("self.exists_one(x, x > 1)", json!([1, 2, 3]), None),
        Ok(json!(false))
    );
    assert_eq!(run("self[1] == -2", json!([1, -2]), None), Ok(json!(true)));
}

#[test]
fn errors_are_absorbed_by_logic_as_in_cel() {
    // `self.sts` is absent: selecting it fails, but `|| true` still decides.
    assert_eq!(
        run("self.sts.provider == 'aws' || true", json!({}), None),
        Ok(json!(true))
    );
    assert_eq!(run("true || self.sts.x", json!({}), None), Ok(json!(true)));
    assert_eq!(
        run("self.sts.provider == 'aws'", json!({}), None),
        Err("no such key: sts".into())
    );
    assert_eq!(
        run("self.sts.x && false", json!({}), None),
        Ok(json!(false))
    );
    assert!(run("self.sts.x && true", json!({}), None).is_err());
}

#[test]
fn what_the_subset_lacks_is_refused_at_compile_time() {
    for (rule, why) in [
        ("self.matches('^a$')", "method 'matches'"),
        ("quantity(self) > 0", "function 'quantity'"),
        ("self.x - 1 > 0", "subtraction"),
        ("other.x", "undeclared reference to 'other'"),
        ("has(self)", "invalid argument to has()"),
        ("self.map(x, x)", "method 'map'"),
        ("'''a'''", "triple-quoted"),
        ("self.a ==", "unexpected end"),
        ("self.a b", "after the end"),
    ] {
        let e = compile(rule).expect_err(rule);
        assert!(e.contains(why), "{rule}: {e}");
    }
    assert!(compile("oldSelf == self").unwrap().uses_old_self);
    assert!(!compile("self.x == 'oldSelf'").unwrap().uses_old_self);
}
