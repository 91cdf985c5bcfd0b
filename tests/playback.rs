//! Archive playback against a real archive (the segment writer over an H.264 clip whose
//! frames carry their own number as black/white blocks). Every check reads the pixels
//! of the frames the player published, not its own idea of what it showed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod playback_common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback_common::*;
use vigil_media::VideoFrame;
use vigil_playback::{
    PlaybackClock, Player, PlayerOptions, PlayerState, PlayerStatus, SeekMode, thumbnail,
};
use vigil_time::WallNanos;

fn archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    standard_archive(dir.path(), "cam");
    dir
}

fn player(storage: &Path, camera: &str, clock: &Arc<PlaybackClock>) -> Player {
    Player::start(storage, camera, Arc::clone(clock), Arc::new(|| {})).unwrap()
}

/// Waits until the player answered the clock's newest seek; returns its status.
fn settled(player: &Player, clock: &PlaybackClock) -> PlayerStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = player.status();
        if s.generation == clock.generation() && s.state != PlayerState::Seeking {
            return s;
        }
        assert!(Instant::now() < deadline, "seek not answered: {s:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Seeks, waits for the answer, and returns the newest published frame.
fn seek(
    player: &Player,
    clock: &PlaybackClock,
    t: i64,
    mode: SeekMode,
) -> (PlayerStatus, VideoFrame) {
    clock.seek(WallNanos(t), mode);
    let status = settled(player, clock);
    let frame = player.slot().take_latest().expect("a frame was published");
    (status, *frame)
}

fn expected_exact(t: i64) -> u32 {
    // Latest frame at or before t.
    let mut best = 0;
    for n in 0..300 {
        if time_of(n) <= t {
            best = n;
        }
    }
    best
}

#[test]
fn exact_seek_shows_the_frame_at_or_before_the_time() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    let mut times = vec![
        time_of(0),
        time_of(5),
        time_of(5) + FRAME_NS / 2,
        time_of(11) + FRAME_NS - 1, // last nanosecond of frame 11, just before a keyframe
        time_of(12),
        time_of(119) + 1,
        time_of(120), // segment B's first frame
        time_of(131),
        time_of(239) + FRAME_NS - 1,
        time_of(240), // after the gap
        time_of(299),
    ];
    // And a spread of times in a seeded order, backwards and forwards.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..25 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = u32::try_from(x % 300).unwrap();
        let within = i64::try_from(x % 40_000_000).unwrap();
        times.push(time_of(n) + within);
    }
    for t in times {
        let (status, frame) = seek(&p, &clock, t, SeekMode::Exact);
        let want = expected_exact(t);
        assert_eq!(frame_number(&frame), want, "t = {t} (T0 + {} ns)", t - T0);
        assert_eq!(frame.pts_nanos, time_of(want), "wall time of frame {want}");
        assert_eq!(status.shown, Some(WallNanos(time_of(want))));
        assert!(status.exact);
        assert_eq!(status.state, PlayerState::Showing);
    }
    p.stop();
}

#[test]
fn preview_shows_the_keyframe_at_or_before() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    for n in [0u32, 7, 12, 23, 125, 131, 240, 250, 299] {
        let key = n - n % GOP as u32;
        // On a keyframe exactly, the preview is known to be the exact frame.
        let t = time_of(n) + if n == key { 0 } else { 10_000_000 };
        let (status, frame) = seek(&p, &clock, t, SeekMode::Preview);
        assert_eq!(frame_number(&frame), key, "preview of frame {n}");
        assert_eq!(status.shown, Some(WallNanos(time_of(key))));
        assert_eq!(
            status.exact,
            n == key,
            "exact only when the keyframe is the frame"
        );
    }
    // Exact after a preview decodes forward to the frame.
    let (_, frame) = seek(&p, &clock, time_of(131), SeekMode::Exact);
    assert_eq!(frame_number(&frame), 131);
    p.stop();
}

#[test]
fn steps_cross_gops_and_segments_and_the_other_players_follow() {
    let dir = archive();
    standard_archive(dir.path(), "cam2");
    let clock = PlaybackClock::new(WallNanos(T0));
    let a = player(dir.path(), "cam", &clock);
    let b = player(dir.path(), "cam2", &clock);
    let (_, frame) = seek(&a, &clock, time_of(24), SeekMode::Exact);
    assert_eq!(frame_number(&frame), 24);
    settled(&b, &clock);

    let step = |n: i32, want: u32| {
        let before = clock.generation();
        a.step(n);
        let deadline = Instant::now() + Duration::from_secs(10);
        while clock.generation() == before
            || settled(&a, &clock).shown != Some(WallNanos(time_of(want)))
        {
            assert!(
                Instant::now() < deadline,
                "step {n} to {want}: {:?}",
                a.status()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let frame = a.slot().take_latest().expect("step published");
        assert_eq!(frame_number(&frame), want, "step {n}");
        assert!(clock.is_paused());
        assert_eq!(
            clock.now(),
            WallNanos(time_of(want)),
            "clock follows the step"
        );
        let sb = settled(&b, &clock);
        assert_eq!(
            sb.shown,
            Some(WallNanos(time_of(want))),
            "other player follows"
        );
        let fb = b.slot().take_latest().expect("other player published");
        assert_eq!(frame_number(&fb), want);
    };
    step(-1, 23); // back across a GOP boundary (24 is a keyframe)
    step(-1, 22);
    step(-11, 11); // into the GOP before, from its cache
    step(-1, 10);
    step(14, 24);
    step(95, 119);
    step(1, 120); // forward across segments A → B
    step(-1, 119); // and back
    step(120, 239);
    step(1, 240); // across the gap to segment C
    step(-1, 239);
    step(-3, 236);
    step(100, 299); // stops at the end of the footage
    a.stop();
    b.stop();
}

/// Collects the frame numbers published while the clock runs for `for_ms`.
fn collect(player: &Player, for_ms: u64) -> Vec<(u32, i64)> {
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_millis(for_ms);
    while Instant::now() < until {
        if let Some(f) = player.slot().take_latest() {
            seen.push((frame_number(&f), f.pts_nanos));
            player.slot().recycle(f);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    seen
}

#[test]
fn reverse_play_shows_frames_in_strictly_descending_order() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    for (start, speed, ms) in [
        (100u32, -1.0, 1500u64),
        (235, -4.0, 1200),
        (299, -16.0, 700),
    ] {
        let (_, f) = seek(&p, &clock, time_of(start), SeekMode::Exact);
        assert_eq!(frame_number(&f), start);
        clock.play(speed);
        let seen = collect(&p, ms);
        clock.pause();
        assert!(seen.len() >= 5, "frames shown at {speed}×: {seen:?}");
        for pair in seen.windows(2) {
            assert!(
                pair[1].0 < pair[0].0 && pair[1].1 < pair[0].1,
                "descending at {speed}×: {seen:?}"
            );
        }
        for (n, pts) in &seen {
            assert_eq!(*pts, time_of(*n), "picture and time agree");
        }
        let lowest = seen.last().unwrap().0;
        assert!(
            start - lowest >= 12,
            "crossed at least one GOP boundary at {speed}×: {seen:?}"
        );
        if speed == -1.0 {
            // Every frame decoded; the test samples the slot every ms, so it sees most.
            assert!(seen.len() * 10 >= (start - lowest) as usize * 7, "{seen:?}");
        }
    }
    p.stop();
}

#[test]
fn forward_play_is_paced_and_continues_after_a_gap() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    seek(&p, &clock, time_of(10), SeekMode::Exact);
    let started = Instant::now();
    clock.play(1.0);
    let seen = collect(&p, 1000);
    clock.pause();
    let elapsed = started.elapsed().as_secs_f64();
    for pair in seen.windows(2) {
        assert!(pair[1].0 > pair[0].0, "ascending: {seen:?}");
    }
    let last = seen.last().unwrap().0;
    let expected = 10.0 + elapsed * 25.0;
    assert!(
        (f64::from(last) - expected).abs() <= 4.0,
        "paced at 1×: frame {last} after {elapsed:.2} s"
    );
    assert!(
        seen.len() >= 18,
        "about 25 frames in a second: {}",
        seen.len()
    );

    // From frame 230 at 4×: B ends at 240, then 2 s of gap (0.5 s at 4×), then C.
    seek(&p, &clock, time_of(230), SeekMode::Exact);
    clock.play(4.0);
    let mut saw_gap = false;
    let mut after_gap = Vec::new();
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if p.status().state == PlayerState::NoFootage {
            saw_gap = true;
        }
        if let Some(f) = p.slot().take_latest() {
            let n = frame_number(&f);
            if saw_gap {
                after_gap.push(n);
            }
            assert_eq!(f.pts_nanos, time_of(n));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    clock.pause();
    assert!(saw_gap, "NoFootage in the gap");
    assert!(
        after_gap.first().is_some_and(|n| (240..252).contains(n)),
        "resumed at segment C's start: {after_gap:?}"
    );
    p.stop();
}

#[test]
fn a_seek_into_a_gap_gives_no_footage_and_publishes_nothing() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    let (_, frame) = seek(&p, &clock, time_of(200), SeekMode::Exact);
    assert_eq!(frame_number(&frame), 200);
    for (t, mode) in [
        (time_of(239) + FRAME_NS + 1, SeekMode::Exact), // the gap
        (time_of(240) - 1, SeekMode::Preview),
        (T0 - 1_000_000_000, SeekMode::Exact), // before any footage
        (time_of(299) + 5_000_000_000, SeekMode::Exact), // after it
    ] {
        clock.seek(WallNanos(t), mode);
        let status = settled(&p, &clock);
        assert_eq!(status.state, PlayerState::NoFootage, "t = T0 + {}", t - T0);
        assert_eq!(
            status.shown,
            Some(WallNanos(time_of(200))),
            "old picture kept"
        );
        assert!(p.slot().take_latest().is_none(), "nothing new published");
    }
    p.stop();
}

#[test]
fn drags_are_coalesced_to_the_newest_seek() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    for n in (0..290).step_by(3) {
        clock.seek(WallNanos(time_of(n)), SeekMode::Preview);
    }
    clock.seek(WallNanos(time_of(137)), SeekMode::Exact);
    let status = settled(&p, &clock);
    let frame = p.slot().take_latest().unwrap();
    assert_eq!(frame_number(&frame), 137);
    assert_eq!(status.shown, Some(WallNanos(time_of(137))));
    p.stop();
}

#[test]
fn thumbnails_show_the_keyframe_at_or_before() {
    let dir = archive();
    let t = thumbnail(dir.path(), "cam", WallNanos(time_of(30) + 1), 160)
        .unwrap()
        .expect("footage there");
    assert_eq!((t.width, t.height), (160, 120));
    assert_eq!(t.rgba.len(), 160 * 120 * 4);
    assert_eq!(t.time, WallNanos(time_of(24)));
    assert_eq!(thumbnail_number(&t.rgba, t.width, 2), 24);
    let gap = thumbnail(
        dir.path(),
        "cam",
        WallNanos(time_of(239) + 500_000_000),
        160,
    )
    .unwrap();
    assert!(gap.is_none(), "a gap has no thumbnail");
}

#[test]
fn players_stop_promptly_and_join() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let players: Vec<Player> = (0..4).map(|_| player(dir.path(), "cam", &clock)).collect();
    clock.play(1.0);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    for p in players {
        p.stop();
    }
    drop(player(dir.path(), "cam", &clock)); // Drop stops too
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// Steps `player` by `n` and returns the number read from the published frame.
fn step_and_read(player: &Player, clock: &PlaybackClock, n: i32) -> u32 {
    let before = clock.generation();
    player.step(n);
    let deadline = Instant::now() + Duration::from_secs(10);
    while clock.generation() == before || settled(player, clock).generation != clock.generation() {
        assert!(Instant::now() < deadline, "step {n}: {:?}", player.status());
        std::thread::sleep(Duration::from_millis(2));
    }
    let frame = player.slot().take_latest().expect("step published");
    frame_number(&frame)
}

#[test]
fn stepping_back_reuses_the_decoded_gop() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    let (_, f) = seek(&p, &clock, time_of(47), SeekMode::Exact);
    assert_eq!(frame_number(&f), 47);
    let decoded = p.stats().frames_decoded;
    assert!(
        (12..=13).contains(&decoded),
        "one GOP to reach frame 47: {decoded}"
    );
    for want in (36..47).rev() {
        assert_eq!(step_and_read(&p, &clock, -1), want);
    }
    assert_eq!(
        p.stats().frames_decoded,
        decoded,
        "GOP 36..47 came from the cache"
    );
    assert_eq!(step_and_read(&p, &clock, -1), 35);
    assert_eq!(
        p.stats().frames_decoded,
        decoded + 12,
        "the previous GOP decoded once, whole"
    );
    for want in (24..35).rev() {
        assert_eq!(step_and_read(&p, &clock, -1), want);
    }
    assert_eq!(p.stats().frames_decoded, decoded + 12);
    let stats = p.stats();
    assert_eq!(stats.cache_gops, 2);
    assert!(stats.cache_bytes >= 24 * 320 * 240 * 3 / 2, "{stats:?}");
    p.stop();
}

#[test]
fn a_cache_smaller_than_a_gop_stays_in_budget_and_stays_exact() {
    let dir = archive();
    let clock = PlaybackClock::new(WallNanos(T0));
    // Room for about five 320×240 frames: every GOP (12 frames) is over budget.
    let budget = 5 * (320 * 240 * 3 / 2 + 1024);
    let p = Player::start_with(
        dir.path(),
        "cam",
        Arc::clone(&clock),
        Arc::new(|| {}),
        PlayerOptions {
            cache_bytes: budget,
            ..PlayerOptions::default()
        },
    )
    .unwrap();
    let (_, f) = seek(&p, &clock, time_of(130), SeekMode::Exact);
    assert_eq!(frame_number(&f), 130);
    for want in (100..130).rev() {
        assert_eq!(step_and_read(&p, &clock, -1), want);
        assert!(p.stats().cache_bytes <= budget, "{:?}", p.stats());
    }
    assert_eq!(step_and_read(&p, &clock, 25), 125);
    clock.play(-2.0);
    let seen = collect(&p, 800);
    clock.pause();
    assert!(seen.len() >= 3, "{seen:?}");
    for pair in seen.windows(2) {
        assert!(pair[1].0 < pair[0].0, "descending: {seen:?}");
    }
    assert!(p.stats().cache_bytes <= budget, "{:?}", p.stats());
    p.stop();
}

#[test]
fn forward_play_follows_a_segment_still_being_recorded() {
    use vigil_record::writer::{SegmentStart, SegmentWriter};
    use vigil_store::{SegmentTrigger, Store};
    let dir = tempfile::tempdir().unwrap();
    let clip = numbered_clip(300, WIDTH, HEIGHT, GOP);
    let storage = dir.path().to_path_buf();
    let (started_tx, started_rx) = std::sync::mpsc::sync_channel(1);
    // The recorder: 36 frames at once, then the rest at 25 frames a second.
    let recorder = std::thread::Builder::new()
        .name("test-recorder".to_owned())
        .spawn(move || {
            ffmpeg_next::init().unwrap();
            let mut input = ffmpeg_next::format::input(&clip).unwrap();
            let stream = input
                .streams()
                .best(ffmpeg_next::media::Type::Video)
                .unwrap();
            let (index, params, tb) = (stream.index(), stream.parameters(), stream.time_base());
            let packets: Vec<ffmpeg_next::Packet> = input
                .packets()
                .filter(|(s, _)| s.index() == index)
                .map(|(_, p)| p)
                .collect();
            let mut store = Store::open(&storage).unwrap();
            let mut writer = SegmentWriter::create(
                &store,
                SegmentStart {
                    camera: "cam",
                    parameters: params,
                    codec: "h264",
                    width: WIDTH,
                    height: HEIGHT,
                    time_base: (tb.numerator(), tb.denominator()),
                    start_ns: T0,
                    source_dts: 0,
                    trigger: SegmentTrigger::Continuous,
                },
            )
            .unwrap();
            for (i, p) in packets.iter().enumerate().take(200) {
                if i == 36 {
                    started_tx.send(()).unwrap();
                }
                if i >= 36 {
                    std::thread::sleep(Duration::from_millis(40));
                }
                writer.write(&mut store, p).unwrap();
            }
            writer.finish(&mut store).unwrap();
        })
        .expect("spawn");
    started_rx.recv().unwrap();
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    let (_, f) = seek(&p, &clock, time_of(10), SeekMode::Exact);
    assert_eq!(frame_number(&f), 10);
    clock.play(1.0);
    let seen = collect(&p, 3000);
    clock.pause();
    recorder.join().unwrap();
    for pair in seen.windows(2) {
        assert!(pair[1].0 > pair[0].0, "ascending: {seen:?}");
    }
    for (n, pts) in &seen {
        assert_eq!(*pts, time_of(*n));
    }
    let last = seen.last().unwrap().0;
    assert!(
        last >= 70,
        "played on into footage written after it started (36 frames then): {last}"
    );
    // No stall at the moving end: about 25 frames a second throughout.
    assert!(seen.len() >= 55, "{} frames in 3 s: {seen:?}", seen.len());
    p.stop();
}

#[test]
fn segments_with_different_stream_settings_get_their_own_decoder() {
    // Segment A: 320×240; segment B right after it: 320×256 (new SPS, new moov).
    let dir = tempfile::tempdir().unwrap();
    let small = numbered_clip(300, WIDTH, HEIGHT, GOP);
    let tall = numbered_clip(300, WIDTH, 256, GOP);
    write_archive(
        dir.path(),
        "cam",
        &small,
        &[SegmentPlan {
            first: 0,
            last: 120,
            start_ns: T0,
        }],
    );
    write_archive(
        dir.path(),
        "cam",
        &tall,
        &[SegmentPlan {
            first: 120,
            last: 240,
            start_ns: T0 + 120 * FRAME_NS,
        }],
    );
    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    let (_, f) = seek(&p, &clock, time_of(118), SeekMode::Exact);
    assert_eq!((frame_number(&f), f.height), (118, 240));
    for (n, want, height) in [(1, 119, 240), (1, 120, 256), (5, 125, 256), (-6, 119, 240)] {
        p.step(n);
        let deadline = Instant::now() + Duration::from_secs(10);
        let frame = loop {
            if let Some(f) = p.slot().take_latest() {
                break f;
            }
            assert!(Instant::now() < deadline, "step {n}: {:?}", p.status());
            std::thread::sleep(Duration::from_millis(2));
        };
        assert_eq!(
            (frame_number(&frame), frame.height),
            (want, height),
            "step {n}"
        );
    }
    let (_, f) = seek(&p, &clock, time_of(200), SeekMode::Exact);
    assert_eq!((frame_number(&f), f.height), (200, 256));
    let (_, f) = seek(&p, &clock, time_of(3), SeekMode::Exact);
    assert_eq!((frame_number(&f), f.height), (3, 240));
    p.stop();
}

#[test]
fn a_damaged_or_missing_segment_is_an_error_that_names_the_file_and_the_rest_still_plays() {
    let dir = archive();
    let store = vigil_store::Store::open(dir.path()).unwrap();
    let segments = store.segments(Some("cam")).unwrap();
    assert_eq!(segments.len(), 3);
    // The middle segment's file is overwritten with garbage, the last one deleted
    // (a disk fault, or someone tidying the folder by hand).
    let middle = dir.path().join(&segments[1].file);
    std::fs::write(&middle, vec![0x5a_u8; 4096]).unwrap();
    let last = dir.path().join(&segments[2].file);
    std::fs::remove_file(&last).unwrap();
    drop(store);

    let clock = PlaybackClock::new(WallNanos(T0));
    let p = player(dir.path(), "cam", &clock);
    for (n, path) in [(150, &middle), (260, &last)] {
        clock.seek(WallNanos(time_of(n)), SeekMode::Exact);
        let status = settled(&p, &clock);
        let PlayerState::Error(text) = &status.state else {
            panic!("frame {n}: expected an error, got {status:?}");
        };
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            text.contains(name.as_ref()),
            "frame {n}: '{text}' does not name {name}"
        );
        assert!(p.slot().take_latest().is_none(), "nothing bogus published");
    }
    // The intact first segment still plays, exactly.
    let (_, frame) = seek(&p, &clock, time_of(50), SeekMode::Exact);
    assert_eq!(frame_number(&frame), 50);
    p.stop();
}
