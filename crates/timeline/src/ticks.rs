//! Ruler ticks in local time: which step to use at a zoom, where the ticks fall, and
//! their labels — correct across daylight-saving changes.
//!
//! Owns: the tick ladder, tick placement and every time-of-day/date format the timeline
//! shows. Must not: draw, or read the process's time zone itself.
//!
//! # Time zones
//!
//! Every function takes the zone as a generic `Tz: chrono::TimeZone`. The app passes
//! `chrono::Local`, which follows the `TZ` environment variable (a zone name looked up
//! in `/usr/share/zoneinfo`, or a POSIX rule string) or else `/etc/localtime`; chrono
//! caches it per thread and re-checks at most once a second, so a changed zone shows
//! up without a restart. Tests pass a fixed offset or a rule zone of their own, and
//! check `Local` itself in a child process started with `TZ` set, because setting
//! the variable in a running (multi-threaded) test process is `unsafe`.
//!
//! # Daylight saving
//!
//! Steps below an hour are fixed durations counted on the local clock: a tick wherever
//! local time is a multiple of the step, so during a repeated hour they repeat too.
//! Steps of an hour or more are calendar steps: every local date's hh:00 for the
//! wanted hours (a skipped 02:00 gets no tick, a repeated 02:00 gets two), local
//! midnights, Mondays, the first of a month. A local day is therefore 23 or 25 hours
//! long on a transition day, and labels always say the local time that the clock on
//! the wall showed.

use chrono::{Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};

use super::ruler::TimeView;
use vigil_time::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MILLI, NANOS_PER_MIN, NANOS_PER_SEC, WallNanos,
};

/// Labelled ticks are at least this far apart.
pub const MIN_LABEL_SPACING_PX: f64 = 90.0;
/// Unlabelled minor ticks are at least this far apart.
pub const MIN_MINOR_SPACING_PX: f64 = 12.0;
/// No tick list grows past this, whatever range is asked for.
const MAX_TICKS: usize = 10_000;
/// Calendar steps look at no more dates than this (about ten years).
const MAX_DAYS: u64 = 3_700;

/// How far apart ticks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickStep {
    /// A fixed duration that divides an hour (1 ms … 30 min), on the local clock.
    Fixed { nanos: i64 },
    /// Every `n` local hours (n divides 24), at local hh:00.
    Hours(u32),
    /// Every `n` local days, at the start of the local day.
    Days(u32),
    /// Every `n` weeks, at the start of local Mondays.
    Weeks(u32),
    /// Every `n` months, at the start of the local 1st.
    Months(u32),
}

const fn fixed(nanos: i64) -> TickStep {
    TickStep::Fixed { nanos }
}

/// Every step the ruler may use, shortest first.
pub const LADDER: [TickStep; 35] = [
    fixed(NANOS_PER_MILLI),
    fixed(2 * NANOS_PER_MILLI),
    fixed(5 * NANOS_PER_MILLI),
    fixed(10 * NANOS_PER_MILLI),
    fixed(20 * NANOS_PER_MILLI),
    fixed(50 * NANOS_PER_MILLI),
    fixed(100 * NANOS_PER_MILLI),
    fixed(200 * NANOS_PER_MILLI),
    fixed(500 * NANOS_PER_MILLI),
    fixed(NANOS_PER_SEC),
    fixed(2 * NANOS_PER_SEC),
    fixed(5 * NANOS_PER_SEC),
    fixed(10 * NANOS_PER_SEC),
    fixed(15 * NANOS_PER_SEC),
    fixed(30 * NANOS_PER_SEC),
    fixed(NANOS_PER_MIN),
    fixed(2 * NANOS_PER_MIN),
    fixed(5 * NANOS_PER_MIN),
    fixed(10 * NANOS_PER_MIN),
    fixed(15 * NANOS_PER_MIN),
    fixed(30 * NANOS_PER_MIN),
    TickStep::Hours(1),
    TickStep::Hours(2),
    TickStep::Hours(3),
    TickStep::Hours(6),
    TickStep::Hours(12),
    TickStep::Days(1),
    TickStep::Days(2),
    TickStep::Weeks(1),
    TickStep::Weeks(2),
    TickStep::Months(1),
    TickStep::Months(2),
    TickStep::Months(3),
    TickStep::Months(6),
    TickStep::Months(12),
];

impl TickStep {
    /// The step's usual length (a day as 24 h, a month as 30 days), for choosing steps.
    pub fn nominal_nanos(self) -> i64 {
        match self {
            Self::Fixed { nanos } => nanos,
            Self::Hours(n) => i64::from(n) * NANOS_PER_HOUR,
            Self::Days(n) => i64::from(n) * NANOS_PER_DAY,
            Self::Weeks(n) => i64::from(n) * 7 * NANOS_PER_DAY,
            Self::Months(n) => i64::from(n) * 30 * NANOS_PER_DAY,
        }
    }

    /// Whether every tick of `self` is also a tick of `finer`.
    fn is_multiple_of(self, finer: Self) -> bool {
        use TickStep::{Days, Fixed, Hours, Months, Weeks};
        match (finer, self) {
            (Fixed { nanos: a }, Fixed { nanos: b }) => b % a == 0,
            (Fixed { nanos: a }, _) => NANOS_PER_HOUR % a == 0,
            (Hours(_), Fixed { .. }) => false,
            (Hours(a), Hours(b)) => b % a == 0,
            (Hours(a), _) => 24 % a == 0,
            (Days(a), Days(b)) => b % a == 0,
            (Days(1), Weeks(_) | Months(_)) => true,
            (Weeks(a), Weeks(b)) => b % a == 0,
            (Months(a), Months(b)) => b % a == 0,
            _ => false,
        }
    }

    /// Steps shorter than a day label times of day; longer ones label dates.
    fn is_sub_day(self) -> bool {
        matches!(self, Self::Fixed { .. } | Self::Hours(_))
    }
}

/// The kind of a tick, which decides how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TickKind {
    /// Short, unlabelled.
    Minor,
    /// Labelled.
    Major,
    /// Labelled with the date: the start of a local day when the labels are times.
    DayStart,
}

/// One tick of the ruler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tick {
    pub time: WallNanos,
    pub kind: TickKind,
    /// The local time or date for major ticks, `None` for minor ones.
    pub label: Option<String>,
}

/// The shortest step whose labels are at least [`MIN_LABEL_SPACING_PX`] apart.
pub fn major_step(nanos_per_px: f64) -> TickStep {
    LADDER
        .iter()
        .copied()
        .find(|step| step.nominal_nanos() as f64 / nanos_per_px >= MIN_LABEL_SPACING_PX)
        .unwrap_or(TickStep::Months(12))
}

/// The shortest step that divides `major` and is at least [`MIN_MINOR_SPACING_PX`]
/// apart, if there is one.
pub fn minor_step(major: TickStep, nanos_per_px: f64) -> Option<TickStep> {
    LADDER.iter().copied().find(|step| {
        step.nominal_nanos() < major.nominal_nanos()
            && step.nominal_nanos() as f64 / nanos_per_px >= MIN_MINOR_SPACING_PX
            && major.is_multiple_of(*step)
    })
}

/// The ticks of the ruler for `view`: majors labelled in `zone`'s local time, minors
/// between them, sorted by time. Includes labelled ticks up to one label spacing left
/// of the view, whose labels reach into it.
pub fn ruler_ticks<Tz: TimeZone>(view: &TimeView, zone: &Tz) -> Vec<Tick> {
    let major = major_step(view.nanos_per_px);
    let start = view.time_from_x(-MIN_LABEL_SPACING_PX * 1.5);
    let end = view.end();
    let majors = tick_times(major, start, end, zone);
    let mut ticks: Vec<Tick> = majors
        .iter()
        .map(|&time| {
            let day_start = major.is_sub_day() && is_local_day_start(time, zone);
            Tick {
                time,
                kind: if day_start {
                    TickKind::DayStart
                } else {
                    TickKind::Major
                },
                label: Some(if day_start {
                    format_day(time, zone)
                } else {
                    tick_label(time, major, zone)
                }),
            }
        })
        .collect();
    if let Some(minor) = minor_step(major, view.nanos_per_px) {
        let minors = tick_times(minor, view.start, end, zone);
        ticks.extend(
            minors
                .into_iter()
                .filter(|t| majors.binary_search(t).is_err())
                .map(|time| Tick {
                    time,
                    kind: TickKind::Minor,
                    label: None,
                }),
        );
        ticks.sort_by_key(|tick| tick.time);
    }
    ticks
}

/// Every tick of `step` in `start..=end`, in `zone`'s local time, sorted.
pub fn tick_times<Tz: TimeZone>(
    step: TickStep,
    start: WallNanos,
    end: WallNanos,
    zone: &Tz,
) -> Vec<WallNanos> {
    if end < start {
        return Vec::new();
    }
    match step {
        TickStep::Fixed { nanos } => fixed_ticks(nanos.max(1), start, end, zone),
        TickStep::Hours(n) => {
            let n = n.clamp(1, 24);
            calendar_ticks(start, end, zone, |date, out| {
                for hour in (0..24).step_by(n as usize) {
                    if let Some(naive) = date.and_hms_opt(hour, 0, 0) {
                        out.extend(instants_at_local(&naive, zone));
                    }
                }
            })
        }
        TickStep::Days(n) => calendar_ticks(start, end, zone, |date, out| {
            if date.num_days_from_ce().rem_euclid(n.max(1) as i32) == 0 {
                out.extend(local_day_start(date, zone));
            }
        }),
        TickStep::Weeks(n) => calendar_ticks(start, end, zone, |date, out| {
            let week = date.num_days_from_ce().div_euclid(7);
            if date.weekday() == Weekday::Mon && week.rem_euclid(n.max(1) as i32) == 0 {
                out.extend(local_day_start(date, zone));
            }
        }),
        TickStep::Months(n) => calendar_ticks(start, end, zone, |date, out| {
            if date.day() == 1 && date.month0() % n.max(1) == 0 {
                out.extend(local_day_start(date, zone));
            }
        }),
    }
}

/// The label of a major tick of `step` at `time`.
pub fn tick_label<Tz: TimeZone>(time: WallNanos, step: TickStep, zone: &Tz) -> String {
    let format = match step {
        TickStep::Fixed { nanos } if nanos < NANOS_PER_SEC => "%H:%M:%S%.3f",
        TickStep::Fixed { nanos } if nanos < NANOS_PER_MIN => "%H:%M:%S",
        TickStep::Fixed { .. } | TickStep::Hours(_) => "%H:%M",
        TickStep::Days(_) | TickStep::Weeks(_) => "%a %d %b",
        TickStep::Months(_) => "%b %Y",
    };
    local_naive(time, zone).format(format).to_string()
}

/// A local date as the ruler shows it at a day start: `Sun 29 Mar`.
pub fn format_day<Tz: TimeZone>(time: WallNanos, zone: &Tz) -> String {
    local_naive(time, zone).format("%a %d %b").to_string()
}

/// A local date with the year: `Sun 29 Mar 2026`.
pub fn format_date<Tz: TimeZone>(time: WallNanos, zone: &Tz) -> String {
    local_naive(time, zone).format("%a %d %b %Y").to_string()
}

/// A local time of day to the second (to the millisecond when `nanos_per_px` is
/// below 10 ms), e.g. `14:03:27`.
pub fn format_clock<Tz: TimeZone>(time: WallNanos, zone: &Tz, nanos_per_px: f64) -> String {
    let format = if nanos_per_px < 10.0 * NANOS_PER_MILLI as f64 {
        "%H:%M:%S%.3f"
    } else {
        "%H:%M:%S"
    };
    local_naive(time, zone).format(format).to_string()
}

/// A full, unambiguous local time: `Sun 25 Oct 2026 02:30:00 +01:00`. The UTC offset
/// tells the two 02:30s of a fall-back night apart.
pub fn format_full<Tz: TimeZone>(time: WallNanos, zone: &Tz, nanos_per_px: f64) -> String {
    let offset = zone
        .offset_from_utc_datetime(&time.to_utc().naive_utc())
        .fix();
    format!(
        "{} {} {offset}",
        format_date(time, zone),
        format_clock(time, zone, nanos_per_px)
    )
}

/// Whether `time` is the first instant of its local day.
pub fn is_local_day_start<Tz: TimeZone>(time: WallNanos, zone: &Tz) -> bool {
    local_day_start(local_naive(time, zone).date(), zone) == Some(time)
}

/// The first instant of a local date: midnight, or the first valid time after it when
/// midnight itself was skipped by a transition.
pub fn local_day_start<Tz: TimeZone>(date: NaiveDate, zone: &Tz) -> Option<WallNanos> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=24 * 4).find_map(|quarter| {
        let naive = midnight + chrono::Duration::minutes(15 * quarter);
        instants_at_local(&naive, zone).first().copied()
    })
}

fn local_naive<Tz: TimeZone>(time: WallNanos, zone: &Tz) -> NaiveDateTime {
    time.to_zone(zone).naive_local()
}

fn offset_nanos<Tz: TimeZone>(time: i64, zone: &Tz) -> i64 {
    let utc = WallNanos(time).to_utc().naive_utc();
    i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * NANOS_PER_SEC
}

/// Fixed-duration ticks where the local clock is a multiple of `step`, walked in UTC so
/// that a repeated local hour repeats its ticks.
fn fixed_ticks<Tz: TimeZone>(
    step: i64,
    start: WallNanos,
    end: WallNanos,
    zone: &Tz,
) -> Vec<WallNanos> {
    let next_on_grid = |from: i64, offset: i64| -> i64 {
        let local = i128::from(from) + i128::from(offset);
        let step = i128::from(step);
        let aligned = local + (step - local.rem_euclid(step)) % step;
        (aligned - i128::from(offset)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    };
    let mut out = Vec::new();
    let mut from = start.0;
    while out.len() < MAX_TICKS {
        let offset = offset_nanos(from, zone);
        let mut tick = next_on_grid(from, offset);
        let offset_at_tick = offset_nanos(tick, zone);
        if offset_at_tick != offset {
            // A transition by a multiple of `step` keeps the grid; one that is not
            // (e.g. 30 minutes under a 1-hour step) moves it: use the new offset's grid.
            let moved = next_on_grid(from, offset_at_tick);
            if moved >= from && offset_nanos(moved, zone) == offset_at_tick {
                tick = moved;
            }
        }
        if tick > end.0 || tick < from {
            break;
        }
        out.push(WallNanos(tick));
        match tick.checked_add(1) {
            Some(next) => from = next,
            None => break,
        }
    }
    out
}

/// Calls `per_date` for each local date that `start..=end` touches (and one either
/// side), then keeps the produced ticks inside the range.
fn calendar_ticks<Tz: TimeZone>(
    start: WallNanos,
    end: WallNanos,
    zone: &Tz,
    mut per_date: impl FnMut(NaiveDate, &mut Vec<WallNanos>),
) -> Vec<WallNanos> {
    let first = local_naive(start, zone).date();
    let last = local_naive(end, zone).date();
    let first = first.checked_sub_days(Days::new(1)).unwrap_or(first);
    let mut out = Vec::new();
    for date in first.iter_days().take(MAX_DAYS as usize) {
        if date > last.checked_add_days(Days::new(1)).unwrap_or(last) || out.len() >= MAX_TICKS {
            break;
        }
        per_date(date, &mut out);
    }
    out.retain(|t| (start..=end).contains(t));
    out.sort();
    out.dedup();
    out
}

/// The instants at which `zone`'s clock showed `local`, earliest first: none when a
/// transition skipped it, two when it happened twice.
///
/// Worked out from the UTC → local direction only (which offset was in force at an
/// instant): chrono's `Local` gets local → UTC wrong at the exact edges of a
/// transition — 02:00 on a spring-forward day comes back as existing, 03:00 after a
/// fall-back as happening twice, and the repeated hour's two instants in the wrong
/// order (chrono#1625).
pub fn instants_at_local<Tz: TimeZone>(local: &NaiveDateTime, zone: &Tz) -> Vec<WallNanos> {
    let offset_at = |utc: &NaiveDateTime| zone.offset_from_utc_datetime(utc).fix();
    let mut offsets: Vec<FixedOffset> = [-1, 0, 1]
        .into_iter()
        .filter_map(|days| local.checked_add_signed(chrono::Duration::days(days)))
        .map(|probe| offset_at(&probe))
        .collect();
    offsets.dedup();
    let mut instants: Vec<WallNanos> = offsets
        .into_iter()
        .filter_map(|offset| {
            let instant = local.checked_sub_offset(offset)?;
            if offset_at(&instant) == offset {
                WallNanos::from_datetime(&instant.and_utc())
            } else {
                None
            }
        })
        .collect();
    instants.sort();
    instants.dedup();
    instants
}

#[cfg(test)]
mod tests;
