//! Prometheus metrics (OpenMetrics text through `prometheus-client`). Labels hold route
//! templates, kinds and statuses only: never an id from a path, a key or a value.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::client::ResponseObserver;
use crate::control::watch::WatchEvent;

type Labels = Vec<(String, String)>;

fn duration_histogram() -> Histogram {
    // 1 ms .. ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// The server's metrics. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    runs: Family<Labels, Counter>,
    run_duration: Family<Labels, Histogram, fn() -> Histogram>,
    do_requests: Family<Labels, Counter>,
    http_requests: Family<Labels, Counter>,
    http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    queue_depth: Gauge,
    queued: Arc<Mutex<HashSet<String>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("do_envsync");
        let runs = Family::<Labels, Counter>::default();
        registry.register(
            "sync_runs",
            "Sync and remove runs by kind, trigger (api, auto) and final status",
            runs.clone(),
        );
        let run_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "sync_run_duration_seconds",
            "Wall time of runs by kind",
            run_duration.clone(),
        );
        let do_requests = Family::<Labels, Counter>::default();
        registry.register(
            "digitalocean_requests",
            "Responses received from the DigitalOcean API by status class (429 counted on its own)",
            do_requests.clone(),
        );
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests served by route template, method and status",
            http_requests.clone(),
        );
        let http_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer by route template",
            http_duration.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "autosync_queue_depth",
            "Auto-sync runs queued and not started yet",
            queue_depth.clone(),
        );
        Self {
            registry: Arc::new(registry),
            runs,
            run_duration,
            do_requests,
            http_requests,
            http_duration,
            queue_depth,
            queued: Arc::default(),
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    pub fn record_run(&self, kind: &str, trigger: &str, status: &str, duration: Duration) {
        self.runs
            .get_or_create(&vec![
                ("kind".into(), kind.into()),
                ("trigger".into(), trigger.into()),
                ("status".into(), status.into()),
            ])
            .inc();
        self.run_duration
            .get_or_create(&vec![("kind".into(), kind.into())])
            .observe(duration.as_secs_f64());
    }

    pub fn record_http(&self, method: &str, route: &str, status: u16, duration: Duration) {
        self.http_requests
            .get_or_create(&vec![
                ("method".into(), method.into()),
                ("route".into(), route.into()),
                ("status".into(), status.to_string()),
            ])
            .inc();
        self.http_duration
            .get_or_create(&vec![("route".into(), route.into())])
            .observe(duration.as_secs_f64());
    }

    /// Counts every DigitalOcean response (for the client template of the control plane).
    pub fn response_observer(&self) -> ResponseObserver {
        let family = self.do_requests.clone();
        Arc::new(move |status: u16| {
            let class = match status {
                429 => "429".to_owned(),
                s => format!("{}xx", s / 100),
            };
            family.get_or_create(&vec![("status".into(), class)]).inc();
        })
    }

    /// Follows the auto-sync scheduler: queue depth and run outcomes.
    pub fn watch_event(&self, event: &WatchEvent) {
        let mut queued = self.queued.lock();
        match event {
            WatchEvent::Triggered { sync, .. } => {
                queued.insert(sync.clone());
            }
            WatchEvent::RunStarted { sync, .. } | WatchEvent::Unwatched { sync, .. } => {
                queued.remove(sync);
            }
            WatchEvent::RunSucceeded { duration, .. } => {
                self.record_run("sync", "auto", "succeeded", *duration)
            }
            WatchEvent::RunFailed { duration, .. } => {
                self.record_run("sync", "auto", "failed", *duration)
            }
            WatchEvent::Stopped { .. } => queued.clear(),
            _ => {}
        }
        self.queue_depth.set(queued.len() as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_families() {
        let m = Metrics::new();
        m.record_run("sync", "api", "succeeded", Duration::from_millis(3));
        (m.response_observer())(429);
        (m.response_observer())(200);
        m.watch_event(&WatchEvent::Triggered {
            sync: "a".into(),
            reason: crate::control::watch::TriggerReason::Poll,
        });
        let text = m.render();
        assert!(
            text.contains(
                r#"do_envsync_sync_runs_total{kind="sync",trigger="api",status="succeeded"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"do_envsync_digitalocean_requests_total{status="429"} 1"#),
            "{text}"
        );
        assert!(text.contains("do_envsync_autosync_queue_depth 1"), "{text}");
    }
}
