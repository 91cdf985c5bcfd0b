//! The storage folder holds more than Vigil's segments, and its index can be edited,
//! restored or damaged: startup repair and retention act only on what Vigil wrote.

use std::path::{Path, PathBuf};

use crate::reconcile::reconcile;
use crate::retention::{self, RetentionPolicy};
use vigil_store::{NewSegment, SegmentTrigger, Store};

const SEC: i64 = 1_000_000_000;

fn row(camera: &str, file: &str, start_ns: i64) -> NewSegment {
    NewSegment {
        camera: camera.to_owned(),
        file: file.to_owned(),
        start_ns,
        source_dts: 0,
        time_base: (1, 90_000),
        bytes: 10,
        codec: "h264".to_owned(),
        width: 640,
        height: 360,
        trigger: SegmentTrigger::Continuous,
    }
}

/// Files outside the storage folder that hostile index rows point at, each holding
/// bytes that are not an MP4 (repair would delete them as "no footage").
struct Victims {
    _outside: tempfile::TempDir,
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Victims {
    fn assert_untouched(&self) {
        for (path, bytes) in &self.files {
            assert!(
                std::fs::read(path).ok().as_ref() == Some(bytes),
                "{} was changed or deleted",
                path.display()
            );
        }
    }
}

/// Rows with an absolute path, a `..` path, a link out of the folder, and another
/// shape; returns the victims and the rows' (id, file).
fn hostile_rows(store: &mut Store, complete: bool) -> (Victims, Vec<(i64, String)>) {
    let outside = tempfile::tempdir().expect("tmp");
    let dir = store.dir().to_path_buf();
    let victim = |name: &str| {
        let path = outside.path().join(name);
        let bytes = vec![0xAB; 2000];
        std::fs::write(&path, &bytes).expect("victim");
        (path, bytes)
    };
    let files = vec![
        victim("absolute.mp4"),
        victim("dotdot.mp4"),
        victim("linked.mp4"),
    ];
    std::fs::create_dir_all(dir.join("cam")).expect("cam");
    std::os::unix::fs::symlink(&files[2].0, dir.join("cam/3000.mp4")).expect("link");
    let notes = dir.join("cam/notes.txt");
    std::fs::write(&notes, vec![0xCD; 2000]).expect("notes");
    let dotdot = format!(
        "cam/../{}",
        pathdiff(&files[1].0, &dir.join("cam")).display()
    );
    let mut rows = Vec::new();
    for (i, file) in [
        files[0].0.display().to_string(),
        dotdot,
        "cam/3000.mp4".to_owned(),
        "cam/notes.txt".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        let start = (i64::try_from(i).expect("i") + 1) * 60 * SEC;
        let id = store
            .insert_segment(&row("cam", &file, start))
            .expect("row");
        if complete {
            store
                .segment_progress(id, start + 60 * SEC, 10, &[], true)
                .expect("close");
        }
        rows.push((id, file));
    }
    let mut files = files;
    files.push((notes, vec![0xCD; 2000]));
    (
        Victims {
            _outside: outside,
            files,
        },
        rows,
    )
}

/// `to` relative to `from` (both absolute), with `..` steps.
fn pathdiff(to: &Path, from: &Path) -> PathBuf {
    let mut up = PathBuf::new();
    for _ in from.components().skip(1) {
        up.push("..");
    }
    up.join(to.strip_prefix("/").expect("absolute"))
}

#[test]
fn repair_refuses_index_paths_outside_the_storage_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let (victims, rows) = hostile_rows(&mut store, false);
    let report = reconcile(&mut store).expect("reconcile");
    victims.assert_untouched();
    for (id, file) in &rows {
        assert!(store.segment(*id).expect("q").is_some(), "row {id} kept");
        assert!(
            report
                .refused
                .iter()
                .any(|r| r.contains(&format!("row {id}")) && r.contains(file.as_str())),
            "row {id} {file} named in {:?}",
            report.refused
        );
    }
}

#[test]
fn retention_refuses_index_paths_outside_the_storage_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let (victims, rows) = hostile_rows(&mut store, true);
    let mut policy = RetentionPolicy::default();
    policy
        .max_age
        .insert("cam".to_owned(), std::time::Duration::from_secs(60));
    policy.quota_bytes = Some(0);
    let report = retention::apply(&store, &policy, 600 * SEC).expect("retention");
    victims.assert_untouched();
    assert!(report.deleted.is_empty(), "{report:?}");
    for (id, file) in &rows {
        assert!(
            report
                .refused
                .iter()
                .any(|r| r.contains(&format!("row {id}")) && r.contains(file.as_str())),
            "row {id} {file} named in {:?}",
            report.refused
        );
    }
}

/// The lobby clip remuxed into `path` as `format` (`mp4`: an ordinary, unfragmented
/// MP4 as a phone or an export writes it; `mpegts`), as someone's own file would be.
fn remux(path: &Path, format: &str) {
    use ffmpeg_next as ff;
    let (packets, params, tb) = super::packets();
    let mut octx = ff::format::output_as(&path, format).expect("output");
    let in_tb = ff::Rational::new(tb.0, tb.1);
    {
        let mut stream = octx
            .add_stream(ff::encoder::find(ff::codec::Id::None))
            .expect("stream");
        stream.set_parameters(params);
        stream.set_time_base(in_tb);
    }
    octx.write_header().expect("header");
    let out_tb = octx.stream(0).expect("stream").time_base();
    for packet in packets {
        let mut packet = packet.clone();
        packet.set_stream(0);
        packet.rescale_ts(in_tb, out_tb);
        packet.set_position(-1);
        packet.write_interleaved(&mut octx).expect("packet");
    }
    octx.write_trailer().expect("trailer");
}

/// A segment as Vigil writes it, with a row, `fragments_s` seconds of the clip; returns
/// its path.
fn own_segment(store: &mut Store, start_ns: i64, packets_n: usize) -> PathBuf {
    let (packets, params, tb) = super::packets();
    let mut writer =
        crate::writer::SegmentWriter::create(store, super::start(params, tb, start_ns))
            .expect("create");
    for packet in &packets[..packets_n] {
        writer.write(store, packet).expect("write");
    }
    let path = writer.path().to_path_buf();
    std::mem::forget(writer); // killed: the row stays `recording`
    path
}

/// Where reconciliation moved `rel` (`<camera>/<name>`), with its reason beside it.
fn quarantined(dir: &Path, rel: &str) -> (Vec<u8>, String) {
    let moved = dir.join("quarantine").join(rel);
    let bytes = std::fs::read(&moved).unwrap_or_else(|e| panic!("{}: {e}", moved.display()));
    let reason_path = moved.with_file_name(format!(
        "{}.reason.txt",
        moved.file_name().expect("name").to_string_lossy()
    ));
    let reason = std::fs::read_to_string(&reason_path)
        .unwrap_or_else(|e| panic!("{}: {e}", reason_path.display()));
    (bytes, reason)
}

#[test]
fn foreign_and_damaged_files_are_quarantined_never_cut_or_deleted() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    std::fs::create_dir_all(dir.path().join("cam")).expect("cam");
    // Someone's own MP4 and an MPEG-TS recording, named like segments, without rows.
    let user_mp4 = "cam/1700000000000000000.mp4";
    remux(&dir.path().join(user_mp4), "mp4");
    let ts = "cam/1700000100000000000.mp4";
    remux(&dir.path().join(ts), "mpegts");
    // A segment Vigil wrote whose moov header was damaged afterwards (its size field).
    let damaged = own_segment(&mut store, 1_700_000_200_000_000_000, 130);
    let damaged_rel = "cam/1700000200000000000.mp4";
    {
        let mut bytes = std::fs::read(&damaged).expect("read");
        let scan = crate::mp4::scan(&damaged).expect("scan");
        let moov = scan
            .boxes
            .iter()
            .find(|b| &b.kind == b"moov")
            .expect("moov");
        let at = usize::try_from(moov.offset).expect("offset");
        bytes[at..at + 4].copy_from_slice(&0xFFFF_FF00u32.to_be_bytes());
        std::fs::write(&damaged, bytes).expect("damage");
    }
    let before: Vec<(String, Vec<u8>)> = [user_mp4, ts, damaged_rel]
        .iter()
        .map(|rel| {
            (
                (*rel).to_owned(),
                std::fs::read(dir.path().join(rel)).expect("read"),
            )
        })
        .collect();
    // Vigil's own torn segment is still trimmed.
    let torn = own_segment(&mut store, 1_700_000_300_000_000_000, 130);
    let torn_row = store
        .segment_by_file("cam/1700000300000000000.mp4")
        .expect("q")
        .expect("row");
    {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&torn)
            .expect("open");
        f.write_all(&[7u8; 900]).expect("tail");
    }
    drop(store);
    let mut store = Store::open(dir.path()).expect("reopen");
    let report = reconcile(&mut store).expect("reconcile");
    for (rel, bytes) in &before {
        assert!(!dir.path().join(rel).exists(), "{rel} moved aside");
        let (moved, reason) = quarantined(dir.path(), rel);
        assert!(moved == *bytes, "{rel} kept byte for byte");
        assert!(!reason.trim().is_empty(), "{rel}: a reason");
        assert!(
            report.quarantined.iter().any(|(f, _)| f == rel),
            "{rel} in {:?}",
            report.quarantined
        );
    }
    assert!(
        store.segment_by_file(damaged_rel).expect("q").is_none(),
        "the damaged segment's row is gone with its file"
    );
    assert!(report.removed_empty.is_empty(), "{report:?}");
    assert_eq!(
        std::fs::metadata(&torn).expect("torn").len(),
        torn_row.bytes,
        "{report:?}"
    );
    // A second pass leaves the quarantine alone.
    let again = reconcile(&mut store).expect("again");
    assert!(
        again.quarantined.is_empty() && again.unknown.is_empty(),
        "{again:?}"
    );
}

fn start_site(dir: &Path) -> anyhow::Result<crate::site::SiteRecording> {
    crate::site::SiteRecording::start_with(
        &vigil_config::Site::empty(),
        dir.to_path_buf(),
        crate::site::SiteRecordingOptions::default(),
    )
}

/// Moves `from`'s index files to `to` (over what is there).
fn move_index(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("{}{suffix}", vigil_store::INDEX_FILE);
        let _ = std::fs::remove_file(to.join(&name));
        if from.join(&name).exists() {
            std::fs::rename(from.join(&name), to.join(&name)).expect("move index");
        }
    }
}

#[test]
fn swapped_indexes_refuse_to_record_and_say_why() {
    let a = tempfile::tempdir().expect("a");
    let b = tempfile::tempdir().expect("b");
    start_site(a.path()).expect("a starts").stop();
    start_site(b.path()).expect("b starts").stop();
    let parked = tempfile::tempdir().expect("parked");
    move_index(a.path(), parked.path());
    move_index(b.path(), a.path());
    move_index(parked.path(), b.path());
    for dir in [a.path(), b.path()] {
        let err = match start_site(dir) {
            Ok(_) => panic!("{} records with another folder's index", dir.display()),
            Err(err) => format!("{err:#}"),
        };
        assert!(err.contains("belongs to another storage folder"), "{err}");
        assert!(err.contains(&dir.display().to_string()), "{err}");
    }
}

#[test]
fn an_index_whose_folder_lost_its_identity_refuses_to_record() {
    let a = tempfile::tempdir().expect("a");
    start_site(a.path()).expect("starts").stop();
    let meta = a.path().join(crate::identity::META_FILE);
    assert!(meta.exists(), "the folder has its identity");
    std::fs::remove_file(&meta).expect("remove");
    let err = match start_site(a.path()) {
        Ok(_) => panic!("records into a folder that is not the index's"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains(crate::identity::META_FILE), "{err}");
}

#[test]
fn a_garbled_index_is_set_aside_and_rebuilt_from_the_segment_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let segment = own_segment(&mut store, 1_700_000_000_000_000_000, 130);
    drop(store);
    // Garbage where the index was: "file is not a database".
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(dir.path().join(vigil_store::INDEX_FILE), &garbage).expect("garble");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(
            dir.path()
                .join(format!("{}{suffix}", vigil_store::INDEX_FILE)),
        );
    }
    let rec = start_site(dir.path()).expect("recording starts with a rebuilt index");
    let notice = rec.notice().expect("a notice for the app").to_owned();
    assert!(notice.contains("set aside"), "{notice}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !rec.is_ready() {
        assert!(std::time::Instant::now() < deadline, "reconciled");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = rec.reconcile_report().expect("report").expect("ok");
    rec.stop();
    assert_eq!(
        report.recovered,
        vec!["cam/1700000000000000000.mp4".to_owned()]
    );
    assert!(
        report.unknown.is_empty() && report.quarantined.is_empty(),
        "the identity file and the set-aside index are Vigil's: {report:?}"
    );
    // The damaged index is kept, renamed, byte for byte; never deleted.
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index.sqlite3.corrupt-"))
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(std::fs::read(&aside[0]).expect("read") == garbage);
    assert!(notice.contains(&aside[0].display().to_string()), "{notice}");
    assert!(segment.exists());
}
