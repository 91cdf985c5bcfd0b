//! Shared by the playback tests and the scrub benchmark's smoke test: a clip whose
//! frames carry their own number as a pattern of black and white blocks, and archives
//! built from it with the real segment writer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ffmpeg_next as ff;
use vigil_media::VideoFrame;
use vigil_record::writer::{SegmentStart, SegmentWriter};
use vigil_store::{SegmentTrigger, Store};

pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 240;
pub const FPS: i64 = 25;
pub const FRAME_NS: i64 = 1_000_000_000 / FPS;
pub const GOP: usize = 12;
/// Bits of the frame number, one 20×20 block each along the top.
const BITS: u32 = 16;
const BLOCK: u32 = 20;

/// Wall time of the archive's first frame.
pub const T0: i64 = 1_780_000_000_000_000_000;

/// A clip of `frames` frames (H.264, a keyframe every `GOP` frames, no B-frames) with
/// each frame's number drawn as bits; cached under target/ by its parameters.
pub fn numbered_clip(frames: usize, width: u32, height: u32, gop: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/playback-clips");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("numbered-{frames}-{width}x{height}-g{gop}.mp4"));
    if path.exists() {
        return path;
    }
    // Tests of one process may make the same clip at once: each writes its own file
    // (the last rename wins, with the same bytes).
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = dir.join(format!(
        "tmp-{}-{}-{frames}-{width}x{height}-g{gop}.mp4",
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo"])
        .args(["-pix_fmt", "yuv420p", "-s", &format!("{width}x{height}")])
        .args(["-r", &FPS.to_string(), "-i", "-"])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-qp", "16", "-bf", "0",
        ])
        .args(["-g", &gop.to_string(), "-keyint_min", &gop.to_string()])
        .args(["-sc_threshold", "0", "-pix_fmt", "yuv420p"])
        .arg(&tmp)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run ffmpeg (scripts/deps.sh installs it)");
    {
        let mut stdin = child.stdin.take().unwrap();
        let (w, h) = (width as usize, height as usize);
        let mut buf = vec![0u8; w * h * 3 / 2];
        for n in 0..frames {
            draw_frame(&mut buf, w, h, n as u32);
            stdin.write_all(&buf).unwrap();
        }
    }
    assert!(child.wait().unwrap().success(), "ffmpeg failed");
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn draw_frame(buf: &mut [u8], w: usize, h: usize, n: u32) {
    let (y_plane, chroma) = buf.split_at_mut(w * h);
    for y in 0..h {
        for x in 0..w {
            let bit_block = (y as u32) < BLOCK && (x as u32) < BITS * BLOCK;
            y_plane[y * w + x] = if bit_block {
                let bit = BITS - 1 - x as u32 / BLOCK;
                if n >> bit & 1 == 1 { 235 } else { 16 }
            } else {
                // Moving texture below, so the encoder has real work.
                ((x + y * 2 + n as usize * 3) % 200 + 28) as u8
            };
        }
    }
    chroma.fill(128);
}

/// Reads the frame number back from a decoded frame's Y plane.
pub fn frame_number(frame: &VideoFrame) -> u32 {
    read_bits(|x, y| frame.yuv_at(x, y)[0], 1)
}

/// Reads the number from an RGBA thumbnail `scale` times smaller than the clip.
pub fn thumbnail_number(rgba: &[u8], width: u32, scale: u32) -> u32 {
    read_bits(|x, y| rgba[((y * width + x) * 4) as usize], scale)
}

fn read_bits(sample: impl Fn(u32, u32) -> u8, scale: u32) -> u32 {
    let mut n = 0;
    for bit in 0..BITS {
        let x = (bit * BLOCK + BLOCK / 2) / scale;
        let y = (BLOCK / 2) / scale;
        n = n << 1 | u32::from(sample(x, y) > 128);
    }
    n
}

/// One segment of an archive: clip frames `first..last` (first a keyframe) starting at
/// wall time `start_ns`.
pub struct SegmentPlan {
    pub first: usize,
    pub last: usize,
    pub start_ns: i64,
}

/// Writes `plan` into `storage` for `camera` with the real segment writer (all
/// segments complete).
pub fn write_archive(storage: &Path, camera: &str, clip: &Path, plan: &[SegmentPlan]) {
    ff::init().ok();
    let mut input = ff::format::input(&clip).expect("open clip");
    let stream = input.streams().best(ff::media::Type::Video).expect("video");
    let (index, params, tb) = (stream.index(), stream.parameters(), stream.time_base());
    let (width, height) = {
        let ctx = ff::codec::context::Context::from_parameters(params.clone()).unwrap();
        let v = ctx.decoder().video().unwrap();
        (v.width(), v.height())
    };
    let packets: Vec<ff::Packet> = input
        .packets()
        .filter(|(s, _)| s.index() == index)
        .map(|(_, p)| p)
        .collect();
    let mut store = Store::open(storage).expect("store");
    for seg in plan {
        assert!(packets[seg.first].is_key(), "segment starts at a keyframe");
        let mut writer = SegmentWriter::create(
            &store,
            SegmentStart {
                camera,
                parameters: params.clone(),
                codec: "h264",
                width,
                height,
                time_base: (tb.numerator(), tb.denominator()),
                start_ns: seg.start_ns,
                source_dts: packets[seg.first].dts().unwrap_or(0),
                trigger: SegmentTrigger::Continuous,
            },
        )
        .expect("create segment");
        for p in &packets[seg.first..seg.last] {
            writer.write(&mut store, p).expect("write");
        }
        writer.finish(&mut store).expect("finish");
    }
}

/// The standard test archive: 300 frames of 320×240 in three segments —
/// A = frames 0..120 at T0, B = 120..240 right after A, a 2 s gap, C = 240..300.
pub fn standard_archive(storage: &Path, camera: &str) {
    let clip = numbered_clip(300, WIDTH, HEIGHT, GOP);
    write_archive(storage, camera, &clip, &standard_plan());
}

pub const GAP_NS: i64 = 2_000_000_000;

pub fn standard_plan() -> Vec<SegmentPlan> {
    vec![
        SegmentPlan {
            first: 0,
            last: 120,
            start_ns: T0,
        },
        SegmentPlan {
            first: 120,
            last: 240,
            start_ns: T0 + 120 * FRAME_NS,
        },
        SegmentPlan {
            first: 240,
            last: 300,
            start_ns: T0 + 240 * FRAME_NS + GAP_NS,
        },
    ]
}

/// Wall time of clip frame `n` in the standard archive.
pub fn time_of(n: u32) -> i64 {
    let n = i64::from(n);
    if n < 240 {
        T0 + n * FRAME_NS
    } else {
        T0 + n * FRAME_NS + GAP_NS
    }
}
