//! The control plane as the auto-sync loop's runner, and `run_all`: every enabled sync
//! in one go, read as a fleet (one list read per 200 apps per connection).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::future::BoxFuture;

use super::runs::{RunSettings, SyncRun};
use super::watch::{RunFailure, WatchRunner, WatchedSync};
use super::RunKind;
use super::{ControlError, ControlPlane};
use crate::store::SyncRecord;
use crate::sync::{Engine, FleetSettings, FleetTarget};

/// A sync whose run is recorded as running.
type Begun = (SyncRecord, SyncRun, super::runs::Unfinished);

/// `(done, total)` as syncs of `run_all` finish.
pub type RunAllProgress = Arc<dyn Fn(usize, usize) + Send + Sync>;

impl ControlPlane {
    async fn watch_run(&self, name: &str, settings: RunSettings) -> Result<String, RunFailure> {
        match self.run_sync(name, &settings).await {
            Ok(run) => Ok(run.message.unwrap_or_else(|| "succeeded".to_owned())),
            Err(ControlError::RunFailed { cause, .. }) => Err(RunFailure::Failed(cause.one_line())),
            // Disabled or deleted since the watch started: retrying cannot help.
            Err(e @ (ControlError::Disabled { .. } | ControlError::NotFound { .. })) => {
                Err(RunFailure::Gone(e.one_line()))
            }
            Err(e) => Err(RunFailure::Failed(e.one_line())),
        }
    }
}

impl WatchRunner for ControlPlane {
    fn run(&self, sync: &str) -> BoxFuture<'_, Result<String, RunFailure>> {
        let name = sync.to_owned();
        Box::pin(async move { self.watch_run(&name, RunSettings::default()).await })
    }

    fn run_drift_repair(&self, sync: &str) -> BoxFuture<'_, Result<String, RunFailure>> {
        let name = sync.to_owned();
        let settings = RunSettings {
            drift_repair: true,
            ..RunSettings::default()
        };
        Box::pin(async move { self.watch_run(&name, settings).await })
    }

    fn check_drift(&self, sync: &str) -> BoxFuture<'_, Result<bool, String>> {
        let name = sync.to_owned();
        Box::pin(async move {
            self.plan_sync(&name)
                .await
                .map(|planned| planned.plan.has_changes())
                .map_err(|e| e.one_line())
        })
    }
}

impl ControlPlane {
    /// The syncs `watch` keeps up to date: the named ones, or every enabled sync with
    /// auto-sync on. `.env` sources are watched by file; the others are polled.
    pub fn watched_syncs(
        &self,
        names: Option<&[String]>,
    ) -> Result<Vec<WatchedSync>, ControlError> {
        let records: Vec<SyncRecord> = match names {
            Some(names) => names
                .iter()
                .map(|n| self.sync_record(n))
                .collect::<Result<_, _>>()?,
            None => self.store().list_syncs()?,
        };
        let mut watched = Vec::with_capacity(records.len());
        for rec in records {
            let auto = super::SyncSettings::from_stored(&rec.options)?.auto_sync_enabled;
            if !rec.is_enabled || (names.is_none() && !auto) {
                continue;
            }
            let paths = self.source_of_record(&rec)?.watched_paths();
            watched.push(WatchedSync {
                name: rec.name,
                app_id: rec.app_id,
                paths,
            });
        }
        Ok(watched)
    }

    /// Runs every enabled sync and records a run for each. Syncs are grouped by
    /// connection; each group reads its apps with the list endpoint (full specs, 200 per
    /// page) instead of one GET per app, and PUTs only the apps that changed. A sync
    /// whose source fails, or whose app fails, is recorded as failed without stopping
    /// the others. Returns the runs in the order of the sync list.
    pub async fn run_all(
        &self,
        settings: &RunSettings,
        progress: Option<RunAllProgress>,
    ) -> Result<Vec<SyncRun>, ControlError> {
        let records: Vec<SyncRecord> = self
            .store()
            .list_syncs()?
            .into_iter()
            .filter(|r| r.is_enabled)
            .collect();
        let total = records.len();
        let mut done = 0usize;
        let tick = |done: &mut usize| {
            *done += 1;
            if let Some(p) = &progress {
                p(*done, total);
            }
        };
        let mut finished: HashMap<String, SyncRun> = HashMap::new();
        // One fleet per connection; a second sync of an app already in the fleet (disjoint
        // keys) runs on its own afterwards, since a fleet writes each app once.
        let mut groups: Vec<(String, Vec<Begun>)> = Vec::new();
        let mut singles = Vec::new();
        let mut seen_apps: HashSet<(String, String)> = HashSet::new();
        for rec in &records {
            let key = (rec.connection_id.clone(), rec.app_id.clone());
            if !seen_apps.insert(key) {
                singles.push(rec.clone());
                continue;
            }
            let (run, guard) = self.begin_run(rec, RunKind::Sync).await?;
            match groups.iter_mut().find(|(c, _)| *c == rec.connection_id) {
                Some((_, members)) => members.push((rec.clone(), run, guard)),
                None => groups.push((rec.connection_id.clone(), vec![(rec.clone(), run, guard)])),
            }
        }

        for (connection_id, members) in groups {
            // Sources are read first, all or nothing per sync.
            let mut ready = Vec::with_capacity(members.len());
            for (rec, run, guard) in members {
                let desired = async {
                    let options = super::SyncSettings::from_stored(&rec.options)?.engine_options();
                    Ok::<_, ControlError>((self.desired_of(&rec).await?, options))
                }
                .await;
                match desired {
                    Ok((desired, options)) => ready.push((rec, run, guard, desired, options)),
                    Err(cause) => {
                        let (run, _) = self.finish_run(run, guard, Err(cause)).await?;
                        self.notify_after_run(&run, settings.drift_repair);
                        tick(&mut done);
                        finished.insert(rec.id.clone(), run);
                    }
                }
            }
            if ready.is_empty() {
                continue;
            }
            let engine = match self
                .get_connection(&connection_id)
                .and_then(|c| self.client_for(&c))
            {
                Ok(client) => Engine::new(client, self.store().clone()),
                Err(cause) => {
                    for (rec, run, guard, _, _) in ready {
                        let (run, _) = self
                            .finish_run(
                                run,
                                guard,
                                Err(ControlError::invalid("connection", cause.one_line())),
                            )
                            .await?;
                        self.notify_after_run(&run, settings.drift_repair);
                        tick(&mut done);
                        finished.insert(rec.id.clone(), run);
                    }
                    continue;
                }
            };
            let targets = ready
                .iter()
                .map(|(rec, _, _, desired, options)| FleetTarget {
                    target: rec.app_id.clone(),
                    desired: desired.clone(),
                    options: options.clone(),
                })
                .collect();
            let fleet = FleetSettings {
                lock_timeout: settings.lock_timeout,
                ..FleetSettings::default()
            };
            match engine.sync_fleet_each(targets, fleet).await {
                Ok(mut report) => {
                    for (rec, run, guard, _, _) in ready {
                        let result = match report.apps.shift_remove(&rec.app_id) {
                            Some(app) => app.result.map_err(ControlError::from),
                            None => Err(ControlError::not_found("app", rec.app_id.clone())),
                        };
                        let (run, _) = self.finish_run(run, guard, result).await?;
                        self.notify_after_run(&run, settings.drift_repair);
                        tick(&mut done);
                        finished.insert(rec.id.clone(), run);
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    for (rec, run, guard, _, _) in ready {
                        let cause = ControlError::invalid("fleet", message.clone());
                        let (run, _) = self.finish_run(run, guard, Err(cause)).await?;
                        self.notify_after_run(&run, settings.drift_repair);
                        tick(&mut done);
                        finished.insert(rec.id.clone(), run);
                    }
                }
            }
        }

        for rec in singles {
            let run = match self.run_sync(&rec.id, settings).await {
                Ok(run) => run,
                Err(ControlError::RunFailed { run, .. }) => *run,
                // Disabled or deleted by someone else since the list was read: not run.
                Err(ControlError::Disabled { .. } | ControlError::NotFound { .. }) => {
                    tick(&mut done);
                    continue;
                }
                Err(e) => return Err(e),
            };
            tick(&mut done);
            finished.insert(rec.id.clone(), run);
        }
        Ok(records
            .iter()
            .filter_map(|r| finished.remove(&r.id))
            .collect())
    }
}
