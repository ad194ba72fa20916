//! Run notifications: a run that failed, the first success after failures (recovered),
//! and optionally every applied change and drift repaired, posted to webhooks (signed
//! JSON) or Slack-compatible incoming webhooks (a short readable message).
//!
//! Decisions worth knowing:
//! - Delivery never blocks or fails a sync: after the run is recorded, a task on the
//!   async runtime decides what to send and posts it (with retries and jittered backoff
//!   on 5xx, 408, 429, timeouts and connection errors). A short-lived process waits a
//!   bounded time for those tasks with [`ControlPlane::flush_notifications`]; what is
//!   still in flight then is recorded as `abandoned`.
//! - No-op runs are never reported. A success after failures is always `recovered`,
//!   even when it changed nothing.
//! - A failure identical to the one already reported (same run kind and message) during
//!   an unbroken streak of failures is not sent again within the target's de-duplication
//!   interval; it is recorded as `deduplicated`.
//! - URLs are secrets (Slack's carries its credential): sealed with the master key, shown
//!   as `scheme://host/***`, never in errors or delivery records. `https` only, except
//!   loopback `http` (tests, local relays). Redirects are not followed.
//! - Payloads carry key names, never values; run messages are already scrubbed.
//! - Signature: `X-Do-Envsync-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>`
//!   with `X-Do-Envsync-Timestamp: <ts>` (Unix seconds); see [`verify_signature`].

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::runs::{RunStatus, SyncRun};
use super::validate::{self, now, opt_timestamp, timestamp};
use super::{ControlError, ControlPlane};
use crate::store::crypto::CryptoError;
use crate::store::{DeliveryRecord, NotifyTargetRecord, RunKind};

/// Header with the HMAC signature of a webhook body.
pub const SIGNATURE_HEADER: &str = "X-Do-Envsync-Signature";
/// Header with the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Do-Envsync-Timestamp";
/// Header naming the event.
pub const EVENT_HEADER: &str = "X-Do-Envsync-Event";
/// Header with the delivery id (the same on every attempt: receivers may de-duplicate).
pub const DELIVERY_HEADER: &str = "X-Do-Envsync-Delivery";
/// Default interval within which an identical failure is not re-sent.
pub const DEFAULT_DEDUP_INTERVAL: Duration = Duration::from_secs(3600);

/// What a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyEvent {
    Failed,
    Recovered,
    Changed,
    DriftRepaired,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 4] = [
        NotifyEvent::Failed,
        NotifyEvent::Recovered,
        NotifyEvent::Changed,
        NotifyEvent::DriftRepaired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::Failed => "failed",
            NotifyEvent::Recovered => "recovered",
            NotifyEvent::Changed => "changed",
            NotifyEvent::DriftRepaired => "drift_repaired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim().replace('-', "_"))
    }
}

/// Where a target posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// JSON payload, HMAC-signed.
    Webhook,
    /// `{"text": ...}` for a Slack-compatible incoming webhook.
    Slack,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "webhook" => Some(TargetKind::Webhook),
            "slack" => Some(TargetKind::Slack),
            _ => None,
        }
    }
}

/// A notification target as shown (its URL masked, its secret never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    pub id: String,
    pub name: String,
    pub kind: TargetKind,
    /// `None`: a store default, used by every sync.
    pub sync_id: Option<String>,
    pub sync_name: Option<String>,
    pub url_masked: String,
    pub events: Vec<NotifyEvent>,
    pub dedup_interval: Duration,
    pub is_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NotifyTarget {
    fn from_record(rec: &NotifyTargetRecord) -> Self {
        let events: Vec<String> = serde_json::from_str(&rec.events).unwrap_or_default();
        Self {
            id: rec.id.clone(),
            name: rec.name.clone(),
            kind: TargetKind::parse(&rec.kind).unwrap_or(TargetKind::Webhook),
            sync_id: rec.sync_id.clone(),
            sync_name: rec.sync_name.clone(),
            url_masked: rec.url_masked.clone(),
            events: events
                .iter()
                .filter_map(|e| NotifyEvent::parse(e))
                .collect(),
            dedup_interval: Duration::from_secs(rec.dedup_interval_secs.max(0) as u64),
            is_enabled: rec.is_enabled,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
        }
    }

    /// Whether this target reports `event` (a drift repair goes as `changed` to a target
    /// that wants changes but not drift repairs).
    fn wants(&self, event: NotifyEvent) -> Option<NotifyEvent> {
        if self.events.contains(&event) {
            Some(event)
        } else if event == NotifyEvent::DriftRepaired && self.events.contains(&NotifyEvent::Changed)
        {
            Some(NotifyEvent::Changed)
        } else {
            None
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "type": self.kind.as_str(),
            "syncId": self.sync_id,
            "syncName": self.sync_name,
            "url": self.url_masked,
            "events": self.events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "dedupIntervalSecs": self.dedup_interval.as_secs(),
            "isEnabled": self.is_enabled,
            "createdAt": timestamp(&self.created_at),
            "updatedAt": timestamp(&self.updated_at),
        })
    }
}

/// Input for [`ControlPlane::create_notify_target`].
#[derive(Debug, Clone)]
pub struct NewNotifyTarget {
    pub name: String,
    pub kind: TargetKind,
    pub url: SecretString,
    /// The webhook's signing secret; generated (and returned once) when absent.
    pub secret: Option<SecretString>,
    /// A sync (id or name); `None` makes a store default.
    pub sync: Option<String>,
    /// Default: `failed` and `recovered`.
    pub events: Option<Vec<NotifyEvent>>,
    pub dedup_interval: Option<Duration>,
    pub is_enabled: Option<bool>,
}

impl NewNotifyTarget {
    pub fn new(name: impl Into<String>, kind: TargetKind, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            url: SecretString::from(url.into()),
            secret: None,
            sync: None,
            events: None,
            dedup_interval: None,
            is_enabled: None,
        }
    }
}

/// PATCH of a target: only the given fields change.
#[derive(Debug, Clone, Default)]
pub struct NotifyTargetPatch {
    pub name: Option<String>,
    pub url: Option<SecretString>,
    pub secret: Option<SecretString>,
    pub events: Option<Vec<NotifyEvent>>,
    pub dedup_interval: Option<Duration>,
    pub is_enabled: Option<bool>,
}

impl NotifyTargetPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.url.is_none()
            && self.secret.is_none()
            && self.events.is_none()
            && self.dedup_interval.is_none()
            && self.is_enabled.is_none()
    }
}

/// One delivery as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery(pub DeliveryRecord);

impl Delivery {
    pub fn to_json(&self) -> Value {
        let d = &self.0;
        json!({
            "id": d.id,
            "runId": d.run_id,
            "syncId": d.sync_id,
            "targetId": d.target_id,
            "targetName": d.target_name,
            "event": d.event,
            "status": d.status,
            "attempts": d.attempts,
            "lastError": d.last_error,
            "createdAt": timestamp(&d.created_at),
            "updatedAt": timestamp(&d.updated_at),
        })
    }
}

/// How deliveries are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// Per attempt (connect, send and answer).
    pub timeout: Duration,
    /// Attempts per delivery, at least 1.
    pub max_attempts: u32,
    /// First backoff; doubled after each retryable failure, with jitter.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl NotifySettings {
    /// Defaults, with `DO_ENVSYNC_NOTIFY_TIMEOUT` / `_ATTEMPTS` / `_BACKOFF` (seconds,
    /// count, seconds) applied when set and valid.
    pub fn from_env() -> Self {
        let mut s = Self::default();
        let secs = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .and_then(|v| Duration::try_from_secs_f64(v).ok())
        };
        if let Some(t) = secs("DO_ENVSYNC_NOTIFY_TIMEOUT") {
            s.timeout = t;
        }
        if let Some(b) = secs("DO_ENVSYNC_NOTIFY_BACKOFF") {
            s.backoff = b;
        }
        if let Some(n) = std::env::var("DO_ENVSYNC_NOTIFY_ATTEMPTS")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            s.max_attempts = n.max(1);
        }
        s
    }

    /// The wait before attempt `attempt + 1` (1-based `attempt`): equal jitter.
    fn backoff_for(&self, attempt: u32) -> Duration {
        let exp = self
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let half = exp / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

/// What the control plane keeps for deliveries: settings, one HTTP client, and the
/// background tasks in flight (for a bounded wait at shutdown).
pub(super) struct Notifier {
    settings: Mutex<NotifySettings>,
    http: reqwest::Client,
    tasks: AtomicUsize,
    idle: tokio::sync::Notify,
    open: Mutex<HashSet<String>>,
}

impl Notifier {
    pub(super) fn new(settings: NotifySettings) -> Self {
        let http = reqwest::Client::builder()
            // A redirect could send the payload to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("do-envsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            settings: Mutex::new(settings),
            http,
            tasks: AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
            open: Mutex::new(HashSet::new()),
        }
    }
}

/// Decrements the task count when a background delivery task ends (or is dropped).
struct TaskGuard(Arc<super::Inner>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.notifier.tasks.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.notifier.idle.notify_waiters();
        }
    }
}

/// Checks a target URL: `https`, or `http` to a loopback host. Errors never echo it.
pub fn check_url(url: &str) -> Result<url::Url, ControlError> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| ControlError::invalid("url", format!("is not a URL ({e})")))?;
    let loopback = matches!(parsed.host(), Some(url::Host::Domain("localhost")))
        || matches!(parsed.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(parsed.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(ControlError::invalid(
            "url",
            "must use https (plain http is allowed only to 127.0.0.1, localhost or [::1])",
        )),
        scheme => Err(ControlError::invalid(
            "url",
            format!("must be an https URL (got scheme {scheme:?})"),
        )),
    }
}

/// `scheme://host[:port]/***`: enough to recognise a target, nothing of its credential.
pub fn mask_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}/***", url.scheme()),
        None => format!("{}://{host}/***", url.scheme()),
    }
}

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `"<timestamp>.<body>"`).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a receiver does: the signature matches (constant time) and the timestamp is
/// within `tolerance` of `now` (so a captured request cannot be replayed later).
pub fn verify_signature(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> bool {
    let Ok(ts) = timestamp_header.trim().parse::<i64>() else {
        return false;
    };
    if now.timestamp().abs_diff(ts) > tolerance.as_secs() {
        return false;
    }
    let Some(hex_sig) = signature_header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// What a notification is about (a run, with its sync and app).
#[derive(Debug, Clone)]
pub struct RunContext {
    pub sync_id: String,
    pub sync_name: String,
    pub app_id: String,
    pub app_name: String,
    pub run: SyncRun,
}

/// The webhook payload. Key names and the run's (scrubbed) message; never a value.
pub fn payload(event: &str, delivery_id: &str, ctx: &RunContext) -> Value {
    let run = &ctx.run;
    json!({
        "event": event,
        "deliveryId": delivery_id,
        "sentAt": timestamp(&now()),
        "sync": {"id": ctx.sync_id, "name": ctx.sync_name},
        "app": {"id": ctx.app_id, "name": ctx.app_name},
        "run": {
            "id": run.id,
            "kind": run.kind.as_str(),
            "status": run.status.as_str(),
            "message": run.message,
            "created": run.created,
            "updated": run.updated,
            "deleted": run.deleted,
            "deploymentId": run.deployment_id,
            "startedAt": timestamp(&run.started_at),
            "finishedAt": opt_timestamp(run.finished_at.as_ref()),
        },
    })
}

/// A short readable message for a Slack-compatible incoming webhook.
pub fn slack_message(event: &str, ctx: &RunContext) -> Value {
    let run = &ctx.run;
    let (icon, what) = match event {
        "failed" => (":x:", "failed"),
        "recovered" => (":white_check_mark:", "recovered"),
        "drift_repaired" => (":wrench:", "repaired drift"),
        "test" => (":bell:", "test notification"),
        _ => (":arrows_counterclockwise:", "applied changes"),
    };
    let kind = if run.kind == RunKind::Remove {
        " (remove secrets)"
    } else {
        ""
    };
    let mut text = format!(
        "{icon} do-envsync: sync *{}*{kind} {what} for app *{}* (`{}`)",
        ctx.sync_name, ctx.app_name, ctx.app_id
    );
    if let Some(message) = &run.message {
        text.push_str(&format!("\n> {message}"));
    }
    text.push_str(&format!("\nrun `{}`", run.id));
    if let Some(dep) = &run.deployment_id {
        text.push_str(&format!(", deployment `{dep}`"));
    }
    json!({ "text": text })
}

/// How one delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub delivered: bool,
    pub attempts: u32,
    /// One line, never the URL or the response body.
    pub last_error: Option<String>,
}

/// The sealed part of a target.
struct Sealed {
    url: SecretString,
    secret: Option<SecretString>,
}

/// POSTs `body` to `url` until it is accepted, a permanent error, or attempts run out.
/// `on_attempt` sees each attempt's count and error (to record progress).
async fn post(
    http: &reqwest::Client,
    settings: &NotifySettings,
    url: &SecretString,
    headers: &[(&'static str, String)],
    body: &[u8],
    secret: Option<&SecretString>,
    mut on_attempt: impl FnMut(u32, Option<&str>),
) -> DeliveryOutcome {
    let mut last_error = None;
    let attempts_max = settings.max_attempts.max(1);
    for attempt in 1..=attempts_max {
        let mut req = http
            .post(url.expose_secret())
            .timeout(settings.timeout)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        if let Some(secret) = secret {
            // Signed per attempt: a retry carries a fresh timestamp.
            let ts = Utc::now().timestamp();
            req = req.header(TIMESTAMP_HEADER, ts.to_string()).header(
                SIGNATURE_HEADER,
                sign(secret.expose_secret().as_bytes(), ts, body),
            );
        }
        let retryable = match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                on_attempt(attempt, None);
                return DeliveryOutcome {
                    delivered: true,
                    attempts: attempt,
                    last_error: None,
                };
            }
            Ok(resp) => {
                let status = resp.status();
                let mut text = format!("HTTP {}", status.as_u16());
                if status.is_redirection() {
                    text.push_str(" (redirects are not followed)");
                }
                last_error = Some(text);
                status.is_server_error() || matches!(status.as_u16(), 408 | 429)
            }
            Err(e) => {
                last_error = Some(describe(&e, settings.timeout));
                true
            }
        };
        on_attempt(attempt, last_error.as_deref());
        if !retryable || attempt == attempts_max {
            return DeliveryOutcome {
                delivered: false,
                attempts: attempt,
                last_error,
            };
        }
        tokio::time::sleep(settings.backoff_for(attempt)).await;
    }
    DeliveryOutcome {
        delivered: false,
        attempts: attempts_max,
        last_error,
    }
}

/// A request error in one line, without the URL (a secret) anywhere in it.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("timed out after {:.1}s", timeout.as_secs_f64())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the response could not be read".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

impl ControlPlane {
    fn notify_record(&self, id_or_name: &str) -> Result<NotifyTargetRecord, ControlError> {
        self.store()
            .find_notify_target(id_or_name)?
            .ok_or_else(|| ControlError::not_found("notification target", id_or_name))
    }

    fn seal_target(&self, id: &str, url: &SecretString, secret: Option<&SecretString>) -> Vec<u8> {
        let inner = json!({
            "url": url.expose_secret().trim(),
            "secret": secret.map(|s| s.expose_secret().to_owned()),
        });
        self.key().seal(inner.to_string().as_bytes(), id)
    }

    fn open_target(&self, rec: &NotifyTargetRecord) -> Result<Sealed, ControlError> {
        let what = format!("the URL of notification target {:?}", rec.name);
        let bytes = self.key().open(&rec.sealed, &rec.id, &what)?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| CryptoError::Decrypt { what: what.clone() })?;
        let url = value["url"]
            .as_str()
            .ok_or(CryptoError::Decrypt { what })?
            .to_owned();
        Ok(Sealed {
            url: SecretString::from(url),
            secret: value["secret"]
                .as_str()
                .map(|s| SecretString::from(s.to_owned())),
        })
    }

    fn check_events(events: &[NotifyEvent]) -> Result<String, ControlError> {
        if events.is_empty() {
            return Err(ControlError::invalid(
                "events",
                "name at least one of failed, recovered, changed, drift_repaired",
            ));
        }
        let mut names: Vec<&str> = Vec::new();
        for e in events {
            if !names.contains(&e.as_str()) {
                names.push(e.as_str());
            }
        }
        Ok(serde_json::to_string(&names).expect("strings serialize"))
    }

    fn check_secret(secret: Option<&SecretString>) -> Result<(), ControlError> {
        if secret.is_some_and(|s| s.expose_secret().trim().len() < 16) {
            return Err(ControlError::invalid(
                "secret",
                "must be at least 16 characters",
            ));
        }
        Ok(())
    }

    /// Creates a target. Returns it and, for a webhook created without a signing secret,
    /// the generated one (shown once: only its sealed copy is kept).
    pub fn create_notify_target(
        &self,
        input: NewNotifyTarget,
    ) -> Result<(NotifyTarget, Option<SecretString>), ControlError> {
        validate::check_name("name", &input.name)?;
        let url = check_url(input.url.expose_secret())?;
        Self::check_secret(input.secret.as_ref())?;
        let events = Self::check_events(
            input
                .events
                .as_deref()
                .unwrap_or(&[NotifyEvent::Failed, NotifyEvent::Recovered]),
        )?;
        let sync = match &input.sync {
            Some(s) => Some(self.sync_record(s)?),
            None => None,
        };
        let generated = (input.kind == TargetKind::Webhook && input.secret.is_none())
            .then(|| SecretString::from(hex::encode(rand::random::<[u8; 32]>())));
        let secret = input.secret.clone().or_else(|| generated.clone());
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        let rec = NotifyTargetRecord {
            sealed: self.seal_target(&id, &input.url, secret.as_ref()),
            id,
            name: input.name,
            kind: input.kind.as_str().to_owned(),
            sync_id: sync.as_ref().map(|s| s.id.clone()),
            sync_name: sync.map(|s| s.name),
            url_masked: mask_url(&url),
            events,
            dedup_interval_secs: input
                .dedup_interval
                .unwrap_or(DEFAULT_DEDUP_INTERVAL)
                .as_secs() as i64,
            is_enabled: input.is_enabled.unwrap_or(true),
            created_at: at,
            updated_at: at,
        };
        self.store().insert_notify_target(&rec)?;
        Ok((NotifyTarget::from_record(&rec), generated))
    }

    pub fn get_notify_target(&self, id_or_name: &str) -> Result<NotifyTarget, ControlError> {
        Ok(NotifyTarget::from_record(&self.notify_record(id_or_name)?))
    }

    pub fn list_notify_targets(&self) -> Result<Vec<NotifyTarget>, ControlError> {
        Ok(self
            .store()
            .list_notify_targets()?
            .iter()
            .map(NotifyTarget::from_record)
            .collect())
    }

    /// PATCH: only the given fields change. A new URL keeps the signing secret unless a
    /// new one is given.
    pub fn update_notify_target(
        &self,
        id_or_name: &str,
        patch: NotifyTargetPatch,
    ) -> Result<NotifyTarget, ControlError> {
        if patch.is_empty() {
            return Err(ControlError::invalid("patch", "no fields to update"));
        }
        let current = self.notify_record(id_or_name)?;
        let mut rec = current.clone();
        if let Some(name) = patch.name {
            validate::check_name("name", &name)?;
            rec.name = name;
        }
        if let Some(events) = &patch.events {
            rec.events = Self::check_events(events)?;
        }
        if let Some(d) = patch.dedup_interval {
            rec.dedup_interval_secs = d.as_secs() as i64;
        }
        if let Some(enabled) = patch.is_enabled {
            rec.is_enabled = enabled;
        }
        if patch.url.is_some() || patch.secret.is_some() {
            Self::check_secret(patch.secret.as_ref())?;
            let sealed = self.open_target(&current)?;
            let url = patch.url.unwrap_or(sealed.url);
            rec.url_masked = mask_url(&check_url(url.expose_secret())?);
            let secret = patch.secret.or(sealed.secret);
            rec.sealed = self.seal_target(&rec.id, &url, secret.as_ref());
        }
        rec.updated_at = validate::bump(current.updated_at);
        if !self.store().update_notify_target(&rec)? {
            return Err(ControlError::not_found("notification target", id_or_name));
        }
        self.get_notify_target(&rec.id)
    }

    /// Whether `url` (and `secret`, when given) are what target `id_or_name` holds: lets
    /// the config file leave an unchanged target alone without showing its URL.
    pub fn notify_target_matches(
        &self,
        id_or_name: &str,
        url: &SecretString,
        secret: Option<&SecretString>,
    ) -> Result<bool, ControlError> {
        let sealed = self.open_target(&self.notify_record(id_or_name)?)?;
        let same_url = sealed.url.expose_secret() == url.expose_secret().trim();
        let same_secret = secret.is_none_or(|s| {
            sealed
                .secret
                .as_ref()
                .is_some_and(|k| k.expose_secret() == s.expose_secret())
        });
        Ok(same_url && same_secret)
    }

    /// Deletes a target and its delivery records.
    pub fn delete_notify_target(&self, id_or_name: &str) -> Result<NotifyTarget, ControlError> {
        let rec = self.notify_record(id_or_name)?;
        if !self.store().delete_notify_target(&rec.id)? {
            return Err(ControlError::not_found("notification target", id_or_name));
        }
        Ok(NotifyTarget::from_record(&rec))
    }

    /// Sends a `test` event to the target now (no run, no delivery record).
    pub async fn test_notify_target(
        &self,
        id_or_name: &str,
    ) -> Result<DeliveryOutcome, ControlError> {
        let rec = self.notify_record(id_or_name)?;
        let target = NotifyTarget::from_record(&rec);
        let sealed = self.open_target(&rec)?;
        let at = now();
        let ctx = RunContext {
            sync_id: rec.sync_id.clone().unwrap_or_default(),
            sync_name: rec.sync_name.clone().unwrap_or_else(|| "(test)".to_owned()),
            app_id: String::new(),
            app_name: "(test)".to_owned(),
            run: SyncRun {
                id: uuid::Uuid::new_v4().to_string(),
                sync_id: rec.sync_id.clone().unwrap_or_default(),
                sync_name: rec.sync_name.clone().unwrap_or_default(),
                kind: RunKind::Sync,
                status: RunStatus::Succeeded,
                message: Some("test notification from do-envsync".to_owned()),
                deployment_id: None,
                created: Vec::new(),
                updated: Vec::new(),
                deleted: Vec::new(),
                requests: 0,
                started_at: at,
                finished_at: Some(at),
            },
        };
        let id = uuid::Uuid::new_v4().to_string();
        let settings = self.notify_settings();
        Ok(self
            .send(&target, &sealed, "test", &id, &ctx, &settings, |_, _| {})
            .await)
    }

    /// Deliveries, newest first: of one sync (id or name), of one run, or all.
    pub fn list_deliveries(
        &self,
        sync: Option<&str>,
        run_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Delivery>, ControlError> {
        let sync_id = match sync {
            Some(s) => Some(self.sync_record(s)?.id),
            None => None,
        };
        Ok(self
            .store()
            .list_deliveries(run_id, sync_id.as_deref(), limit)?
            .into_iter()
            .map(Delivery)
            .collect())
    }

    pub fn notify_settings(&self) -> NotifySettings {
        self.inner.notifier.settings.lock().clone()
    }

    pub fn set_notify_settings(&self, settings: NotifySettings) {
        *self.inner.notifier.settings.lock() = settings;
    }

    /// Background delivery tasks still running.
    pub fn notifications_in_flight(&self) -> usize {
        self.inner.notifier.tasks.load(Ordering::Acquire)
    }

    /// Waits up to `timeout` for the background deliveries to finish. Deliveries still
    /// in flight then are recorded as `abandoned` (a process about to exit cannot finish
    /// them); returns how many tasks were left.
    pub async fn flush_notifications(&self, timeout: Duration) -> usize {
        let notifier = &self.inner.notifier;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = notifier.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            let left = notifier.tasks.load(Ordering::Acquire);
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                let ids: Vec<String> = notifier.open.lock().drain().collect();
                let store = self.store().clone();
                let _ = tokio::task::spawn_blocking(move || store.abandon_deliveries(&ids)).await;
                return notifier.tasks.load(Ordering::Acquire);
            }
        }
    }

    /// After a run is recorded: decides what to report and delivers it in the
    /// background. Never fails and never waits for a receiver.
    pub(super) fn notify_after_run(&self, run: &SyncRun, drift_repair: bool) {
        if !matches!(run.status, RunStatus::Succeeded | RunStatus::Failed) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.inner.notifier.tasks.fetch_add(1, Ordering::AcqRel);
        let guard = TaskGuard(self.inner.clone());
        let cp = self.clone();
        let run = run.clone();
        handle.spawn(async move {
            let _guard = guard;
            if let Err(e) = cp.deliver_run(run, drift_repair).await {
                tracing::warn!("notifications of a run could not be sent: {}", e.one_line());
            }
        });
    }

    async fn deliver_run(&self, run: SyncRun, drift_repair: bool) -> Result<(), ControlError> {
        let sync_id = run.sync_id.clone();
        let (targets, sync) = self
            .db(move |s| {
                let targets = s.notify_targets_for(&sync_id)?;
                if targets.is_empty() {
                    return Ok((targets, None));
                }
                let sync = s.find_sync(&sync_id)?;
                Ok((targets, sync))
            })
            .await?;
        let Some(sync) = sync else {
            return Ok(());
        };
        let previous_failed = self.previous_failed(&run).await?;
        let event = match run.status {
            RunStatus::Failed => NotifyEvent::Failed,
            RunStatus::Succeeded if previous_failed => NotifyEvent::Recovered,
            RunStatus::Succeeded
                if !(run.created.is_empty()
                    && run.updated.is_empty()
                    && run.deleted.is_empty()) =>
            {
                if drift_repair {
                    NotifyEvent::DriftRepaired
                } else {
                    NotifyEvent::Changed
                }
            }
            _ => return Ok(()),
        };
        let ctx = Arc::new(RunContext {
            sync_id: sync.id.clone(),
            sync_name: sync.name.clone(),
            app_id: sync.app_id.clone(),
            app_name: sync.app_name.clone(),
            run,
        });
        let settings = self.notify_settings();
        let sends = targets.into_iter().filter_map(|rec| {
            let target = NotifyTarget::from_record(&rec);
            let event = target.wants(event)?;
            let ctx = ctx.clone();
            let settings = settings.clone();
            Some(async move {
                if let Err(e) = self
                    .deliver_one(&rec, &target, event, &ctx, &settings, previous_failed)
                    .await
                {
                    tracing::warn!(
                        "notification to target {:?} not sent: {}",
                        target.name,
                        e.one_line()
                    );
                }
            })
        });
        futures::future::join_all(sends).await;
        Ok(())
    }

    /// Whether the run before `run` (same sync and kind) failed.
    async fn previous_failed(&self, run: &SyncRun) -> Result<bool, ControlError> {
        let (sync_id, id, kind) = (run.sync_id.clone(), run.id.clone(), run.kind);
        self.db(move |s| {
            let runs = s.list_runs(&sync_id, Some(50))?;
            let previous =
                runs.iter().skip_while(|r| r.id != id).skip(1).find(|r| {
                    r.kind == kind && matches!(r.status.as_str(), "succeeded" | "failed")
                });
            Ok(previous.is_some_and(|r| r.status == "failed"))
        })
        .await
    }

    async fn deliver_one(
        &self,
        rec: &NotifyTargetRecord,
        target: &NotifyTarget,
        event: NotifyEvent,
        ctx: &RunContext,
        settings: &NotifySettings,
        previous_failed: bool,
    ) -> Result<(), ControlError> {
        let dedup_key = (event == NotifyEvent::Failed).then(|| {
            let mut h = Sha256::new();
            h.update(ctx.run.kind.as_str().as_bytes());
            h.update(b"\n");
            h.update(ctx.run.message.as_deref().unwrap_or("").as_bytes());
            hex::encode(h.finalize())
        });
        let at = now();
        let mut record = DeliveryRecord {
            id: uuid::Uuid::new_v4().to_string(),
            run_id: ctx.run.id.clone(),
            sync_id: ctx.sync_id.clone(),
            target_id: rec.id.clone(),
            target_name: rec.name.clone(),
            event: event.as_str().to_owned(),
            status: "pending".to_owned(),
            attempts: 0,
            last_error: None,
            dedup_key: dedup_key.clone(),
            created_at: at,
            updated_at: at,
        };
        // Only a repeat inside an unbroken failure streak is suppressed: a failure after a
        // recovery is news again.
        if let (Some(key), true) = (&dedup_key, previous_failed) {
            let (tid, sid, key) = (rec.id.clone(), ctx.sync_id.clone(), key.clone());
            let last = self
                .db(move |s| Ok(s.last_delivery_with_key(&tid, &sid, &key)?))
                .await?;
            if last.is_some_and(|t| (at - t).to_std().unwrap_or_default() < target.dedup_interval) {
                record.status = "deduplicated".to_owned();
                self.db(move |s| Ok(s.insert_delivery(&record)?)).await?;
                return Ok(());
            }
        }
        let stored = record.clone();
        self.db(move |s| Ok(s.insert_delivery(&stored)?)).await?;
        self.inner.notifier.open.lock().insert(record.id.clone());
        let sealed = self.open_target(rec)?;
        let store = self.store().clone();
        let progress = record.clone();
        let outcome = self
            .send(
                target,
                &sealed,
                event.as_str(),
                &record.id,
                ctx,
                settings,
                |attempts, error| {
                    // Progress is visible while retries wait (a short write per attempt).
                    let mut d = progress.clone();
                    d.attempts = attempts;
                    d.last_error = error.map(str::to_owned);
                    d.updated_at = now();
                    let _ = store.save_delivery(&d);
                },
            )
            .await;
        record.status = if outcome.delivered {
            "delivered"
        } else {
            "failed"
        }
        .to_owned();
        record.attempts = outcome.attempts;
        record.last_error = outcome.last_error;
        record.updated_at = now();
        self.inner.notifier.open.lock().remove(&record.id);
        self.db(move |s| Ok(s.save_delivery(&record)?)).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        target: &NotifyTarget,
        sealed: &Sealed,
        event: &str,
        delivery_id: &str,
        ctx: &RunContext,
        settings: &NotifySettings,
        on_attempt: impl FnMut(u32, Option<&str>),
    ) -> DeliveryOutcome {
        let body = match target.kind {
            TargetKind::Webhook => payload(event, delivery_id, ctx),
            TargetKind::Slack => slack_message(event, ctx),
        }
        .to_string();
        let headers = [
            (EVENT_HEADER, event.to_owned()),
            (DELIVERY_HEADER, delivery_id.to_owned()),
        ];
        post(
            &self.inner.notifier.http,
            settings,
            &sealed.url,
            &headers,
            body.as_bytes(),
            sealed.secret.as_ref(),
            on_attempt,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_or_loopback_and_errors_never_echo_them() {
        for ok in [
            "https://hooks.example.com/x",
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://[::1]:8080/x",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/SECRETPATH",
            "ftp://example.com/SECRETPATH",
            "nonsense SECRETPATH",
            "http://10.0.0.1/SECRETPATH",
        ] {
            let e = check_url(bad).unwrap_err().to_string();
            assert!(!e.contains("SECRETPATH"), "{e}");
        }
    }

    #[test]
    fn masking_keeps_only_scheme_host_and_port() {
        let url = url::Url::parse("https://hooks.slack.com/services/T0/B0/XYZ").unwrap();
        assert_eq!(mask_url(&url), "https://hooks.slack.com/***");
        let url = url::Url::parse("http://127.0.0.1:8080/p?token=abc").unwrap();
        assert_eq!(mask_url(&url), "http://127.0.0.1:8080/***");
    }

    #[test]
    fn signatures_verify_and_reject_tampering_and_replay() {
        let now = Utc::now();
        let ts = now.timestamp();
        let sig = sign(b"k3y-k3y-k3y-k3y!", ts, b"{\"a\":1}");
        let tol = Duration::from_secs(300);
        let ok = |secret: &[u8], t: &str, s: &str, body: &[u8]| {
            verify_signature(secret, t, s, body, now, tol)
        };
        assert!(ok(b"k3y-k3y-k3y-k3y!", &ts.to_string(), &sig, b"{\"a\":1}"));
        assert!(!ok(
            b"k3y-k3y-k3y-k3y!",
            &ts.to_string(),
            &sig,
            b"{\"a\":2}"
        ));
        assert!(!ok(
            b"other-other-other",
            &ts.to_string(),
            &sig,
            b"{\"a\":1}"
        ));
        assert!(!ok(
            b"k3y-k3y-k3y-k3y!",
            &(ts + 1).to_string(),
            &sig,
            b"{\"a\":1}"
        ));
        let old = ts - 3600;
        let old_sig = sign(b"k3y-k3y-k3y-k3y!", old, b"{}");
        assert!(!ok(b"k3y-k3y-k3y-k3y!", &old.to_string(), &old_sig, b"{}"));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let s = NotifySettings {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..NotifySettings::default()
        };
        for _ in 0..50 {
            let first = s.backoff_for(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = s.backoff_for(10);
            assert!(late >= Duration::from_millis(150) && late <= Duration::from_millis(300));
        }
    }

    #[test]
    fn event_names_parse() {
        for e in NotifyEvent::ALL {
            assert_eq!(NotifyEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(
            NotifyEvent::parse("drift-repaired"),
            Some(NotifyEvent::DriftRepaired)
        );
        assert_eq!(NotifyEvent::parse("nope"), None);
    }
}
