//! The plain data a timeline shows: per camera, what was recorded, why the gaps are
//! there, and the events and bookmarks on it.
//!
//! Owns: [`Track`] and its parts, and the queries for what lies in a stretch of time.
//! Must not: read or write recordings or the index — the recording store fills these
//! in, and the widget only reads them.

use vigil_time::WallNanos;

/// A half-open stretch of time, `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeRange {
    pub start: WallNanos,
    pub end: WallNanos,
}

impl TimeRange {
    pub const fn new(start: WallNanos, end: WallNanos) -> Self {
        Self { start, end }
    }

    /// Nanoseconds from start to end (0 when empty or reversed).
    pub const fn duration_nanos(&self) -> i64 {
        let d = self.end.nanos_since(self.start);
        if d > 0 { d } else { 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    pub fn contains(&self, time: WallNanos) -> bool {
        self.start <= time && time < self.end
    }

    /// Whether the two share any instant.
    pub fn intersects(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Why a camera has no recording for a while.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GapReason {
    /// The recorder ran but could not reach the camera.
    CameraOffline,
    /// The recorder stopped writing because the disk was full.
    DiskFull,
    /// The recorder was not running.
    NotRunning,
    /// Anything else, said in words.
    Other(String),
}

impl GapReason {
    /// What the operator reads in the gap's tooltip.
    pub fn describe(&self) -> &str {
        match self {
            Self::CameraOffline => "Camera offline",
            Self::DiskFull => "Disk full",
            Self::NotRunning => "Recorder not running",
            Self::Other(text) => text,
        }
    }
}

/// A stretch without recording, and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Gap {
    pub range: TimeRange,
    pub reason: GapReason,
}

/// What a marker on a track stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// Something the camera or an analytic reported (motion, line crossing, input…).
    Event,
    /// A point an operator marked.
    Bookmark,
}

/// A point in time marked on a track.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Marker {
    pub time: WallNanos,
    pub kind: MarkerKind,
    pub label: String,
}

/// One camera's row on the timeline.
///
/// `recorded`, `gaps` and `markers` are sorted by start (or time); recorded ranges and
/// gaps do not overlap among themselves. [`Track::normalize`] makes any input so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Track {
    pub name: String,
    pub recorded: Vec<TimeRange>,
    pub gaps: Vec<Gap>,
    pub markers: Vec<Marker>,
}

impl Track {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sorts everything, drops empty ranges, merges overlapping or touching recorded
    /// ranges, and trims each gap so it starts after the previous one ends.
    pub fn normalize(&mut self) {
        self.recorded.retain(|r| !r.is_empty());
        self.recorded.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<TimeRange> = Vec::with_capacity(self.recorded.len());
        for range in self.recorded.drain(..) {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        self.recorded = merged;

        self.gaps.retain(|g| !g.range.is_empty());
        self.gaps.sort_by_key(|g| (g.range.start, g.range.end));
        let mut previous_end = WallNanos::MIN;
        self.gaps.retain_mut(|gap| {
            gap.range.start = gap.range.start.max(previous_end);
            previous_end = previous_end.max(gap.range.end);
            !gap.range.is_empty()
        });

        self.markers.sort_by_key(|m| m.time);
    }

    /// The recorded ranges that share any instant with `view`.
    pub fn recorded_in(&self, view: TimeRange) -> &[TimeRange] {
        let (first, last) = overlapping(&self.recorded, view, |r| *r);
        &self.recorded[first..last]
    }

    /// The gaps that share any instant with `view`.
    pub fn gaps_in(&self, view: TimeRange) -> &[Gap] {
        let (first, last) = overlapping(&self.gaps, view, |g| g.range);
        &self.gaps[first..last]
    }

    /// The markers inside `view` (start and end included).
    pub fn markers_in(&self, view: TimeRange) -> &[Marker] {
        let first = self.markers.partition_point(|m| m.time < view.start);
        let last = self.markers.partition_point(|m| m.time <= view.end);
        &self.markers[first..last.max(first)]
    }

    /// The recorded range containing `time`, if any.
    pub fn recording_at(&self, time: WallNanos) -> Option<&TimeRange> {
        let after = self.recorded.partition_point(|r| r.start <= time);
        after
            .checked_sub(1)
            .and_then(|i| self.recorded.get(i))
            .filter(|r| r.contains(time))
    }

    /// The gap containing `time`, if any.
    pub fn gap_at(&self, time: WallNanos) -> Option<&Gap> {
        let after = self.gaps.partition_point(|g| g.range.start <= time);
        after
            .checked_sub(1)
            .and_then(|i| self.gaps.get(i))
            .filter(|g| g.range.contains(time))
    }
}

/// Index range of the sorted, non-overlapping `items` that intersect `view`.
fn overlapping<T>(items: &[T], view: TimeRange, range: impl Fn(&T) -> TimeRange) -> (usize, usize) {
    // Ends are sorted too, because the ranges do not overlap.
    let first = items.partition_point(|item| range(item).end <= view.start);
    let last = items.partition_point(|item| range(item).start < view.end);
    (first, last.max(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: i64, end: i64) -> TimeRange {
        TimeRange::new(WallNanos(start), WallNanos(end))
    }

    fn track() -> Track {
        let mut track = Track::new("Gate");
        track.recorded = vec![
            r(50, 60),
            r(0, 10),
            r(20, 30),
            r(25, 40),
            r(40, 45),
            r(70, 70),
        ];
        track.gaps = vec![
            Gap {
                range: r(10, 20),
                reason: GapReason::CameraOffline,
            },
            Gap {
                range: r(45, 50),
                reason: GapReason::DiskFull,
            },
            Gap {
                range: r(48, 49),
                reason: GapReason::NotRunning,
            },
        ];
        track.markers = vec![
            Marker {
                time: WallNanos(55),
                kind: MarkerKind::Bookmark,
                label: "b".into(),
            },
            Marker {
                time: WallNanos(5),
                kind: MarkerKind::Event,
                label: "e".into(),
            },
        ];
        track.normalize();
        track
    }

    #[test]
    fn normalize_sorts_and_merges() {
        let track = track();
        assert_eq!(track.recorded, [r(0, 10), r(20, 45), r(50, 60)]);
        assert_eq!(track.gaps.len(), 2, "the gap inside another one is dropped");
        assert_eq!(track.markers[0].time, WallNanos(5));
    }

    #[test]
    fn queries_find_what_intersects_a_view() {
        let track = track();
        assert_eq!(track.recorded_in(r(10, 20)), &[] as &[TimeRange]);
        assert_eq!(track.recorded_in(r(9, 21)), [r(0, 10), r(20, 45)]);
        assert_eq!(track.recorded_in(r(-100, 1000)).len(), 3);
        assert_eq!(track.recorded_in(r(60, 100)), &[] as &[TimeRange]);
        assert_eq!(track.gaps_in(r(44, 46))[0].reason, GapReason::DiskFull);
        assert_eq!(track.markers_in(r(5, 55)).len(), 2);
        assert_eq!(track.markers_in(r(6, 54)).len(), 0);
        assert_eq!(track.markers_in(r(60, 0)).len(), 0);
        assert_eq!(track.recording_at(WallNanos(44)), Some(&r(20, 45)));
        assert_eq!(track.recording_at(WallNanos(45)), None);
        assert_eq!(track.recording_at(WallNanos(-1)), None);
        assert_eq!(
            track.gap_at(WallNanos(12)).map(|g| g.reason.describe()),
            Some("Camera offline")
        );
        assert_eq!(
            GapReason::Other("Reindexing".into()).describe(),
            "Reindexing"
        );
    }

    #[test]
    fn queries_agree_with_a_linear_scan() {
        let mut track = Track::new("many");
        track.recorded = (0..500).map(|i| r(i * 10, i * 10 + 3 + i % 5)).collect();
        track.normalize();
        for (start, end) in [(0, 1), (3, 4), (7, 13), (999, 2500), (4990, 6000), (-5, 0)] {
            let view = r(start, end);
            let linear: Vec<TimeRange> = track
                .recorded
                .iter()
                .copied()
                .filter(|x| x.intersects(&view))
                .collect();
            assert_eq!(track.recorded_in(view), linear, "{view:?}");
        }
    }
}
