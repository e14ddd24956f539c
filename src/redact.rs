//! Masking credential-looking values in text that leaves the app (transcripts): backstop
//! never reads Secret data, but log lines and notes can still carry a key or a password.

const MASK: &str = "[redacted]";

/// Key names whose value is a credential.
const SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "accesskey",
    "access_key",
    "apikey",
    "api_key",
    "signature",
    "private_key",
];

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

fn ends_value(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'&' | b'"' | b'\'' | b',' | b';' | b'}' | b')')
}

/// The byte ranges of credential values in `s`.
fn secrets(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (i, &sep) in b.iter().enumerate() {
        if sep != b'=' && sep != b':' {
            continue;
        }
        // The key before the separator, maybe in quotes.
        let mut end = i;
        while end > 0 && b[end - 1] == b' ' && sep == b':' {
            end -= 1;
        }
        let quoted = end > 0 && b[end - 1] == b'"';
        if quoted {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && is_key_char(b[start - 1]) {
            start -= 1;
        }
        let key = s[start..end].to_ascii_lowercase();
        if key.is_empty() || !SENSITIVE.iter().any(|w| key.contains(w)) {
            continue;
        }
        let mut v = i + 1;
        if sep == b':' {
            // Only a JSON-like `"key": "value"`: prose such as `InvalidAccessKeyId: The ...`
            // names an error, not a value.
            while v < b.len() && b[v] == b' ' {
                v += 1;
            }
            if !quoted || v >= b.len() || b[v] != b'"' {
                continue;
            }
            let from = v + 1;
            let to = s[from..].find('"').map_or(b.len(), |n| from + n);
            if to > from {
                out.push((from, to));
            }
            continue;
        }
        if v < b.len() && matches!(b[v], b'"' | b'\'') {
            v += 1;
        }
        let mut to = v;
        while to < b.len() && !ends_value(b[to]) {
            to += 1;
        }
        if to > v {
            out.push((v, to));
        }
    }
    // `Bearer <token>`.
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(n) = lower[from..].find("bearer ") {
        let v = from + n + "bearer ".len();
        let mut to = v;
        while to < b.len() && !ends_value(b[to]) {
            to += 1;
        }
        if to > v {
            out.push((v, to));
        }
        from = v;
    }
    // `scheme://user:password@host`.
    let mut from = 0;
    while let Some(n) = s[from..].find("://") {
        let auth = from + n + 3;
        let host_end = s[auth..]
            .find(|c: char| c == '/' || c.is_whitespace())
            .map_or(s.len(), |e| auth + e);
        if let Some(at) = s[auth..host_end].rfind('@')
            && let Some(colon) = s[auth..auth + at].find(':')
            && colon + 1 < at
        {
            out.push((auth + colon + 1, auth + at));
        }
        from = auth;
    }
    // AWS access key ids: AKIA or ASIA and 16 more upper-case letters or digits.
    for (i, _) in s.match_indices("AKIA").chain(s.match_indices("ASIA")) {
        let id = &b[i..(i + 20).min(b.len())];
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if before_ok
            && id.len() == 20
            && id
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            out.push((i, i + 20));
        }
    }
    out.sort();
    out
}

/// `s` with every credential value replaced by `[redacted]`.
pub fn redact(s: &str) -> String {
    let ranges = secrets(s);
    if ranges.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (from, to) in ranges {
        if from < at {
            // Overlapping: already masked.
            at = at.max(to);
            continue;
        }
        out.push_str(&s[at..from]);
        out.push_str(MASK);
        at = to;
    }
    out.push_str(&s[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn values_of_credential_keys_are_masked() {
        assert_eq!(
            redact("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG and go"),
            "export AWS_SECRET_ACCESS_KEY=[redacted] and go"
        );
        assert_eq!(
            redact(r#"{"password": "hunter2", "user": "app"}"#),
            r#"{"password": "[redacted]", "user": "app"}"#
        );
        assert_eq!(
            redact("GET /b?X-Amz-Signature=abc123&X-Amz-Date=1"),
            "GET /b?X-Amz-Signature=[redacted]&X-Amz-Date=1"
        );
        assert_eq!(
            redact("Authorization: Bearer eyJhbGciOi.x.y"),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            redact("s3://minio:supersecret@minio.local:9000/backups"),
            "s3://minio:[redacted]@minio.local:9000/backups"
        );
        assert_eq!(
            redact("key id AKIAIOSFODNN7EXAMPLE was refused"),
            "key id [redacted] was refused"
        );
    }

    #[test]
    fn prose_and_key_names_stay() {
        for line in [
            "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist",
            "Secret minio-creds has keys: ACCESS_KEY_ID, ACCESS_SECRET_KEY",
            "credentials secret: minio-creds",
            "https://minio.local:9000/backups",
            "phase=failed reason=timeout",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
