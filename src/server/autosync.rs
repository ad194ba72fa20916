//! Auto-sync: the `watch` scheduler over the syncs with auto-sync on. When the set of
//! syncs changes through the API, the scheduler is stopped (its runs in flight finish)
//! and started again over the new set.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::control::watch::{self, WatchEvent, WatchRunner, WatchSettings};

pub async fn run(state: AppState, poll_interval: Duration, stop: CancellationToken) {
    loop {
        let control = state.control().clone();
        let watched = tokio::task::spawn_blocking(move || control.watched_syncs(None)).await;
        let watched = match watched {
            Ok(Ok(w)) => w,
            Ok(Err(e)) => {
                log(&format!("auto-sync cannot list syncs: {}", e.one_line()));
                Vec::new()
            }
            Err(_) => Vec::new(),
        };
        let round = stop.child_token();
        let settings = WatchSettings {
            poll_interval,
            ..WatchSettings::default()
        };
        let runner: Arc<dyn WatchRunner> = Arc::new(state.control().clone());
        let metrics = state.metrics().clone();
        let events: Arc<dyn Fn(&WatchEvent) + Send + Sync> = Arc::new(move |event| {
            metrics.watch_event(event);
            if matches!(
                event,
                WatchEvent::RunSucceeded { .. }
                    | WatchEvent::RunFailed { .. }
                    | WatchEvent::Unwatched { .. }
            ) {
                // Event lines name syncs and keys, never values.
                log(&format!("auto-sync: {event}"));
            }
        });
        let mut scheduler = tokio::spawn(watch::watch(
            watched,
            runner,
            settings,
            round.clone(),
            events,
        ));
        let changed = state.inner.syncs_changed.notified();
        tokio::pin!(changed);
        tokio::select! {
            _ = &mut changed => {
                round.cancel();
                let _ = scheduler.await;
            }
            _ = stop.cancelled() => {
                let _ = scheduler.await;
                return;
            }
            _ = &mut scheduler => {
                // Nothing (left) to watch: wait for a change.
                tokio::select! {
                    _ = &mut changed => {}
                    _ = stop.cancelled() => return,
                }
            }
        }
    }
}

fn log(message: &str) {
    let line = serde_json::json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": "info",
        "msg": crate::client::mask_secrets(message),
    });
    eprintln!("{line}");
}
