//! `vigil detect` on clips made here with the ffmpeg CLI (lavfi sources): a still
//! textured scene (one frame of `testsrc2`, looped) with a box that enters at a known
//! time, a slow day-to-night fade, a lights-on step, a view that turns black, a blur
//! and a shifted view. Checks the events' kinds and times in the JSON.

use std::path::{Path, PathBuf};
use std::process::Command;

const STILL: &str =
    "testsrc2=size=640x360:rate=25:duration=0.04,loop=loop=-1:size=1:start=0,setpts=N/25/TB";

/// Make `name`.mp4 in `dir` from a lavfi graph, `seconds` long.
fn clip(dir: &Path, name: &str, graph: &str, seconds: u32) -> PathBuf {
    let out = dir.join(format!("{name}.mp4"));
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            graph,
        ])
        .args(["-t", &seconds.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg failed for {name}");
    out
}

/// Run `vigil detect` and return the JSON's events as (kind, start, end).
fn detect(dir: &Path, input: &Path, settings: Option<&str>) -> Vec<(String, f64, f64)> {
    let json = dir.join("out.json");
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    command
        .arg("detect")
        .arg("--input")
        .arg(input)
        .arg("--json")
        .arg(&json);
    if let Some(text) = settings {
        let path = dir.join("settings.toml");
        std::fs::write(&path, text).expect("write settings");
        command.arg("--settings").arg(path);
    }
    let out = command.output().expect("run vigil");
    assert!(out.status.success(), "vigil detect: {out:?}");
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("read json")).expect("json");
    let timing = &value["timing"];
    assert!(timing["frames"].as_u64().expect("frames") > 0, "{value}");
    value["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_owned(),
                e["start_secs"].as_f64().expect("start"),
                e["end_secs"].as_f64().expect("end"),
            )
        })
        .collect()
}

fn kinds(events: &[(String, f64, f64)], kind: &str) -> Vec<(f64, f64)> {
    events
        .iter()
        .filter(|e| e.0 == kind)
        .map(|e| (e.1, e.2))
        .collect()
}

/// A white 80×80 box moving right along y = 140..220 from t = 3 s to t = 8 s.
fn box_clip(dir: &Path) -> PathBuf {
    let graph = format!(
        "{STILL}[bg];color=c=white:size=80x80:rate=25[box];\
         [bg][box]overlay=x='40+(t-3)*60':y=140:enable='between(t,3,8)'"
    );
    clip(dir, "box", &graph, 12)
}

#[test]
fn motion_starts_within_a_second_of_the_box_entering_and_an_exclude_zone_suppresses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = box_clip(dir.path());
    let events = detect(dir.path(), &input, None);
    let motion = kinds(&events, "motion");
    assert_eq!(motion.len(), 1, "{events:?}");
    let (start, end) = motion[0];
    assert!(
        (3.0..4.0).contains(&start),
        "starts {start}, the box enters at 3"
    );
    assert!((7.5..9.0).contains(&end), "ends {end}, the box leaves at 8");
    assert!(kinds(&events, "tamper_blocked").is_empty(), "{events:?}");

    // The box's path (y 0.39..0.61, x 0.06..0.66) lies in the excluded band.
    let excluded = "[[zones]]\nkind = \"exclude\"\nrect = [0.0, 0.3, 0.8, 0.7]\n";
    let events = detect(dir.path(), &input, Some(excluded));
    assert!(events.is_empty(), "{events:?}");

    // An include zone elsewhere watches nothing the box crosses.
    let elsewhere =
        "[[zones]]\nkind = \"include\"\npolygon = [[0.0, 0.0], [1.0, 0.0], [1.0, 0.25]]\n";
    let events = detect(dir.path(), &input, Some(elsewhere));
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_slow_day_to_night_fade_raises_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Over 30 s: darker by a third of the range and contrast down to 30 %.
    let graph = format!(
        "{STILL},eq=brightness='-0.35*min(t/30\\,1)':contrast='1-0.7*min(t/30\\,1)':eval=frame"
    );
    let input = clip(dir.path(), "fade", &graph, 40);
    let events = detect(dir.path(), &input, Some("tamper_settling_secs = 3\n"));
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn lights_switching_on_is_not_motion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = format!("{STILL},eq=brightness=0.25:enable='gte(t,5)'");
    let input = clip(dir.path(), "lights", &graph, 12);
    let events = detect(dir.path(), &input, Some("tamper_settling_secs = 3\n"));
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_view_that_turns_black_is_blocked_after_the_settling_time_and_a_short_one_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Black from 4 to 6 s (shorter than the settling time), then from 10 s on.
    let graph = format!("{STILL},drawbox=c=black:t=fill:enable='between(t,4,6)+gte(t,10)'");
    let input = clip(dir.path(), "black", &graph, 20);
    let events = detect(dir.path(), &input, Some("tamper_settling_secs = 3\n"));
    assert_eq!(kinds(&events, "tamper_blocked").len(), 1, "{events:?}");
    let (start, end) = kinds(&events, "tamper_blocked")[0];
    assert!((10.0..10.5).contains(&start), "{events:?}");
    assert!(end > 19.0, "{events:?}");
    assert!(kinds(&events, "motion").is_empty(), "{events:?}");
}

#[test]
fn a_blur_is_defocus_and_a_shifted_view_is_moved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = format!("{STILL},gblur=sigma=8:enable='gte(t,4)'");
    let input = clip(dir.path(), "blur", &graph, 12);
    let events = detect(dir.path(), &input, Some("tamper_settling_secs = 3\n"));
    let defocus = kinds(&events, "tamper_defocus");
    assert_eq!(defocus.len(), 1, "{events:?}");
    assert!((4.0..4.5).contains(&defocus[0].0), "{events:?}");
    assert!(kinds(&events, "tamper_moved").is_empty(), "{events:?}");

    let graph = "testsrc2=size=720x405:rate=25:duration=0.04,loop=loop=-1:size=1:start=0,\
                 setpts=N/25/TB,crop=640:360:x='if(gte(t,4),80,0)':y='if(gte(t,4),45,0)'";
    let input = clip(dir.path(), "moved", graph, 12);
    let events = detect(dir.path(), &input, Some("tamper_settling_secs = 3\n"));
    let moved = kinds(&events, "tamper_moved");
    assert_eq!(moved.len(), 1, "{events:?}");
    assert!((4.0..4.5).contains(&moved[0].0), "{events:?}");
    assert!(
        (6.9..7.6).contains(&moved[0].1),
        "confirmed after settling: {events:?}"
    );
    assert!(kinds(&events, "motion").is_empty(), "{events:?}");

    // A settings file with a mistake is refused with the field named.
    let json = dir.path().join("never.json");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "min_area = 3\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["detect", "--input"])
        .arg(&input)
        .arg("--settings")
        .arg(&bad)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run vigil");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("min_area = 3"), "{stderr}");
    assert!(!json.exists());
}
