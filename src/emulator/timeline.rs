//! Deployment phases, computed lazily from the creation time on every read.
//!
//! Each of `PENDING_BUILD`, `BUILDING`, `PENDING_DEPLOY`, `DEPLOYING` lasts one
//! `phase_duration`; then the deployment is `ACTIVE` (or `ERROR` right after the build
//! when it was marked to fail). A cancel freezes it as `CANCELED`; an `ACTIVE` one turns
//! `SUPERSEDED` when a newer deployment of the app becomes `ACTIVE`, and one still in
//! flight turns `SUPERSEDED` at once when a newer deployment of the app is created (a PUT
//! while a deployment is in flight supersedes it). A deployment finished early (the
//! admin surface's `finish`) is `ACTIVE` (or `ERROR`) from that moment.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    PendingBuild,
    Building,
    PendingDeploy,
    Deploying,
    Active,
    Superseded,
    Error,
    Canceled,
}

impl Phase {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::PendingBuild => "PENDING_BUILD",
            Phase::Building => "BUILDING",
            Phase::PendingDeploy => "PENDING_DEPLOY",
            Phase::Deploying => "DEPLOYING",
            Phase::Active => "ACTIVE",
            Phase::Superseded => "SUPERSEDED",
            Phase::Error => "ERROR",
            Phase::Canceled => "CANCELED",
        }
    }

    /// No further phase change can happen except `ACTIVE -> SUPERSEDED`.
    pub(crate) fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Active | Phase::Superseded | Phase::Error | Phase::Canceled
        )
    }

    pub(crate) fn is_in_progress(self) -> bool {
        matches!(
            self,
            Phase::Building | Phase::PendingDeploy | Phase::Deploying
        )
    }
}

/// What the phase clock needs to know about one deployment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) created: Instant,
    pub(crate) fails: bool,
    /// Offset from `created` at which it was canceled.
    pub(crate) canceled: Option<Duration>,
    /// Offset from `created` at which a newer deployment superseded it while in flight.
    pub(crate) superseded: Option<Duration>,
    /// Offset from `created` at which it was made to finish, ahead of its clock.
    pub(crate) finished: Option<Duration>,
}

impl Clock {
    pub(crate) fn new(created: Instant, fails: bool) -> Clock {
        Clock {
            created,
            fails,
            canceled: None,
            superseded: None,
            finished: None,
        }
    }

    /// The phase from the clock and an early finish (no cancel, no supersession).
    fn natural(&self, elapsed: Duration, phase_duration: Duration) -> (Phase, Duration) {
        let (phase, since) = natural(self.fails, elapsed, phase_duration);
        match self.finished {
            Some(at) if elapsed >= at && !phase.is_final() => (
                if self.fails {
                    Phase::Error
                } else {
                    Phase::Active
                },
                at,
            ),
            Some(at) if elapsed >= at && since > at => {
                // Finished before the clock would have ended it.
                (phase, at)
            }
            _ => (phase, since),
        }
    }

    /// The first stop (cancel or supersession) reached by `elapsed`.
    fn stopped(&self, elapsed: Duration) -> Option<(Phase, Duration)> {
        let cancel = self.canceled.map(|at| (Phase::Canceled, at));
        let supersede = self.superseded.map(|at| (Phase::Superseded, at));
        [cancel, supersede]
            .into_iter()
            .flatten()
            .filter(|(_, at)| elapsed >= *at)
            .min_by_key(|(_, at)| *at)
    }
}

/// The phase of a deployment at one instant, and when that phase began (offset from
/// creation). `progress_phase` is the phase the step tree reflects: for a canceled
/// deployment, the phase it was in when canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhaseState {
    pub(crate) phase: Phase,
    pub(crate) since: Duration,
    pub(crate) progress_phase: Phase,
}

/// Offset at which the phase with this index (0 = PENDING_BUILD) starts.
pub(crate) fn phase_start(index: u32, phase_duration: Duration) -> Duration {
    phase_duration * index
}

/// The phase from the clock alone (no cancel, no supersession) after `elapsed`.
fn natural(fails: bool, elapsed: Duration, phase_duration: Duration) -> (Phase, Duration) {
    let step = if phase_duration.is_zero() {
        u128::MAX
    } else {
        elapsed.as_nanos() / phase_duration.as_nanos()
    };
    if fails && step >= 2 {
        return (Phase::Error, phase_start(2, phase_duration));
    }
    let phase = match step {
        0 => Phase::PendingBuild,
        1 => Phase::Building,
        2 => Phase::PendingDeploy,
        3 => Phase::Deploying,
        _ => Phase::Active,
    };
    let index = step.min(4) as u32;
    (phase, phase_start(index, phase_duration))
}

/// When a successful deployment becomes ACTIVE, as an offset from its creation.
pub(crate) fn active_offset(phase_duration: Duration) -> Duration {
    phase_start(4, phase_duration)
}

/// Phases of all deployments of one app (ordered oldest first) at `now`.
pub(crate) fn app_phases(
    clocks: &[Clock],
    now: Instant,
    phase_duration: Duration,
) -> Vec<PhaseState> {
    let mut out = vec![
        PhaseState {
            phase: Phase::PendingBuild,
            since: Duration::ZERO,
            progress_phase: Phase::PendingBuild,
        };
        clocks.len()
    ];
    // Earliest instant at which a newer deployment became ACTIVE.
    let mut superseded_at: Option<Instant> = None;
    for (index, clock) in clocks.iter().enumerate().rev() {
        let elapsed = now.saturating_duration_since(clock.created);
        let state = match clock.stopped(elapsed) {
            Some((stop, at)) => {
                let (was, _) = clock.natural(at, phase_duration);
                PhaseState {
                    phase: stop,
                    since: at,
                    progress_phase: was,
                }
            }
            None => {
                let (phase, since) = clock.natural(elapsed, phase_duration);
                if phase == Phase::Active {
                    let active_at = clock.created + since;
                    let state = match superseded_at {
                        Some(newer) => PhaseState {
                            phase: Phase::Superseded,
                            since: newer.saturating_duration_since(clock.created),
                            progress_phase: Phase::Active,
                        },
                        None => PhaseState {
                            phase,
                            since,
                            progress_phase: phase,
                        },
                    };
                    superseded_at = Some(superseded_at.map_or(active_at, |t| t.min(active_at)));
                    state
                } else {
                    PhaseState {
                        phase,
                        since,
                        progress_phase: phase,
                    }
                }
            }
        };
        out[index] = state;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PD: Duration = Duration::from_millis(100);

    fn clock(created: Instant) -> Clock {
        Clock::new(created, false)
    }

    #[test]
    fn superseded_in_flight_stops_where_it_was() {
        let t0 = Instant::now();
        let clocks = [
            Clock {
                superseded: Some(PD + PD / 2),
                ..clock(t0)
            },
            clock(t0 + PD + PD / 2),
        ];
        let before = app_phases(&clocks, t0 + PD, PD);
        assert_eq!(before[0].phase, Phase::Building);
        let after = app_phases(&clocks, t0 + PD * 9, PD);
        assert_eq!(after[0].phase, Phase::Superseded);
        assert_eq!(after[0].since, PD + PD / 2);
        assert_eq!(after[0].progress_phase, Phase::Building);
        assert_eq!(after[1].phase, Phase::Active);
    }

    #[test]
    fn finished_early_is_active_from_then() {
        let t0 = Instant::now();
        let finished = Clock {
            finished: Some(PD / 2),
            ..clock(t0)
        };
        let state = app_phases(&[finished], t0 + PD, PD * 100)[0];
        assert_eq!((state.phase, state.since), (Phase::Active, PD / 2));
        assert_eq!(
            app_phases(&[finished], t0 + PD / 4, PD * 100)[0].phase,
            Phase::PendingBuild
        );
        let failing = Clock {
            fails: true,
            ..finished
        };
        assert_eq!(
            app_phases(&[failing], t0 + PD, PD * 100)[0].phase,
            Phase::Error
        );
    }

    #[test]
    fn advances_through_phases() {
        let t0 = Instant::now();
        let phases: Vec<Phase> = [0, 150, 250, 350, 450]
            .iter()
            .map(|ms| app_phases(&[clock(t0)], t0 + Duration::from_millis(*ms), PD)[0].phase)
            .collect();
        assert_eq!(
            phases,
            vec![
                Phase::PendingBuild,
                Phase::Building,
                Phase::PendingDeploy,
                Phase::Deploying,
                Phase::Active
            ]
        );
        let zero = app_phases(&[clock(t0)], t0, Duration::ZERO)[0];
        assert_eq!(zero.phase, Phase::Active);
    }

    #[test]
    fn failing_and_canceled() {
        let t0 = Instant::now();
        let failing = Clock {
            fails: true,
            ..clock(t0)
        };
        assert_eq!(
            app_phases(&[failing], t0 + PD, PD)[0].phase,
            Phase::Building
        );
        assert_eq!(
            app_phases(&[failing], t0 + PD * 9, PD)[0].phase,
            Phase::Error
        );
        let canceled = Clock {
            canceled: Some(Duration::from_millis(150)),
            ..clock(t0)
        };
        let state = app_phases(&[canceled], t0 + PD * 9, PD)[0];
        assert_eq!(state.phase, Phase::Canceled);
        assert_eq!(state.progress_phase, Phase::Building);
        // Before the cancel offset the clock still runs normally.
        assert_eq!(
            app_phases(&[canceled], t0 + PD, PD)[0].phase,
            Phase::Building
        );
    }

    #[test]
    fn newer_active_supersedes_older() {
        let t0 = Instant::now();
        let clocks = [clock(t0), clock(t0 + PD * 2)];
        let at_5 = app_phases(&clocks, t0 + PD * 5, PD);
        assert_eq!(
            (at_5[0].phase, at_5[1].phase),
            (Phase::Active, Phase::Deploying)
        );
        let at_7 = app_phases(&clocks, t0 + PD * 7, PD);
        assert_eq!(
            (at_7[0].phase, at_7[1].phase),
            (Phase::Superseded, Phase::Active)
        );
        assert_eq!(at_7[0].since, PD * 6);
        // A failed newer deployment does not supersede.
        let clocks = [
            clock(t0),
            Clock {
                fails: true,
                ..clock(t0 + PD)
            },
        ];
        let at_9 = app_phases(&clocks, t0 + PD * 9, PD);
        assert_eq!(
            (at_9[0].phase, at_9[1].phase),
            (Phase::Active, Phase::Error)
        );
    }
}
