//! `vigil archive seed` and the demo's history: a synthetic archive that ends now, made
//! from a clip without re-encoding, for the timeline, playback and benchmarks.
//!
//! Per camera, the clip is remuxed once into a one-minute fMP4 segment by the recorder's
//! own [`SegmentWriter`] (looped, timestamps continued; the file starts at dts 0 like
//! every recorded segment, so the same file is valid at any wall time). Every further
//! minute is a hard link to that file: its wall time lives only in its index row and
//! its keyframe rows (the template's, shifted). So 30 days × 16 cameras take the disk
//! space of 16 segments plus the index. A file system allows about 65 000 links per
//! file (ext4); past that a fresh copy of the template starts a new set of links.
//! Deterministic from a seed: a few gaps (with reasons), events and one bookmark per
//! camera.
//!
//! Owns: the synthetic layout (one-minute steps, gap spans, events, bookmarks) and
//! writing it (files first, fsynced, then their rows, a day per transaction). Must not:
//! write over footage (it refuses cameras that already have some, unless told where
//! their history must end) or re-encode.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ffmpeg_next as ff;

use super::writer::{SegmentStart, SegmentWriter, sync_dir};
use vigil_config::{RecordingMode, Site};
use vigil_media::track::VideoTrack;
use vigil_store::{CompleteSegment, GapReason, NewSegment, SegmentTrigger, Store};

const MINUTE_NS: i64 = 60_000_000_000;
/// Rows inserted per transaction: a day of one-minute segments.
const BATCH: usize = 1440;
const GAP_REASONS: [GapReason; 4] = [
    GapReason::CameraOffline,
    GapReason::NotRunning,
    GapReason::IoError,
    GapReason::CameraOffline,
];

/// What to seed.
#[derive(Clone, Debug)]
pub struct SeedOptions {
    /// Camera ids, each seeded from `clip`.
    pub camera_ids: Vec<String>,
    pub hours: f64,
    pub clip: PathBuf,
    /// The storage folder.
    pub out: PathBuf,
    /// Makes gaps, events and bookmarks reproducible.
    pub seed: u64,
}

/// What a seed wrote.
#[derive(Clone, Debug, Default)]
pub struct SeedReport {
    pub cameras: usize,
    pub segments: u64,
    pub keyframes: u64,
    /// Segment files written by the muxer (the rest are hard links).
    pub files_written: u64,
    pub links: u64,
    pub gaps: u64,
    pub events: u64,
    pub bookmarks: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeded {} cameras: {} segments ({} files written, {} hard links), {} keyframe rows, {} gaps, {} events, {} bookmarks in {:.1} s",
            self.cameras,
            self.segments,
            self.files_written,
            self.links,
            self.keyframes,
            self.gaps,
            self.events,
            self.bookmarks,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The default camera ids: `cam01` … `camNN`.
pub fn default_camera_ids(cameras: usize) -> Vec<String> {
    (1..=cameras).map(|i| format!("cam{i:02}")).collect()
}

/// Seeds an archive ending now into `options.out`; refuses cameras that already have
/// footage there.
pub fn seed(options: &SeedOptions) -> anyhow::Result<SeedReport> {
    seed_with_progress(options, &mut |_, _| {})
}

/// [`seed`], calling `progress(done, total)` as it goes, in minutes of footage over
/// all cameras (`done` rises to `total`; often, so the caller throttles what it shows).
pub fn seed_with_progress(
    options: &SeedOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    anyhow::ensure!(
        !options.camera_ids.is_empty(),
        "--cameras must be at least 1"
    );
    anyhow::ensure!(
        options.hours.is_finite() && options.hours > 0.0 && options.hours <= 24.0 * 366.0,
        "--hours must be above 0 and at most a year (it is {})",
        options.hours
    );
    for id in &options.camera_ids {
        anyhow::ensure!(
            vigil_config::is_valid_camera_id(id),
            "camera id '{id}' must be 1 to 64 of A-Z a-z 0-9 _ -"
        );
    }
    let clip = Clip::open(&options.clip)?;
    let _lock = crate::lock::StorageLock::acquire(&options.out)?;
    let mut store = Store::open(&options.out)
        .with_context(|| format!("storage folder {}", options.out.display()))?;
    for id in &options.camera_ids {
        anyhow::ensure!(
            store.first_start(id)?.is_none(),
            "{} already holds footage of camera '{id}'; seed into an empty folder",
            options.out.display()
        );
    }
    let end_ns = vigil_time::WallNanos::now().0;
    let mut report = SeedReport::default();
    let per_camera = wanted_minutes(options.hours) as u64;
    let total = per_camera * options.camera_ids.len() as u64;
    progress(0, total);
    for (i, id) in options.camera_ids.iter().enumerate() {
        let rng = fastrand::Rng::with_seed(options.seed.wrapping_add(i as u64));
        let before = i as u64 * per_camera;
        seed_camera(
            &mut store,
            id,
            &clip,
            end_ns,
            options.hours,
            rng,
            &mut report,
            &mut |k, minutes| {
                let done = (k as u64 * per_camera) / (minutes as u64).max(1);
                progress(before + done.min(per_camera), total);
            },
        )
        .with_context(|| format!("seeding camera '{id}'"))?;
        progress(before + per_camera, total);
    }
    report.elapsed = started.elapsed();
    tracing::info!(%report, "archive seeded");
    Ok(report)
}

/// The demo site's history: each recording demo camera gets `hours` of footage made
/// from its own clip, ending where its live recording starts (or now), unless it
/// already has footage older than a few minutes (an earlier run's). Fast (hard links):
/// meant for a background thread when `--demo` starts. `hours` is capped at the
/// camera's `max_age_days`, so retention does not delete it at once.
pub fn ensure_demo_history(storage: &Path, site: &Site, hours: f64) -> anyhow::Result<()> {
    let span = tracing::info_span!("demo_history", storage = %storage.display());
    let _enter = span.enter();
    let started = Instant::now();
    let mut store = Store::open(storage)
        .with_context(|| format!("demo storage folder {}", storage.display()))?;
    let now = vigil_time::WallNanos::now().0;
    let mut report = SeedReport::default();
    for (i, camera) in site.cameras.iter().enumerate() {
        if !camera.enabled || camera.recording_mode() == RecordingMode::Off {
            continue;
        }
        let first = store.first_start(&camera.id)?;
        if first.is_some_and(|f| f < now - 5 * MINUTE_NS) {
            continue; // history from an earlier run
        }
        let max_hours = camera
            .recording
            .as_ref()
            .and_then(|r| r.max_age_days)
            .map_or(f64::INFINITY, |d| d * 24.0 - 0.25);
        let hours = hours.min(max_hours);
        if hours <= 0.0 {
            continue;
        }
        let clip = match Clip::open(Path::new(&camera.source)) {
            Ok(clip) => clip,
            Err(err) => {
                tracing::warn!(camera = %camera.id, err = %format!("{err:#}"), "no demo history for this camera");
                continue;
            }
        };
        // End where live recording began, a second early, so nothing overlaps.
        let end_ns = first.map_or(now, |f| f - 1_000_000_000);
        let rng = fastrand::Rng::with_seed(i as u64 + 1);
        seed_camera(
            &mut store,
            &camera.id,
            &clip,
            end_ns,
            hours,
            rng,
            &mut report,
            &mut |_, _| {},
        )
        .with_context(|| format!("demo history of camera '{}'", camera.id))?;
    }
    report.elapsed = started.elapsed();
    if report.cameras > 0 {
        tracing::info!(%report, "demo history seeded");
    }
    Ok(())
}

/// A clip's video packets and what the muxer needs.
struct Clip {
    path: PathBuf,
    parameters: ff::codec::Parameters,
    codec: String,
    width: u32,
    height: u32,
    time_base: (i32, i32),
    packets: Vec<ff::Packet>,
}

/// Most bytes of a clip kept in memory.
const MAX_CLIP_BYTES: usize = 256 << 20;

impl Clip {
    fn open(path: &Path) -> anyhow::Result<Self> {
        ff::init().ok();
        let mut input = ff::format::input(path)
            .with_context(|| format!("cannot open the clip {}", path.display()))?;
        let VideoTrack {
            index,
            time_base: tb,
            parameters,
            width,
            height,
            codec,
        } = VideoTrack::of(&input)
            .with_context(|| format!("{} has no video stream", path.display()))?;
        let mut packets = Vec::new();
        let mut bytes = 0usize;
        for (s, packet) in input.packets() {
            if s.index() != index {
                continue;
            }
            bytes += packet.size();
            anyhow::ensure!(
                bytes <= MAX_CLIP_BYTES,
                "{} is larger than {} MiB of video; use a shorter clip",
                path.display(),
                MAX_CLIP_BYTES >> 20
            );
            packets.push(packet);
        }
        anyhow::ensure!(
            packets.first().is_some_and(ff::Packet::is_key),
            "{} does not start with a keyframe (or has no video packets)",
            path.display()
        );
        Ok(Self {
            path: path.to_path_buf(),
            parameters,
            codec,
            width,
            height,
            time_base: (tb.numerator(), tb.denominator()),
            packets,
        })
    }
}

/// The one-minute template segment of a camera, written at `start_ns`.
struct Template {
    path: PathBuf,
    bytes: u64,
    duration_ns: i64,
    /// (offset from the start, byte offset) of each keyframe row.
    keyframes: Vec<(i64, u64)>,
}

fn write_template(
    store: &mut Store,
    camera: &str,
    clip: &Clip,
    start_ns: i64,
) -> anyhow::Result<Template> {
    let mut writer = SegmentWriter::create(
        store,
        SegmentStart {
            camera,
            parameters: clip.parameters.clone(),
            codec: &clip.codec,
            width: clip.width,
            height: clip.height,
            time_base: clip.time_base,
            start_ns,
            source_dts: clip.packets[0].dts().or(clip.packets[0].pts()).unwrap_or(0),
            trigger: SegmentTrigger::Continuous,
        },
    )?;
    // Loop the clip (the writer continues timestamps across each restart) and cut at
    // the first keyframe after a minute, as the recorder does.
    let limit = 10 * MINUTE_NS;
    for packet in clip.packets.iter().cycle() {
        let written = writer.written_end_ns() - writer.start_ns();
        if (packet.is_key() && written >= MINUTE_NS) || written >= limit {
            break;
        }
        writer.write(store, packet)?;
    }
    let id = writer.segment_id();
    let path = writer.path().to_path_buf();
    writer.finish(store)?;
    let row = store
        .segment(id)?
        .context("the template segment's row is gone")?;
    let keyframes = store
        .keyframes(id)?
        .into_iter()
        .map(|(t, off)| (t - start_ns, off))
        .collect();
    Ok(Template {
        path,
        bytes: row.bytes,
        duration_ns: row.end_ns - row.start_ns,
        keyframes,
    })
}

/// Spans of skipped minutes `[from, to)`, none touching the first or last minute.
fn gap_spans(minutes: usize, rng: &mut fastrand::Rng) -> Vec<(usize, usize)> {
    if minutes < 12 {
        return Vec::new();
    }
    let count = (minutes / 240).clamp(1, 8);
    let section = (minutes - 2) / count;
    (0..count)
        .filter_map(|i| {
            let len = rng.usize(2..=(section / 3).clamp(2, 30));
            let lo = 1 + i * section;
            let hi = (lo + section).saturating_sub(len + 1);
            (hi > lo).then(|| {
                let from = rng.usize(lo..hi);
                (from, from + len)
            })
        })
        .collect()
}

/// One-minute steps in `hours` (at least one).
fn wanted_minutes(hours: f64) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let minutes = ((hours * 60.0).floor() as usize).max(1);
    minutes
}

/// `progress(k, minutes)` is called as minute `k` of `minutes` is written.
#[allow(clippy::too_many_arguments)]
fn seed_camera(
    store: &mut Store,
    camera: &str,
    clip: &Clip,
    end_ns: i64,
    hours: f64,
    mut rng: fastrand::Rng,
    report: &mut SeedReport,
    progress: &mut dyn FnMut(usize, usize),
) -> anyhow::Result<()> {
    let span = tracing::info_span!("seed", camera = %camera);
    let _enter = span.enter();
    let wanted_minutes = wanted_minutes(hours);
    // Write the template first, at the archive's start (the step is only known after).
    let first_start = end_ns - i64::try_from(wanted_minutes).unwrap_or(i64::MAX) * MINUTE_NS;
    let template = write_template(store, camera, clip, first_start)
        .with_context(|| format!("remuxing {}", clip.path.display()))?;
    report.files_written += 1;
    // Segments follow each other a minute apart (longer when the clip's keyframes
    // make the template longer), without overlapping.
    let step = template.duration_ns.max(MINUTE_NS);
    let minutes = usize::try_from((end_ns - first_start) / step)
        .unwrap_or(1)
        .max(1);
    let start_of = |k: usize| first_start + i64::try_from(k).unwrap_or(0) * step;
    let gaps = gap_spans(minutes, &mut rng);
    let in_gap = |k: usize| gaps.iter().any(|(a, b)| (*a..*b).contains(&k));
    let dir = store.dir().join(camera);
    let mut link_source = template.path.clone();
    let mut batch: Vec<CompleteSegment> = Vec::with_capacity(BATCH);
    let mut recorded = vec![0usize];
    report.segments += 1;
    report.keyframes += template.keyframes.len() as u64;
    for k in 1..minutes {
        progress(k, minutes);
        if in_gap(k) {
            continue;
        }
        let start_ns = start_of(k);
        let rel = format!("{camera}/{start_ns}.mp4");
        let path = store.dir().join(&rel);
        link_source = link_or_copy(&link_source, &path, report)?;
        batch.push(CompleteSegment {
            segment: NewSegment {
                camera: camera.to_owned(),
                file: rel,
                start_ns,
                source_dts: 0,
                time_base: clip.time_base,
                bytes: template.bytes,
                codec: clip.codec.clone(),
                width: clip.width,
                height: clip.height,
                trigger: SegmentTrigger::Continuous,
            },
            end_ns: start_ns + template.duration_ns,
            keyframes: template
                .keyframes
                .iter()
                .map(|(t, off)| (start_ns + t, *off))
                .collect(),
        });
        recorded.push(k);
        if batch.len() == BATCH {
            flush(store, &dir, &mut batch, report)?;
        }
    }
    flush(store, &dir, &mut batch, report)?;
    for (i, (from, to)) in gaps.iter().enumerate() {
        let start = start_of(from - 1) + template.duration_ns;
        store.insert_gap(camera, start, Some(start_of(*to)), GAP_REASONS[i % 4])?;
        report.gaps += 1;
    }
    // About one event every half hour of footage, at least two.
    let events = (recorded.len() / 30).max(2);
    for _ in 0..events {
        let k = recorded[rng.usize(..recorded.len())];
        let time_ns = start_of(k) + rng.i64(0..template.duration_ns.max(1));
        let (kind, end_ns) = if rng.bool() {
            ("motion", Some(time_ns + rng.i64(2..30) * 1_000_000_000))
        } else {
            ("trigger", None)
        };
        store.add_event(camera, time_ns, end_ns, kind, "seeded")?;
        report.events += 1;
    }
    let k = recorded[recorded.len() / 2];
    let mark = start_of(k);
    store.add_bookmark(
        camera,
        mark + 10_000_000_000,
        mark + 40_000_000_000,
        "seeded bookmark",
    )?;
    report.bookmarks += 1;
    report.cameras += 1;
    Ok(())
}

/// Hard-links `source` to `path`; when `source` has as many links as the file system
/// allows, copies it instead and returns the copy as the next source.
fn link_or_copy(source: &Path, path: &Path, report: &mut SeedReport) -> anyhow::Result<PathBuf> {
    match std::fs::hard_link(source, path) {
        Ok(()) => {
            report.links += 1;
            Ok(source.to_path_buf())
        }
        Err(e) if e.raw_os_error() == Some(libc::EMLINK) => {
            std::fs::copy(source, path)
                .with_context(|| format!("copying to {}", path.display()))?;
            std::fs::File::open(path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("fsync {}", path.display()))?;
            report.files_written += 1;
            Ok(path.to_path_buf())
        }
        Err(e) => Err(e)
            .with_context(|| format!("cannot link {} to {}", source.display(), path.display())),
    }
}

/// Files are durable (their folder fsynced) before their rows are committed.
fn flush(
    store: &mut Store,
    dir: &Path,
    batch: &mut Vec<CompleteSegment>,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    sync_dir(dir).with_context(|| format!("fsync {}", dir.display()))?;
    store.insert_complete_segments(batch)?;
    report.segments += batch.len() as u64;
    report.keyframes += batch.iter().map(|b| b.keyframes.len() as u64).sum::<u64>();
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_spans_stay_inside_and_apart() {
        for minutes in [12, 30, 600, 43_200] {
            let mut rng = fastrand::Rng::with_seed(7);
            let spans = gap_spans(minutes, &mut rng);
            assert!(!spans.is_empty(), "{minutes}");
            let mut last_end = 1;
            for (from, to) in &spans {
                assert!(
                    *from >= last_end && from < to && *to < minutes - 1,
                    "{spans:?}"
                );
                last_end = *to + 1;
            }
            // Deterministic from the seed.
            assert_eq!(spans, gap_spans(minutes, &mut fastrand::Rng::with_seed(7)));
        }
        assert!(gap_spans(5, &mut fastrand::Rng::with_seed(1)).is_empty());
    }
}
