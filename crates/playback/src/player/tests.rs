//! The player's logic on a fake footage and a simulated clock: every round is run by
//! the test, time moves only when the test moves it, and what was shown is read from the
//! output. No thread, no sleep, no FFmpeg.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::fake::{FakeFootage, FakePicture, Shown, Work};
use super::logic::{Next, PlayerLogic, Shared};
use crate::cache::DEFAULT_BUDGET_BYTES;
use crate::clock::{PlaybackClock, PlayerId, SeekMode};
use crate::{PlayerState, PlayerStatus};
use vigil_time::{Clock, SharedClock, SimClock, WallNanos};

const T0: i64 = 1_700_000_000_000_000_000;
const FRAME_NS: i64 = 40_000_000;
const GOP: usize = 12;
const GAP_NS: i64 = 2_000_000_000;

/// The wall time of frame `n` of the standard footage: segment A holds frames 0..120,
/// B 120..240 right after it, then 2 s of gap, then C 240..300, whose decoder
/// parameters differ (the camera's settings changed).
fn time_of(n: u32) -> i64 {
    T0 + i64::from(n) * FRAME_NS + if n >= 240 { GAP_NS } else { 0 }
}

/// The frame at a frame time.
fn number(p: &FakePicture) -> u32 {
    (0..300)
        .find(|n| time_of(*n) == p.time_ns)
        .unwrap_or_else(|| panic!("not a frame time: {p:?}"))
}

fn numbers(frames: &[FakePicture]) -> Vec<u32> {
    frames.iter().map(number).collect()
}

fn standard() -> FakeFootage {
    FakeFootage::new()
        .segment(time_of(0), 120, GOP, FRAME_NS, 1)
        .segment(time_of(120), 120, GOP, FRAME_NS, 1)
        .segment(time_of(240), 60, GOP, FRAME_NS, 2)
}

fn sim_clock() -> (Arc<SimClock>, Arc<PlaybackClock>) {
    let sim = SimClock::new(WallNanos(T0));
    let clock = PlaybackClock::with_clock(WallNanos(T0), Arc::clone(&sim) as SharedClock);
    (sim, clock)
}

/// One player's logic, run by the test.
struct TestPlayer {
    logic: PlayerLogic<FakeFootage, Shown>,
    shared: Arc<Shared>,
    id: PlayerId,
    clock: Arc<PlaybackClock>,
}

impl TestPlayer {
    /// A player on `clock`, settled on its first frame (which it then forgets).
    fn new(clock: &Arc<PlaybackClock>, footage: FakeFootage) -> Self {
        let shared = Arc::new(Shared::default());
        let id = clock.register();
        let logic = PlayerLogic::new(
            "cam",
            Arc::clone(clock),
            id,
            Arc::clone(&shared),
            footage,
            Shown::default(),
            DEFAULT_BUDGET_BYTES,
        );
        let mut player = Self {
            logic,
            shared,
            id,
            clock: Arc::clone(clock),
        };
        player.settle();
        player.take_shown();
        player
    }

    /// Runs rounds until the player has nothing to do; returns how long it would wait.
    fn settle(&mut self) -> Duration {
        for _ in 0..10_000 {
            if let Next::Wait { duration, .. } = self.logic.tick() {
                return duration;
            }
        }
        panic!("the player never settles: {:?}", self.status());
    }

    fn take_shown(&mut self) -> Vec<FakePicture> {
        std::mem::take(&mut self.logic.output_mut().frames)
    }

    fn status(&self) -> PlayerStatus {
        self.shared.status().clone()
    }

    fn work(&mut self) -> Work {
        self.logic.footage_mut().work
    }

    /// Seeks, settles, and returns what was published.
    fn seek(&mut self, n_or_time: i64, mode: SeekMode) -> Vec<FakePicture> {
        self.clock.seek(WallNanos(n_or_time), mode);
        self.settle();
        let status = self.status();
        assert_eq!(status.generation, self.clock.generation(), "{status:?}");
        self.take_shown()
    }

    fn step(&mut self, frames: i32) {
        assert!(self.clock.step(self.id, frames));
        self.settle();
    }
}

/// Plays at `speed` for `for_` of simulated time, one round after another, each after
/// the wait the previous one asked for. Returns what was published and every state.
fn play(
    p: &mut TestPlayer,
    sim: &SimClock,
    speed: f64,
    for_: Duration,
    mut between: impl FnMut(&mut TestPlayer),
) -> (Vec<FakePicture>, Vec<PlayerState>) {
    p.clock.play(speed);
    let end = sim.monotonic() + for_;
    let mut states = Vec::new();
    let mut shown = Vec::new();
    loop {
        let wait = p.settle();
        let now = p.clock.now().0;
        let new = p.take_shown();
        if let Some(last) = new.last() {
            // Paced: a frame is not shown before the clock reaches it (forward: its
            // time; reverse: the next frame's time, going down).
            let early = if speed > 0.0 {
                last.time_ns > now
            } else {
                last.time_ns + FRAME_NS <= now
            };
            assert!(!early, "frame {} shown before its time", number(last));
        }
        shown.extend(new);
        states.push(p.status().state);
        let left = end.saturating_duration_since(sim.monotonic());
        if left.is_zero() {
            break;
        }
        sim.advance(wait.max(Duration::from_millis(1)).min(left));
        between(p);
    }
    p.clock.pause();
    p.settle();
    (shown, states)
}

fn expected_exact(t: i64) -> u32 {
    (0..300).filter(|n| time_of(*n) <= t).max().unwrap_or(0)
}

#[test]
fn exact_seek_shows_the_frame_whose_time_is_the_latest_at_or_before() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    let mut times = vec![
        time_of(0),
        time_of(5),
        time_of(5) + FRAME_NS / 2,
        time_of(11) + FRAME_NS - 1, // the last nanosecond before a keyframe
        time_of(12),
        time_of(119) + 1,
        time_of(120), // segment B's first frame
        time_of(131),
        time_of(239) + FRAME_NS - 1,
        time_of(240), // after the gap
        time_of(299),
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = u32::try_from(x % 300).unwrap();
        times.push(time_of(n) + i64::try_from(x % 40_000_000).unwrap());
    }
    for t in times {
        let shown = p.seek(t, SeekMode::Exact);
        let want = expected_exact(t);
        assert_eq!(numbers(&shown), vec![want], "t = T0 + {} ns", t - T0);
        let status = p.status();
        assert_eq!(status.shown, Some(WallNanos(time_of(want))));
        assert!(status.exact);
        assert_eq!(status.state, PlayerState::Showing);
    }
}

#[test]
fn preview_shows_the_keyframe_at_or_before_with_bounded_work() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    for n in [7u32, 12, 23, 125, 131, 240, 250, 299, 0] {
        let key = n - n % 12;
        let t = time_of(n) + if n == key { 0 } else { 10_000_000 };
        let before = p.work().decoded;
        let shown = p.seek(t, SeekMode::Preview);
        assert_eq!(numbers(&shown), vec![key], "preview of frame {n}");
        let status = p.status();
        assert_eq!(status.exact, n == key, "exact only on the keyframe itself");
        assert!(
            p.work().decoded - before <= 2,
            "a keyframe and the packet that pushes it out"
        );
    }
    // Exact after a preview decodes on from it, without seeking again.
    assert_eq!(numbers(&p.seek(time_of(160), SeekMode::Preview)), vec![156]);
    let seeks = p.work().seeks;
    assert_eq!(numbers(&p.seek(time_of(163), SeekMode::Exact)), vec![163]);
    assert_eq!(p.work().seeks, seeks, "the decoder continued");
}

#[test]
fn steps_cross_gops_segments_the_gap_and_decoder_changes_and_the_others_follow() {
    let (_sim, clock) = sim_clock();
    let mut a = TestPlayer::new(&clock, standard());
    let mut b = TestPlayer::new(&clock, standard());
    assert_eq!(numbers(&a.seek(time_of(24), SeekMode::Exact)), vec![24]);
    b.settle();
    b.take_shown();
    for (n, want, config) in [
        (-1, 23, 1), // back across a GOP boundary (24 is a keyframe)
        (-1, 22, 1),
        (-11, 11, 1), // into the GOP before
        (-1, 10, 1),
        (14, 24, 1),
        (95, 119, 1),
        (1, 120, 1),  // forward across segments A → B
        (-1, 119, 1), // and back
        (120, 239, 1),
        (1, 240, 2), // across the gap into C, whose decoder parameters differ
        (-1, 239, 1),
        (-3, 236, 1),
        (100, 299, 2), // stops at the end of the footage
        (-400, 0, 1),  // and at its start
    ] {
        a.step(n);
        let shown = a.take_shown();
        assert_eq!(numbers(&shown), vec![want], "step {n}");
        assert_eq!(shown[0].config, config, "decoded with segment's parameters");
        assert!(clock.is_paused());
        assert_eq!(clock.now(), WallNanos(time_of(want)), "the clock follows");
        assert_eq!(a.status().generation, clock.generation());
        assert_eq!(a.status().state, PlayerState::Showing);
        b.settle();
        assert_eq!(
            numbers(&b.take_shown()),
            vec![want],
            "the other player follows"
        );
        assert_eq!(b.status().generation, clock.generation());
    }
    // A's and B's parameters, then C's from 240 on (every frame stepped back to was in
    // the cache, decoded with its own segment's parameters).
    assert_eq!(
        a.work().decoders,
        2,
        "a new decoder where the parameters change"
    );
}

#[test]
fn stepping_back_walks_the_cache_and_decodes_each_gop_once() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    let base = p.work().decoded;
    assert_eq!(numbers(&p.seek(time_of(47), SeekMode::Exact)), vec![47]);
    let decoded = p.work().decoded - base;
    assert_eq!(decoded, 12, "frames 36..=47 (the GOP's end pushes 47 out)");
    for want in (36..47).rev() {
        p.step(-1);
        assert_eq!(numbers(&p.take_shown()), vec![want]);
    }
    assert_eq!(
        p.work().decoded - base,
        decoded,
        "GOP 36..47 came from the cache"
    );
    p.step(-1);
    assert_eq!(numbers(&p.take_shown()), vec![35]);
    assert_eq!(
        p.work().decoded - base,
        decoded + 12,
        "the previous GOP decoded once, whole"
    );
    for want in (24..35).rev() {
        p.step(-1);
        assert_eq!(numbers(&p.take_shown()), vec![want]);
    }
    assert_eq!(p.work().decoded - base, decoded + 12);
    assert_eq!(p.shared.stats().cache_gops, 3, "GOP 0 and the two walked");
}

#[test]
fn reverse_play_is_strictly_descending_and_shows_every_frame_at_1x() {
    let (sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    p.logic.footage_mut().sim = Some((Arc::clone(&sim), Duration::from_millis(1)));
    p.seek(time_of(130), SeekMode::Exact);
    let (shown, _) = play(&mut p, &sim, -1.0, Duration::from_secs(2), |_| {});
    let seen = numbers(&shown);
    // 2 s at 25 frames a second: 50 frames, across a GOP and the segment boundary.
    let want: Vec<u32> = (80..130).rev().collect();
    assert_eq!(seen, want, "every frame, strictly descending");
    for (speed, start) in [(-4.0, 235), (-16.0, 299)] {
        p.seek(time_of(start), SeekMode::Exact);
        let (shown, _) = play(&mut p, &sim, speed, Duration::from_millis(700), |_| {});
        let seen = numbers(&shown);
        assert!(seen.len() >= 3, "at {speed}×: {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[1] < w[0]),
            "strictly descending at {speed}×: {seen:?}"
        );
        assert!(
            start - seen[seen.len() - 1] >= 12,
            "crossed a GOP at {speed}×: {seen:?}"
        );
    }
}

#[test]
fn forward_play_is_paced_decodes_each_frame_once_and_continues_after_the_gap() {
    let (sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    p.logic.footage_mut().sim = Some((Arc::clone(&sim), Duration::from_millis(1)));
    p.seek(time_of(10), SeekMode::Exact);
    let (seeks, decoded) = (p.work().seeks, p.work().decoded);
    let (shown, _) = play(&mut p, &sim, 1.0, Duration::from_secs(1), |_| {});
    // One second at 1×: frames 11 to 35, each when its time comes.
    assert_eq!(numbers(&shown), (11..=35).collect::<Vec<_>>());
    assert_eq!(p.work().seeks, seeks, "the decoder continued across GOPs");
    assert!(
        p.work().decoded - decoded <= 26,
        "each frame decoded once: {}",
        p.work().decoded - decoded
    );

    // From frame 230 at 2×: B ends at 240, then 2 s of gap (1 s at 2×), then C.
    p.seek(time_of(230), SeekMode::Exact);
    let (shown, states) = play(&mut p, &sim, 2.0, Duration::from_secs(2), |_| {});
    let seen = numbers(&shown);
    let gap = states
        .iter()
        .position(|s| *s == PlayerState::NoFootage)
        .expect("NoFootage in the gap");
    assert!(states[..gap].iter().all(|s| *s == PlayerState::Playing));
    let (before, after): (Vec<u32>, Vec<u32>) = seen.iter().partition(|n| **n < 240);
    assert_eq!(before, (231..240).collect::<Vec<_>>(), "{seen:?}");
    assert_eq!(
        after.first(),
        Some(&240),
        "resumed at segment C's start: {seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[1] > w[0]), "ascending: {seen:?}");
}

#[test]
fn a_seek_into_a_gap_gives_no_footage_and_publishes_nothing() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    assert_eq!(numbers(&p.seek(time_of(200), SeekMode::Exact)), vec![200]);
    for (t, mode) in [
        (time_of(239) + FRAME_NS + 1, SeekMode::Exact), // the gap
        (time_of(240) - 1, SeekMode::Preview),
        (T0 - 1_000_000_000, SeekMode::Exact), // before any footage
        (time_of(299) + 5_000_000_000, SeekMode::Exact), // after it
    ] {
        let shown = p.seek(t, mode);
        let status = p.status();
        assert_eq!(status.state, PlayerState::NoFootage, "t = T0 + {}", t - T0);
        assert_eq!(
            status.shown,
            Some(WallNanos(time_of(200))),
            "old picture kept"
        );
        assert!(shown.is_empty(), "nothing new published");
    }
}

#[test]
fn keyframes_only_above_2x_when_decoding_cannot_keep_up() {
    // 25 frames a second; a frame is due every 10 ms at 4×, every 20 ms at 2×.
    for (cost_ms, speed, keyframes_only) in [(20, 4.0, true), (2, 4.0, false), (20, 2.0, false)] {
        let (sim, clock) = sim_clock();
        let mut p = TestPlayer::new(&clock, standard());
        p.logic.footage_mut().sim = Some((Arc::clone(&sim), Duration::from_millis(cost_ms)));
        // Decoding up to frame 5 measures the cost.
        p.seek(time_of(5), SeekMode::Exact);
        let mut flagged = Vec::new();
        let (shown, _) = play(&mut p, &sim, speed, Duration::from_secs(2), |p| {
            flagged.push(p.status().keyframes_only);
        });
        let seen = numbers(&shown);
        let case = format!("{cost_ms} ms a frame at {speed}×: {seen:?}");
        assert!(seen.windows(2).all(|w| w[1] > w[0]), "{case}");
        assert!(seen.len() >= 5, "{case}");
        if keyframes_only {
            assert!(flagged.iter().any(|f| *f), "{case}");
            // After the first frames (decoded before the cost was known), keyframes only.
            let later: Vec<u32> = seen.iter().copied().filter(|n| *n >= 24).collect();
            assert!(later.len() >= 4, "{case}");
            assert!(later.iter().all(|n| n % 12 == 0), "{case}");
            assert!(
                seen.last().unwrap() >= &(speed as u32 * 2 * 25 - 24),
                "kept up: {case}"
            );
        } else {
            assert!(flagged.iter().all(|f| !*f), "{case}");
            assert!(seen.iter().filter(|n| *n % 12 != 0).count() >= 5, "{case}");
        }
    }
}

#[test]
fn a_read_error_names_the_file_and_the_next_seek_recovers() {
    let (_sim, clock) = sim_clock();
    let mut footage = standard();
    footage.segments[1].failing = true;
    let mut p = TestPlayer::new(&clock, footage);
    assert_eq!(numbers(&p.seek(time_of(100), SeekMode::Exact)), vec![100]);
    let shown = p.seek(time_of(150), SeekMode::Exact);
    let status = p.status();
    let PlayerState::Error(text) = &status.state else {
        panic!("expected an error: {status:?}");
    };
    assert!(text.contains("camera cam"), "{text}");
    assert!(text.contains("cam/segment-2.mp4"), "names the file: {text}");
    assert!(shown.is_empty(), "nothing bogus published");
    assert_eq!(p.work().resets, 1, "what was read is forgotten");
    // Another segment plays at once; the damaged one once it is readable again.
    assert_eq!(numbers(&p.seek(time_of(50), SeekMode::Exact)), vec![50]);
    assert_eq!(p.status().state, PlayerState::Showing);
    p.logic.footage_mut().segments[1].failing = false;
    assert_eq!(numbers(&p.seek(time_of(150), SeekMode::Exact)), vec![150]);
    assert_eq!(p.status().state, PlayerState::Showing);
}

#[test]
fn a_frame_that_cannot_be_converted_is_an_error_not_a_shown_frame() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    p.logic.output_mut().failing = Some("pixel format gray10 not supported".to_owned());
    p.seek(time_of(130), SeekMode::Exact);
    let status = p.status();
    let PlayerState::Error(text) = &status.state else {
        panic!("expected an error: {status:?}");
    };
    assert!(
        text.contains("segment-2.mp4") && text.contains("gray10"),
        "{text}"
    );
    assert_eq!(
        status.shown,
        Some(WallNanos(time_of(0))),
        "still the old picture"
    );
}

#[test]
fn the_newest_exact_seek_wins_over_an_older_one() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    // Seeks made before the player looks: only the newest is served.
    clock.seek(WallNanos(time_of(50)), SeekMode::Exact);
    clock.seek(WallNanos(time_of(70)), SeekMode::Exact);
    assert_eq!(numbers(&p.seek(time_of(90), SeekMode::Exact)), vec![90]);
    // A newer seek made while an exact one decodes (3 packets into GOP 48..60): the
    // older is abandoned, never shown.
    let start = p.work().decoded;
    let fired = Rc::new(Cell::new(false));
    let (c, f) = (Arc::clone(&clock), Rc::clone(&fired));
    p.logic.footage_mut().on_decode = Some(Box::new(move |n| {
        if n == start + 3 && !f.get() {
            f.set(true);
            c.seek(WallNanos(time_of(130)), SeekMode::Exact);
        }
    }));
    let shown = p.seek(time_of(59), SeekMode::Exact);
    assert!(fired.get());
    assert_eq!(numbers(&shown), vec![130], "the newer seek, and only it");
    assert_eq!(p.status().generation, clock.generation());
    assert!(
        p.work().decoded - start < 12 + 12,
        "GOP 48..60 not decoded through"
    );
}

#[test]
fn a_preview_is_never_cancelled() {
    let (_sim, clock) = sim_clock();
    let mut p = TestPlayer::new(&clock, standard());
    let start = p.work().decoded;
    let (c, fired) = (Arc::clone(&clock), Rc::new(Cell::new(false)));
    let f = Rc::clone(&fired);
    p.logic.footage_mut().on_decode = Some(Box::new(move |n| {
        if n == start + 1 && !f.get() {
            f.set(true);
            c.seek(WallNanos(time_of(200)), SeekMode::Preview);
        }
    }));
    // Each preview of a drag shows its keyframe even when the next came meanwhile.
    let shown = p.seek(time_of(77), SeekMode::Preview);
    assert!(fired.get());
    assert_eq!(numbers(&shown), vec![72, 192]);
}

#[test]
fn requests_are_taken_in_order_seek_then_step_and_a_seek_replaces_a_step() {
    let (_sim, clock) = sim_clock();
    let mut a = TestPlayer::new(&clock, standard());
    assert_eq!(numbers(&a.seek(time_of(10), SeekMode::Exact)), vec![10]);
    // A step made after a seek steps from the seek's frame.
    clock.seek(WallNanos(time_of(50)), SeekMode::Exact);
    a.step(2);
    assert_eq!(numbers(&a.take_shown()), vec![50, 52]);
    assert_eq!(clock.now(), WallNanos(time_of(52)));
    // Steps add up; a seek made after them replaces them.
    assert!(clock.step(a.id, 1));
    assert!(clock.step(a.id, 1));
    a.settle();
    assert_eq!(numbers(&a.take_shown()), vec![54]);
    assert!(clock.step(a.id, 5));
    assert_eq!(numbers(&a.seek(time_of(100), SeekMode::Exact)), vec![100]);
}

#[test]
fn play_follows_a_segment_still_being_recorded() {
    let (sim, clock) = sim_clock();
    // 11 frames so far; the recorder adds one every 40 ms, each as playback reaches
    // its time: decoding keeps reaching the end of what was written.
    let footage = FakeFootage::new()
        .segment(time_of(0), 11, GOP, FRAME_NS, 1)
        .recording();
    let mut p = TestPlayer::new(&clock, footage);
    p.seek(time_of(10), SeekMode::Exact);
    let started = sim.monotonic();
    let (shown, states) = play(&mut p, &sim, 1.0, Duration::from_secs(3), |p| {
        let elapsed = sim.monotonic().saturating_duration_since(started);
        let due = 11 + usize::try_from(elapsed.as_millis() / 40).unwrap();
        let f = p.logic.footage_mut();
        let have = f.segments[0].gops.iter().map(Vec::len).sum::<usize>();
        f.grow(due.saturating_sub(have), GOP, FRAME_NS);
    });
    let seen = numbers(&shown);
    assert_eq!(
        seen,
        (11..=85).collect::<Vec<_>>(),
        "played on into new footage"
    );
    assert!(
        states.iter().all(|s| *s == PlayerState::Playing),
        "{states:?}"
    );
}
