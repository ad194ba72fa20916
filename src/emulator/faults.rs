//! Fault injection: make matching requests fail in the ways real networks and APIs do.

use std::time::Duration;

use regex::Regex;
use serde_json::Value;

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status without applying the request. `body` defaults to a
    /// DigitalOcean error body for the status; `retry_after` sets the `retry-after` header.
    Status {
        status: u16,
        retry_after: Option<u64>,
        body: Option<String>,
    },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Close the connection without a response (the client sees a transport error);
    /// the request is not applied.
    Reset,
    /// Answer 200 with a truncated JSON body. GET requests are handled and their real
    /// body is cut in half; other methods are not applied.
    Malformed,
    /// Handle normally, but list responses get `links.pages.next` pointing at `url`.
    OffOriginNext { url: String },
    /// Apply the request (e.g. the PUT), then close the connection without a response:
    /// a timed-out-but-applied write.
    ApplyThenReset,
    /// Answer 429 as DigitalOcean's rate limiter does, without applying the request:
    /// `ratelimit-remaining: 0`, `ratelimit-reset` `reset_in` seconds from now (default:
    /// what the emulator's own limiter reports), and with `retry_after` the burst limit's
    /// `retry-after` header; without it, the spent hourly quota.
    RateLimited {
        retry_after: Option<u64>,
        reset_in: Option<u64>,
    },
    /// Handle normally, but report `ratelimit-remaining: 0` (as when the burst window is
    /// full) with `ratelimit-reset` `reset_in` seconds from now (default: as the limiter).
    RemainingZero { reset_in: Option<u64> },
}

/// One fault rule. A request matches when the method (case-insensitive) and the path
/// regex (on the path, without query) match; `None` matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: Option<String>,
    pub path_pattern: Option<String>,
    pub kind: FaultKind,
    /// How many requests this fault hits; `None` = forever.
    pub count: Option<u32>,
    /// Matching requests to let through before the fault starts hitting.
    pub after: u32,
}

impl Fault {
    /// A fault of this kind on every request, forever.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            method: None,
            path_pattern: None,
            kind,
            count: None,
            after: 0,
        }
    }

    /// Parses the admin surface's JSON form:
    /// `{"kind": "status"|"delay"|"reset"|"malformed"|"off_origin_next"|"apply_then_reset"
    ///   |"rate_limited"|"remaining_zero", "method"?, "path_pattern"?, "count"?, "after"?,
    ///   "status"?, "retry_after"?, "body"?, "delay_ms"?, "url"?, "reset_in"?}`.
    pub fn from_json(value: &Value) -> Result<Fault, String> {
        let obj = value
            .as_object()
            .ok_or_else(|| "fault must be a JSON object".to_string())?;
        let string = |key: &str| -> Result<Option<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("fault field \"{key}\" must be a string")),
            }
        };
        let number = |key: &str| -> Result<Option<u64>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("fault field \"{key}\" must be a non-negative integer")),
            }
        };
        let small = |key: &str| -> Result<Option<u32>, String> {
            number(key)?
                .map(|n| {
                    u32::try_from(n).map_err(|_| format!("fault field \"{key}\" is too large"))
                })
                .transpose()
        };
        let kind = match string("kind")?.as_deref() {
            Some("status") => {
                let status = number("status")?
                    .ok_or_else(|| "a status fault needs \"status\"".to_string())?;
                let status = u16::try_from(status)
                    .ok()
                    .filter(|s| (100..=999).contains(s))
                    .ok_or_else(|| "fault \"status\" must be an HTTP status code".to_string())?;
                FaultKind::Status {
                    status,
                    retry_after: number("retry_after")?,
                    body: string("body")?,
                }
            }
            Some("delay") => FaultKind::Delay(Duration::from_millis(
                number("delay_ms")?
                    .ok_or_else(|| "a delay fault needs \"delay_ms\"".to_string())?,
            )),
            Some("reset") => FaultKind::Reset,
            Some("malformed") => FaultKind::Malformed,
            Some("off_origin_next") => FaultKind::OffOriginNext {
                url: string("url")?
                    .ok_or_else(|| "an off_origin_next fault needs \"url\"".to_string())?,
            },
            Some("apply_then_reset") => FaultKind::ApplyThenReset,
            Some("rate_limited") => FaultKind::RateLimited {
                retry_after: number("retry_after")?,
                reset_in: number("reset_in")?,
            },
            Some("remaining_zero") => FaultKind::RemainingZero {
                reset_in: number("reset_in")?,
            },
            Some(other) => return Err(format!("unknown fault kind \"{other}\"")),
            None => return Err("fault needs a \"kind\"".to_string()),
        };
        Ok(Fault {
            method: string("method")?,
            path_pattern: string("path_pattern")?,
            kind,
            count: small("count")?,
            after: small("after")?.unwrap_or(0),
        })
    }
}

#[derive(Debug)]
struct ActiveFault {
    id: u64,
    method: Option<String>,
    path: Option<Regex>,
    kind: FaultKind,
    count: Option<u32>,
    after: u32,
    seen: u32,
    fired: u32,
}

/// The installed faults, matched in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    next_id: u64,
    faults: Vec<ActiveFault>,
}

impl FaultSet {
    pub(crate) fn add(&mut self, fault: Fault) -> Result<u64, String> {
        let path = fault
            .path_pattern
            .as_deref()
            .map(Regex::new)
            .transpose()
            .map_err(|e| format!("invalid path_pattern: {e}"))?;
        self.next_id += 1;
        self.faults.push(ActiveFault {
            id: self.next_id,
            method: fault.method,
            path,
            kind: fault.kind,
            count: fault.count,
            after: fault.after,
            seen: 0,
            fired: 0,
        });
        Ok(self.next_id)
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    /// Removes one fault; false when it is unknown or already used up.
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.faults.len();
        self.faults.retain(|f| f.id != id);
        self.faults.len() != before
    }

    /// The fault that hits this request, if any; updates the skip/hit counters of every
    /// matching fault and drops faults whose count is used up.
    pub(crate) fn hit(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let mut chosen = None;
        for fault in &mut self.faults {
            let method_ok = fault
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method));
            let path_ok = fault.path.as_ref().is_none_or(|re| re.is_match(path));
            if !(method_ok && path_ok) {
                continue;
            }
            if fault.seen < fault.after {
                fault.seen += 1;
                continue;
            }
            if chosen.is_none() {
                fault.fired += 1;
                chosen = Some(fault.kind.clone());
            }
        }
        self.faults
            .retain(|f| f.count.is_none_or(|count| f.fired < count));
        chosen
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.faults.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn count_and_after() {
        let mut set = FaultSet::default();
        let mut fault = Fault::new(FaultKind::Reset);
        fault.method = Some("put".into());
        fault.path_pattern = Some("^/v2/apps/[^/]+$".into());
        fault.count = Some(2);
        fault.after = 1;
        set.add(fault).unwrap();
        assert_eq!(set.hit("GET", "/v2/apps/x"), None);
        assert_eq!(set.hit("PUT", "/v2/apps/x/restart"), None);
        assert_eq!(set.hit("PUT", "/v2/apps/x"), None); // skipped by `after`
        assert_eq!(set.hit("PUT", "/v2/apps/x"), Some(FaultKind::Reset));
        assert_eq!(set.hit("PUT", "/v2/apps/x"), Some(FaultKind::Reset));
        assert_eq!(set.hit("PUT", "/v2/apps/x"), None);
        assert_eq!(set.len(), 0);
    }

    #[test]
    fn first_added_wins_and_forever() {
        let mut set = FaultSet::default();
        let a = set.add(Fault::new(FaultKind::Malformed)).unwrap();
        let b = set.add(Fault::new(FaultKind::Reset)).unwrap();
        assert!(b > a);
        for _ in 0..3 {
            assert_eq!(set.hit("GET", "/"), Some(FaultKind::Malformed));
        }
        assert!(set.remove(a));
        assert!(!set.remove(a));
        assert_eq!(set.hit("GET", "/"), Some(FaultKind::Reset));
        assert!(set
            .add(Fault {
                path_pattern: Some("(".into()),
                ..Fault::new(FaultKind::Reset)
            })
            .is_err());
    }

    #[test]
    fn parses_admin_json() {
        let f = Fault::from_json(&json!({"kind": "status", "status": 503, "retry_after": 2,
            "method": "GET", "count": 1}))
        .unwrap();
        assert_eq!(
            f.kind,
            FaultKind::Status {
                status: 503,
                retry_after: Some(2),
                body: None
            }
        );
        assert_eq!(f.count, Some(1));
        let d = Fault::from_json(&json!({"kind": "delay", "delay_ms": 50, "after": 2})).unwrap();
        assert_eq!(d.kind, FaultKind::Delay(Duration::from_millis(50)));
        assert_eq!(d.after, 2);
        assert!(Fault::from_json(&json!({"kind": "explode"})).is_err());
        assert!(Fault::from_json(&json!({"kind": "status"})).is_err());
        assert!(Fault::from_json(&json!({"kind": "off_origin_next"})).is_err());
    }
}
