//! The request log: one record per API request (admin requests are not logged).

use serde::Serialize;

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
    /// Request body as received (may contain plaintext secrets: never printed by `Debug`).
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
}
