//! Shared by the evidence export tests (`tests/export.rs`, `tests/export_verify.rs`):
//! a seeded archive whose frames carry their number in their luma, running `vigil`
//! against it, and reading exported MP4s back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ffmpeg_next as ff;
use vigil_export::manifest::Manifest;
use vigil_store::Store;

pub const SEC: i64 = 1_000_000_000;
/// The clip's frame interval (10 fps).
pub const FRAME_NS: i64 = SEC / 10;

pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// A two-camera archive of half an hour ending now, seeded from a 60 s clip whose
    /// frame N has luma 16 + N mod 200 on its left half and 16 + 20·(N div 200) on its
    /// right (lossless H.264, a keyframe every second).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("numbers.mp4");
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
            .arg(
                "color=black:s=64x48:r=10:d=60,format=yuv420p,\
                 geq=lum='if(lt(X,W/2),16+mod(N,200),16+20*floor(N/200))':cb=128:cr=128",
            )
            .args(["-c:v", "libx264", "-qp", "0", "-bf", "0", "-g", "10", "-y"])
            .arg(&clip)
            .output()
            .expect("ffmpeg (scripts/deps.sh installs it)");
        assert!(out.status.success(), "{out:?}");
        vigil_record::seed::seed(&vigil_record::seed::SeedOptions {
            camera_ids: vec!["cam01".into(), "cam02".into()],
            hours: 0.5,
            clip,
            out: dir.path().join("archive"),
            seed: 1,
        })
        .unwrap();
        Self { dir }
    }

    pub fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    pub fn store(&self) -> Store {
        Store::open(&self.archive()).unwrap()
    }

    pub fn vigil(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .env("VIGIL_DATA_DIR", self.dir.path().join("data"))
            .env("VIGIL_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    /// `vigil export` of `cameras` over `[from_ns, to_ns)` into `name`.
    pub fn export(&self, cameras: &[&str], from_ns: i64, to_ns: i64, name: &str) -> Output {
        let from = rfc3339(from_ns);
        let to = rfc3339(to_ns);
        let out = self.dir.path().join(name);
        let archive = self.archive();
        let mut args = vec![
            "export",
            "--archive",
            archive.to_str().unwrap(),
            "--from",
            &from,
            "--to",
            &to,
            "--out",
            out.to_str().unwrap(),
            "--reason",
            "test",
            "--case",
            "case 7",
        ];
        for camera in cameras {
            args.extend(["--camera", camera]);
        }
        self.vigil(&args)
    }

    pub fn bundle(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A library export request for `cameras` (named by their ids) over `from_ns` to
    /// `to_ns` into the bundle `out`; tests change the fields they are about.
    pub fn request(
        &self,
        cameras: &[&str],
        from_ns: i64,
        to_ns: i64,
        out: &str,
    ) -> vigil_export::ExportRequest {
        vigil_export::ExportRequest {
            archive: self.archive(),
            cameras: cameras
                .iter()
                .map(|id| vigil_export::ExportCamera {
                    id: (*id).into(),
                    name: (*id).into(),
                    device: None,
                })
                .collect(),
            from_ns,
            to_ns,
            out: self.bundle(out),
            case: String::new(),
            reason: String::new(),
            operator: "tester".into(),
            vigil_version: "test".into(),
            now_ns: vigil_time::WallNanos::now().0,
            burn_in: false,
            skip_cameras_without_footage: false,
        }
    }
}

pub fn rfc3339(ns: i64) -> String {
    use chrono::TimeZone as _;
    chrono::Utc
        .timestamp_nanos(ns)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn manifest(bundle: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap()
}

/// Every frame of an MP4: (its MP4 time in nanoseconds, the number in its luma).
pub fn frame_numbers(path: &Path) -> Vec<(i64, i64)> {
    ff::init().unwrap();
    let mut input = ff::format::input(path).unwrap();
    let stream = input.streams().best(ff::media::Type::Video).unwrap();
    let index = stream.index();
    let tb = stream.time_base();
    let mut decoder = ff::codec::context::Context::from_parameters(stream.parameters())
        .unwrap()
        .decoder()
        .video()
        .unwrap();
    let mut frame = ff::frame::Video::empty();
    let mut out = Vec::new();
    let take = |frame: &ff::frame::Video, out: &mut Vec<(i64, i64)>| {
        let stride = frame.stride(0);
        let y = &frame.data(0)[(frame.height() as usize / 2) * stride..];
        let left = i64::from(y[4]);
        let right = i64::from(y[frame.width() as usize - 4]);
        let number = (left - 16) + 200 * ((right - 16) / 20);
        let pts = frame.pts().unwrap();
        let ns = pts * 1_000_000_000 * i64::from(tb.numerator()) / i64::from(tb.denominator());
        out.push((ns, number));
    };
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        decoder.send_packet(&packet).unwrap();
        while decoder.receive_frame(&mut frame).is_ok() {
            take(&frame, &mut out);
        }
    }
    decoder.send_eof().unwrap();
    while decoder.receive_frame(&mut frame).is_ok() {
        take(&frame, &mut out);
    }
    out
}

/// The frame number the archive holds at `wall_ns` (each segment starts at frame 0 of
/// the clip), or None outside every segment.
pub fn recorded_number(store: &Store, camera: &str, wall_ns: i64) -> Option<i64> {
    store
        .segments(Some(camera))
        .unwrap()
        .into_iter()
        .find(|s| s.start_ns <= wall_ns && wall_ns < s.end_ns)
        .map(|s| (wall_ns - s.start_ns + FRAME_NS / 2) / FRAME_NS)
}

/// Checks that `camera`'s MP4 in `bundle` holds exactly the recorded frames from the
/// keyframe before `from_ns` up to `to_ns`, at their recorded times; returns the
/// frames' wall times.
pub fn check_frames(
    store: &Store,
    bundle: &Path,
    camera: &str,
    from_ns: i64,
    to_ns: i64,
) -> Vec<i64> {
    let m = manifest(bundle);
    let entry = m.cameras.iter().find(|c| c.id == camera).unwrap();
    let frames = frame_numbers(&bundle.join(&entry.video));
    assert_eq!(frames.len() as u64, entry.frames, "{camera}");
    let zero = entry.media_time_zero.unix_nanos;
    let mut walls = Vec::new();
    for (t, number) in &frames {
        let wall = zero + t;
        let expected = recorded_number(store, camera, wall);
        assert_eq!(
            Some(*number),
            expected,
            "{camera} frame at {}",
            rfc3339(wall)
        );
        walls.push(wall);
    }
    let first = walls[0];
    assert!(
        first <= from_ns,
        "starts at {} after the request",
        rfc3339(first)
    );
    assert!(
        from_ns - first < SEC,
        "the keyframe before the start is within 1 s"
    );
    assert!(*walls.last().unwrap() < to_ns);
    assert!(*walls.last().unwrap() >= to_ns - 2 * FRAME_NS);
    // No frame is missing where the archive has footage.
    for pair in walls.windows(2) {
        if pair[1] - pair[0] > FRAME_NS + FRAME_NS / 2 {
            let mid = pair[0] + FRAME_NS;
            assert_eq!(recorded_number(store, camera, mid), None, "frames missing");
        }
    }
    let offset = entry.requested_start_offset_secs;
    #[allow(clippy::cast_precision_loss)]
    let expected = (from_ns - zero) as f64 / 1e9;
    assert!((offset - expected).abs() < 1e-6, "{offset} vs {expected}");
    walls
}

/// A stretch with footage on both sides: 60 s starting 10 minutes in, off the
/// second, in a stretch where cam01 has no gap.
pub fn quiet_range(site: &Site, camera: &str) -> (i64, i64) {
    let store = site.store();
    let gaps = store.gaps(Some(camera)).unwrap();
    let first = store.first_start(camera).unwrap().unwrap();
    let mut from = first + 2 * 60 * SEC + 450_000_000;
    while gaps
        .iter()
        .any(|g| g.start_ns < from + 61 * SEC && g.end_ns.unwrap_or(i64::MAX) > from - SEC)
    {
        from += 60 * SEC;
    }
    (from, from + 60 * SEC)
}

/// A copy of `bundle` at `to`.
pub fn copy_bundle(bundle: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(bundle).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (scripts/deps.sh installs it)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}
