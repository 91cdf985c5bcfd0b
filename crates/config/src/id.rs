//! A camera's identity as the site file gives it: `[A-Za-z0-9_-]{1,64}`, unique in the
//! site. It names the camera in the wall's assignment, stream keys, recordings and
//! credentials, so it has its own type rather than a bare `String`.
//!
//! Must not: check the id's form (validation does, with the site file's position).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A camera id (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CameraId(String);

impl CameraId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for CameraId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for CameraId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for CameraId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CameraId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for CameraId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl From<String> for CameraId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<CameraId> for String {
    fn from(id: CameraId) -> Self {
        id.0
    }
}

impl PartialEq<str> for CameraId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CameraId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for CameraId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<CameraId> for String {
    fn eq(&self, other: &CameraId) -> bool {
        *self == other.0
    }
}

impl PartialEq<CameraId> for str {
    fn eq(&self, other: &CameraId) -> bool {
        self == other.0
    }
}

/// Serde for a tile's camera, where the site file writes an empty tile as `""` (TOML
/// has no null): `""` reads as `None`, and `None` is written as `""`.
pub mod empty_as_none {
    use super::{CameraId, Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tiles: &[Option<CameraId>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            tiles
                .iter()
                .map(|t| t.as_ref().map_or("", CameraId::as_str)),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<CameraId>>, D::Error> {
        let ids = Vec::<String>::deserialize(d)?;
        Ok(ids
            .into_iter()
            .map(|id| (!id.is_empty()).then_some(CameraId(id)))
            .collect())
    }
}

/// Serde for an optional camera where `""` also means none.
pub mod optional {
    use super::{CameraId, Deserialize as _, Deserializer, Serialize as _, Serializer};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(id: &Option<CameraId>, s: S) -> Result<S::Ok, S::Error> {
        id.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CameraId>, D::Error> {
        let id = Option::<String>::deserialize(d)?;
        Ok(id.filter(|id| !id.is_empty()).map(CameraId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Wall {
        #[serde(with = "empty_as_none")]
        assignment: Vec<Option<CameraId>>,
        #[serde(default, with = "optional", skip_serializing_if = "Option::is_none")]
        camera: Option<CameraId>,
    }

    #[test]
    fn an_empty_tile_is_written_as_an_empty_string_and_read_back_as_none() {
        let wall = Wall {
            assignment: vec![Some("lobby".into()), None],
            camera: None,
        };
        let text = toml::to_string(&wall).expect("serialises");
        assert_eq!(text.trim(), r#"assignment = ["lobby", ""]"#);
        assert_eq!(toml::from_str::<Wall>(&text).expect("parses"), wall);
        let blank: Wall = toml::from_str("assignment = []\ncamera = \"\"").expect("parses");
        assert_eq!(blank.camera, None);
    }

    #[test]
    fn compares_with_strings() {
        let id = CameraId::from("yard");
        assert_eq!(id, "yard");
        assert_eq!(id, String::from("yard"));
        assert_eq!(&*id, "yard");
        assert_eq!(id.to_string(), "yard");
    }
}
