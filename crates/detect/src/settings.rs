//! Detection settings: what a camera's installer tunes, read from TOML and validated,
//! and the zones turned into the motion grid's mask of watched cells.
//!
//! Must not: read files (callers hand in the text) or hold detector state.

use serde::{Deserialize, Serialize};

use crate::grid::{GRID_H, GRID_W};

/// One camera's detection settings. Every field has a default; see `docs/detection.md`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Whether the motion detector raises events (the grid is still computed for the
    /// tamper detectors).
    pub motion: bool,
    /// 0..=1: how small a luma change of a cell counts as motion (1 most sensitive).
    pub sensitivity: f32,
    /// 0..=1: the fraction of watched cells that must move to start an event.
    pub min_area: f32,
    /// How long the area must stay at or above `min_area` before an event starts.
    pub min_duration_secs: f64,
    /// How long without motion ends an event.
    pub quiet_secs: f64,
    /// After a global change (lights on or off), how long the background is re-learnt
    /// before motion counts again.
    pub scene_settle_secs: f64,
    /// How long a tamper condition must last before it is an event.
    pub tamper_settling_secs: f64,
    /// Whether the tamper detectors run.
    pub tamper: bool,
    /// Include and exclude zones; no include zone means the whole picture.
    pub zones: Vec<Zone>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            motion: true,
            sensitivity: 0.5,
            min_area: 0.01,
            min_duration_secs: 0.4,
            quiet_secs: 2.0,
            scene_settle_secs: 3.0,
            tamper_settling_secs: 10.0,
            tamper: true,
            zones: Vec::new(),
        }
    }
}

/// Whether a zone adds cells to watch or removes them.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ZoneKind {
    Include,
    Exclude,
}

/// A zone in normalised picture coordinates (0,0 top left, 1,1 bottom right): a
/// rectangle `[x0, y0, x1, y1]` or a polygon of at least 3 `[x, y]` points.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub kind: ZoneKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rect: Option<[f32; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polygon: Option<Vec<[f32; 2]>>,
}

/// A settings file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("detection settings are not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("{field} = {value} is out of range: it must be {range}")]
    OutOfRange {
        field: &'static str,
        value: f64,
        range: &'static str,
    },
    #[error("zone {index}: {reason}")]
    Zone { index: usize, reason: String },
    #[error(
        "the zones leave no grid cell to watch: widen an include zone or shrink an exclude zone"
    )]
    NothingWatched,
}

impl Settings {
    /// Parse and validate a settings file's text.
    pub fn from_toml(text: &str) -> Result<Self, SettingsError> {
        let settings: Self = toml::from_str(text)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Check every value; the first problem found is the error.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let check = |field: &'static str, value: f64, ok: bool, range: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(SettingsError::OutOfRange {
                    field,
                    value,
                    range,
                })
            }
        };
        let s = f64::from(self.sensitivity);
        check(
            "sensitivity",
            s,
            (0.0..=1.0).contains(&s),
            "between 0 and 1",
        )?;
        let a = f64::from(self.min_area);
        check(
            "min_area",
            a,
            a > 0.0 && a <= 1.0,
            "above 0 and at most 1 (a fraction of the watched cells)",
        )?;
        for (field, value) in [
            ("min_duration_secs", self.min_duration_secs),
            ("quiet_secs", self.quiet_secs),
            ("scene_settle_secs", self.scene_settle_secs),
            ("tamper_settling_secs", self.tamper_settling_secs),
        ] {
            check(
                field,
                value,
                value.is_finite() && (0.0..=3600.0).contains(&value),
                "between 0 and 3600 seconds",
            )?;
        }
        for (index, zone) in self.zones.iter().enumerate() {
            zone.validate()
                .map_err(|reason| SettingsError::Zone { index, reason })?;
        }
        if !self.watched_cells().iter().any(|&w| w) {
            return Err(SettingsError::NothingWatched);
        }
        Ok(())
    }

    /// The motion cells to watch, row-major: a cell counts when its centre lies in an
    /// include zone (or there is none) and in no exclude zone.
    pub fn watched_cells(&self) -> Vec<bool> {
        let includes: Vec<&Zone> = self
            .zones
            .iter()
            .filter(|z| z.kind == ZoneKind::Include)
            .collect();
        let mut mask = vec![false; GRID_W * GRID_H];
        for cy in 0..GRID_H {
            for cx in 0..GRID_W {
                #[allow(clippy::cast_precision_loss)]
                let (x, y) = (
                    (cx as f32 + 0.5) / GRID_W as f32,
                    (cy as f32 + 0.5) / GRID_H as f32,
                );
                let included = includes.is_empty() || includes.iter().any(|z| z.contains(x, y));
                let excluded = self
                    .zones
                    .iter()
                    .any(|z| z.kind == ZoneKind::Exclude && z.contains(x, y));
                mask[cy * GRID_W + cx] = included && !excluded;
            }
        }
        mask
    }
}

impl Zone {
    fn validate(&self) -> Result<(), String> {
        let in_unit = |v: f32| (0.0..=1.0).contains(&v);
        match (&self.rect, &self.polygon) {
            (Some([x0, y0, x1, y1]), None) => {
                if ![x0, y0, x1, y1].iter().all(|v| in_unit(**v)) {
                    return Err("rect values must be between 0 and 1".into());
                }
                if x0 >= x1 || y0 >= y1 {
                    return Err("rect must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1".into());
                }
                Ok(())
            }
            (None, Some(points)) => {
                if points.len() < 3 {
                    return Err(format!(
                        "a polygon needs at least 3 points, not {}",
                        points.len()
                    ));
                }
                if !points.iter().all(|[x, y]| in_unit(*x) && in_unit(*y)) {
                    return Err("polygon points must be between 0 and 1".into());
                }
                Ok(())
            }
            (Some(_), Some(_)) => Err("give either rect or polygon, not both".into()),
            (None, None) => Err("give rect = [x0, y0, x1, y1] or polygon = [[x, y], ...]".into()),
        }
    }

    /// Whether the normalised point lies in the zone (even-odd rule for polygons).
    pub fn contains(&self, x: f32, y: f32) -> bool {
        if let Some([x0, y0, x1, y1]) = self.rect {
            return x >= x0 && x <= x1 && y >= y0 && y <= y1;
        }
        let Some(points) = &self.polygon else {
            return false;
        };
        let mut inside = false;
        let mut j = points.len().wrapping_sub(1);
        for (i, &[xi, yi]) in points.iter().enumerate() {
            let [xj, yj] = points[j];
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_an_empty_file_gives_them() {
        assert_eq!(Settings::from_toml("").expect("empty"), Settings::default());
    }

    #[test]
    fn parses_zones_and_masks_cells() {
        let settings = Settings::from_toml(
            r#"
            sensitivity = 0.7
            min_area = 0.02
            min_duration_secs = 1.0
            tamper_settling_secs = 5
            [[zones]]
            kind = "include"
            rect = [0.0, 0.0, 0.5, 1.0]
            [[zones]]
            kind = "exclude"
            polygon = [[0.0, 0.0], [0.25, 0.0], [0.25, 0.5], [0.0, 0.5]]
            "#,
        )
        .expect("valid");
        let mask = settings.watched_cells();
        assert!(!mask[0], "top left is excluded");
        assert!(mask[(GRID_H - 1) * GRID_W], "bottom left is included");
        assert!(!mask[GRID_W - 1], "right half is outside the include zone");
        assert!(
            mask[GRID_W * 2 + GRID_W / 2 - 1],
            "left of centre, top: included"
        );
    }

    #[test]
    fn errors_name_the_field_and_the_zone() {
        let err = Settings::from_toml("sensitivity = 2.0").expect_err("out of range");
        assert!(err.to_string().contains("sensitivity = 2"), "{err}");
        let err = Settings::from_toml("min_area = 0").expect_err("zero area");
        assert!(err.to_string().contains("min_area"), "{err}");
        let err = Settings::from_toml("quiet_secs = -1").expect_err("negative");
        assert!(err.to_string().contains("quiet_secs"), "{err}");
        let err = Settings::from_toml("sensitivty = 0.5").expect_err("typo");
        assert!(err.to_string().contains("sensitivty"), "{err}");
        let err = Settings::from_toml("[[zones]]\nkind = \"exclude\"\nrect = [0.5, 0.0, 0.2, 1.0]")
            .expect_err("inverted rect");
        assert!(err.to_string().starts_with("zone 0:"), "{err}");
        let err = Settings::from_toml("[[zones]]\nkind = \"exclude\"\nrect = [0.0, 0.0, 1.0, 1.0]")
            .expect_err("nothing left");
        assert!(matches!(err, SettingsError::NothingWatched));
        let err = Settings::from_toml(
            "[[zones]]\nkind = \"include\"\npolygon = [[0.0, 0.0], [1.0, 1.0]]",
        )
        .expect_err("two points");
        assert!(err.to_string().contains("at least 3 points"), "{err}");
    }
}
