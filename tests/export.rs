//! Evidence export end to end: a real archive seeded from a clip whose frames carry
//! their number in their luma, exported with `vigil export` and played back with
//! ffprobe, ffmpeg and FFmpeg's decoder; refusals, gaps, a DST change, all-or-nothing
//! writing and burned-in text. Verification: `tests/export_verify.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod export_common;

use std::process::Command;
use std::sync::atomic::AtomicBool;

use export_common::*;
use vigil_store::Store;

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
    let request = |out: &str| site.request(&["cam01", "cam02"], from, to, out);
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
            // A bare name: the bundle goes into the working directory.
            .arg(name)
            .current_dir(dir.path())
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
        assert!(dir.path().join(name).join("manifest.json").is_file());
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

/// The background job (for the app): it reports progress up to its total and hands
/// over the same bundle; dropped while running, it cancels and leaves either nothing
/// or a whole bundle, never a partial one.
#[test]
fn an_export_job_runs_in_the_background() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let request = |out: &str| site.request(&["cam01", "cam02"], from, to, out);
    let key = || vigil_export::key::load_or_create(&site.dir.path().join("data")).unwrap();
    let mut job = vigil_export::ExportJob::start(request("job"), key()).unwrap();
    let outcome = loop {
        if let Some(outcome) = job.try_take() {
            break outcome;
        }
        std::thread::yield_now();
    };
    let report = outcome.unwrap();
    let (done, total) = job.progress();
    assert!(total >= 2 && done == total, "{done}/{total}");
    assert!(job.try_take().is_none(), "taken once");
    assert_eq!(report.bundle, site.bundle("job"));
    let out = site.vigil(&["verify", site.bundle("job").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let job = vigil_export::ExportJob::start(request("dropped"), key()).unwrap();
    drop(job);
    let bundle = site.bundle("dropped");
    if bundle.exists() {
        let out = site.vigil(&["verify", bundle.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let names: Vec<String> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");

    // The UI's way: the key file and the bundle's folder are touched on the export
    // thread. A folder that does not exist yet is made there; one that cannot be made
    // (under a plain file) ends the job with an error naming it.
    let take = |mut job: vigil_export::ExportJob| loop {
        if let Some(outcome) = job.try_take() {
            break outcome;
        }
        std::thread::yield_now();
    };
    let key_dir = site.dir.path().join("data");
    let mut nested = request("nested");
    nested.out = site.dir.path().join("new/evidence/nested");
    let report =
        take(vigil_export::ExportJob::start_in_background(nested, key_dir.clone()).unwrap())
            .expect("exported into a new folder");
    assert_eq!(
        report.fingerprint,
        vigil_export::key::fingerprint(&key().verifying_key())
    );
    let out = site.vigil(&["verify", report.bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::write(site.dir.path().join("plain-file"), b"x").unwrap();
    let mut blocked = request("blocked");
    blocked.out = site.dir.path().join("plain-file/evidence/blocked");
    let err = take(vigil_export::ExportJob::start_in_background(blocked, key_dir).unwrap())
        .expect_err("no folder under a file");
    assert!(err.to_string().contains("plain-file"), "{err}");
}

/// A layout export where one camera has no footage in the range: the others are
/// exported, it is listed with a gap over the whole range, and the bundle verifies;
/// with no camera having footage, or from the command line, it is refused.
#[test]
fn a_camera_without_footage_is_listed_not_fatal() {
    let site = Site::new();
    let (from, to) = quiet_range(&site, "cam01");
    let store = site.store();
    let ids: Vec<i64> = store
        .segments_in(Some("cam02"), from, to)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert!(!ids.is_empty());
    store.delete_segments(&ids).unwrap();
    assert!(
        store
            .segments_in(Some("cam02"), from, to)
            .unwrap()
            .is_empty()
    );
    let key = vigil_export::key::load_or_create(&site.dir.path().join("data")).unwrap();
    let request = |cameras: &[&str], out: &str, skip: bool| {
        let mut request = site.request(cameras, from, to, out);
        for camera in &mut request.cameras {
            camera.name = format!("{} door", camera.id);
        }
        request.skip_cameras_without_footage = skip;
        request
    };
    let never = AtomicBool::new(false);
    let report = vigil_export::export(
        &request(&["cam01", "cam02"], "layout", true),
        &key,
        &mut |_, _| {},
        &never,
    )
    .expect("cam01 has footage");
    let m = manifest(&site.bundle("layout"));
    assert_eq!(m, report.manifest);
    assert_eq!(m.cameras.len(), 1);
    assert_eq!(m.cameras[0].id, "cam01");
    assert_eq!(m.cameras_without_footage.len(), 1);
    let missing = &m.cameras_without_footage[0];
    assert_eq!(
        (missing.id.as_str(), missing.name.as_str()),
        ("cam02", "cam02 door")
    );
    assert_eq!(missing.gaps.len(), 1, "{:?}", missing.gaps);
    assert_eq!(missing.gaps[0].from.unix_nanos, from);
    assert_eq!(missing.gaps[0].to.unix_nanos, to);
    assert_eq!(missing.gaps[0].reason, "no_recording");
    assert!(
        !m.files.iter().any(|f| f.name.contains("cam02")),
        "{:?}",
        m.files
    );
    let out = site.vigil(&["verify", site.bundle("layout").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let err = vigil_export::export(
        &request(&["cam02"], "none", true),
        &key,
        &mut |_, _| {},
        &never,
    )
    .expect_err("no camera has footage");
    assert!(
        matches!(err, vigil_export::ExportError::NoFootage { .. }),
        "{err}"
    );
    assert!(!site.bundle("none").exists());
    // Named on the command line, a camera without footage refuses the export.
    let out = site.export(&["cam01", "cam02"], from, to, "cli");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("camera 'cam02' has no footage"),
        "{}",
        text(&out)
    );
    assert!(!site.bundle("cli").exists());
}
