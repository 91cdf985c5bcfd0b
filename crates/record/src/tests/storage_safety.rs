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
