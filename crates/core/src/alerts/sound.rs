//! The alarm sound: a short two-note chime, made here as a WAV file in memory and
//! piped to the desktop's own player on a `vigil-sound` thread — `paplay` (PulseAudio
//! and PipeWire) first, then `aplay` (ALSA). No audio library is linked: the sound goes
//! wherever the desktop sends its sounds, and a machine without a player or a sound
//! card (CI) skips it with a log line.
//!
//! Owns: the chime, the thread and the player processes (argv only, never a shell).
//! Must not: block the core, queue sounds (one plays at a time; a ring while one
//! plays is dropped), or fail an alarm.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

/// The players tried in turn, each reading a WAV file on standard input.
pub const SYSTEM_PLAYERS: &[&[&str]] = &[&["paplay"], &["aplay", "-q", "-"]];
/// A player still running after this is stopped (the chime lasts under half a second).
const PLAYER_TIMEOUT: Duration = Duration::from_secs(5);
/// Samples per second of the chime.
const SAMPLE_RATE_HZ: u32 = 22_050;

/// What happened to the rings so far.
#[derive(Debug, Default)]
pub struct SoundCounts {
    /// Chimes a player played to the end.
    pub played: AtomicU64,
    /// Chimes no player could play (none installed, no sound device).
    pub skipped: AtomicU64,
    /// Rings dropped because a chime was playing.
    pub dropped: AtomicU64,
}

/// The sound thread; dropping it ends the thread after the chime that plays.
pub struct Sounder {
    ring: Option<Sender<()>>,
    counts: Arc<SoundCounts>,
    thread: Option<JoinHandle<()>>,
}

impl Sounder {
    /// A sounder using the desktop's players ([`SYSTEM_PLAYERS`]).
    pub fn system() -> std::io::Result<Self> {
        let players = SYSTEM_PLAYERS
            .iter()
            .map(|argv| argv.iter().map(|a| (*a).to_owned()).collect())
            .collect();
        Self::start(players)
    }

    /// A sounder trying `players` (argv vectors reading a WAV on stdin) in turn.
    pub fn start(players: Vec<Vec<String>>) -> std::io::Result<Self> {
        let (ring, rings) = crossbeam_channel::bounded::<()>(1);
        let counts = Arc::new(SoundCounts::default());
        let thread = {
            let counts = Arc::clone(&counts);
            std::thread::Builder::new()
                .name("vigil-sound".into())
                .spawn(move || run(&players, &rings, &counts))?
        };
        Ok(Self {
            ring: Some(ring),
            counts,
            thread: Some(thread),
        })
    }

    /// Plays the chime unless one is playing; never waits.
    pub fn ring(&self) {
        if let Some(ring) = &self.ring
            && ring.try_send(()).is_err()
        {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What happened so far.
    pub fn counts(&self) -> &SoundCounts {
        &self.counts
    }
}

impl Drop for Sounder {
    fn drop(&mut self) {
        self.ring = None;
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
            && thread.join().is_err()
        {
            tracing::error!("the sound thread panicked");
        }
    }
}

fn run(players: &[Vec<String>], rings: &Receiver<()>, counts: &SoundCounts) {
    let chime = chime_wav();
    let mut said_skipped = false;
    while rings.recv().is_ok() {
        let mut why = Vec::new();
        let played = players.iter().any(|argv| match play(argv, &chime) {
            Ok(()) => true,
            Err(e) => {
                why.push(format!("{}: {e}", argv.first().map_or("", String::as_str)));
                false
            }
        });
        if played {
            counts.played.fetch_add(1, Ordering::Relaxed);
            said_skipped = false;
        } else {
            counts.skipped.fetch_add(1, Ordering::Relaxed);
            let why = why.join("; ");
            if said_skipped {
                tracing::debug!(%why, "alarm sound skipped");
            } else {
                // Said once per stretch without sound, never an error: a machine may
                // have no sound card at all.
                tracing::info!(%why, "alarm sound skipped: no player could play it");
                said_skipped = true;
            }
        }
    }
}

/// Runs one player with the chime on its stdin; `Err` says why it did not play.
fn play(argv: &[String], wav: &[u8]) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no program")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let wrote = child.stdin.take().map(|mut stdin| stdin.write_all(wav));
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                return match wrote {
                    Some(Err(e)) => Err(format!("could not take the sound: {e}")),
                    _ => Ok(()),
                };
            }
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if started.elapsed() > PLAYER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still playing after {PLAYER_TIMEOUT:?}: stopped"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The chime: 880 Hz for 0.18 s then 660 Hz for 0.26 s, mono 16-bit PCM, with short
/// fades so it does not click, as a complete WAV file.
pub fn chime_wav() -> Vec<u8> {
    let mut samples = tone(880.0, 0.18);
    samples.extend(tone(660.0, 0.26));
    wav_file(&samples, SAMPLE_RATE_HZ)
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn tone(freq_hz: f64, secs: f64) -> Vec<i16> {
    let n = (secs * f64::from(SAMPLE_RATE_HZ)) as usize;
    let fade = (0.01 * f64::from(SAMPLE_RATE_HZ)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(SAMPLE_RATE_HZ);
            let edge = i.min(n - 1 - i).min(fade) as f64 / fade.max(1) as f64;
            let v = (t * freq_hz * std::f64::consts::TAU).sin() * 0.4 * edge;
            (v * f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// A RIFF/WAVE file of mono 16-bit `samples`.
fn wav_file(samples: &[i16], rate_hz: u32) -> Vec<u8> {
    let data_bytes = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate_hz.to_le_bytes());
    out.extend_from_slice(&(rate_hz * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_chime_is_a_well_formed_wav() {
        let wav = chime_wav();
        let u32_at = |i: usize| u32::from_le_bytes(wav[i..i + 4].try_into().expect("4 bytes"));
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(u32_at(4) as usize, wav.len() - 8);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(u32_at(24), SAMPLE_RATE_HZ);
        assert_eq!(&wav[36..40], b"data");
        let samples = (wav.len() - 44) / 2;
        assert_eq!(u32_at(40) as usize, samples * 2);
        // 0.44 s of sound, loud in the middle and silent at both ends (the fades).
        assert_eq!(samples, 3969 + 5733);
        let sample = |i: usize| i16::from_le_bytes([wav[44 + 2 * i], wav[45 + 2 * i]]);
        assert_eq!(sample(0), 0);
        assert!((0..200).map(|i| sample(1000 + i).unsigned_abs()).max() > Some(10_000));
        assert!(sample(samples - 1).unsigned_abs() < 200);
    }

    #[test]
    fn the_first_player_that_works_gets_the_whole_chime() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("played.wav");
        let sounder = Sounder::start(vec![
            vec!["/nonexistent/vigil-player".into()],
            vec!["sh".into(), "-c".into(), "exit 3".into()],
            vec![
                "sh".into(),
                "-c".into(),
                format!("cat > '{}'", out.display()),
            ],
        ])
        .expect("sounder");
        sounder.ring();
        wait_until("a played chime", || {
            sounder.counts().played.load(Ordering::Relaxed) == 1
        });
        assert_eq!(std::fs::read(&out).expect("played"), chime_wav());
        assert_eq!(sounder.counts().skipped.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn without_a_player_the_chime_is_skipped_not_an_error() {
        let sounder =
            Sounder::start(vec![vec!["/nonexistent/vigil-player".into()]]).expect("sounder");
        sounder.ring();
        wait_until("a skipped chime", || {
            sounder.counts().skipped.load(Ordering::Relaxed) == 1
        });
        sounder.ring();
        wait_until("a second skipped chime", || {
            sounder.counts().skipped.load(Ordering::Relaxed) == 2
        });
        assert_eq!(sounder.counts().played.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn rings_while_a_chime_plays_are_dropped_not_queued() {
        let sounder = Sounder::start(vec![vec![
            "sh".into(),
            "-c".into(),
            "cat > /dev/null; sleep 0.5".into(),
        ]])
        .expect("sounder");
        for _ in 0..10 {
            sounder.ring();
        }
        // One plays, at most one waits, the rest are dropped at once.
        assert!(sounder.counts().dropped.load(Ordering::Relaxed) >= 8);
        wait_until("the chimes", || {
            sounder.counts().played.load(Ordering::Relaxed) >= 1
        });
        std::thread::sleep(Duration::from_millis(1200));
        assert!(sounder.counts().played.load(Ordering::Relaxed) <= 2);
    }
}
