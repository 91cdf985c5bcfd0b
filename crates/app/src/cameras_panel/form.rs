//! The Cameras window's edit form as data: the fields as typed, a camera and a
//! password change built from them, credentials typed into the URL moved into their own
//! fields, and the id suggested from the name.
//!
//! Owns: [`Form`]. Must not: draw, or keep a password anywhere but its own field and
//! the [`PasswordChange`] it builds.

use vigil_config::redact::parse_source_with_credentials;
use vigil_config::{
    CameraConfig, CameraId, RecordingConfig, RecordingMode, Site, SubstreamConfig, Transport,
};
use vigil_core::{CameraEdit, PasswordChange};

/// Where a new camera comes from (the wizard's first step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddSource {
    /// The RTSP URL typed (the edit form itself).
    RtspUrl,
    /// Asked of an ONVIF device ("Add by ONVIF"), which then fills the form.
    Onvif,
    /// Found by a WS-Discovery Probe, then added by ONVIF.
    Discovery,
}

/// The edit form's fields, as typed.
#[derive(Clone, Debug)]
pub(super) struct Form {
    /// The camera's id before the edit (`None`: a new camera).
    pub(super) original: Option<CameraId>,
    pub(super) source: AddSource,
    /// The camera as it was (sizes learnt from the stream and the like carry over).
    pub(super) base: CameraConfig,
    pub(super) name: String,
    pub(super) id: String,
    /// The id follows the name until someone types one.
    pub(super) id_typed: bool,
    pub(super) group: String,
    pub(super) url: String,
    pub(super) user: String,
    pub(super) password: String,
    /// The password field was typed in (else the stored one is kept).
    pub(super) password_typed: bool,
    pub(super) enabled: bool,
    pub(super) transport: Transport,
    pub(super) priority: i32,
    /// Name and URL of each sub-stream.
    pub(super) substreams: Vec<(String, String)>,
    pub(super) mode: RecordingMode,
    pub(super) max_age_days: String,
    pub(super) pre_roll_s: String,
    pub(super) post_roll_s: String,
    /// Said once, next to the URL: credentials were moved out of it.
    pub(super) url_notice: Option<String>,
}

impl Form {
    pub(super) fn new_camera(site: &Site) -> Self {
        let mut n = site.cameras.len() + 1;
        while site.camera(&format!("camera-{n}")).is_some() {
            n += 1;
        }
        let base = CameraConfig::new(format!("camera-{n}"), format!("Camera {n}"), "");
        let mut form = Self::from_camera(None, base);
        form.url = String::new();
        form.enabled = true;
        // The id follows the name until someone types one.
        form.id_typed = false;
        form
    }

    pub(super) fn from_camera(original: Option<CameraId>, base: CameraConfig) -> Self {
        let recording = base.recording.clone();
        Self {
            original,
            source: AddSource::RtspUrl,
            name: base.name.clone(),
            id: base.id.to_string(),
            id_typed: true,
            group: base.group.clone().unwrap_or_default(),
            url: base.source.clone(),
            user: base.username.clone().unwrap_or_default(),
            password: String::new(),
            password_typed: false,
            enabled: base.enabled,
            transport: base.transport,
            priority: base.priority,
            substreams: base
                .substreams
                .iter()
                .map(|s| (s.name.clone(), s.source.clone()))
                .collect(),
            mode: base.recording_mode(),
            max_age_days: recording
                .as_ref()
                .and_then(|r| r.max_age_days)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            pre_roll_s: recording
                .as_ref()
                .map_or(vigil_config::DEFAULT_PRE_ROLL_S, |r| r.pre_roll_s)
                .to_string(),
            post_roll_s: recording
                .as_ref()
                .map_or(vigil_config::DEFAULT_POST_ROLL_S, |r| r.post_roll_s)
                .to_string(),
            base,
            url_notice: None,
        }
    }

    /// Fills the form with what "Add by ONVIF" chose: the device's name, its main and
    /// sub stream, the login typed for it and its `[cameras.device]` identity; the
    /// installer checks, tests and saves it like a typed camera.
    pub(super) fn use_onvif(&mut self, chosen: super::onvif_view::ChosenStreams) {
        self.name = chosen.name;
        if !self.id_typed {
            self.id = id_from_name(&self.name);
        }
        self.url = chosen.main_uri;
        self.substreams = chosen
            .sub_uri
            .map(|uri| vec![("sub".to_owned(), uri)])
            .unwrap_or_default();
        self.user = chosen.user;
        self.password = chosen.password;
        self.password_typed = true;
        self.base.device = Some(chosen.device);
        self.source = AddSource::RtspUrl;
        self.url_notice =
            Some("Filled from the ONVIF device: check the camera, Test it and Save.".to_owned());
    }

    /// Moves a `user:password@` typed into the URL into the fields, and says so.
    pub(super) fn split_credentials(&mut self) {
        if let Ok((spec, Some(creds))) = parse_source_with_credentials(self.url.trim()) {
            self.url = spec.to_string();
            if !creds.username.is_empty() {
                self.user = creds.username;
            }
            if !creds.password.is_empty() {
                self.password = creds.password;
                self.password_typed = true;
            }
            self.url_notice = Some(
                "The user name and password were moved out of the URL into their own fields: \
                 Vigil never keeps them in the URL or the site file."
                    .to_owned(),
            );
        }
    }

    /// The camera as the form has it, or the fields whose numbers do not read.
    pub(super) fn camera(&self) -> Result<CameraConfig, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let mut number = |key: &'static str, text: &str, optional: bool| -> Option<f64> {
            let text = text.trim();
            if optional && text.is_empty() {
                return None;
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push((key, format!("`{}` is not a number", text.escape_debug())));
                    None
                }
            }
        };
        let max_age_days = number("max_age_days", &self.max_age_days, true);
        let pre_roll_s = number("pre_roll_s", &self.pre_roll_s, false);
        let post_roll_s = number("post_roll_s", &self.post_roll_s, false);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut camera = self.base.clone();
        let source_changed = camera.source != self.url.trim();
        camera.id = CameraId::from(self.id.trim());
        camera.name = self.name.trim().to_owned();
        camera.group = Some(self.group.trim().to_owned()).filter(|g| !g.is_empty());
        camera.source = self.url.trim().to_owned();
        if source_changed {
            // Sizes learnt from the old stream say nothing about the new one.
            (camera.width, camera.height, camera.fps) = (None, None, None);
        }
        camera.username = Some(self.user.trim().to_owned()).filter(|u| !u.is_empty());
        camera.enabled = self.enabled;
        camera.transport = self.transport;
        camera.priority = self.priority;
        camera.substreams = self
            .substreams
            .iter()
            .map(|(name, url)| {
                let old = self.base.substreams.iter().find(|s| s.name == *name);
                let kept = old.filter(|s| s.source == url.trim());
                SubstreamConfig {
                    name: name.trim().to_owned(),
                    source: url.trim().to_owned(),
                    width: kept.and_then(|s| s.width),
                    height: kept.and_then(|s| s.height),
                    fps: kept.and_then(|s| s.fps),
                }
            })
            .collect();
        camera.recording =
            (self.mode != RecordingMode::Off || self.base.recording.is_some()).then(|| {
                RecordingConfig {
                    mode: self.mode,
                    max_age_days,
                    pre_roll_s: pre_roll_s.unwrap_or(vigil_config::DEFAULT_PRE_ROLL_S),
                    post_roll_s: post_roll_s.unwrap_or(vigil_config::DEFAULT_POST_ROLL_S),
                }
            });
        Ok(camera)
    }

    pub(super) fn password_change(&self) -> PasswordChange {
        match (self.password_typed, self.password.is_empty()) {
            (false, _) => PasswordChange::Keep,
            (true, false) => PasswordChange::Set(self.password.clone()),
            (true, true) => PasswordChange::Clear,
        }
    }

    pub(super) fn edit(&self, camera: CameraConfig) -> CameraEdit {
        CameraEdit {
            original: self.original.clone(),
            camera,
            password: self.password_change(),
        }
    }
}

/// A camera id from its name: lowercase letters and digits, other runs as one '-'.
pub(super) fn id_from_name(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    // The site file's longest id.
    id.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_names() {
        assert_eq!(id_from_name("Back door (east)"), "back-door-east");
        assert_eq!(id_from_name("  Ümlaut 2 "), "mlaut-2");
        assert_eq!(id_from_name("!!!"), "");
    }

    #[test]
    fn credentials_typed_into_the_url_move_to_their_fields() {
        let mut form = Form::new_camera(&Site::empty());
        form.url = "rtsp://admin:p%40ss@10.0.0.5:554/live".into();
        form.split_credentials();
        assert_eq!(form.url, "rtsp://10.0.0.5:554/live");
        assert_eq!(
            (form.user.as_str(), form.password.as_str()),
            ("admin", "p@ss")
        );
        assert_eq!(form.password_change(), PasswordChange::Set("p@ss".into()));
        assert!(form.url_notice.is_some());
        let camera = form.camera().expect("camera");
        assert_eq!(camera.username.as_deref(), Some("admin"));
        assert!(!camera.source.contains("p@ss") && !camera.source.contains("admin"));
    }

    #[test]
    fn numbers_that_do_not_read_are_named() {
        let mut form = Form::new_camera(&Site::empty());
        form.mode = RecordingMode::Events;
        form.pre_roll_s = "five".into();
        let errors = form.camera().expect_err("not a number");
        assert_eq!(errors[0].0, "pre_roll_s");
    }
}
