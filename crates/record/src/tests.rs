//! Segment writer and reconciliation against real H.264 from the demo clips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::writer::{SegmentStart, SegmentWriter};
use crate::mp4;
use crate::reconcile::{probe, reconcile};
use vigil_store::{SegmentTrigger, Store};

mod recorder_faults;
mod storage_safety;
mod write_faults;

const START_NS: i64 = 1_700_000_000_000_000_000;

fn clip() -> PathBuf {
    // The workspace root holds the demo clips; this crate sits in `crates/record`.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/lobby.mp4")
}

/// The clip's video packets, its parameters and time base.
fn packets() -> (Vec<ff::Packet>, ff::codec::Parameters, (i32, i32)) {
    ff::init().ok();
    let mut input = ff::format::input(&clip()).expect("open clip");
    let stream = input.streams().best(ff::media::Type::Video).expect("video");
    let (index, params, tb) = (stream.index(), stream.parameters(), stream.time_base());
    let packets = input
        .packets()
        .filter(|(s, _)| s.index() == index)
        .map(|(_, p)| p)
        .collect();
    (packets, params, (tb.numerator(), tb.denominator()))
}

fn start(params: ff::codec::Parameters, tb: (i32, i32), start_ns: i64) -> SegmentStart<'static> {
    SegmentStart {
        camera: "cam",
        parameters: params,
        codec: "h264",
        width: 640,
        height: 360,
        time_base: tb,
        start_ns,
        source_dts: 0,
        trigger: SegmentTrigger::Continuous,
    }
}

/// Decodes every frame of `path`; returns the number of frames (panics on errors).
fn decode_all(path: &Path) -> usize {
    let mut input = ff::format::input(&path).expect("open segment");
    let stream = input.streams().best(ff::media::Type::Video).expect("video");
    let index = stream.index();
    let mut decoder = ff::codec::context::Context::from_parameters(stream.parameters())
        .expect("ctx")
        .decoder()
        .video()
        .expect("decoder");
    let mut frames = 0;
    let mut frame = ff::frame::Video::empty();
    for (s, packet) in input.packets() {
        if s.index() != index {
            continue;
        }
        decoder.send_packet(&packet).expect("decode");
        while decoder.receive_frame(&mut frame).is_ok() {
            frames += 1;
        }
    }
    decoder.send_eof().expect("eof");
    while decoder.receive_frame(&mut frame).is_ok() {
        frames += 1;
    }
    frames
}

#[test]
fn segment_commits_each_fragment_after_fsync_and_decodes() {
    let (packets, params, tb) = packets();
    assert_eq!(packets.len(), 250);
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let mut writer = SegmentWriter::create(&store, start(params, tb, START_NS)).expect("create");
    let id = writer.segment_id();
    let row = store.segment(id).unwrap().unwrap();
    assert!(row.recording);
    assert!(row.bytes > 0, "header is durable before the row");
    assert_eq!(
        std::fs::metadata(writer.path()).unwrap().len(),
        row.bytes,
        "row describes the header"
    );
    let mut commits = Vec::new();
    for packet in &packets {
        writer.write(&mut store, packet).expect("write");
        let row = store.segment(id).unwrap().unwrap();
        // The row never claims more than the file holds.
        assert!(row.bytes <= std::fs::metadata(writer.path()).unwrap().len());
        if commits.last() != Some(&row.end_ns) {
            commits.push(row.end_ns);
        }
    }
    // One commit per 1 s fragment (the first at the header).
    assert!(commits.len() >= 9, "{commits:?}");
    for pair in commits.windows(2).skip(1) {
        let step = pair[1] - pair[0];
        assert!(
            (900_000_000..=1_100_000_000).contains(&step),
            "fragments of about 1 s: {step}"
        );
    }
    let path = writer.path().to_path_buf();
    writer.finish(&mut store).expect("finish");
    let row = store.segment(id).unwrap().unwrap();
    assert!(!row.recording);
    assert_eq!(row.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(row.end_ns - row.start_ns, 10_000_000_000, "10 s clip");
    let keyframes = store.keyframes(id).unwrap();
    assert_eq!(keyframes.len(), 10, "{keyframes:?}");
    let scan = mp4::scan(&path).unwrap();
    for (time_ns, offset) in &keyframes {
        assert!(
            scan.boxes
                .iter()
                .any(|b| &b.kind == b"moof" && b.offset == *offset),
            "keyframe at {time_ns} points at a moof"
        );
    }
    assert_eq!(decode_all(&path), 250);
}

#[test]
fn timestamps_stay_monotonic_across_a_loop() {
    let (packets, params, tb) = packets();
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");
    let mut writer = SegmentWriter::create(&store, start(params, tb, START_NS)).expect("create");
    let id = writer.segment_id();
    let path = writer.path().to_path_buf();
    // The clip twice: the second time its timestamps jump back to 0.
    for packet in packets.iter().chain(packets.iter()) {
        writer.write(&mut store, packet).expect("write");
    }
    writer.finish(&mut store).expect("finish");
    let row = store.segment(id).unwrap().unwrap();
    assert_eq!(row.end_ns - row.start_ns, 20_000_000_000);
    assert_eq!(decode_all(&path), 500);
}

#[test]
fn reconcile_trims_torn_fragments_and_accounts_for_every_file() {
    let (packets, params, tb) = packets();
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(dir.path()).expect("store");

    // 1. A writer that "dies" mid-segment, with half a fragment written after its last
    //    commit.
    let mut writer =
        SegmentWriter::create(&store, start(params.clone(), tb, START_NS)).expect("create");
    let torn_id = writer.segment_id();
    let torn_path = writer.path().to_path_buf();
    for packet in &packets[..130] {
        writer.write(&mut store, packet).expect("write");
    }
    let committed = store.segment(torn_id).unwrap().unwrap();
    std::mem::forget(writer); // no trailer, no flush: like SIGKILL
    {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&torn_path)
            .unwrap();
        let mut junk = 5000u32.to_be_bytes().to_vec();
        junk.extend_from_slice(b"moof");
        junk.resize(1200, 7);
        f.write_all(&junk).unwrap();
    }

    // 2. A complete file without a row (crash between its fsync and its row).
    let complete = {
        let mut w = SegmentWriter::create(
            &store,
            start(params.clone(), tb, START_NS + 100_000_000_000),
        )
        .expect("create");
        for packet in &packets {
            w.write(&mut store, packet).expect("write");
        }
        let p = w.path().to_path_buf();
        w.finish(&mut store).expect("finish");
        p
    };
    let orphan_ns = START_NS + 200_000_000_000;
    let orphan = dir.path().join(format!("cam/{orphan_ns}.mp4"));
    std::fs::copy(&complete, &orphan).unwrap();

    // 3. A header-only file without a row.
    let empty_ns = START_NS + 300_000_000_000;
    let empty = {
        let w = SegmentWriter::create(&store, start(params.clone(), tb, empty_ns)).expect("create");
        let p = w.path().to_path_buf();
        store.delete_segment(w.segment_id()).unwrap();
        p
    };

    // 4. A row whose file is gone.
    let gone_ns = START_NS + 400_000_000_000;
    let gone_id = {
        let w = SegmentWriter::create(&store, start(params, tb, gone_ns)).expect("create");
        std::fs::remove_file(w.path()).unwrap();
        w.segment_id()
    };

    // 5. Something Vigil did not write.
    std::fs::write(dir.path().join("cam/notes.txt"), "mine").unwrap();

    drop(store);
    let mut store = Store::open(dir.path()).expect("reopen");
    let report = reconcile(&mut store).expect("reconcile");

    let torn_rel = format!("cam/{START_NS}.mp4");
    assert!(report.closed.contains(&torn_rel), "{report:?}");
    assert!(
        report
            .trimmed
            .iter()
            .any(|(f, _, to)| *f == torn_rel && *to == committed.bytes),
        "{report:?}"
    );
    let row = store.segment(torn_id).unwrap().unwrap();
    assert!(!row.recording);
    assert_eq!(row.bytes, std::fs::metadata(&torn_path).unwrap().len());
    assert_eq!(row.end_ns, committed.end_ns);
    // Everything the row describes decodes: 5 s = 125 frames committed before the kill.
    let frames = decode_all(&torn_path);
    let row_frames = usize::try_from((row.end_ns - row.start_ns) / 40_000_000).unwrap();
    assert_eq!(frames, row_frames);
    assert!(frames >= 100, "{frames}");

    assert_eq!(report.recovered, vec![format!("cam/{orphan_ns}.mp4")]);
    let recovered = store
        .segment_by_file(&format!("cam/{orphan_ns}.mp4"))
        .unwrap()
        .unwrap();
    assert_eq!(recovered.end_ns - recovered.start_ns, 10_000_000_000);
    assert_eq!(store.keyframes(recovered.id).unwrap().len(), 10);

    assert_eq!(report.removed_empty, vec![format!("cam/{empty_ns}.mp4")]);
    assert!(!empty.exists());
    assert_eq!(report.missing, vec![format!("cam/{gone_ns}.mp4")]);
    assert!(store.segment(gone_id).unwrap().is_none());
    assert_eq!(report.unknown, vec![dir.path().join("cam/notes.txt")]);
    assert!(dir.path().join("cam/notes.txt").exists());

    // A second pass finds nothing to do (the unknown file is reported again).
    let again = reconcile(&mut store).expect("again");
    assert_eq!(again.unknown.len(), 1);
    assert!(again.closed.is_empty() && again.trimmed.is_empty() && again.recovered.is_empty());
    let probed = probe(&orphan, &mp4::scan(&orphan).unwrap()).expect("probe");
    assert_eq!(probed.packets, 250);
}
