//! Tick ladder, placement and labels, in fixed zones and across Europe/Berlin's 2026
//! daylight-saving changes — both with a rule zone written here and with chrono's
//! `Local` under `TZ=Europe/Berlin` in a child process.

use std::process::Command;

use chrono::{
    Datelike, FixedOffset, Local, MappedLocalTime, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};

use super::*;
use crate::ruler::{MAX_SPAN_NANOS, MIN_SPAN_NANOS};

/// Central European time by the EU rule: UTC+1, and UTC+2 from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October.
#[derive(Clone, Copy, Debug)]
struct EuCentral;

impl EuCentral {
    const CET: i32 = 3600;
    const CEST: i32 = 7200;

    fn last_sunday_1am_utc(year: i32, month: u32) -> NaiveDateTime {
        let mut day = date(year, month + 1, 1).pred_opt().expect("valid date");
        while day.weekday() != Weekday::Sun {
            day = day.pred_opt().expect("valid date");
        }
        hour_of(day, 1)
    }

    fn offset_at(utc: &NaiveDateTime) -> FixedOffset {
        let summer = Self::last_sunday_1am_utc(utc.year(), 3) <= *utc
            && *utc < Self::last_sunday_1am_utc(utc.year(), 10);
        offset(if summer { Self::CEST } else { Self::CET })
    }
}

impl TimeZone for EuCentral {
    type Offset = FixedOffset;

    fn from_offset(_: &FixedOffset) -> Self {
        Self
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<FixedOffset> {
        self.offset_from_local_datetime(&hour_of(*local, 0))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<FixedOffset> {
        // A local time is valid under an offset when that offset is in force at the
        // instant it names. Earlier instant (larger offset) first, as chrono expects.
        let valid: Vec<FixedOffset> = [Self::CEST, Self::CET]
            .into_iter()
            .map(offset)
            .filter(|offset| Self::offset_at(&(*local - *offset)) == *offset)
            .collect();
        match valid[..] {
            [] => MappedLocalTime::None,
            [one] => MappedLocalTime::Single(one),
            [earlier, later, ..] => MappedLocalTime::Ambiguous(earlier, later),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
        Self::offset_at(&hour_of(*utc, 0))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
        Self::offset_at(utc)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn offset(secs: i32) -> FixedOffset {
    FixedOffset::east_opt(secs).expect("valid offset")
}

fn hour_of(day: NaiveDate, h: u32) -> NaiveDateTime {
    day.and_hms_opt(h, 0, 0).expect("valid time")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> WallNanos {
    WallNanos::from_utc(
        &Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid time"),
    )
}

fn labels<Tz: TimeZone>(times: &[WallNanos], step: TickStep, zone: &Tz) -> Vec<String> {
    times.iter().map(|&t| tick_label(t, step, zone)).collect()
}

fn gaps_hours(times: &[WallNanos]) -> Vec<i64> {
    times
        .windows(2)
        .map(|w| w[1].nanos_since(w[0]) / NANOS_PER_HOUR)
        .collect()
}

fn hh(hours: impl IntoIterator<Item = u32>) -> Vec<String> {
    hours.into_iter().map(|h| format!("{h:02}:00")).collect()
}

/// Every DST assertion, for any zone that is Europe/Berlin in 2026.
fn check_berlin_2026<Tz: TimeZone>(zone: &Tz) {
    let one_ns = |t: WallNanos| t.saturating_add_nanos(-1);
    let at = |mo, d, h| {
        let naive = hour_of(date(2026, mo, d), h);
        instants_at_local(&naive, zone)
    };
    // Local → UTC at the edges of both transitions (where chrono's `Local` errs).
    assert_eq!(at(3, 29, 1), [utc(2026, 3, 29, 0, 0)]);
    assert_eq!(at(3, 29, 2), []);
    assert_eq!(at(3, 29, 3), [utc(2026, 3, 29, 1, 0)]);
    assert_eq!(
        at(10, 25, 2),
        [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0)]
    );
    assert_eq!(at(10, 25, 3), [utc(2026, 10, 25, 2, 0)]);

    // Spring forward, Sunday 29 March: 02:00 CET becomes 03:00 CEST.
    let day = local_day_start(date(2026, 3, 29), zone).expect("a day start");
    let next = local_day_start(date(2026, 3, 30), zone).expect("a day start");
    assert_eq!(day, utc(2026, 3, 28, 23, 0));
    assert_eq!(next.nanos_since(day), 23 * NANOS_PER_HOUR);
    let hourly = tick_times(TickStep::Hours(1), day, one_ns(next), zone);
    assert_eq!(hourly.len(), 23);
    assert_eq!(
        labels(&hourly, TickStep::Hours(1), zone),
        hh((0..24).filter(|&h| h != 2))
    );
    assert!(
        gaps_hours(&hourly).iter().all(|&g| g == 1),
        "01:00 → 03:00 is one hour"
    );
    let three = tick_times(TickStep::Hours(3), day, one_ns(next), zone);
    assert_eq!(
        labels(&three, TickStep::Hours(3), zone),
        hh((0..24).step_by(3))
    );
    assert_eq!(gaps_hours(&three), [2, 3, 3, 3, 3, 3, 3]);
    // Quarter hours run from 01:45 straight to 03:00.
    let quarters = tick_times(
        fixed(15 * NANOS_PER_MIN),
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 15),
        zone,
    );
    assert_eq!(
        labels(&quarters, fixed(15 * NANOS_PER_MIN), zone),
        ["01:30", "01:45", "03:00", "03:15"]
    );
    assert_eq!(format_day(day, zone), "Sun 29 Mar");
    // The ruler at a label a minute over the change (a recording across it, as
    // `vigil-record`'s clock tests make): 01:59 is followed by 03:00, a minute later.
    let view = TimeView::centered_on(utc(2026, 3, 29, 1, 0), 10.0 * NANOS_PER_MIN as f64, 1000.0);
    let majors: Vec<(WallNanos, String)> = ruler_ticks(&view, zone)
        .into_iter()
        .filter_map(|t| Some((t.time, t.label?)))
        .collect();
    let texts: Vec<&str> = majors.iter().map(|(_, l)| l.as_str()).collect();
    let expected: Vec<String> = (54..60)
        .map(|m| format!("01:{m}"))
        .chain((0..6).map(|m| format!("03:0{m}")))
        .collect();
    assert_eq!(texts, expected);
    assert!(
        majors
            .windows(2)
            .all(|w| w[1].0.nanos_since(w[0].0) == NANOS_PER_MIN),
        "a minute apart: {majors:?}"
    );

    // Fall back, Sunday 25 October: 03:00 CEST becomes 02:00 CET; 02:xx happens twice.
    let day = local_day_start(date(2026, 10, 25), zone).expect("a day start");
    let next = local_day_start(date(2026, 10, 26), zone).expect("a day start");
    assert_eq!(day, utc(2026, 10, 24, 22, 0));
    assert_eq!(next.nanos_since(day), 25 * NANOS_PER_HOUR);
    let hourly = tick_times(TickStep::Hours(1), day, one_ns(next), zone);
    assert_eq!(hourly.len(), 25);
    let mut expected = hh(0..24);
    expected.insert(2, "02:00".to_owned());
    assert_eq!(labels(&hourly, TickStep::Hours(1), zone), expected);
    assert!(gaps_hours(&hourly).iter().all(|&g| g == 1));
    let three = tick_times(TickStep::Hours(3), day, one_ns(next), zone);
    assert_eq!(
        labels(&three, TickStep::Hours(3), zone),
        hh((0..24).step_by(3))
    );
    assert_eq!(gaps_hours(&three), [4, 3, 3, 3, 3, 3, 3]);
    let halves = tick_times(
        fixed(30 * NANOS_PER_MIN),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 2, 0),
        zone,
    );
    assert_eq!(
        labels(&halves, fixed(30 * NANOS_PER_MIN), zone),
        ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]
    );
    // The two 02:30s are told apart by their offsets.
    assert_eq!(
        format_full(halves[2], zone, 1e9),
        "Sun 25 Oct 2026 02:30:00 +02:00"
    );
    assert_eq!(
        format_full(halves[4], zone, 1e9),
        "Sun 25 Oct 2026 02:30:00 +01:00"
    );

    // Day ticks over both changes: days are 23 and 25 hours long, labelled by date.
    let days = tick_times(
        TickStep::Days(1),
        utc(2026, 3, 27, 12, 0),
        utc(2026, 3, 30, 21, 0),
        zone,
    );
    assert_eq!(
        labels(&days, TickStep::Days(1), zone),
        ["Sat 28 Mar", "Sun 29 Mar", "Mon 30 Mar"]
    );
    assert_eq!(gaps_hours(&days), [24, 23]);
    let days = tick_times(
        TickStep::Days(1),
        utc(2026, 10, 24, 0, 0),
        utc(2026, 10, 27, 0, 0),
        zone,
    );
    assert_eq!(gaps_hours(&days), [25, 24]);

    // The ruler at an hourly zoom over the spring day marks its start with the date.
    let view = TimeView::from_range(day, next, 27.0 * MIN_LABEL_SPACING_PX);
    let ticks = ruler_ticks(&view, zone);
    let day_tick = ticks
        .iter()
        .find(|t| t.time == day)
        .expect("a tick at the day start");
    assert_eq!(day_tick.kind, TickKind::DayStart);
    assert_eq!(day_tick.label.as_deref(), Some("Sun 25 Oct"));
    let majors: Vec<&str> = ticks
        .iter()
        .filter(|t| t.kind == TickKind::Major)
        .filter_map(|t| t.label.as_deref())
        .collect();
    assert_eq!(majors.iter().filter(|l| **l == "02:00").count(), 2);
}

#[test]
fn berlin_dst_days_with_a_rule_zone() {
    check_berlin_2026(&EuCentral);
}

const CHILD_ENV: &str = "VIGIL_TIMELINE_TZ_CHILD";

/// chrono's `Local` under `TZ`: the zone file, and the same rule as a POSIX string
/// (which chrono parses itself, so this runs even without tzdata). `TZ` is set for a
/// child run of this very test, never in this process.
#[test]
fn berlin_dst_days_with_local_and_tz() {
    if std::env::var_os(CHILD_ENV).is_some() {
        check_berlin_2026(&Local);
        return;
    }
    let name = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, rest)| rest);
    let test = format!("{name}::berlin_dst_days_with_local_and_tz");
    let mut zones = vec!["CET-1CEST,M3.5.0,M10.5.0/3"];
    if std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        zones.push("Europe/Berlin");
    }
    for tz in zones {
        let output = Command::new(std::env::current_exe().expect("test binary"))
            .args([test.as_str(), "--exact", "--test-threads=1"])
            .env("TZ", tz)
            .env(CHILD_ENV, "1")
            .output()
            .expect("child test runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "TZ={tz}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn fixed_zone_ticks_follow_its_offset() {
    let india = offset(5 * 3600 + 30 * 60);
    let day = local_day_start(date(2026, 3, 29), &india).expect("a day start");
    assert_eq!(day, utc(2026, 3, 28, 18, 30));
    let next = day.saturating_add_nanos(NANOS_PER_DAY);
    assert!(is_local_day_start(next, &india));
    let hourly = tick_times(
        TickStep::Hours(1),
        day,
        next.saturating_add_nanos(-1),
        &india,
    );
    assert_eq!(hourly.len(), 24);
    assert_eq!(labels(&hourly, TickStep::Hours(1), &india), hh(0..24));
    assert!(
        hourly
            .iter()
            .all(|t| t.nanos().rem_euclid(NANOS_PER_HOUR) == 30 * NANOS_PER_MIN)
    );
    let step = fixed(20 * NANOS_PER_MILLI);
    let tiny = tick_times(
        step,
        day,
        day.saturating_add_nanos(NANOS_PER_SEC / 10),
        &india,
    );
    assert_eq!(tiny.len(), 6);
    assert_eq!(tick_label(tiny[1], step, &india), "00:00:00.020");
    assert_eq!(tick_label(day, TickStep::Months(1), &Utc), "Mar 2026");
    assert_eq!(
        format_full(day, &Utc, 1e6),
        "Sat 28 Mar 2026 18:30:00.000 +00:00"
    );
    // Weeks start on Mondays.
    let weeks = tick_times(
        TickStep::Weeks(1),
        day,
        day.saturating_add_nanos(15 * NANOS_PER_DAY),
        &Utc,
    );
    assert!(weeks.iter().all(|t| t.to_utc().weekday() == Weekday::Mon));
    assert_eq!(gaps_hours(&weeks), [7 * 24]);
}

#[test]
fn ladder_keeps_labels_apart_and_as_dense_as_allowed() {
    let utc_zone = Utc;
    for width in [300.0, 800.0, 1280.0, 1920.0, 3840.0] {
        let mut span = MIN_SPAN_NANOS;
        while span <= MAX_SPAN_NANOS {
            let npp = span / width;
            let step = major_step(npp);
            let at = LADDER
                .iter()
                .position(|s| *s == step)
                .expect("step on the ladder");
            let spacing = step.nominal_nanos() as f64 / npp;
            assert!(spacing >= MIN_LABEL_SPACING_PX, "{step:?} at {npp} ns/px");
            if at > 0 {
                let finer = LADDER[at - 1].nominal_nanos() as f64 / npp;
                assert!(
                    finer < MIN_LABEL_SPACING_PX,
                    "{step:?} not the finest at {npp}"
                );
            }
            // Labels never end up much further apart than the biggest ladder ratio.
            if step.nominal_nanos() < 7 * NANOS_PER_DAY {
                assert!(
                    spacing < MIN_LABEL_SPACING_PX * 2.5 + 1e-9,
                    "{step:?}: {spacing}"
                );
            }
            // On screen (in a fixed zone) ticks are really that far apart.
            let view = TimeView::centered_on(utc(2026, 6, 1, 12, 0), span, width);
            let ticks = ruler_ticks(&view, &utc_zone);
            let xs: Vec<f64> = ticks
                .iter()
                .filter(|t| t.kind != TickKind::Minor)
                .map(|t| view.x_from_time(t.time))
                .collect();
            assert!(
                xs.windows(2)
                    .all(|w| w[1] - w[0] >= MIN_LABEL_SPACING_PX * 0.95)
            );
            assert!(
                !xs.is_empty() || width < 400.0,
                "no labels at {span} over {width}"
            );
            if let Some(minor) = minor_step(step, npp) {
                assert!(step.is_multiple_of(minor));
                assert!(minor.nominal_nanos() as f64 / npp >= MIN_MINOR_SPACING_PX);
            }
            span *= 1.37;
        }
    }
}

#[test]
fn minor_ticks_sit_between_labelled_ones() {
    let view = TimeView::centered_on(utc(2026, 6, 1, 12, 0), 10.0 * NANOS_PER_HOUR as f64, 1200.0);
    let ticks = ruler_ticks(&view, &Utc);
    assert_eq!(major_step(view.nanos_per_px), TickStep::Hours(1));
    assert_eq!(
        minor_step(TickStep::Hours(1), view.nanos_per_px),
        Some(fixed(10 * NANOS_PER_MIN))
    );
    let majors: Vec<_> = ticks.iter().filter(|t| t.kind == TickKind::Major).collect();
    let minors: Vec<_> = ticks.iter().filter(|t| t.kind == TickKind::Minor).collect();
    assert!(majors.iter().all(|t| t.label.is_some()));
    assert!(minors.iter().all(|t| t.label.is_none()));
    assert!(
        minors
            .iter()
            .all(|t| t.time.nanos() % (10 * NANOS_PER_MIN) == 0)
    );
    assert!(minors.iter().all(|t| t.time.nanos() % NANOS_PER_HOUR != 0));
    assert!(ticks.windows(2).all(|w| w[0].time < w[1].time));
    assert!(majors.iter().any(|t| t.label.as_deref() == Some("12:00")));
    assert!(tick_times(TickStep::Hours(1), view.end(), view.start, &Utc).is_empty());
}
