//! Camera health as events: what the engine's stream states and the recorders' states
//! say, turned into problems with a start and an end, each transition reported once.
//!
//! A state must hold for [`DEBOUNCE`] before it counts, so a stream that flickers
//! (stalled, connecting, live again within a second) raises nothing, and one problem
//! stays one event while its reason changes (stalled, then refused, then timing out):
//! the event's kind is the reason seen when it was raised. "Back online" is an instant
//! event when a camera with an open problem has been live for [`DEBOUNCE`].
//!
//! Owns: per camera, the pending and raised problem. Must not: read the engine or the
//! index itself (the core hands in states and writes what comes out).

use std::time::{Duration, Instant};

use vigil_media::{Failure, StreamState};
use vigil_record::RecorderState;

/// How long a state must hold before it is an event (or ends one).
pub const DEBOUNCE: Duration = Duration::from_secs(1);

/// A camera problem's kind, as written in the index (`event.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    Offline,
    Unreachable,
    WrongCredentials,
    Stalled,
    RecordingStopped,
    DiskFull,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "camera_offline",
            Self::Unreachable => "camera_unreachable",
            Self::WrongCredentials => "wrong_credentials",
            Self::Stalled => "camera_stalled",
            Self::RecordingStopped => "recording_stopped",
            Self::DiskFull => "disk_full",
        }
    }

    /// The problem a stream state shows; `None` when live; `Some(None)`-like states
    /// that say nothing yet (connecting, idle) are `Err(())`.
    fn of_stream(state: &StreamState) -> Observed {
        match state {
            StreamState::Live => Observed::Fine,
            StreamState::Idle | StreamState::Connecting => Observed::Unknown,
            StreamState::Stalled => Observed::Bad(Self::Stalled, String::new()),
            StreamState::Reconnecting { reason, .. } | StreamState::Offline { reason } => {
                let kind = match reason {
                    Failure::WrongCredentials | Failure::Forbidden => Self::WrongCredentials,
                    Failure::HostUnreachable | Failure::Timeout => Self::Unreachable,
                    Failure::Stalled => Self::Stalled,
                    _ => Self::Offline,
                };
                Observed::Bad(kind, reason.to_string())
            }
        }
    }

    fn of_recorder(state: &RecorderState) -> Observed {
        match state {
            RecorderState::Recording | RecorderState::Armed => Observed::Fine,
            RecorderState::Waiting | RecorderState::Stopped => Observed::Unknown,
            RecorderState::DiskFull => Observed::Bad(Self::DiskFull, String::new()),
            RecorderState::Failed(why) => Observed::Bad(Self::RecordingStopped, why.clone()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Observed {
    Fine,
    Unknown,
    Bad(Problem, String),
}

/// What changed, to index and show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A problem began at `since` (the first moment the state was seen), with the
    /// reason in words.
    Raised {
        problem: Problem,
        since: Instant,
        reason: String,
    },
    /// The problem ended at `at` (the first moment fine was seen); for a stream, it is
    /// back online.
    Cleared { problem: Problem, at: Instant },
}

/// One watched thing (a camera's stream, or its recorder).
#[derive(Debug, Default)]
struct Track {
    /// Since when the current observation has held, and whether it is fine.
    pending: Option<(bool, Instant)>,
    raised: Option<Problem>,
}

impl Track {
    fn update(&mut self, observed: Observed, now: Instant) -> Option<Change> {
        let bad = match &observed {
            Observed::Unknown => return None,
            Observed::Fine => false,
            Observed::Bad(..) => true,
        };
        let since = match self.pending {
            Some((was_bad, since)) if was_bad == bad => since,
            _ => {
                self.pending = Some((bad, now));
                now
            }
        };
        if now.saturating_duration_since(since) < DEBOUNCE {
            return None;
        }
        match (observed, self.raised) {
            (Observed::Bad(problem, reason), None) => {
                self.raised = Some(problem);
                Some(Change::Raised {
                    problem,
                    since,
                    reason,
                })
            }
            (Observed::Fine, Some(problem)) => {
                self.raised = None;
                Some(Change::Cleared { problem, at: since })
            }
            _ => None,
        }
    }
}

/// A camera's health: its stream and its recorder.
#[derive(Debug, Default)]
pub struct Health {
    stream: Track,
    recorder: Track,
}

impl Health {
    /// Looks at the camera's stream state (`None`: not connected by anyone) and its
    /// recorder's state (`None`: not recording) at `now`; returns what changed.
    pub fn update(
        &mut self,
        stream: Option<&StreamState>,
        recorder: Option<&RecorderState>,
        now: Instant,
    ) -> Vec<Change> {
        let stream = stream.map_or(Observed::Unknown, Problem::of_stream);
        let recorder = recorder.map_or(Observed::Unknown, Problem::of_recorder);
        [
            self.stream.update(stream, now),
            self.recorder.update(recorder, now),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(now: Instant) -> StreamState {
        StreamState::Reconnecting {
            reason: Failure::ConnectionRefused,
            next_try: now,
        }
    }

    #[test]
    fn one_outage_is_one_event_and_one_return_however_the_state_flickers() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut health = Health::default();
        let mut changes = Vec::new();
        let mut feed = |state: StreamState, ms: u64| {
            changes.extend(health.update(Some(&state), None, at(ms)));
        };
        feed(StreamState::Live, 0);
        feed(StreamState::Live, 2000);
        // A blip shorter than the debounce: nothing.
        feed(StreamState::Stalled, 2100);
        feed(StreamState::Live, 2500);
        feed(StreamState::Live, 4000);
        // The outage: stalled, then refused, connecting, refused…
        feed(StreamState::Stalled, 5000);
        feed(refused(at(5200)), 5200);
        feed(StreamState::Connecting, 5600);
        feed(refused(at(6100)), 6100);
        feed(refused(at(9000)), 9000);
        // Back: live for the debounce.
        feed(StreamState::Live, 10_000);
        feed(refused(at(10_300)), 10_300);
        feed(StreamState::Live, 10_400);
        feed(StreamState::Live, 11_500);
        feed(StreamState::Live, 20_000);
        assert_eq!(
            changes,
            vec![
                Change::Raised {
                    problem: Problem::Offline,
                    since: at(5000),
                    reason: Failure::ConnectionRefused.to_string(),
                },
                Change::Cleared {
                    problem: Problem::Offline,
                    at: at(10_400),
                },
            ]
        );
    }

    #[test]
    fn a_full_disk_and_wrong_credentials_are_their_own_kinds() {
        let t0 = Instant::now();
        let mut health = Health::default();
        let bad = StreamState::Offline {
            reason: Failure::WrongCredentials,
        };
        let disk = RecorderState::DiskFull;
        assert!(health.update(Some(&bad), Some(&disk), t0).is_empty());
        let changes = health.update(Some(&bad), Some(&disk), t0 + DEBOUNCE);
        let kinds: Vec<&str> = changes
            .iter()
            .map(|c| match c {
                Change::Raised { problem, .. } | Change::Cleared { problem, .. } => {
                    problem.as_str()
                }
            })
            .collect();
        assert_eq!(kinds, ["wrong_credentials", "disk_full"]);
    }
}
