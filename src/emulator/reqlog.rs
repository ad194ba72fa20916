//! The request log: one record per API request (admin requests are not logged).
//!
//! Bodies are logged with every plaintext SECRET value sealed, as
//! `[REDACTED EV[1:...]]`: the log can be read over the admin surface, and a plaintext
//! must not sit there. Tests that need to know what a request carried reveal it with
//! `Emulator::reveal_secret`, which accepts that form.

use serde::Serialize;
use serde_json::Value;

use super::secrets::{looks_encrypted, SecretBox};

/// Prefix of a sealed plaintext in a logged body.
pub(crate) const LOGGED_SECRET_PREFIX: &str = "[REDACTED ";

/// One API request as the emulator saw it.
#[derive(Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// Raw query string, without the `?`.
    pub query: Option<String>,
    /// Status sent; 0 when the connection was dropped without a response (reset faults).
    pub status: u16,
    /// The `retry-after` seconds sent with the response (burst-limit 429s, injected faults).
    pub retry_after: Option<u64>,
    /// Request body as received, SECRET plaintexts sealed (see the module docs; never
    /// printed by `Debug` either).
    pub body: Option<String>,
    /// Unix time (seconds) when the request arrived.
    pub ts: f64,
    /// Time from arrival to response, in milliseconds.
    pub response_ms: f64,
}

impl std::fmt::Debug for RequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestRecord")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field(
                "body",
                &self.body.as_ref().map(|b| format!("<{} bytes>", b.len())),
            )
            .field("ts", &self.ts)
            .field("response_ms", &self.response_ms)
            .finish()
    }
}

/// The body as logged: as received, unless it is JSON holding a plaintext SECRET
/// `value`, which is then sealed (the rest of the JSON is kept, key order included).
pub(crate) fn logged_body(
    body: &[u8],
    secrets: &SecretBox,
    mut fresh_nonce: impl FnMut() -> [u8; 12],
) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    if !text.contains("SECRET") {
        return Some(text.into_owned());
    }
    let Ok(mut json) = serde_json::from_str::<Value>(&text) else {
        return Some(text.into_owned());
    };
    let mut sealed = 0;
    seal_values(&mut json, &mut |plain| {
        sealed += 1;
        format!(
            "{LOGGED_SECRET_PREFIX}{}]",
            secrets.encrypt(plain, fresh_nonce())
        )
    });
    if sealed == 0 {
        return Some(text.into_owned());
    }
    Some(json.to_string())
}

/// The `EV[...]` inside a logged `[REDACTED EV[...]]`, or `value` itself.
pub(crate) fn unwrap_logged(value: &str) -> &str {
    value
        .strip_prefix(LOGGED_SECRET_PREFIX)
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value)
}

fn seal_values(json: &mut Value, seal: &mut impl FnMut(&str) -> String) {
    match json {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("SECRET") {
                if let Some(Value::String(v)) = map.get_mut("value") {
                    if !looks_encrypted(v) && !v.starts_with(LOGGED_SECRET_PREFIX) {
                        *v = seal(v);
                    }
                }
            }
            map.values_mut().for_each(|v| seal_values(v, seal));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| seal_values(v, seal)),
        _ => {}
    }
}

/// Counts records matching an optional method (case-insensitive) and path prefix.
pub(crate) fn count_matching(
    records: &[RequestRecord],
    method: Option<&str>,
    path_prefix: Option<&str>,
) -> usize {
    records
        .iter()
        .filter(|r| method.is_none_or(|m| r.method.eq_ignore_ascii_case(m)))
        .filter(|r| path_prefix.is_none_or(|p| r.path.starts_with(p)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(method: &str, path: &str) -> RequestRecord {
        RequestRecord {
            method: method.into(),
            path: path.into(),
            query: None,
            status: 200,
            retry_after: None,
            body: Some("{\"value\":\"plaintext-secret\"}".into()),
            ts: 0.0,
            response_ms: 0.0,
        }
    }

    #[test]
    fn counts_and_redacts() {
        let records = vec![
            record("GET", "/v2/apps"),
            record("PUT", "/v2/apps/x"),
            record("GET", "/v2/account"),
        ];
        assert_eq!(count_matching(&records, None, None), 3);
        assert_eq!(count_matching(&records, Some("get"), None), 2);
        assert_eq!(count_matching(&records, Some("GET"), Some("/v2/apps")), 1);
        assert!(!format!("{:?}", records[0]).contains("plaintext-secret"));
    }

    #[test]
    fn logged_bodies_seal_secret_plaintexts_only() {
        let secrets = SecretBox::new([9; 32]);
        let body = br#"{"spec":{"envs":[{"key":"A","value":"hunter2-plain","type":"SECRET"},{"key":"B","value":"general-v"},{"key":"C","value":"EV[1:x:y]","type":"SECRET"}]}}"#;
        let logged = logged_body(body, &secrets, || [1; 12]).unwrap();
        assert!(!logged.contains("hunter2-plain"), "{logged}");
        assert!(logged.contains("general-v") && logged.contains("EV[1:x:y]"));
        let v: Value = serde_json::from_str(&logged).unwrap();
        let sealed = v["spec"]["envs"][0]["value"].as_str().unwrap();
        let ev = sealed
            .strip_prefix(LOGGED_SECRET_PREFIX)
            .and_then(|s| s.strip_suffix(']'))
            .unwrap();
        assert_eq!(secrets.decrypt(ev).as_deref(), Some("hunter2-plain"));
        // Without a plaintext SECRET the body is kept byte for byte.
        let plain = br#"{"b": 1,  "a":"SECRET"}"#;
        assert_eq!(
            logged_body(plain, &secrets, || [1; 12]).unwrap(),
            r#"{"b": 1,  "a":"SECRET"}"#
        );
        assert_eq!(logged_body(b"", &secrets, || [1; 12]), None);
    }
}
