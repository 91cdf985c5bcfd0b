//! The timeline's range queries: segments, gaps, events and bookmarks that overlap a
//! time range, and a camera's recorded time merged into ranges.
//!
//! Owns: those SELECTs and the rule that keeps them on the indexes (a lower bound on
//! `start_ns`, see [`MAX_SEGMENT_NS`]), and adding events (`add_event`, the one write
//! here: events are read by range, so they live beside the range queries). Must not:
//! write anything else.
//!
//! A camera's segments follow each other without overlapping (one recorder per camera)
//! and none is longer than [`MAX_SEGMENT_NS`] (the recorder cuts at its segment length,
//! at most an hour), so the segments that overlap `[from, to)` all start in
//! `[from - MAX_SEGMENT_NS, to)`, a range the `(camera, start_ns, end_ns)` index answers
//! alone; the one segment that starts last before `from` is added as well, whatever its
//! length.

use rusqlite::params;

use super::{Bookmark, Event, Gap, SEGMENT_COLUMNS, Segment, Severity, Store, StoreError};

/// Longest segment the range queries look back for (the recorder cuts at most hourly).
pub const MAX_SEGMENT_NS: i64 = 3_600_000_000_000;

/// A camera's footage from its first segment's start to its last segment's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraExtent {
    pub camera: String,
    pub start_ns: i64,
    pub end_ns: i64,
}

impl Store {
    /// Each camera with footage and its extent, by camera id.
    pub fn camera_extents(&self) -> Result<Vec<CameraExtent>, StoreError> {
        // One index walk per camera (the loose index scan SQLite does for DISTINCT on
        // an index prefix), then two index lookups each.
        let cameras: Vec<String> = self
            .conn
            .prepare_cached("SELECT DISTINCT camera FROM segment ORDER BY camera")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut first = self
            .conn
            .prepare_cached("SELECT min(start_ns) FROM segment WHERE camera = ?1")?;
        let mut last = self.conn.prepare_cached(
            "SELECT end_ns FROM segment WHERE camera = ?1 ORDER BY start_ns DESC LIMIT 1",
        )?;
        cameras
            .into_iter()
            .map(|camera| {
                let start_ns: i64 = first.query_row(params![camera], |r| r.get(0))?;
                let end_ns: i64 = last.query_row(params![camera], |r| r.get(0))?;
                Ok(CameraExtent {
                    camera,
                    start_ns,
                    end_ns,
                })
            })
            .collect()
    }

    /// The time of `camera`'s first event after `time_ns` (forward) or last one before
    /// it (backward), for "next/previous event" without reading the events between.
    pub fn adjacent_event(
        &self,
        camera: &str,
        time_ns: i64,
        forward: bool,
    ) -> Result<Option<i64>, StoreError> {
        let sql = if forward {
            "SELECT time_ns FROM event WHERE camera = ?1 AND time_ns > ?2
             ORDER BY time_ns LIMIT 1"
        } else {
            "SELECT time_ns FROM event WHERE camera = ?1 AND time_ns < ?2
             ORDER BY time_ns DESC LIMIT 1"
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query_map(params![camera, time_ns], |r| r.get(0))?;
        Ok(rows.next().transpose()?)
    }

    /// Lowest `start_ns` a segment of `camera` overlapping `from_ns` can have.
    fn lower_bound(&self, camera: &str, from_ns: i64) -> Result<i64, StoreError> {
        let last_before: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT max(start_ns) FROM segment WHERE camera = ?1 AND start_ns <= ?2",
            )?
            .query_row(params![camera, from_ns], |r| r.get(0))?;
        let lookback = from_ns.saturating_sub(MAX_SEGMENT_NS);
        Ok(last_before.map_or(lookback, |s| s.min(lookback)))
    }

    /// Segments (of one camera, or all) that overlap `[from_ns, to_ns)`, oldest first.
    pub fn segments_in(
        &self,
        camera: Option<&str>,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<Vec<Segment>, StoreError> {
        let lower = match camera {
            Some(camera) => self.lower_bound(camera, from_ns)?,
            None => from_ns.saturating_sub(MAX_SEGMENT_NS),
        };
        // Two statements, so that each uses its index: (camera, start_ns, end_ns) or
        // (start_ns).
        let filter = if camera.is_some() {
            "camera = ?1"
        } else {
            "?1 IS NULL"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SEGMENT_COLUMNS} FROM segment
             WHERE {filter} AND start_ns >= ?2 AND start_ns < ?4
                   AND (end_ns > ?3 OR start_ns >= ?3)
             ORDER BY start_ns, id"
        ))?;
        let rows = stmt.query_map(
            params![camera, lower, from_ns, to_ns],
            super::segment_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A camera's recorded time within `[from_ns, to_ns)`: segments merged into ranges
    /// (two segments closer than `merge_gap_ns` join), clipped to the range, in order.
    pub fn recorded_ranges(
        &self,
        camera: &str,
        from_ns: i64,
        to_ns: i64,
        merge_gap_ns: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let lower = self.lower_bound(camera, from_ns)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT start_ns, end_ns FROM segment
             WHERE camera = ?1 AND start_ns >= ?2 AND start_ns < ?4 AND end_ns > ?3
             ORDER BY start_ns",
        )?;
        let mut rows = stmt.query(params![camera, lower, from_ns, to_ns])?;
        let mut out: Vec<(i64, i64)> = Vec::new();
        let merge_gap_ns = merge_gap_ns.max(0);
        while let Some(row) = rows.next()? {
            let start: i64 = row.get(0)?;
            let end: i64 = row.get(1)?;
            let (start, end) = (start.max(from_ns), end.min(to_ns));
            match out.last_mut() {
                Some(last) if start <= last.1.saturating_add(merge_gap_ns) => {
                    last.1 = last.1.max(end);
                }
                _ => out.push((start, end)),
            }
        }
        Ok(out)
    }

    /// Gaps (of one camera, or all) that overlap `[from_ns, to_ns)`; an open gap
    /// (`end_ns` None) reaches to now and beyond.
    pub fn gaps_in(
        &self,
        camera: Option<&str>,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<Vec<Gap>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, camera, start_ns, end_ns, reason FROM gap
             WHERE (?1 IS NULL OR camera = ?1) AND start_ns < ?3
                   AND (end_ns IS NULL OR end_ns > ?2 OR (end_ns = start_ns AND start_ns >= ?2))
             ORDER BY start_ns, id",
        )?;
        super::read_gaps(&mut stmt, params![camera, from_ns, to_ns])
    }

    /// Bookmarks (of one camera, or all) that overlap `[from_ns, to_ns)`.
    pub fn bookmarks_in(
        &self,
        camera: Option<&str>,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<Vec<Bookmark>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, camera, start_ns, end_ns, note FROM bookmark
             WHERE (?1 IS NULL OR camera = ?1) AND start_ns < ?3 AND end_ns >= ?2
             ORDER BY start_ns, id",
        )?;
        let rows = stmt.query_map(params![camera, from_ns, to_ns], super::bookmark_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records an event; `end_ns` None for an instant.
    pub fn add_event(
        &self,
        camera: &str,
        time_ns: i64,
        end_ns: Option<i64>,
        kind: &str,
        note: &str,
    ) -> Result<i64, StoreError> {
        self.add_event_with(camera, time_ns, end_ns, kind, note, Severity::Info)
    }

    /// [`Self::add_event`] with a severity (alerts). `end_ns` `None`: still going on
    /// (end it with [`Self::end_event`]).
    pub fn add_event_with(
        &self,
        camera: &str,
        time_ns: i64,
        end_ns: Option<i64>,
        kind: &str,
        note: &str,
        severity: Severity,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO event (camera, time_ns, end_ns, kind, note, severity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                camera,
                time_ns,
                end_ns.map(|e| e.max(time_ns)),
                kind,
                note,
                severity.as_str()
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a running event at `end_ns` (never before its start).
    pub fn end_event(&self, id: i64, end_ns: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE event SET end_ns = max(time_ns, ?2) WHERE id = ?1")?
            .execute(params![id, end_ns])?;
        Ok(())
    }

    /// Events (of one camera, or all) that overlap `[from_ns, to_ns)` (an instant: that
    /// happened in it), oldest first.
    pub fn events(
        &self,
        camera: Option<&str>,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<Vec<Event>, StoreError> {
        // Two statements, so that each uses its index: (camera, time_ns) or (time_ns);
        // `?1 IS NULL OR camera = ?1` would make SQLite read every camera's events.
        let filter = if camera.is_some() {
            "camera = ?1"
        } else {
            "?1 IS NULL"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, camera, time_ns, end_ns, kind, note, severity FROM event
             WHERE {filter} AND time_ns < ?3
                   AND coalesce(end_ns, time_ns) >= ?2
                   AND time_ns >= ?4
             ORDER BY time_ns, id"
        ))?;
        // Events are short: looking back a day bounds the index scan.
        let lower = from_ns.saturating_sub(86_400_000_000_000);
        let rows = stmt.query_map(params![camera, from_ns, to_ns, lower], |r| {
            Ok(Event {
                id: r.get(0)?,
                camera: r.get(1)?,
                time_ns: r.get(2)?,
                end_ns: r.get(3)?,
                kind: r.get(4)?,
                note: r.get(5)?,
                severity: Severity::parse(&r.get::<_, String>(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GapReason;

    const MIN: i64 = 60_000_000_000;

    fn add(store: &mut Store, camera: &str, start_ns: i64, end_ns: i64) -> i64 {
        crate::test_support::add_closed(store, camera, start_ns, end_ns, 1)
    }

    #[test]
    fn an_alert_event_keeps_its_severity_and_is_ended_later() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let trigger = store
            .add_event("cam", 50, None, "trigger", "")
            .expect("trigger");
        let motion = store
            .add_event_with("cam", 100, None, "motion", "", Severity::Warning)
            .expect("motion");
        let events = store.events(Some("cam"), 0, 1000).expect("events");
        assert_eq!(
            events
                .iter()
                .map(|e| (e.id, e.severity, e.end_ns))
                .collect::<Vec<_>>(),
            vec![
                (trigger, Severity::Info, None),
                (motion, Severity::Warning, None)
            ]
        );
        store.end_event(motion, 400).expect("end");
        store
            .end_event(trigger, 10)
            .expect("an end before the start is the start");
        let events = store.events(Some("cam"), 0, 1000).expect("events");
        assert_eq!(events[0].end_ns, Some(50));
        assert_eq!(events[1].end_ns, Some(400));
        assert_eq!(events[1].severity.as_str(), "warning");
    }

    #[test]
    fn ranges_merge_and_clip() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("open");
        // 0-1, 1-2 (touching), 2.5-3.5 (half a minute apart), 10-11; another camera.
        add(&mut store, "a", 0, MIN);
        add(&mut store, "a", MIN, 2 * MIN);
        add(&mut store, "a", 5 * MIN / 2, 7 * MIN / 2);
        add(&mut store, "a", 10 * MIN, 11 * MIN);
        add(&mut store, "b", 0, 100 * MIN);
        assert_eq!(
            store.recorded_ranges("a", 0, 100 * MIN, 0).expect("q"),
            vec![
                (0, 2 * MIN),
                (5 * MIN / 2, 7 * MIN / 2),
                (10 * MIN, 11 * MIN)
            ]
        );
        assert_eq!(
            store.recorded_ranges("a", 0, 100 * MIN, MIN).expect("q"),
            vec![(0, 7 * MIN / 2), (10 * MIN, 11 * MIN)]
        );
        // Clipped to the range; a segment that starts before it is found.
        assert_eq!(
            store.recorded_ranges("a", MIN / 2, 3 * MIN, 0).expect("q"),
            vec![(MIN / 2, 2 * MIN), (5 * MIN / 2, 3 * MIN)]
        );
        assert_eq!(
            store
                .recorded_ranges("b", 50 * MIN, 51 * MIN, 0)
                .expect("q"),
            vec![(50 * MIN, 51 * MIN)],
            "a 100-minute segment that started long before"
        );
        assert!(
            store
                .recorded_ranges("a", 4 * MIN, 10 * MIN, 0)
                .expect("q")
                .is_empty()
        );
        let in_range = store.segments_in(Some("a"), MIN / 2, 3 * MIN).expect("q");
        assert_eq!(in_range.len(), 3);
        assert_eq!(
            store
                .segments_in(None, 10 * MIN, 10 * MIN + 1)
                .expect("q")
                .len(),
            2
        );
        assert!(
            store
                .segments_in(Some("a"), 2 * MIN, 5 * MIN / 2)
                .expect("q")
                .is_empty()
        );
    }

    #[test]
    fn gaps_events_and_bookmarks_in_a_range() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        store
            .insert_gap("a", 0, Some(MIN), GapReason::CameraOffline)
            .expect("gap");
        store
            .insert_gap("a", 5 * MIN, None, GapReason::DiskFull)
            .expect("open gap");
        store
            .insert_gap("b", 0, Some(MIN), GapReason::NotRunning)
            .expect("gap");
        let gaps = store.gaps_in(Some("a"), MIN / 2, 10 * MIN).expect("q");
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[1].end_ns, None);
        assert_eq!(store.gaps_in(None, 0, MIN).expect("q").len(), 2);
        assert!(
            store
                .gaps_in(Some("a"), MIN, 5 * MIN)
                .expect("q")
                .is_empty()
        );

        store
            .add_event("a", MIN, None, "trigger", "")
            .expect("event");
        store
            .add_event("a", 3 * MIN, Some(4 * MIN), "trigger", "long")
            .expect("event");
        store
            .add_event("b", 3 * MIN, None, "motion", "")
            .expect("event");
        let ev = store.events(Some("a"), 2 * MIN, 5 * MIN).expect("q");
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].end_ns, ev[0].note.as_str()), (Some(4 * MIN), "long"));
        assert_eq!(
            store
                .events(Some("a"), 7 * MIN / 2, 5 * MIN)
                .expect("q")
                .len(),
            1,
            "overlap"
        );
        assert_eq!(store.events(None, 0, 10 * MIN).expect("q").len(), 3);
        assert!(
            store
                .events(Some("a"), MIN + 1, 2 * MIN)
                .expect("q")
                .is_empty()
        );

        store
            .add_bookmark("a", 2 * MIN, 3 * MIN, "door")
            .expect("bm");
        assert_eq!(
            store
                .bookmarks_in(Some("a"), 0, 2 * MIN + 1)
                .expect("q")
                .len(),
            1
        );
        assert!(
            store
                .bookmarks_in(Some("a"), 0, 2 * MIN)
                .expect("q")
                .is_empty()
        );
        assert!(
            store
                .bookmarks_in(Some("b"), 0, 10 * MIN)
                .expect("q")
                .is_empty()
        );
    }

    /// 30 days of one-minute segments of one camera (43 200 rows; with 15 other
    /// cameras' rows around them) — the timeline's month view of one camera.
    #[test]
    fn recorded_ranges_over_a_month_is_fast() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let minutes: i64 = 30 * 24 * 60;
        {
            let tx = store.conn.unchecked_transaction().expect("tx");
            {
                let mut stmt = tx
                    .prepare(
                        "INSERT INTO segment (camera, file, start_ns, end_ns, source_dts, tb_num,
                             tb_den, bytes, state, codec, width, height, trigger)
                         VALUES (?1, ?2, ?3, ?4, 0, 1, 90000, 1, 'complete', 'h264', 1, 1, 'continuous')",
                    )
                    .expect("prepare");
                for camera in 0..4 {
                    for m in 0..minutes {
                        // An hour's outage every day.
                        if m % 1440 == 600 || (m % 1440 > 600 && m % 1440 < 660) {
                            continue;
                        }
                        let start = m * MIN;
                        stmt.execute(params![
                            format!("cam{camera:02}"),
                            format!("cam{camera:02}/{start}.mp4"),
                            start,
                            start + MIN
                        ])
                        .expect("insert");
                    }
                }
            }
            tx.commit().expect("commit");
        }
        let started = std::time::Instant::now();
        let ranges = store
            .recorded_ranges("cam01", 0, minutes * MIN, 1_000_000_000)
            .expect("q");
        let took = started.elapsed();
        eprintln!(
            "recorded_ranges over {} one-minute segments: {:.1} ms",
            minutes - 30 * 60,
            took.as_secs_f64() * 1e3
        );
        assert_eq!(ranges.len(), 31, "30 outages split a month into 31 ranges");
        assert!(took < std::time::Duration::from_secs(1), "{took:?}");
        let started = std::time::Instant::now();
        let segments = store
            .segments_in(Some("cam01"), 29 * 1440 * MIN, 30 * 1440 * MIN)
            .expect("q");
        eprintln!(
            "segments_in, last day: {} rows in {:.1} ms",
            segments.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
        assert_eq!(segments.len(), 1440 - 60);
    }
}
