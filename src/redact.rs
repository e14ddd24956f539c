//! Masking credential values in text that leaves the app: log lines and events quoted as
//! evidence, walk notes, transcripts, check reports and the log file. backstop never reads
//! Secret values, but a sidecar's log line or a condition message can still carry a key, a
//! token or a password. One redactor knows the shapes they come in; a value that is a
//! placeholder (`<access-key-id>`, `...`, `$VAR`) is left alone, so the commands the trees
//! suggest stay usable.

use std::borrow::Cow;

const MASK: &str = "[redacted]";

/// Words in a key name (`KEY=value`, `"key": "value"`) whose value is a credential.
const SENSITIVE: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "accesskey",
    "access_key",
    "accountkey",
    "account_key",
    "storage_key",
    "sharedaccesssignature",
    "apikey",
    "api_key",
    "signature",
    "private_key",
];

/// Whole key names whose value is a credential although they hold none of those words.
const SENSITIVE_KEYS: &[&str] = &["sig", "pwd", "auth"];

/// Endings of a key written `key: value` (YAML, INI, boto's config) whose value is a
/// credential. Narrower than [`SENSITIVE`]: prose such as `credentials secret: minio-creds`
/// or `InvalidAccessKeyId: The AWS Access Key Id...` names things, it does not carry them.
const SENSITIVE_COLON_KEYS: &[&str] = &[
    "secret_access_key",
    "secret_key",
    "session_token",
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "passwd",
    "private_key",
    "account_key",
    "storage_key",
    "api_key",
    "apikey",
    "token",
];

/// Prefixes of tokens that are credentials wherever they stand: GitHub's and GitLab's.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
];

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

fn ends_value(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'&' | b'"' | b'\'' | b',' | b';' | b'}' | b')')
}

/// A value that stands for a credential rather than being one: the trees' `<access-key-id>`,
/// `...`, a shell variable, or a value already masked.
fn is_placeholder(v: &str) -> bool {
    v.is_empty()
        || v == "..."
        || v == "…"
        || (v.starts_with('<') && v.ends_with('>'))
        || v.starts_with('$')
        || v.starts_with('[') && v.ends_with(']')
        || v.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.'))
}

/// Pushes `from..to` unless the value there is a placeholder.
fn mask(s: &str, from: usize, to: usize, out: &mut Vec<(usize, usize)>) {
    if to > from && !is_placeholder(&s[from..to]) {
        out.push((from, to));
    }
}

/// Where a value that starts at `v` ends: at its closing quote when quoted, else at the
/// first character that ends a value.
fn value_end(b: &[u8], v: usize) -> (usize, usize) {
    match b.get(v) {
        Some(&q @ (b'"' | b'\'')) => {
            let from = v + 1;
            let to = b[from..]
                .iter()
                .position(|&c| c == q)
                .map_or(b.len(), |n| from + n);
            (from, to)
        }
        _ => {
            let mut to = v;
            while to < b.len() && !ends_value(b[to]) {
                to += 1;
            }
            (v, to)
        }
    }
}

fn sensitive_key(key: &str, colon: bool, quoted: bool) -> bool {
    if key.is_empty() {
        return false;
    }
    if colon && !quoted {
        return SENSITIVE_COLON_KEYS.iter().any(|w| key.ends_with(w));
    }
    SENSITIVE.iter().any(|w| key.contains(w)) || SENSITIVE_KEYS.contains(&key)
}

/// `KEY=value`, `"key": "value"`, `'key': 'value'` and `key: value` for credential keys.
fn key_values(s: &str, out: &mut Vec<(usize, usize)>) {
    let b = s.as_bytes();
    for (i, &sep) in b.iter().enumerate() {
        if sep != b'=' && sep != b':' {
            continue;
        }
        let colon = sep == b':';
        // The key before the separator, maybe in quotes.
        let mut end = i;
        while end > 0 && b[end - 1] == b' ' && colon {
            end -= 1;
        }
        let quote = (end > 0 && matches!(b[end - 1], b'"' | b'\'')).then(|| b[end - 1]);
        if quote.is_some() {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && is_key_char(b[start - 1]) {
            start -= 1;
        }
        let key = s[start..end].to_ascii_lowercase();
        if !sensitive_key(&key, colon, quote.is_some()) {
            continue;
        }
        let mut v = i + 1;
        if colon {
            // `scheme://` is a URL, not a key and its value.
            if b.get(v) == Some(&b'/') {
                continue;
            }
            while v < b.len() && b[v] == b' ' {
                v += 1;
            }
            // A quoted key takes a quoted value: `"password": 5` is not a credential.
            if let Some(q) = quote
                && b.get(v) != Some(&q)
            {
                continue;
            }
        }
        let (from, to) = value_end(b, v);
        mask(s, from, to, out);
    }
}

/// `Bearer <token>` anywhere, `Basic <credentials>` after `Authorization`.
fn auth_headers(s: &str, out: &mut Vec<(usize, usize)>) {
    let b = s.as_bytes();
    let lower = s.to_ascii_lowercase();
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        while let Some(n) = lower[from..].find(scheme) {
            let at = from + n;
            let v = at + scheme.len();
            from = v;
            if scheme == "basic " && !lower[..at].trim_end().ends_with("authorization:") {
                continue;
            }
            let (vf, to) = value_end(b, v);
            mask(s, vf, to, out);
        }
    }
}

/// `scheme://user:password@host`.
fn url_passwords(s: &str, out: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    while let Some(n) = s[from..].find("://") {
        let auth = from + n + 3;
        let host_end = s[auth..]
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .map_or(s.len(), |e| auth + e);
        if let Some(at) = s[auth..host_end].rfind('@')
            && let Some(colon) = s[auth..auth + at].find(':')
        {
            mask(s, auth + colon + 1, auth + at, out);
        }
        from = auth;
    }
}

/// AWS access key ids (AKIA/ASIA and 16 more), GitHub and GitLab tokens.
fn known_tokens(s: &str, out: &mut Vec<(usize, usize)>) {
    let b = s.as_bytes();
    let starts_word = |i: usize| i == 0 || !b[i - 1].is_ascii_alphanumeric();
    for (i, _) in s.match_indices("AKIA").chain(s.match_indices("ASIA")) {
        let id = &b[i..(i + 20).min(b.len())];
        if starts_word(i)
            && id.len() == 20
            && id
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            out.push((i, i + 20));
        }
    }
    for prefix in TOKEN_PREFIXES {
        for (i, _) in s.match_indices(prefix) {
            let v = i + prefix.len();
            let len = b[v..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
                .count();
            if starts_word(i) && len >= 16 {
                out.push((v, v + len));
            }
        }
    }
}

/// The body of a PEM private key, to its END line or to the end of the text.
fn private_keys(s: &str, out: &mut Vec<(usize, usize)>) {
    let mut from = 0;
    while let Some(n) = s[from..].find("-----BEGIN ") {
        let at = from + n;
        let Some(h) = s[at + 11..].find("-----") else {
            break;
        };
        let header_end = at + 11 + h + 5;
        from = header_end;
        if !s[at..header_end].contains("PRIVATE KEY") {
            continue;
        }
        let body_end = s[header_end..]
            .find("-----END ")
            .map_or(s.len(), |e| header_end + e);
        if body_end > header_end {
            out.push((header_end, body_end));
        }
        from = body_end;
    }
}

/// The byte ranges of credential values in `s`, in order.
fn secrets(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    key_values(s, &mut out);
    auth_headers(s, &mut out);
    url_passwords(s, &mut out);
    known_tokens(s, &mut out);
    private_keys(s, &mut out);
    out.sort();
    out
}

/// `s` with every credential value replaced by `[redacted]`; borrowed when there is none.
pub fn redact(s: &str) -> Cow<'_, str> {
    let ranges = secrets(s);
    if ranges.is_empty() {
        return Cow::Borrowed(s);
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
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn values_of_credential_keys_are_masked() {
        for (line, want) in [
            (
                "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG and go",
                "export AWS_SECRET_ACCESS_KEY=[redacted] and go",
            ),
            (
                r#"{"password": "hunter2", "user": "app"}"#,
                r#"{"password": "[redacted]", "user": "app"}"#,
            ),
            (
                "{'aws_secret_access_key': 'wJalr XUtn', 'region': 'eu'}",
                "{'aws_secret_access_key': '[redacted]', 'region': 'eu'}",
            ),
            (
                "GET /b?X-Amz-Signature=abc123&X-Amz-Date=1",
                "GET /b?X-Amz-Signature=[redacted]&X-Amz-Date=1",
            ),
            (
                "Authorization: Bearer eyJhbGciOi.x.y",
                "Authorization: Bearer [redacted]",
            ),
            (
                "Authorization: Basic dXNlcjpwYXNz",
                "Authorization: Basic [redacted]",
            ),
            (
                "s3://minio:supersecret@minio.local:9000/backups",
                "s3://minio:[redacted]@minio.local:9000/backups",
            ),
            (
                "postgres://u:LEAKLOG14@h/db",
                "postgres://u:[redacted]@h/db",
            ),
            (
                "key id AKIAIOSFODNN7EXAMPLE was refused",
                "key id [redacted] was refused",
            ),
            (
                "aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key: [redacted]",
            ),
            ("secret_key: LEAKLOG12 next", "secret_key: [redacted] next"),
            (
                "AZURE_STORAGE_KEY=abc== AZURE_STORAGE_SAS_TOKEN=\"sv=1&sig=x y\"",
                "AZURE_STORAGE_KEY=[redacted] AZURE_STORAGE_SAS_TOKEN=\"[redacted]\"",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0==;",
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];",
            ),
            (
                "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789 failed",
                "clone with ghp_[redacted] failed",
            ),
            (
                "token glpat-abcdefghij0123456789 expired",
                "token glpat-[redacted] expired",
            ),
            (
                "{\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n\"}",
                "{\"private_key\":\"[redacted]\"}",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----",
                "-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----",
            ),
        ] {
            assert_eq!(redact(line), want, "{line}");
        }
    }

    #[test]
    fn prose_key_names_and_placeholders_stay() {
        for line in [
            "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist",
            "SignatureDoesNotMatch: The request signature we calculated does not match",
            "Secret minio-creds has keys: ACCESS_KEY_ID, ACCESS_SECRET_KEY",
            "credentials secret: minio-creds",
            "https://minio.local:9000/backups",
            "phase=failed reason=timeout",
            "kubectl run s3 --env=AWS_ACCESS_KEY_ID=<access-key-id> --env=AWS_SECRET_ACCESS_KEY=<secret>",
            "--from-literal=ACCESS_SECRET_KEY=... or password=$PGPASSWORD",
            "Basic auth is not configured",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
