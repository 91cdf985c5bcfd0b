//! `vigil bench scrub`: random seeks over a recorded archive through the archive
//! players, timed from the seek to the frame published in the player's slot, against
//! the bare FFmpeg way of showing the same frame in the same run; and the frames per
//! second four tiles show while a timeline drag sends a preview seek every 16 ms.
//!
//! Owns: choosing the seeks (seeded xorshift, the seed printed), the bare baseline, the
//! report. Must not: write to the archive, or time anything the player does not do for
//! a user (every figure ends at a frame in a slot).

use crate::progress::Progress;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossbeam_channel::{Receiver, bounded};
use ffmpeg_next as ff;
use serde::Serialize;

use super::percentile;
use vigil_frame::VideoFrame;
use vigil_media::Notify;
use vigil_media::convert::FrameConverter;
use vigil_playback::{PlaybackClock, Player, PlayerOptions, PlayerState, SeekMode};
use vigil_store::{INDEX_FILE, Segment, Store};
use vigil_time::WallNanos;

/// Target: timeline drag → keyframe shown, p95.
pub const PREVIEW_TARGET_MS: f64 = 50.0;
/// Target: exact seek p95 ≤ this × the bare seek's p95.
pub const EXACT_TARGET_RATIO: f64 = 1.2;
/// A seek that shows nothing for this long counts as a mismatch.
const SEEK_TIMEOUT: Duration = Duration::from_secs(5);
/// Interval of drag seeks (one per 60 Hz UI frame).
const DRAG_INTERVAL: Duration = Duration::from_millis(16);
const DRAG_TILES: usize = 4;

/// What to run.
#[derive(Clone, Debug)]
pub struct ScrubOptions {
    pub archive: PathBuf,
    pub seeks: usize,
    /// None: from the clock (printed either way).
    pub seed: Option<u64>,
    pub drag_seconds: f64,
    pub decode_threads: usize,
    /// How the seeks' and the drag's progress is shown (stderr).
    pub progress: crate::progress::Mode,
}

/// The JSON the benchmark writes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScrubReport {
    pub archive: String,
    pub seed: u64,
    pub seeks: usize,
    pub cameras: usize,
    pub camera_ids: Vec<String>,
    pub footage_seconds: f64,
    pub decode_threads: usize,
    /// Seek(Preview) → the keyframe at or before the time published.
    pub preview_ms_p50: f64,
    pub preview_ms_p95: f64,
    pub preview_ms_max: f64,
    /// Seek(Exact) → the exact frame published (a different random time: cold).
    pub exact_ms_p50: f64,
    pub exact_ms_p95: f64,
    pub exact_ms_max: f64,
    /// The same exact seeks the bare way: open the segment file, seek to the keyframe,
    /// decode forward to the frame, convert it; no cache.
    pub seek_phys_ms_p50: f64,
    pub seek_phys_ms_p95: f64,
    pub exact_over_phys_p95: f64,
    /// Frames decoded after the keyframe to reach the exact frame, mean.
    pub frames_after_keyframe_mean: f64,
    /// Seeks that did not show the expected frame within 5 s.
    pub mismatches: usize,
    pub drag_tiles: usize,
    pub drag_seconds: f64,
    pub drag_seeks: usize,
    /// Footage seconds the drag moved per real second.
    pub drag_footage_seconds_per_second: f64,
    /// Distinct frames published per tile per second while dragging (mean of tiles).
    pub drag_fps_per_tile: f64,
    pub drag_fps_min_tile: f64,
    pub preview_target_ms: f64,
    pub exact_target_ratio: f64,
    pub preview_ok: bool,
    pub exact_ok: bool,
}

/// xorshift64*: enough randomness to spread seeks, reproducible from its seed.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let v = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        v
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One camera's footage.
struct Camera {
    id: String,
    segments: Vec<Segment>,
    footage_ns: i64,
}

impl Camera {
    /// A random time in the footage, segments weighted by length.
    fn random_time(&self, rng: &mut XorShift) -> (Segment, i64) {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let mut at = (rng.unit() * self.footage_ns as f64) as i64;
        for s in &self.segments {
            let len = s.end_ns - s.start_ns;
            if at < len {
                return (s.clone(), s.start_ns + at);
            }
            at -= len;
        }
        let last = self.segments[self.segments.len() - 1].clone();
        let t = last.end_ns - 1;
        (last, t)
    }
}

fn cameras(store: &Store) -> anyhow::Result<Vec<Camera>> {
    let mut out: Vec<Camera> = Vec::new();
    for s in store.segments(None)? {
        if s.end_ns <= s.start_ns {
            continue;
        }
        match out.iter_mut().find(|c| c.id == s.camera) {
            Some(c) => {
                c.footage_ns += s.end_ns - s.start_ns;
                c.segments.push(s);
            }
            None => out.push(Camera {
                id: s.camera.clone(),
                footage_ns: s.end_ns - s.start_ns,
                segments: vec![s],
            }),
        }
    }
    Ok(out)
}

/// A player and the channel its notifier signals.
struct Tile {
    player: Player,
    clock: Arc<PlaybackClock>,
    published: Receiver<()>,
}

impl Tile {
    fn start(
        archive: &Path,
        camera: &str,
        clock: Arc<PlaybackClock>,
        decode_threads: usize,
    ) -> anyhow::Result<Self> {
        let (tx, rx) = bounded(1);
        let notify: Notify = Arc::new(move || {
            // Full means a wake-up is already pending: enough.
            tx.try_send(()).ok();
        });
        let options = PlayerOptions {
            decode_threads,
            ..PlayerOptions::default()
        };
        let player = Player::start_with(archive, camera, Arc::clone(&clock), notify, options)
            .context("cannot start a player thread")?;
        Ok(Self {
            player,
            clock,
            published: rx,
        })
    }

    /// Waits for the player's first answer (it shows the clock's start when started).
    fn settle(&self) {
        let deadline = Instant::now() + SEEK_TIMEOUT;
        while matches!(
            self.player.status().state,
            PlayerState::Idle | PlayerState::Seeking
        ) && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        self.player.slot().clear();
    }

    /// Seeks and returns the time until a frame at `expect_ns` is in the slot.
    fn timed_seek(&self, t: i64, mode: SeekMode, expect_ns: i64) -> Option<Duration> {
        self.player.slot().clear();
        while self.published.try_recv().is_ok() {}
        let started = Instant::now();
        self.clock.seek(WallNanos(t), mode);
        loop {
            let left = SEEK_TIMEOUT.checked_sub(started.elapsed())?;
            self.published.recv_timeout(left).ok()?;
            if let Some(frame) = self.player.slot().take_latest() {
                let pts = frame.pts_nanos;
                self.player.slot().recycle(frame);
                if pts == expect_ns {
                    return Some(started.elapsed());
                }
            }
        }
    }
}

/// What the bare way found.
struct Bare {
    elapsed: Duration,
    frame_ns: i64,
    after_keyframe: usize,
}

/// Shows the exact frame for `t` the bare way: open, seek to the keyframe, decode
/// forward, convert the frame. Wall times as the segment writer computes them.
fn bare_exact(
    archive: &Path,
    segment: &Segment,
    keyframe_ns: i64,
    t: i64,
    threads: usize,
) -> anyhow::Result<Bare> {
    let started = Instant::now();
    let path = archive.join(&segment.file);
    // The same cheap open as the player's (no frame-rate probing).
    let mut input =
        vigil_playback::source::open_input(&path, &vigil_playback::source::StopFlag::never())?;
    let stream = input
        .streams()
        .best(ff::media::Type::Video)
        .with_context(|| format!("{} has no video", path.display()))?;
    let index = stream.index();
    let tb = stream.time_base();
    let nanos_per_tick = f64::from(tb.numerator()) * 1e9 / f64::from(tb.denominator().max(1));
    let mut context = ff::codec::context::Context::from_parameters(stream.parameters())?;
    context.set_threading(ff::codec::threading::Config::count(threads.max(1)));
    let mut decoder = context.decoder().video()?;
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let wall = |ticks: i64| segment.start_ns + (ticks as f64 * nanos_per_tick) as i64;
    let media_us = (keyframe_ns - segment.start_ns).max(0) / 1_000 + 1;
    input.seek(media_us, ..media_us)?;
    let mut current = ff::util::frame::video::Video::empty();
    let mut best = ff::util::frame::video::Video::empty();
    let mut best_ns: Option<i64> = None;
    let mut decoded = 0usize;
    let mut in_gop = false;
    let mut passed = false;
    let mut take = |decoder: &mut ff::decoder::Video,
                    current: &mut ff::util::frame::video::Video,
                    best: &mut ff::util::frame::video::Video| {
        let mut passed = false;
        while decoder.receive_frame(current).is_ok() {
            decoded += 1;
            let Some(ns) = current.timestamp().or(current.pts()).map(wall) else {
                continue;
            };
            if ns <= t {
                std::mem::swap(current, best);
                best_ns = Some(ns);
            } else {
                passed = true;
            }
        }
        passed
    };
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        if !in_gop {
            let ns = wall(packet.dts().or(packet.pts()).unwrap_or(0));
            if !(packet.is_key() && ns >= keyframe_ns - 1_000) {
                continue;
            }
            in_gop = true;
        }
        decoder.send_packet(&packet).ok();
        if take(&mut decoder, &mut current, &mut best) {
            passed = true;
            break;
        }
    }
    if !passed {
        decoder.send_eof().ok();
        take(&mut decoder, &mut current, &mut best);
    }
    let frame_ns = best_ns.with_context(|| format!("no frame at {t} in {}", path.display()))?;
    let mut out = VideoFrame::default();
    FrameConverter::default()
        .convert(&best, &mut out)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Bare {
        elapsed: started.elapsed(),
        frame_ns,
        after_keyframe: decoded.saturating_sub(1),
    })
}

/// Runs the benchmark.
pub fn run(options: &ScrubOptions) -> anyhow::Result<ScrubReport> {
    ff::init().context("cannot initialise FFmpeg")?;
    let archive = &options.archive;
    anyhow::ensure!(
        archive.join(INDEX_FILE).is_file(),
        "{} has no recording index ({INDEX_FILE}); record into it first (vigil archive record)",
        archive.display()
    );
    let store = Store::open(archive)
        .with_context(|| format!("cannot open the index in {}", archive.display()))?;
    let cams = cameras(&store)?;
    anyhow::ensure!(!cams.is_empty(), "{} holds no footage", archive.display());
    let seed = options.seed.unwrap_or_else(|| {
        #[allow(clippy::cast_sign_loss)]
        let now = WallNanos::now().0 as u64;
        now
    });
    println!("vigil bench scrub: seed {seed} (--seed {seed} repeats these seeks)");
    let mut rng = XorShift::new(seed);
    let tiles: Vec<Tile> = cams
        .iter()
        .map(|c| {
            let start = WallNanos(c.segments[0].start_ns);
            Tile::start(
                archive,
                &c.id,
                PlaybackClock::new(start),
                options.decode_threads,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    for t in &tiles {
        t.settle();
    }
    let (mut preview, mut exact, mut phys, mut after) = (vec![], vec![], vec![], vec![]);
    let mut mismatches = 0;
    let mut progress = Progress::start(options.progress, "bench-scrub-seeks", options.seeks as u64);
    for i in 0..options.seeks {
        let c = i % cams.len();
        let (cam, tile) = (&cams[c], &tiles[c]);
        // Preview: the keyframe at or before a random time.
        let (segment, t) = cam.random_time(&mut rng);
        let keyframe = keyframe_at(&store, &segment, t)?;
        match tile.timed_seek(t, SeekMode::Preview, keyframe) {
            Some(d) => preview.push(ms(d)),
            None => mismatches += 1,
        }
        // Exact, at another random time (cold), and the bare way for the same time.
        let (segment, t) = cam.random_time(&mut rng);
        let keyframe = keyframe_at(&store, &segment, t)?;
        // Which goes first alternates per camera (the file's pages are warm for the second).
        let bare_first = (i / cams.len()) % 2 == 0;
        let mut bare = None;
        if bare_first {
            bare = Some(bare_exact(
                archive,
                &segment,
                keyframe,
                t,
                options.decode_threads,
            )?);
        }
        let expect = match &bare {
            Some(b) => b.frame_ns,
            None => bare_exact(archive, &segment, keyframe, t, options.decode_threads)?.frame_ns,
        };
        let shown = tile.timed_seek(t, SeekMode::Exact, expect);
        if !bare_first {
            bare = Some(bare_exact(
                archive,
                &segment,
                keyframe,
                t,
                options.decode_threads,
            )?);
        }
        match shown {
            Some(d) => exact.push(ms(d)),
            None => mismatches += 1,
        }
        if let Some(b) = bare {
            phys.push(ms(b.elapsed));
            #[allow(clippy::cast_precision_loss)]
            after.push(b.after_keyframe as f64);
        }
        progress.inc(1);
    }
    progress.finish();
    drop(tiles);
    let drag = drag(options, &cams)?;
    #[allow(clippy::cast_precision_loss)]
    let footage_seconds = cams.iter().map(|c| c.footage_ns as f64 / 1e9).sum();
    let mut report = ScrubReport {
        archive: archive.display().to_string(),
        seed,
        seeks: options.seeks,
        cameras: cams.len(),
        camera_ids: cams.iter().map(|c| c.id.clone()).collect(),
        footage_seconds,
        decode_threads: options.decode_threads,
        preview_ms_p50: percentile(&preview, 0.5),
        preview_ms_p95: percentile(&preview, 0.95),
        preview_ms_max: percentile(&preview, 1.0),
        exact_ms_p50: percentile(&exact, 0.5),
        exact_ms_p95: percentile(&exact, 0.95),
        exact_ms_max: percentile(&exact, 1.0),
        seek_phys_ms_p50: percentile(&phys, 0.5),
        seek_phys_ms_p95: percentile(&phys, 0.95),
        exact_over_phys_p95: 0.0,
        frames_after_keyframe_mean: mean(&after),
        mismatches,
        drag_tiles: DRAG_TILES,
        drag_seconds: drag.seconds,
        drag_seeks: drag.seeks,
        drag_footage_seconds_per_second: drag.footage_per_second,
        drag_fps_per_tile: mean(&drag.fps),
        drag_fps_min_tile: drag.fps.iter().copied().fold(f64::INFINITY, f64::min),
        preview_target_ms: PREVIEW_TARGET_MS,
        exact_target_ratio: EXACT_TARGET_RATIO,
        preview_ok: false,
        exact_ok: false,
    };
    if report.seek_phys_ms_p95 > 0.0 {
        report.exact_over_phys_p95 = report.exact_ms_p95 / report.seek_phys_ms_p95;
    }
    report.preview_ok = !preview.is_empty() && report.preview_ms_p95 <= PREVIEW_TARGET_MS;
    report.exact_ok = !exact.is_empty() && report.exact_over_phys_p95 <= EXACT_TARGET_RATIO;
    Ok(report)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = v.len() as f64;
    v.iter().sum::<f64>() / n
}

/// The keyframe at or before `t` per the index (the segment start when none is).
fn keyframe_at(store: &Store, segment: &Segment, t: i64) -> anyhow::Result<i64> {
    Ok(store
        .keyframes(segment.id)?
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k <= t && *k >= segment.start_ns)
        .max()
        .unwrap_or(segment.start_ns))
}

struct Drag {
    seconds: f64,
    seeks: usize,
    footage_per_second: f64,
    fps: Vec<f64>,
}

/// Four players on one clock (cameras taken in turn), a preview seek every 16 ms moving
/// across the footage they share (all of it when they share none).
fn drag(options: &ScrubOptions, cams: &[Camera]) -> anyhow::Result<Drag> {
    let chosen: Vec<&Camera> = (0..DRAG_TILES).map(|i| &cams[i % cams.len()]).collect();
    let first = |c: &Camera| c.segments[0].start_ns;
    let last = |c: &Camera| c.segments[c.segments.len() - 1].end_ns;
    let mut lo = chosen.iter().map(|c| first(c)).max().unwrap_or(0);
    let mut hi = chosen.iter().map(|c| last(c)).min().unwrap_or(0);
    if hi <= lo {
        lo = chosen.iter().map(|c| first(c)).min().unwrap_or(0);
        hi = chosen.iter().map(|c| last(c)).max().unwrap_or(0);
    }
    let clock = PlaybackClock::new(WallNanos(lo));
    let tiles: Vec<Tile> = chosen
        .iter()
        .map(|c| {
            Tile::start(
                &options.archive,
                &c.id,
                Arc::clone(&clock),
                options.decode_threads,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    for t in &tiles {
        t.settle();
    }
    let seconds = options.drag_seconds.max(0.1);
    let mut shown = vec![0usize; tiles.len()];
    let mut last_ns: Vec<Option<i64>> = vec![None; tiles.len()];
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total_ms = (seconds * 1000.0).round() as u64;
    let mut progress = Progress::start(options.progress, "bench-scrub-drag", total_ms);
    let started = Instant::now();
    let mut next_seek = started;
    let mut seeks = 0;
    while started.elapsed().as_secs_f64() < seconds {
        #[allow(clippy::cast_possible_truncation)]
        progress.set((started.elapsed().as_millis() as u64).min(total_ms));
        if Instant::now() >= next_seek {
            let frac = started.elapsed().as_secs_f64() / seconds;
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let t = lo + ((hi - lo) as f64 * frac.min(1.0)) as i64;
            clock.seek(WallNanos(t), SeekMode::Preview);
            seeks += 1;
            next_seek += DRAG_INTERVAL;
        }
        for (i, tile) in tiles.iter().enumerate() {
            if let Some(frame) = tile.player.slot().take_latest() {
                if last_ns[i] != Some(frame.pts_nanos) {
                    shown[i] += 1;
                    last_ns[i] = Some(frame.pts_nanos);
                }
                tile.player.slot().recycle(frame);
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish();
    #[allow(clippy::cast_precision_loss)]
    let fps = shown.iter().map(|n| *n as f64 / elapsed).collect();
    #[allow(clippy::cast_precision_loss)]
    let footage_per_second = (hi - lo) as f64 / 1e9 / seconds;
    Ok(Drag {
        seconds: elapsed,
        seeks,
        footage_per_second,
        fps,
    })
}

/// A human summary with the targets.
pub fn summary(r: &ScrubReport) -> String {
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    let mut out = String::new();
    use std::fmt::Write as _;
    writeln!(
        out,
        "vigil bench scrub: {} — {} camera(s) ({}), {:.0} s of footage, {} seeks, seed {}, decoder threads {}",
        r.archive,
        r.cameras,
        r.camera_ids.join(", "),
        r.footage_seconds,
        r.seeks,
        r.seed,
        r.decode_threads
    )
    .ok();
    writeln!(
        out,
        "  preview (keyframe shown)   p50 {:7.1} ms  p95 {:7.1} ms  max {:7.1} ms   target p95 ≤ {:.0} ms: {}",
        r.preview_ms_p50,
        r.preview_ms_p95,
        r.preview_ms_max,
        r.preview_target_ms,
        verdict(r.preview_ok)
    )
    .ok();
    writeln!(
        out,
        "  exact frame shown          p50 {:7.1} ms  p95 {:7.1} ms  max {:7.1} ms",
        r.exact_ms_p50, r.exact_ms_p95, r.exact_ms_max
    )
    .ok();
    writeln!(
        out,
        "  bare FFmpeg (Seek_phys)    p50 {:7.1} ms  p95 {:7.1} ms   ({:.1} frames after the keyframe on average)",
        r.seek_phys_ms_p50, r.seek_phys_ms_p95, r.frames_after_keyframe_mean
    )
    .ok();
    writeln!(
        out,
        "  exact p95 ÷ Seek_phys p95  {:.2}   target ≤ {:.1}: {}",
        r.exact_over_phys_p95,
        r.exact_target_ratio,
        verdict(r.exact_ok)
    )
    .ok();
    writeln!(
        out,
        "  drag across {} tiles: {:.1} frames/s per tile (slowest {:.1}), {} preview seeks in {:.1} s, {:.0} s of footage per second",
        r.drag_tiles,
        r.drag_fps_per_tile,
        r.drag_fps_min_tile,
        r.drag_seeks,
        r.drag_seconds,
        r.drag_footage_seconds_per_second
    )
    .ok();
    if r.mismatches > 0 {
        writeln!(
            out,
            "  {} seeks did not show the expected frame within 5 s",
            r.mismatches
        )
        .ok();
    }
    out
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &ScrubReport, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_is_seeded_and_uniform_enough() {
        let mut a = XorShift::new(42);
        let mut b = XorShift::new(42);
        let xs: Vec<f64> = (0..1000).map(|_| a.unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert_eq!(b.unit(), xs[0], "same seed, same sequence");
        let m = mean(&xs);
        assert!((m - 0.5).abs() < 0.05, "mean {m}");
        assert_ne!(XorShift::new(43).unit(), xs[0]);
    }
}
