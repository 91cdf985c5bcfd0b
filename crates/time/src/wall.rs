//! The one time type of recordings, events and the timeline: wall-clock UTC nanoseconds.
//!
//! Owns: [`WallNanos`] and its conversions to and from chrono and `SystemTime`. Must not:
//! know about pixels or formatting (that is `vigil_timeline::ticks`), or about media
//! timebases — a stream's timestamps stay in their own timebase until they are converted
//! once, where they enter the recording store.

use std::time::SystemTime;

use chrono::{DateTime, Local, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Nanoseconds in one millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;
/// Nanoseconds in one second.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Nanoseconds in one minute.
pub const NANOS_PER_MIN: i64 = 60 * NANOS_PER_SEC;
/// Nanoseconds in one hour.
pub const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MIN;
/// Nanoseconds in one (24-hour) day. A local calendar day may be 23 or 25 hours long.
pub const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// A point in wall-clock time: nanoseconds since 1970-01-01T00:00:00 UTC (leap seconds
/// not counted, like Unix time). Covers the years 1677 to 2262.
///
/// Stored and compared in UTC; shown in the local zone only when it is drawn.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct WallNanos(pub i64);

impl WallNanos {
    /// The earliest representable time (1677-09-21).
    pub const MIN: Self = Self(i64::MIN);
    /// The latest representable time (2262-04-11).
    pub const MAX: Self = Self(i64::MAX);
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// The current wall-clock time of the operating system. Code that tests must be able
    /// to move in time asks a [`crate::Clock`] instead.
    pub fn now() -> Self {
        Self::from_utc(&Utc::now())
    }

    /// Whole seconds since the Unix epoch (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(NANOS_PER_SEC))
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// A time `delta_nanos` later (earlier when negative), saturating at the ends.
    #[must_use]
    pub const fn saturating_add_nanos(self, delta_nanos: i64) -> Self {
        Self(self.0.saturating_add(delta_nanos))
    }

    /// Nanoseconds from `earlier` to `self` (negative when `self` is earlier), saturating.
    pub const fn nanos_since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// From a UTC date-time; saturates outside 1677..2262.
    pub fn from_utc(dt: &DateTime<Utc>) -> Self {
        Self::from_datetime(dt).unwrap_or(if dt.timestamp() < 0 {
            Self::MIN
        } else {
            Self::MAX
        })
    }

    /// From a date-time in any zone; `None` outside 1677..2262.
    pub fn from_datetime<Tz: TimeZone>(dt: &DateTime<Tz>) -> Option<Self> {
        dt.timestamp_nanos_opt().map(Self)
    }

    /// From a `SystemTime`; `None` outside 1677..2262.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        Self::from_datetime(&DateTime::<Utc>::from(time))
    }

    /// As a UTC date-time (always representable).
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    /// In the process's local zone (chrono's `Local`: the `TZ` variable, else
    /// `/etc/localtime`).
    pub fn to_local(self) -> DateTime<Local> {
        self.to_zone(&Local)
    }

    /// In the given zone.
    pub fn to_zone<Tz: TimeZone>(self, zone: &Tz) -> DateTime<Tz> {
        self.to_utc().with_timezone(zone)
    }
}

impl From<WallNanos> for DateTime<Utc> {
    fn from(t: WallNanos) -> Self {
        t.to_utc()
    }
}

impl std::fmt::Display for WallNanos {
    /// RFC 3339 in UTC with nanoseconds, e.g. `2026-03-29T01:00:00.000000000Z`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn converts_to_and_from_chrono() {
        let dt = Utc
            .with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
            .single()
            .expect("valid date");
        let t = WallNanos::from_utc(&dt);
        assert_eq!(t.nanos(), 1_774_746_000 * NANOS_PER_SEC);
        assert_eq!(t.to_utc(), dt);
        let plus_two = FixedOffset::east_opt(2 * 3600).expect("valid offset");
        let local = t.to_zone(&plus_two);
        assert_eq!(local.format("%H:%M").to_string(), "03:00");
        assert_eq!(WallNanos::from_datetime(&local), Some(t));
        assert_eq!(t.to_string(), "2026-03-29T01:00:00.000000000Z");
    }

    #[test]
    fn keeps_nanoseconds_and_saturates() {
        let t = WallNanos(1_774_746_000_123_456_789);
        assert_eq!(WallNanos::from_utc(&t.to_utc()), t);
        assert_eq!(
            WallNanos::from_system_time(SystemTime::UNIX_EPOCH),
            Some(WallNanos::UNIX_EPOCH)
        );
        let far = Utc
            .with_ymd_and_hms(3000, 1, 1, 0, 0, 0)
            .single()
            .expect("valid date");
        assert_eq!(WallNanos::from_datetime(&far), None);
        assert_eq!(WallNanos::from_utc(&far), WallNanos::MAX);
        assert_eq!(WallNanos::MAX.saturating_add_nanos(5), WallNanos::MAX);
        assert_eq!(WallNanos(10).nanos_since(WallNanos(4)), 6);
        assert_eq!(WallNanos::from_secs(2).nanos(), 2 * NANOS_PER_SEC);
    }
}
