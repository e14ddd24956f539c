//! What the figures mean: the targets backstop should meet, its ratios to kubectl and
//! kdash, and the summary printed on stderr.

use serde_json::{Value, json};

use crate::helpers::{num, round2, u};

pub fn targets(n: usize, b: &Value) -> Value {
    let lt = |x: Option<f64>, limit: f64| x.map(|x| x < limit);
    let populated_limit = match n {
        10_000 => Some(1000.0),
        50_000 => Some(4000.0),
        _ => None,
    };
    let rss_limit = match n {
        10_000 => Some(60.0),
        50_000 => Some(200.0),
        _ => None,
    };
    let churn_at = |rate: u64, pointer: &str| {
        b.get("churn")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|r| u(r, "rate") == rate))
            .and_then(|r| num(r, pointer))
    };
    json!({
        "first_frame_lt_50ms": lt(num(b, "/first_frame_ms"), 50.0),
        "populated": populated_limit.and_then(|l| lt(num(b, "/populated_ms"), l)),
        "populated_limit_ms": populated_limit,
        "peak_rss": rss_limit.and_then(|l| lt(num(b, "/peak_rss_mb"), l)),
        "peak_rss_limit_mb": rss_limit,
        "idle_cpu_lt_0_5pct": lt(num(b, "/idle_cpu_pct"), 0.5),
        "render_p95_lt_4ms": lt(num(b, "/render_ms/p95"), 4.0),
        // Writes that no frame showed (within 5 s) fail it too.
        "event_to_screen_p95_lt_100ms_at_10_per_s": match churn_at(10, "/latency_ms/unseen") {
            Some(unseen) if unseen > 0.0 && churn_at(10, "/latency_ms/p95").is_none() => Some(false),
            _ => lt(churn_at(10, "/latency_ms/p95"), 100.0),
        },
        "log_memory_flat_lt_5mb": num(b, "/log/growth_mb").map(|g| g.abs() < 5.0),
    })
}

pub fn ratios(b: &Value, kubectl: &Value, kdash: &Value) -> Value {
    let div = |a: Option<f64>, c: Option<f64>| match (a, c) {
        (Some(a), Some(c)) if c > 0.0 => Some(round2(a / c)),
        _ => None,
    };
    let populated = num(b, "/populated_ms");
    json!({
        "kubectl_backups_json_ms_per_backstop_populated": div(num(kubectl, "/backups_json/ms"), populated),
        "kubectl_pods_ms_per_backstop_populated": div(num(kubectl, "/pods/ms"), populated),
        "kubectl_peak_rss_per_backstop_peak_rss": div(
            [num(kubectl, "/backups_json/peak_rss_mb"), num(kubectl, "/pods/peak_rss_mb")]
                .into_iter().flatten().reduce(f64::max),
            num(b, "/peak_rss_mb")),
        // Both measured from the spawn of the tmux session.
        "kdash_populated_per_backstop_populated": div(num(kdash, "/populated_ms"), num(b, "/populated_wall_ms")),
        "kdash_rss_per_backstop_rss": div(num(kdash, "/peak_rss_mb"), num(b, "/peak_rss_mb")),
        "kdash_idle_cpu_per_backstop_idle_cpu": div(num(kdash, "/idle_cpu_pct"), num(b, "/idle_cpu_pct")),
    })
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x}"))
}

pub fn summary(line: &Value) -> String {
    let b = &line["backstop"];
    let mut s = format!(
        "n={} objects={}\n  backstop: first frame {} ms (screen {} ms), populated {} ms, peak RSS {} MB, idle CPU {} %, render p95 {} ms",
        line["n"],
        line["objects"],
        fmt(num(b, "/first_frame_ms")),
        fmt(num(b, "/first_frame_screen_ms")),
        fmt(num(b, "/populated_ms")),
        fmt(num(b, "/peak_rss_mb")),
        fmt(num(b, "/idle_cpu_pct")),
        fmt(num(b, "/render_ms/p95")),
    );
    if let Some(e) = b.get("error") {
        s.push_str(&format!("\n  backstop error: {e}"));
    }
    for r in b
        .get("churn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "\n    {:>4} ev/s: sent {} CPU {} % fps {} latency p50 {} p95 {} ms (unseen {})",
            u(r, "rate"),
            u(r, "sent"),
            fmt(num(r, "/cpu_pct")),
            fmt(num(r, "/fps")),
            fmt(num(r, "/latency_ms/p50")),
            fmt(num(r, "/latency_ms/p95")),
            fmt(num(r, "/latency_ms/unseen")),
        ));
    }
    s.push_str(&format!(
        "\n    relist {} ms (peak RSS {} MB); log view: RSS {} -> {} MB over {} s, {} lines held",
        fmt(num(b, "/relist/relist_ms")),
        fmt(num(b, "/relist/relist_peak_rss_mb")),
        fmt(num(b, "/log/start_rss_mb")),
        fmt(num(b, "/log/end_rss_mb")),
        fmt(num(b, "/log/window_s")),
        fmt(num(b, "/log/lines_held")),
    ));
    let k = &line["kubectl"];
    let d = &line["kdash"];
    for (what, v) in [("kubectl", k), ("kdash", d)] {
        if v.get("skipped").is_some() {
            s.push_str(&format!("\n  {what}: skipped"));
        } else if let Some(e) = v.get("error") {
            s.push_str(&format!("\n  {what} error: {e}"));
        } else if what == "kubectl" {
            s.push_str(&format!(
                "\n  kubectl: backups -o json {} ms {} MB, pods {} ms {} MB",
                fmt(num(v, "/backups_json/ms")),
                fmt(num(v, "/backups_json/peak_rss_mb")),
                fmt(num(v, "/pods/ms")),
                fmt(num(v, "/pods/peak_rss_mb")),
            ));
        } else {
            s.push_str(&format!(
                "\n  kdash: populated {} ms, peak RSS {} MB, idle CPU {} %{}",
                fmt(num(v, "/populated_ms")),
                fmt(num(v, "/peak_rss_mb")),
                fmt(num(v, "/idle_cpu_pct")),
                v.get("note")
                    .and_then(Value::as_str)
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
            ));
        }
    }
    s.push_str(&format!("\n  targets: {}", line["targets"]));
    s
}
