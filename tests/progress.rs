//! Progress of the long commands as a script sees it: with stderr piped (not a
//! terminal), `archive seed`, `bench timeline` and `bench scrub` write
//! `progress TASK DONE/TOTAL` lines that rise to the total; with `--quiet`, stderr
//! stays empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod playback_common;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `vigil args…` (stderr piped), each `--from`/`--out`/`--archive` followed by the
/// next of `dirs`; it must succeed.
fn vigil(args: &[&str], dirs: &[&Path]) -> Output {
    let mut dirs = dirs.iter();
    let mut all = Vec::new();
    for arg in args {
        all.push(std::ffi::OsString::from(arg));
        if matches!(*arg, "--from" | "--out" | "--archive") {
            all.push(
                dirs.next()
                    .expect("a path per path flag")
                    .as_os_str()
                    .to_owned(),
            );
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(&all)
        .env_remove("RUST_LOG")
        .output()
        .expect("run vigil");
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `(done, total)` of every `progress TASK …` line on stderr, checked for form.
fn progress_of(out: &Output, task: &str) -> Vec<(u64, u64)> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut seen = Vec::new();
    for line in stderr.lines().filter(|l| l.starts_with("progress ")) {
        let mut words = line.split(' ');
        assert_eq!(words.next(), Some("progress"));
        let name = words.next().expect("a task");
        let count = words.next().expect("a count");
        assert_eq!(words.next(), None, "{line}");
        if name != task {
            continue;
        }
        let (done, total) = count.split_once('/').expect("DONE/TOTAL");
        seen.push((
            done.parse().expect("a number"),
            total.parse().expect("a number"),
        ));
    }
    seen
}

/// Lines rise to the total, which stays put; at least a first and a last line.
fn assert_rises_to_the_total(seen: &[(u64, u64)], task: &str, total: u64) {
    assert!(seen.len() >= 2, "{task}: {seen:?}");
    assert!(seen.iter().all(|(_, t)| *t == total), "{task}: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{task}: {seen:?}");
    assert_eq!(seen.first().map(|s| s.0), Some(0), "{task}: {seen:?}");
    assert_eq!(seen.last().map(|s| s.0), Some(total), "{task}: {seen:?}");
}

#[test]
fn seed_and_timeline_print_progress_lines_and_nothing_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/yard.mp4");
    let archive = dir.path().join("archive");
    // 3 cameras × 2 hours: 360 one-minute steps.
    let args = [
        "archive",
        "seed",
        "--cameras",
        "3",
        "--hours",
        "2",
        "--from",
        "--out",
    ];
    let out = vigil(&args, &[&clip, &archive]);
    assert_rises_to_the_total(&progress_of(&out, "archive-seed"), "archive-seed", 360);
    assert!(String::from_utf8_lossy(&out.stdout).contains("seeded 3 cameras"));

    let out = vigil(&["bench", "timeline", "--archive"], &[&archive]);
    assert_rises_to_the_total(&progress_of(&out, "bench-timeline"), "bench-timeline", 21);

    let quiet_archive = dir.path().join("quiet");
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let out = vigil(&quiet, &[&clip, &quiet_archive]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("seeded 3 cameras"));
    let out = vigil(&["-q", "bench", "timeline", "--archive"], &[&archive]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("timeline over 3 cameras"));
}

#[test]
fn scrub_prints_progress_of_its_seeks_and_its_drag() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    playback_common::standard_archive(&archive, "cam1");
    let args = [
        "bench",
        "scrub",
        "--seeks",
        "6",
        "--seed",
        "1",
        "--drag-seconds",
        "1",
        "--archive",
    ];
    let out = vigil(&args, &[&archive]);
    assert_rises_to_the_total(&progress_of(&out, "bench-scrub-seeks"), "seeks", 6);
    assert_rises_to_the_total(&progress_of(&out, "bench-scrub-drag"), "drag", 1000);

    let mut quiet = args.to_vec();
    quiet.insert(0, "--quiet");
    let out = vigil(&quiet, &[&archive]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
