//! PTZ calls for the wall's controls: ContinuousMove (pan, tilt and zoom speeds in the
//! generic −1…1 velocity space), Stop, GetPresets, GotoPreset, SetPreset and
//! GotoHomePosition, each for a media profile token.
//! Must not: decide what a gesture means (the app does), or send a speed outside −1…1.

use std::time::Duration;

use crate::client::Client;
use crate::error::{ErrorKind, OnvifError};
use crate::sanitize::display_safe;
use crate::wsse::escape;

const PTZ_NS: &str = "http://www.onvif.org/ver20/ptz/wsdl";

/// Speeds in the generic velocity space: −1…1 each (clamped; NaN becomes 0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PtzSpeed {
    /// Positive pans right.
    pub pan: f32,
    /// Positive tilts up.
    pub tilt: f32,
    /// Positive zooms in.
    pub zoom: f32,
}

/// A preset position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub token: String,
    pub name: String,
}

fn unit(v: f32) -> String {
    let v = if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    // Four decimals are finer than any device's speed steps; no exponent notation.
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// `PT…S`, the xs:duration ONVIF timeouts take (milliseconds kept).
fn duration(d: Duration) -> String {
    format!("PT{}S", unit_secs(d))
}

fn unit_secs(d: Duration) -> String {
    let millis = d.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{}", millis / 1000)
    } else {
        format!("{}.{:03}", millis / 1000, millis % 1000)
    }
}

fn velocity(speed: PtzSpeed) -> String {
    format!(
        r#"<tt:PanTilt x="{}" y="{}"/><tt:Zoom x="{}"/>"#,
        unit(speed.pan),
        unit(speed.tilt),
        unit(speed.zoom)
    )
}

impl Client {
    fn ptz(&self, call: &str, action: &str, body: &str) -> Result<crate::xml::Element, OnvifError> {
        let url = self
            .services
            .ptz
            .as_deref()
            .ok_or_else(|| self.error(call, ErrorKind::NoService { service: "PTZ" }))?;
        self.call(url, call, &format!("{PTZ_NS}/{action}"), body)
    }

    /// ContinuousMove at `speed` until Stop, or until `timeout` when given.
    pub fn ptz_continuous_move(
        &self,
        profile: &str,
        speed: PtzSpeed,
        timeout: Option<Duration>,
    ) -> Result<(), OnvifError> {
        let timeout = timeout
            .map(|t| format!("<tptz:Timeout>{}</tptz:Timeout>", duration(t)))
            .unwrap_or_default();
        self.ptz(
            "ContinuousMove",
            "ContinuousMove",
            &format!(
                "<tptz:ContinuousMove><tptz:ProfileToken>{}</tptz:ProfileToken><tptz:Velocity>{}</tptz:Velocity>{timeout}</tptz:ContinuousMove>",
                escape(profile),
                velocity(speed)
            ),
        )?;
        Ok(())
    }

    /// Stop pan, tilt and zoom.
    pub fn ptz_stop(&self, profile: &str) -> Result<(), OnvifError> {
        self.ptz(
            "Stop",
            "Stop",
            &format!(
                "<tptz:Stop><tptz:ProfileToken>{}</tptz:ProfileToken><tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>",
                escape(profile)
            ),
        )?;
        Ok(())
    }

    /// GetPresets: tokens and names (display-safe).
    pub fn ptz_get_presets(&self, profile: &str) -> Result<Vec<Preset>, OnvifError> {
        let r = self.ptz(
            "GetPresets",
            "GetPresets",
            &format!(
                "<tptz:GetPresets><tptz:ProfileToken>{}</tptz:ProfileToken></tptz:GetPresets>",
                escape(profile)
            ),
        )?;
        Ok(r.children_named("Preset")
            .filter_map(|p| {
                let token = display_safe(p.attribute("token")?);
                let name = p.text_at(&["Name"]).map(display_safe).unwrap_or_default();
                Some(Preset { token, name })
            })
            .collect())
    }

    /// GotoPreset, at the device's default speed or at `speed`.
    pub fn ptz_goto_preset(
        &self,
        profile: &str,
        preset: &str,
        speed: Option<PtzSpeed>,
    ) -> Result<(), OnvifError> {
        let speed = speed
            .map(|s| format!("<tptz:Speed>{}</tptz:Speed>", velocity(s)))
            .unwrap_or_default();
        self.ptz(
            "GotoPreset",
            "GotoPreset",
            &format!(
                "<tptz:GotoPreset><tptz:ProfileToken>{}</tptz:ProfileToken><tptz:PresetToken>{}</tptz:PresetToken>{speed}</tptz:GotoPreset>",
                escape(profile),
                escape(preset)
            ),
        )?;
        Ok(())
    }

    /// SetPreset: stores the current position under `name` (a new preset) and returns
    /// the token the device gave it.
    pub fn ptz_set_preset(&self, profile: &str, name: Option<&str>) -> Result<String, OnvifError> {
        let call = "SetPreset";
        let name = name
            .map(|n| format!("<tptz:PresetName>{}</tptz:PresetName>", escape(n)))
            .unwrap_or_default();
        let r = self.ptz(
            call,
            "SetPreset",
            &format!(
                "<tptz:SetPreset><tptz:ProfileToken>{}</tptz:ProfileToken>{name}</tptz:SetPreset>",
                escape(profile)
            ),
        )?;
        r.text_at(&["PresetToken"])
            .map(display_safe)
            .ok_or_else(|| {
                self.error(
                    call,
                    ErrorKind::Missing {
                        what: "PresetToken",
                    },
                )
            })
    }

    /// GotoHomePosition.
    pub fn ptz_goto_home(&self, profile: &str) -> Result<(), OnvifError> {
        self.ptz(
            "GotoHomePosition",
            "GotoHomePosition",
            &format!(
                "<tptz:GotoHomePosition><tptz:ProfileToken>{}</tptz:ProfileToken></tptz:GotoHomePosition>",
                escape(profile)
            ),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_are_clamped_and_plain() {
        assert_eq!(unit(0.5), "0.5");
        assert_eq!(unit(-0.25), "-0.25");
        assert_eq!(unit(3.0), "1");
        assert_eq!(unit(f32::NAN), "0");
        assert_eq!(unit(-0.0), "0");
        assert_eq!(unit(1e-9), "0");
        assert_eq!(duration(Duration::from_millis(1500)), "PT1.500S");
        assert_eq!(duration(Duration::from_secs(2)), "PT2S");
    }
}
