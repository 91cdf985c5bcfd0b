//! Reads the recording index for the timeline panel on a worker thread
//! (`vigil-timeline`), and makes hover thumbnails on another (`vigil-thumbs`).
//!
//! Owns: turning index rows into [`Track`]s for a stretch of time, event and bookmark
//! lookups, bookmark edits, and the newest-request-wins thumbnail queue. Must not: be
//! waited on by the UI (requests are `try_send` on bounded channels; answers are polled).

use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};

use vigil_config::CameraId;
use vigil_media::Notify;
use vigil_playback::{Thumbnail, thumbnail};
use vigil_store::Store;
use vigil_time::SharedClock;
use vigil_timeline::{Gap, GapReason, Marker, MarkerKind, TimeRange, Track, WallNanos};

/// A camera's row on the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub camera: CameraId,
    /// The name the row shows.
    pub name: String,
}

/// What the UI asks of the index.
#[derive(Clone, Debug)]
pub enum Request {
    /// The rows of `cameras` over `range`; recordings closer than `merge_nanos` join.
    Tracks {
        cameras: Vec<Row>,
        range: TimeRange,
        merge_nanos: i64,
    },
    /// The first event or bookmark of `cameras` after (or before) `from`.
    FindMarker {
        cameras: Vec<CameraId>,
        from: WallNanos,
        forward: bool,
    },
    /// Bookmarks of `cameras`, newest first.
    Bookmarks {
        cameras: Vec<CameraId>,
    },
    AddBookmark {
        cameras: Vec<CameraId>,
        range: TimeRange,
        note: String,
    },
    RemoveBookmark {
        id: i64,
    },
}

/// A bookmark as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct BookmarkRow {
    pub id: i64,
    pub camera: String,
    pub range: TimeRange,
    pub note: String,
}

/// What the worker answers.
#[derive(Clone, Debug)]
pub enum Response {
    Tracks {
        cameras: Vec<Row>,
        range: TimeRange,
        tracks: Vec<Track>,
    },
    Marker {
        forward: bool,
        time: Option<WallNanos>,
    },
    Bookmarks(Vec<BookmarkRow>),
    /// A bookmark was added or removed: lists and tracks should be read again.
    Changed(String),
    Error(String),
}

/// The index worker and the thumbnail worker.
pub struct TimelineData {
    requests: Sender<Request>,
    responses: Receiver<Response>,
    thumb_requests: Sender<(String, WallNanos)>,
    thumbs: Receiver<(String, Thumbnail)>,
    threads: Vec<JoinHandle<()>>,
}

impl TimelineData {
    /// Starts both workers on the storage folder `storage`; `clock` says where an open
    /// gap ends (now).
    pub fn start(storage: &Path, notify: Notify, clock: SharedClock) -> std::io::Result<Self> {
        let (requests, request_rx) = bounded::<Request>(16);
        let (response_tx, responses) = bounded::<Response>(16);
        let (thumb_requests, thumb_rx) = bounded::<(String, WallNanos)>(4);
        let (thumb_tx, thumbs) = bounded::<(String, Thumbnail)>(2);
        let dir = storage.to_path_buf();
        let n1 = notify.clone();
        let index = std::thread::Builder::new()
            .name("vigil-timeline".to_owned())
            .spawn(move || index_worker(&dir, &request_rx, &response_tx, &n1, &clock))?;
        let dir = storage.to_path_buf();
        let thumbs_thread = std::thread::Builder::new()
            .name("vigil-thumbs".to_owned())
            .spawn(move || thumb_worker(&dir, &thumb_rx, &thumb_tx, &notify))?;
        Ok(Self {
            requests,
            responses,
            thumb_requests,
            thumbs,
            threads: vec![index, thumbs_thread],
        })
    }

    /// Queues a request; false when the worker is busy with many already.
    pub fn send(&self, request: Request) -> bool {
        self.requests.try_send(request).is_ok()
    }

    /// The next answer, if one is ready.
    pub fn poll(&self) -> Option<Response> {
        self.responses.try_recv().ok()
    }

    /// Asks for a thumbnail; the worker serves only the newest request.
    pub fn want_thumbnail(&self, camera: &str, time: WallNanos) {
        let _ = self.thumb_requests.try_send((camera.to_owned(), time));
    }

    /// A thumbnail made since the last call.
    pub fn poll_thumbnail(&self) -> Option<(String, Thumbnail)> {
        self.thumbs.try_recv().ok()
    }
}

impl Drop for TimelineData {
    fn drop(&mut self) {
        // Closing the request channels ends both workers.
        let (dead, _) = bounded(0);
        self.requests = dead;
        let (dead, _) = bounded(0);
        self.thumb_requests = dead;
        for t in self.threads.drain(..) {
            t.join().ok();
        }
    }
}

fn index_worker(
    dir: &Path,
    requests: &Receiver<Request>,
    responses: &Sender<Response>,
    notify: &Notify,
    clock: &SharedClock,
) {
    let mut store: Option<Store> = None;
    while let Ok(request) = requests.recv() {
        // Opening creates the folder; only do it once there is an index to read (or a
        // bookmark to write).
        let writes = matches!(
            request,
            Request::AddBookmark { .. } | Request::RemoveBookmark { .. }
        );
        if store.is_none() && (writes || dir.join(vigil_store::INDEX_FILE).exists()) {
            match Store::open(dir) {
                Ok(s) => store = Some(s),
                Err(err) => {
                    let _ = responses.send(Response::Error(err.to_string()));
                    notify();
                    continue;
                }
            }
        }
        let response = match &store {
            Some(store) => answer(store, request, clock.wall()),
            None => empty_answer(request),
        };
        if responses.send(response).is_err() {
            return;
        }
        notify();
    }
}

/// The answer when there is no index yet: nothing recorded.
fn empty_answer(request: Request) -> Response {
    match request {
        Request::Tracks { cameras, range, .. } => Response::Tracks {
            tracks: cameras.iter().map(|row| Track::new(&row.name)).collect(),
            cameras,
            range,
        },
        Request::FindMarker { forward, .. } => Response::Marker {
            forward,
            time: None,
        },
        Request::Bookmarks { .. } => Response::Bookmarks(Vec::new()),
        Request::AddBookmark { .. } | Request::RemoveBookmark { .. } => {
            Response::Error("no recording index".to_owned())
        }
    }
}

fn answer(store: &Store, request: Request, now: WallNanos) -> Response {
    let result = match request {
        Request::Tracks {
            cameras,
            range,
            merge_nanos,
        } => tracks(store, &cameras, range, merge_nanos, now).map(|tracks| Response::Tracks {
            cameras,
            range,
            tracks,
        }),
        Request::FindMarker {
            cameras,
            from,
            forward,
        } => find_marker(store, &cameras, from, forward)
            .map(|time| Response::Marker { forward, time }),
        Request::Bookmarks { cameras } => bookmarks(store, &cameras).map(Response::Bookmarks),
        Request::AddBookmark {
            cameras,
            range,
            note,
        } => cameras
            .iter()
            .try_for_each(|camera| {
                store
                    .add_bookmark(camera, range.start.nanos(), range.end.nanos(), &note)
                    .map(|_| ())
            })
            .map(|()| {
                Response::Changed(format!(
                    "Bookmark added on {} camera{}",
                    cameras.len(),
                    if cameras.len() == 1 { "" } else { "s" }
                ))
            }),
        Request::RemoveBookmark { id } => store
            .remove_bookmark(id)
            .map(|()| Response::Changed("Bookmark removed".to_owned())),
    };
    result.unwrap_or_else(|err| Response::Error(err.to_string()))
}

fn gap_reason(reason: vigil_store::GapReason) -> GapReason {
    match reason {
        vigil_store::GapReason::CameraOffline => GapReason::CameraOffline,
        vigil_store::GapReason::DiskFull => GapReason::DiskFull,
        vigil_store::GapReason::NotRunning => GapReason::NotRunning,
        vigil_store::GapReason::IoError => GapReason::Other("Write error".to_owned()),
        vigil_store::GapReason::RecorderBehind => {
            GapReason::Other("Recorder fell behind".to_owned())
        }
    }
}

/// One track per camera over `range`; a gap still open ends at `now`.
pub fn tracks(
    store: &Store,
    cameras: &[Row],
    range: TimeRange,
    merge_nanos: i64,
    now: WallNanos,
) -> Result<Vec<Track>, vigil_store::StoreError> {
    let (from, to) = (range.start.nanos(), range.end.nanos());
    let now = now.nanos();
    cameras
        .iter()
        .map(|Row { camera: id, name }| {
            let mut track = Track::new(name);
            track.recorded = store
                .recorded_ranges(id, from, to, merge_nanos)?
                .into_iter()
                .map(|(s, e)| TimeRange::new(WallNanos(s), WallNanos(e)))
                .collect();
            track.gaps = store
                .gaps_in(Some(id), from, to)?
                .into_iter()
                .map(|g| Gap {
                    range: TimeRange::new(
                        WallNanos(g.start_ns),
                        WallNanos(g.end_ns.unwrap_or(now)),
                    ),
                    reason: gap_reason(g.reason),
                })
                .collect();
            track.markers = thin_events(store.events(Some(id), from, to)?, merge_nanos / 2)
                .chain(
                    store
                        .bookmarks_in(Some(id), from, to)?
                        .into_iter()
                        .map(|b| Marker {
                            time: WallNanos(b.start_ns),
                            kind: MarkerKind::Bookmark,
                            label: b.note,
                        }),
                )
                .collect();
            track.normalize();
            Ok(track)
        })
        .collect()
}

/// Event markers, at most one per `bucket_nanos` (about a point of the view): a
/// month of motion events would otherwise be tens of thousands of markers painted on
/// top of each other. A marker standing for several says how many.
fn thin_events(events: Vec<vigil_store::Event>, bucket_nanos: i64) -> impl Iterator<Item = Marker> {
    let bucket = bucket_nanos.max(1);
    let mut out: Vec<(Marker, usize)> = Vec::new();
    for e in events {
        if let Some((last, count)) = out.last_mut()
            && e.time_ns - last.time.nanos() < bucket
        {
            *count += 1;
            continue;
        }
        let label = if e.note.is_empty() {
            e.kind
        } else {
            format!("{} — {}", e.kind, e.note)
        };
        out.push((
            Marker {
                time: WallNanos(e.time_ns),
                kind: MarkerKind::Event,
                label,
            },
            1,
        ));
    }
    out.into_iter().map(|(mut marker, count)| {
        if count > 1 {
            marker.label = format!("{count} events from {}", marker.label);
        }
        marker
    })
}

/// The nearest event or bookmark start strictly after (before) `from`.
fn find_marker(
    store: &Store,
    cameras: &[CameraId],
    from: WallNanos,
    forward: bool,
) -> Result<Option<WallNanos>, vigil_store::StoreError> {
    // A millisecond apart so "next" from a marker moves on to the one after it.
    const APART: i64 = 1_000_000;
    let (lo, hi) = if forward {
        (from.nanos() + APART, i64::MAX)
    } else {
        (i64::MIN, from.nanos() - APART)
    };
    let mut best: Option<i64> = None;
    let mut consider = |t: i64| {
        if t < lo || t > hi {
            return;
        }
        best = Some(match best {
            None => t,
            Some(b) if forward => b.min(t),
            Some(b) => b.max(t),
        });
    };
    let pivot = if forward { lo - 1 } else { hi + 1 };
    for camera in cameras {
        if let Some(t) = store.adjacent_event(camera, pivot, forward)? {
            consider(t);
        }
        // Bookmarks are few: read them.
        for b in store.bookmarks(Some(camera))? {
            consider(b.start_ns);
        }
    }
    Ok(best.map(WallNanos))
}

fn bookmarks(
    store: &Store,
    cameras: &[CameraId],
) -> Result<Vec<BookmarkRow>, vigil_store::StoreError> {
    let mut rows = Vec::new();
    for camera in cameras {
        rows.extend(
            store
                .bookmarks(Some(camera))?
                .into_iter()
                .map(|b| BookmarkRow {
                    id: b.id,
                    camera: b.camera,
                    range: TimeRange::new(WallNanos(b.start_ns), WallNanos(b.end_ns)),
                    note: b.note,
                }),
        );
    }
    rows.sort_by_key(|b| std::cmp::Reverse(b.range.start));
    Ok(rows)
}

fn thumb_worker(
    dir: &Path,
    requests: &Receiver<(String, WallNanos)>,
    out: &Sender<(String, Thumbnail)>,
    notify: &Notify,
) {
    const WIDTH: u32 = 240;
    while let Ok(mut request) = requests.recv() {
        // Only the newest request matters: the pointer has moved on from the others.
        loop {
            match requests.try_recv() {
                Ok(newer) => request = newer,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let (camera, time) = request;
        match thumbnail(dir, &camera, time, WIDTH) {
            Ok(Some(thumb)) => {
                if out.try_send((camera, thumb)).is_ok() {
                    notify();
                }
            }
            Ok(None) => {}
            Err(err) => tracing::debug!(camera = %camera, %err, "no thumbnail"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(time_ns: i64, note: &str) -> vigil_store::Event {
        vigil_store::Event {
            id: time_ns,
            camera: "c".into(),
            time_ns,
            end_ns: None,
            kind: "motion".into(),
            note: note.into(),
            severity: vigil_store::Severity::Warning,
        }
    }

    #[test]
    fn events_closer_than_a_bucket_become_one_marker_that_counts_them() {
        let events = vec![
            event(0, ""),
            event(10, "door"),
            event(99, ""),
            event(100, "car"),
            event(500, ""),
        ];
        let markers: Vec<Marker> = thin_events(events, 100).collect();
        let summary: Vec<(i64, &str)> = markers
            .iter()
            .map(|m| (m.time.nanos(), m.label.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "3 events from motion"),
                (100, "motion — car"),
                (500, "motion"),
            ]
        );
        assert!(markers.iter().all(|m| m.kind == MarkerKind::Event));
    }
}
