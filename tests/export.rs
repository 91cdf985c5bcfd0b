//! Evidence export end to end: a real archive seeded from a clip whose frames carry
//! their number in their luma, exported with `vigil export`, played back with ffprobe,
//! ffmpeg and FFmpeg's decoder, checked by `vigil verify` (and caught when tampered
//! with) and by the documented procedure without Vigil (`sha256sum`, `openssl`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

use ffmpeg_next as ff;
use vigil_export::manifest::Manifest;
use vigil_store::Store;

const SEC: i64 = 1_000_000_000;
/// The clip's frame interval (10 fps).
const FRAME_NS: i64 = SEC / 10;

struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    /// A two-camera archive of half an hour ending now, seeded from a 60 s clip whose
    /// frame N has luma 16 + N mod 200 on its left half and 16 + 20·(N div 200) on its
    /// right (lossless H.264, a keyframe every second).
    fn new() -> Self {
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

    fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    fn store(&self) -> Store {
        Store::open(&self.archive()).unwrap()
    }

    fn vigil(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .env("VIGIL_DATA_DIR", self.dir.path().join("data"))
            .env("VIGIL_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    /// `vigil export` of `cameras` over `[from_ns, to_ns)` into `name`.
    fn export(&self, cameras: &[&str], from_ns: i64, to_ns: i64, name: &str) -> Output {
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

    fn bundle(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn rfc3339(ns: i64) -> String {
    use chrono::TimeZone as _;
    chrono::Utc
        .timestamp_nanos(ns)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn manifest(bundle: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap()
}

/// Every frame of an MP4: (its MP4 time in nanoseconds, the number in its luma).
fn frame_numbers(path: &Path) -> Vec<(i64, i64)> {
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
fn recorded_number(store: &Store, camera: &str, wall_ns: i64) -> Option<i64> {
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
fn check_frames(store: &Store, bundle: &Path, camera: &str, from_ns: i64, to_ns: i64) -> Vec<i64> {
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
fn quiet_range(site: &Site, camera: &str) -> (i64, i64) {
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

#[test]
fn archive_list_prints_each_camera_with_its_span() {
    let site = Site::new();
    let out = site.vigil(&[
        "archive",
        "list",
        "--archive",
        site.archive().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, extent) in lines.iter().zip(site.store().camera_extents().unwrap()) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[0], extent.camera, "{line}");
        assert_eq!(fields[1], extent.camera, "no site file: the id again");
        let from = chrono::DateTime::parse_from_rfc3339(fields[2]).unwrap();
        let to = chrono::DateTime::parse_from_rfc3339(fields[3]).unwrap();
        assert!((from.timestamp_nanos_opt().unwrap() - extent.start_ns).abs() < 1_000_000);
        assert!((to.timestamp_nanos_opt().unwrap() - extent.end_ns).abs() < 1_000_000);
    }
}

#[test]
fn exported_mp4s_play_and_hold_the_range() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let out = site.export(&["cam01", "cam02"], from, to, "bundle");
    assert!(out.status.success(), "{}", text(&out));
    let bundle = site.bundle("bundle");
    // Progress lines on stderr (not a terminal), ending at the total.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rfind(|l| l.starts_with("progress export "))
        .expect("progress lines");
    let (done, total) = last["progress export ".len()..].split_once('/').unwrap();
    assert_eq!(done, total, "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("signing key fingerprint (SHA-256): "),
        "{stdout}"
    );
    let m = manifest(&bundle);
    assert!(stdout.contains(&m.key_fingerprint_sha256), "{stdout}");
    assert_eq!((m.case.as_str(), m.reason.as_str()), ("case 7", "test"));
    assert!(!m.operator.is_empty());
    assert_eq!(m.requested.from.unix_nanos, from);
    assert_eq!(m.cameras.len(), 2);
    for camera in ["cam01", "cam02"] {
        let entry = m.cameras.iter().find(|c| c.id == camera).unwrap();
        let mp4 = bundle.join(&entry.video);
        // ffprobe counts the frames the manifest states; ffmpeg decodes without error.
        let probe = Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
            .args([
                "-show_entries",
                "stream=nb_read_frames,codec_name",
                "-of",
                "csv=p=0",
            ])
            .arg(&mp4)
            .output()
            .unwrap();
        assert!(probe.status.success(), "{probe:?}");
        assert_eq!(
            String::from_utf8_lossy(&probe.stdout).trim(),
            format!("h264,{}", entry.frames)
        );
        let play = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&mp4)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(play.status.success() && play.stderr.is_empty(), "{play:?}");
        if camera == "cam01" {
            let walls = check_frames(&site.store(), &bundle, camera, from, to);
            assert!(walls.len() >= 600, "{}", walls.len());
            assert!(entry.gaps.is_empty(), "{:?}", entry.gaps);
        }
        // The still is the first frame, as a PNG of the video's size.
        let still = image::open(bundle.join(&entry.still)).unwrap().to_luma8();
        assert_eq!(still.dimensions(), (64, 48));
    }
    let out = site.vigil(&["verify", bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_range_across_a_gap_lists_it_with_its_reason() {
    let site = Site::new();
    let store = site.store();
    let gap = store
        .gaps(Some("cam01"))
        .unwrap()
        .into_iter()
        .find(|g| g.end_ns.is_some())
        .expect("the seed makes a closed gap");
    let gap_end = gap.end_ns.unwrap();
    let (from, to) = (gap.start_ns - 30 * SEC, gap_end + 30 * SEC);
    let out = site.export(&["cam01"], from, to, "gap");
    assert!(out.status.success(), "{}", text(&out));
    let bundle = site.bundle("gap");
    let m = manifest(&bundle);
    let entry = &m.cameras[0];
    assert_eq!(entry.gaps.len(), 1, "{:?}", entry.gaps);
    assert_eq!(entry.gaps[0].reason, gap.reason.as_str());
    assert_eq!(entry.gaps[0].from.unix_nanos, gap.start_ns);
    assert_eq!(entry.gaps[0].to.unix_nanos, gap_end);
    let walls = check_frames(&site.store(), &bundle, "cam01", from, to);
    assert!(walls.iter().any(|w| *w < gap.start_ns));
    assert!(walls.iter().any(|w| *w >= gap_end));
    assert!(!walls.iter().any(|w| *w >= gap.start_ns && *w < gap_end));
}

#[test]
fn refusals_are_clear_and_leave_nothing() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let now = vigil_time::WallNanos::now().0;
    let cases: [(&[&str], i64, i64, &str); 4] = [
        (&["cam01"], from, from, "the range is empty"),
        (&["cam01"], to, from, "the range is empty"),
        (
            &["cam01"],
            now + 3600 * SEC,
            now + 7200 * SEC,
            "starts in the future",
        ),
        (&["cam01", "lobby"], from, to, "unknown camera 'lobby'"),
    ];
    for (cameras, a, b, message) in cases {
        let out = site.export(cameras, a, b, "refused");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains(message), "{message}: {}", text(&out));
        assert!(!site.bundle("refused").exists());
    }
    let out = site.export(&["cam01"], from, to, "no/such/folder");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no/such to write the bundle in does not exist"),
        "{}",
        text(&out)
    );
    std::fs::create_dir(site.bundle("taken")).unwrap();
    let out = site.export(&["cam01"], from, to, "taken");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already exists"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(site.bundle("taken")).unwrap().count(), 0);
    let leftovers: Vec<_> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failed_or_cancelled_export_leaves_no_partial_bundle() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let key = vigil_export::key::load_or_create(&site.dir.path().join("data")).unwrap();
    let request = |out: &str| vigil_export::ExportRequest {
        archive: site.archive(),
        cameras: ["cam01", "cam02"]
            .iter()
            .map(|id| vigil_export::ExportCamera {
                id: (*id).into(),
                name: (*id).into(),
                device: None,
            })
            .collect(),
        from_ns: from,
        to_ns: to,
        out: site.bundle(out),
        case: String::new(),
        reason: String::new(),
        operator: "tester".into(),
        vigil_version: "test".into(),
        now_ns: vigil_time::WallNanos::now().0,
        burn_in: false,
    };
    let cancel = AtomicBool::new(true);
    let err = vigil_export::export(&request("cancelled"), &key, &mut |_, _| {}, &cancel)
        .expect_err("cancelled");
    assert!(matches!(err, vigil_export::ExportError::Cancelled), "{err}");
    assert!(!site.bundle("cancelled").exists());
    // cam02's footage in the range is unreadable: cam01 was written, then it fails.
    let store = site.store();
    let broken = store.segments_in(Some("cam02"), from, to).unwrap();
    for s in &broken {
        let path = site.archive().join(&s.file);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"not an mp4").unwrap();
    }
    let cancel = AtomicBool::new(false);
    let err = vigil_export::export(&request("failed"), &key, &mut |_, _| {}, &cancel)
        .expect_err("cam02 is broken");
    assert!(err.to_string().contains(&broken[0].file), "{err}");
    assert!(!site.bundle("failed").exists());
    let names: Vec<String> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

/// A range across the change to summer time (Central European rules, given to the
/// exporting process as a POSIX TZ string): the MP4 covers the UTC range, and the
/// manifest's local times carry each moment's own offset.
#[test]
fn a_range_across_a_dst_change() {
    let site = Site::new();
    let store = site.store();
    let template = store.segments(Some("cam01")).unwrap().remove(0);
    let archive = site.dir.path().join("dst-archive");
    std::fs::create_dir_all(archive.join("cam01")).unwrap();
    std::fs::copy(
        site.archive().join(&template.file),
        archive.join("cam01/minute.mp4"),
    )
    .unwrap();
    // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
    let change_ns = chrono::DateTime::parse_from_rfc3339("2026-03-29T01:00:00Z")
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap();
    let minute = 60 * SEC;
    let rows: Vec<vigil_store::CompleteSegment> = (-3..3)
        .map(|i| vigil_store::CompleteSegment {
            segment: vigil_store::NewSegment {
                camera: "cam01".into(),
                file: format!("cam01/minute{}.mp4", i + 3),
                start_ns: change_ns + i * minute,
                source_dts: 0,
                time_base: (1, 10_240),
                bytes: template.bytes,
                codec: template.codec.clone(),
                width: 64,
                height: 48,
                trigger: vigil_store::SegmentTrigger::Continuous,
            },
            end_ns: change_ns + (i + 1) * minute,
            keyframes: Vec::new(),
        })
        .collect();
    for i in 0..6 {
        std::fs::hard_link(
            archive.join("cam01/minute.mp4"),
            archive.join(format!("cam01/minute{i}.mp4")),
        )
        .unwrap();
    }
    std::fs::remove_file(archive.join("cam01/minute.mp4")).unwrap();
    let mut dst_store = Store::open(&archive).unwrap();
    dst_store.insert_complete_segments(&rows).unwrap();
    let (from, to) = (change_ns - 90 * SEC + 250_000_000, change_ns + 90 * SEC);
    let out = site.bundle("dst");
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "export",
            "--camera",
            "cam01",
            "--archive",
            archive.to_str().unwrap(),
        ])
        .args([
            "--from",
            "2026-03-29T01:58:30.25+01:00",
            "--to",
            "2026-03-29T03:01:30+02:00",
        ])
        .arg("--out")
        .arg(&out)
        .env("VIGIL_DATA_DIR", site.dir.path().join("data"))
        .env("VIGIL_CONFIG_DIR", site.dir.path().join("config"))
        .env("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let m = manifest(&out);
    assert_eq!(
        m.requested.from.unix_nanos, from,
        "parsed with its own offset"
    );
    assert_eq!(m.requested.to.unix_nanos, to);
    assert_eq!(m.requested.from.local, "2026-03-29T01:58:30.250+01:00");
    assert_eq!(m.requested.to.local, "2026-03-29T03:01:30.000+02:00");
    assert_eq!(m.requested.from.utc, "2026-03-29T00:58:30.250Z");
    // Three minutes of wall time, not two or four: 1800 frames at 10 fps, give or take
    // the keyframe before the start.
    let walls = check_frames(&dst_store, &out, "cam01", from, to);
    assert!((1800..=1810).contains(&walls.len()), "{}", walls.len());
    assert!(m.cameras[0].gaps.is_empty(), "{:?}", m.cameras[0].gaps);
}

/// A copy of `bundle` at `to`.
fn copy_bundle(bundle: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(bundle).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (scripts/deps.sh installs it)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

#[test]
fn verify_catches_each_kind_of_tampering() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let from = from.min(site.store().gaps(Some("cam01")).unwrap()[0].start_ns - 20 * SEC);
    let to = to.max(site.store().gaps(Some("cam01")).unwrap()[0].start_ns + 20 * SEC);
    let out = site.export(&["cam01", "cam02"], from, to, "original");
    assert!(out.status.success(), "{}", text(&out));
    let original = site.bundle("original");
    let m = manifest(&original);
    assert!(!m.cameras[0].gaps.is_empty(), "the range crosses a gap");
    let verify = |name: &str, extra: &[&str]| {
        let dir = site.bundle(name);
        let mut args = vec!["verify", dir.to_str().unwrap()];
        args.extend(extra);
        let out = site.vigil(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let fingerprint = m.key_fingerprint_sha256.clone();
    let (code, stdout) = verify("original", &["--fingerprint", &fingerprint]);
    assert_eq!(code, Some(0), "{stdout}");
    let (v1, v2) = (m.cameras[0].video.clone(), m.cameras[1].video.clone());
    let hash = |name: &str| {
        m.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| (f.size, f.sha256.clone()))
            .unwrap()
    };

    // One flipped bit in an MP4.
    let dir = site.bundle("bit");
    copy_bundle(&original, &dir);
    let mut bytes = std::fs::read(dir.join(&v1)).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(dir.join(&v1), &bytes).unwrap();
    let (code, stdout) = verify("bit", &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{v1}: SHA-256 expected {}, found ", hash(&v1).1)),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&format!("{v2}:")),
        "only the flipped file: {stdout}"
    );

    // A truncated file.
    let dir = site.bundle("truncated");
    copy_bundle(&original, &dir);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join(&v2))
        .unwrap();
    file.set_len(hash(&v2).0 - 1000).unwrap();
    let (code, stdout) = verify("truncated", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains(&format!(
            "{v2}: size expected {} bytes, found {}",
            hash(&v2).0,
            hash(&v2).0 - 1000
        )),
        "{stdout}"
    );

    // A removed file.
    let dir = site.bundle("removed");
    copy_bundle(&original, &dir);
    let still = m.cameras[1].still.clone();
    std::fs::remove_file(dir.join(&still)).unwrap();
    let (code, stdout) = verify("removed", &[]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains(&format!("{still}: missing")), "{stdout}");

    // Two files swapped.
    let dir = site.bundle("swapped");
    copy_bundle(&original, &dir);
    std::fs::rename(dir.join(&v1), dir.join("tmp")).unwrap();
    std::fs::rename(dir.join(&v2), dir.join(&v1)).unwrap();
    std::fs::rename(dir.join("tmp"), dir.join(&v2)).unwrap();
    let (code, stdout) = verify("swapped", &[]);
    assert_eq!(code, Some(1));
    for v in [&v1, &v2] {
        assert!(
            stdout.contains(&format!("{v}: SHA-256 expected {}", hash(v).1)),
            "{stdout}"
        );
    }

    // An edited gap list.
    let dir = site.bundle("gaps");
    copy_bundle(&original, &dir);
    let json = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let reason = &m.cameras[0].gaps[0].reason;
    let edited = json.replacen(
        &format!("\"reason\": \"{reason}\""),
        "\"reason\": \"disk_full\"",
        1,
    );
    assert_ne!(edited, json);
    std::fs::write(dir.join("manifest.json"), edited).unwrap();
    let (code, stdout) = verify("gaps", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("manifest.sig: the signature does not match manifest.json"),
        "{stdout}"
    );

    // Re-signed with another key, the bundle's public key left alone.
    let dir = site.bundle("resigned");
    copy_bundle(&original, &dir);
    let other = site.dir.path().join("other.pem");
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            other.to_str().unwrap(),
        ],
    );
    openssl(
        &dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            other.to_str().unwrap(),
            "-rawin",
            "-in",
            "manifest.json",
            "-out",
            "manifest.sig",
        ],
    );
    let (code, stdout) = verify("resigned", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("manifest.sig: the signature does not match"),
        "{stdout}"
    );

    // Re-signed with another key whose public key replaces the bundle's, the manifest
    // rewritten to match: only the fingerprint given out of band catches it.
    let dir = site.bundle("forged");
    copy_bundle(&original, &dir);
    openssl(
        &dir,
        &[
            "pkey",
            "-in",
            other.to_str().unwrap(),
            "-pubout",
            "-out",
            "public_key.pem",
        ],
    );
    let forged_fp = vigil_export::key::fingerprint(
        &vigil_export::key::verifying_key_from_pem(
            &std::fs::read_to_string(dir.join("public_key.pem")).unwrap(),
        )
        .unwrap(),
    );
    let mut forged = m.clone();
    forged.key_fingerprint_sha256 = forged_fp.clone();
    let (size, sha) = vigil_export::manifest::hash_file(&dir.join("public_key.pem")).unwrap();
    let key_entry = forged
        .files
        .iter_mut()
        .find(|f| f.name == "public_key.pem")
        .unwrap();
    (key_entry.size, key_entry.sha256) = (size, sha);
    let sums_files: Vec<_> = forged
        .files
        .iter()
        .filter(|f| f.name != "SHA256SUMS")
        .cloned()
        .collect();
    std::fs::write(
        dir.join("SHA256SUMS"),
        vigil_export::manifest::sums_text(&sums_files),
    )
    .unwrap();
    let (size, sha) = vigil_export::manifest::hash_file(&dir.join("SHA256SUMS")).unwrap();
    let sums_entry = forged
        .files
        .iter_mut()
        .find(|f| f.name == "SHA256SUMS")
        .unwrap();
    (sums_entry.size, sums_entry.sha256) = (size, sha);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&forged).unwrap(),
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            other.to_str().unwrap(),
            "-rawin",
            "-in",
            "manifest.json",
            "-out",
            "manifest.sig",
        ],
    );
    let (code, stdout) = verify("forged", &[]);
    assert_eq!(code, Some(0), "self-consistent: {stdout}");
    assert!(
        stdout.contains(&forged_fp),
        "the fingerprint is shown: {stdout}"
    );
    let (code, stdout) = verify("forged", &["--fingerprint", &fingerprint]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "signing key fingerprint expected {fingerprint}, found {forged_fp}"
        )),
        "{stdout}"
    );

    // A file the manifest does not list.
    let dir = site.bundle("extra");
    copy_bundle(&original, &dir);
    std::fs::write(dir.join("note.txt"), b"added later").unwrap();
    let (code, stdout) = verify("extra", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("note.txt: not listed in manifest.json"),
        "{stdout}"
    );

    // Usage errors exit 2.
    let out = site.vigil(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The procedure docs/evidence.md gives a recipient without Vigil, run as written
/// (the shell block under "Checking a bundle without Vigil") in an exported bundle.
#[test]
fn the_documented_check_without_vigil_works() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/evidence.md")).unwrap();
    let section = docs
        .split("## Checking a bundle without Vigil")
        .nth(1)
        .expect("the section");
    let script = section
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a sh block");
    assert!(script.contains("sha256sum -c SHA256SUMS"), "{script}");
    assert!(script.contains("openssl pkeyutl -verify"), "{script}");
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let out = site.export(&["cam01"], from, to, "bundle");
    assert!(out.status.success(), "{}", text(&out));
    let bundle = site.bundle("bundle");
    let run = |dir: &Path| {
        Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", script])
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let out = run(&bundle);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Signature Verified Successfully"),
        "{stdout}"
    );
    // The fingerprint the procedure prints is the one Vigil printed.
    let fp = manifest(&bundle).key_fingerprint_sha256;
    assert!(stdout.contains(&fp), "{stdout}");
    assert!(text(&site.vigil(&["verify", bundle.to_str().unwrap()])).contains(&fp));
    // And the same procedure fails on a changed manifest or file.
    let json = bundle.join("manifest.json");
    let mut bytes = std::fs::read(&json).unwrap();
    bytes.push(b' ');
    std::fs::write(&json, &bytes).unwrap();
    assert!(!run(&bundle).status.success());
    bytes.pop();
    std::fs::write(&json, &bytes).unwrap();
    assert!(run(&bundle).status.success());
    let png = bundle.join(&manifest(&bundle).cameras[0].still);
    std::fs::write(&png, b"changed").unwrap();
    assert!(!run(&bundle).status.success());
}

/// A camera whose picture size changes mid-range cannot go into one MP4: the export is
/// refused with where and why, and nothing is written; each side exports on its own.
#[test]
fn a_change_of_picture_size_is_refused_not_muxed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(archive.join("cam01")).unwrap();
    let now = vigil_time::WallNanos::now().0;
    let start = now - 3600 * SEC;
    let mut rows = Vec::new();
    for (i, size) in ["64x48", "96x64"].iter().enumerate() {
        let file = format!("cam01/{i}.mp4");
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=s={size}:r=10:d=10"))
            .args(["-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "10", "-y"])
            .arg(archive.join(&file))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let i = i64::try_from(i).unwrap();
        rows.push(vigil_store::CompleteSegment {
            segment: vigil_store::NewSegment {
                camera: "cam01".into(),
                file,
                start_ns: start + i * 10 * SEC,
                source_dts: 0,
                time_base: (1, 10_240),
                bytes: 1,
                codec: "h264".into(),
                width: 0,
                height: 0,
                trigger: vigil_store::SegmentTrigger::Continuous,
            },
            end_ns: start + (i + 1) * 10 * SEC,
            keyframes: Vec::new(),
        });
    }
    Store::open(&archive)
        .unwrap()
        .insert_complete_segments(&rows)
        .unwrap();
    let export = |from_ns: i64, to_ns: i64, name: &str| {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["export", "--camera", "cam01", "--archive"])
            .arg(&archive)
            .args([
                "--from",
                &rfc3339(from_ns),
                "--to",
                &rfc3339(to_ns),
                "--out",
            ])
            .arg(dir.path().join(name))
            .env("VIGIL_DATA_DIR", dir.path().join("data"))
            .env("VIGIL_CONFIG_DIR", dir.path().join("config"))
            .output()
            .unwrap()
    };
    let out = export(start + 2 * SEC, start + 18 * SEC, "across");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the video changes from h264 64x48 yuv420p to h264 96x64 yuv420p"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("across").exists());
    for (from, to, name) in [(2, 8, "before"), (12, 18, "after")] {
        let out = export(start + from * SEC, start + to * SEC, name);
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
}

/// `--burn-in` re-encodes: the MP4 plays, has the same frames at the same times, the
/// text box is drawn at the top left (white on black), the picture below is the
/// recorded one, and the manifest names the encoder.
#[test]
fn burned_in_text_is_drawn_and_declared() {
    let site = Site::new();
    let (from, _) = quiet_range(&site, "cam01");
    let to = from + 10 * SEC;
    let archive = site.archive();
    let out = site.vigil(&[
        "export",
        "--archive",
        archive.to_str().unwrap(),
        "--camera",
        "cam01",
        "--from",
        &rfc3339(from),
        "--to",
        &rfc3339(to),
        "--out",
        site.bundle("burned").to_str().unwrap(),
        "--burn-in",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let bundle = site.bundle("burned");
    let m = manifest(&bundle);
    let entry = &m.cameras[0];
    assert!(entry.burned_in_with.is_some(), "{entry:?}");
    let mp4 = bundle.join(&entry.video);
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(&mp4)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        entry.frames.to_string()
    );
    // The first frame: the box's corner is black, some text pixels are white, and the
    // numbered picture below the box survives the (lossy) encode within a few levels.
    let png = bundle.join("first.png");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&mp4)
        .args(["-frames:v", "1", "-pix_fmt", "gray", "-y"])
        .arg(&png)
        .status()
        .unwrap();
    assert!(status.success());
    let gray = image::open(&png).unwrap().to_luma8();
    std::fs::remove_file(&png).unwrap();
    assert!(gray.get_pixel(0, 0).0[0] < 40, "box");
    let white = (0..64).filter(|x| gray.get_pixel(*x, 5).0[0] > 200).count();
    assert!(white >= 3, "text pixels in row 5: {white}");
    let plain = frame_numbers(&bundle.join(&entry.video));
    let unburned = site.export(&["cam01"], from, to, "plain");
    assert!(unburned.status.success(), "{}", text(&unburned));
    let reference = frame_numbers(&site.bundle("plain").join(&entry.video));
    assert_eq!(plain.len(), reference.len());
    for ((t, n), (rt, rn)) in plain.iter().zip(&reference) {
        assert!((t - rt).abs() < 1_000_000, "{t} vs {rt}");
        assert!((n - rn).abs() <= 4, "frame {rn} read back as {n}");
    }
}
