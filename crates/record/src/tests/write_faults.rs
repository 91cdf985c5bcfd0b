//! The segment writer under injected write and fsync failures (real muxing of the
//! lobby clip: 25 frames/s, a keyframe every second, so one fragment per second): what
//! stays is exactly what was fsynced before the failure, cut to it, decoding to its end.

use std::path::Path;

use ffmpeg_next as ff;

use super::{START_NS, decode_all, packets, start};
use crate::mp4;
use crate::writer::faulty::{FaultyFiles, Lasting, Op};
use crate::writer::{SegmentWriter, WriteError};
use vigil_store::{Segment, Store};

const SEC: i64 = 1_000_000_000;
const FRAME_NS: i64 = 40_000_000;

/// What a segment cut short must be: closed, its file exactly as long as its row and
/// whole to its end (no torn tail), and every frame the row covers decodes.
pub(super) fn assert_cut_clean(store: &Store, id: i64, path: &Path) -> Segment {
    let row = store.segment(id).unwrap().expect("row");
    assert!(!row.recording, "the row is closed: {row:?}");
    let len = std::fs::metadata(path).unwrap().len();
    assert_eq!(len, row.bytes, "the file is cut to its row");
    let scan = mp4::scan(path).unwrap();
    assert_eq!(scan.whole_len, len, "no torn tail");
    let frames = i64::try_from(decode_all(path)).unwrap();
    assert_eq!(
        frames * FRAME_NS,
        row.end_ns - row.start_ns,
        "one decoded frame per 40 ms of the row"
    );
    row
}

/// Where the row stands (bytes, end after the start) after each packet of a run
/// without faults: the ends of the fragments, the header's first.
fn clean_commits(
    packets: &[ff::Packet],
    params: ff::codec::Parameters,
    tb: (i32, i32),
) -> Vec<(u64, i64)> {
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let mut writer = SegmentWriter::create(&store, start(params, tb, START_NS)).expect("create");
    let id = writer.segment_id();
    let mut commits = Vec::new();
    for packet in packets {
        let row = store.segment(id).unwrap().unwrap();
        if commits.last() != Some(&(row.bytes, row.end_ns - row.start_ns)) {
            commits.push((row.bytes, row.end_ns - row.start_ns));
        }
        writer.write(&mut store, packet).expect("write");
    }
    commits
}

#[test]
fn a_failed_write_keeps_exactly_the_fragments_before_it() {
    let (packets, params, tb) = packets();
    let commits = clean_commits(&packets, params.clone(), tb);
    for (errno, disk_full) in [(libc::EIO, false), (libc::ENOSPC, true)] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut store = Store::open(dir.path()).expect("store");
        let files = FaultyFiles::default();
        // The header is the first write; a ~55 kB fragment takes two.
        files.fail_write(7, errno, Lasting::Once);
        let mut writer =
            SegmentWriter::create_in(&files, &store, start(params.clone(), tb, START_NS))
                .expect("create");
        let (id, path) = (writer.segment_id(), writer.path().to_path_buf());
        let err = packets
            .iter()
            .find_map(|p| writer.write(&mut store, p).err())
            .expect("the 7th write fails");
        assert_eq!(err.is_disk_full(), disk_full, "{err}");
        assert!(
            matches!(
                (&err, disk_full),
                (WriteError::DiskFull { .. }, true) | (WriteError::Io { .. }, false)
            ),
            "the file's error, not FFmpeg's: {err:?}"
        );
        let failure = files.failures().pop().expect("a failure");
        assert_eq!(failure.op, Op::Write);
        assert!(
            std::fs::metadata(&path).unwrap().len() > failure.offset,
            "the failed write left part of a fragment behind"
        );
        writer.abandon(&mut store);

        // Exactly the fragments that ended where the failed write began, or before.
        let &(bytes, end) = commits
            .iter()
            .rev()
            .find(|(bytes, _)| *bytes <= failure.offset)
            .expect("a commit before the failure");
        let row = assert_cut_clean(&store, id, &path);
        assert_eq!(row.bytes, bytes);
        assert_eq!(row.bytes, failure.synced_len, "all of it was fsynced");
        assert_eq!(row.end_ns - row.start_ns, end);
        assert!(
            (SEC..10 * SEC).contains(&end),
            "the failure fell inside the clip, after its first fragment: {end}"
        );
        assert_eq!(
            store.keyframes(id).unwrap().len(),
            usize::try_from(end / SEC).unwrap(),
            "one keyframe row per kept fragment"
        );
    }
}

#[test]
fn a_failed_fsync_never_lets_the_row_past_the_last_fsynced_fragment() {
    let (packets, params, tb) = packets();
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let files = FaultyFiles::default();
    // 1: the header; 2 and 3: the first two fragments; 4: the third.
    files.fail_sync(4, libc::EIO, Lasting::Once);
    let mut writer =
        SegmentWriter::create_in(&files, &store, start(params, tb, START_NS)).expect("create");
    let (id, path) = (writer.segment_id(), writer.path().to_path_buf());
    let err = packets
        .iter()
        .find_map(|p| writer.write(&mut store, p).err())
        .expect("the 4th fsync fails");
    assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
    let failure = files.failures().pop().expect("a failure");
    assert_eq!(failure.op, Op::Sync);

    // The third fragment is in the file, but the row does not cover it.
    let row = store.segment(id).unwrap().unwrap();
    assert_eq!(row.bytes, failure.synced_len);
    assert_eq!(row.end_ns - row.start_ns, 2 * SEC);
    assert!(std::fs::metadata(&path).unwrap().len() > row.bytes);

    writer.abandon(&mut store);
    let row = assert_cut_clean(&store, id, &path);
    assert_eq!(row.bytes, failure.synced_len);
    assert_eq!(
        row.end_ns - row.start_ns,
        2 * SEC,
        "never past the last fsync"
    );
}

#[test]
fn a_failed_fsync_while_finishing_closes_the_row_at_the_last_durable_fragment() {
    let (packets, params, tb) = packets();
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let files = FaultyFiles::default();
    // The header, then nine fragments flushed by the keyframes; the 11th fsync is the
    // trailer's (the tenth fragment and the `mfra`).
    files.fail_sync(11, libc::EIO, Lasting::Once);
    let mut writer =
        SegmentWriter::create_in(&files, &store, start(params, tb, START_NS)).expect("create");
    let (id, path) = (writer.segment_id(), writer.path().to_path_buf());
    for packet in &packets {
        writer.write(&mut store, packet).expect("write");
    }
    let synced = files.synced_len(&path).expect("fsynced");
    let err = writer.finish(&mut store).expect_err("the last fsync fails");
    assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
    let row = assert_cut_clean(&store, id, &path);
    assert_eq!(row.bytes, synced);
    assert_eq!(row.end_ns - row.start_ns, 9 * SEC);
}

#[test]
fn a_segment_that_fails_before_its_first_fragment_leaves_no_row_and_no_file() {
    let (packets, params, tb) = packets();
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let files = FaultyFiles::default();
    // 1: the header; 2: the first fragment.
    files.fail_write(2, libc::ENOSPC, Lasting::Once);
    let mut writer =
        SegmentWriter::create_in(&files, &store, start(params, tb, START_NS)).expect("create");
    let path = writer.path().to_path_buf();
    let err = packets
        .iter()
        .find_map(|p| writer.write(&mut store, p).err())
        .expect("the first fragment's write fails");
    assert!(err.is_disk_full(), "{err:?}");
    writer.abandon(&mut store);
    // Like reconciliation: a segment without a fragment holds no footage.
    assert!(store.segments(None).unwrap().is_empty());
    assert!(!path.exists());
}
