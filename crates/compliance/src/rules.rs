//! The restricted-vendor rules: `assets/restricted-vendors.toml`, built in with
//! `include_str!`, or a user's file of the same shape (`--rules FILE`, or
//! `<config dir>/restricted-vendors.toml`) that replaces it without a rebuild. Parsed
//! strictly (unknown keys are errors) and checked (dates, source URLs, OUI prefixes,
//! duplicates, relabels naming an entity), every problem reported with its line:column.
//!
//! Owns: [`Rules`] and its entries, loading and checking them. Must not: classify a
//! device (`classify`) or fetch anything from a network (the OUI registry is read by
//! people, and its result written into the file).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use vigil_config::LineCol;

use crate::mac::Oui;
use crate::text::NameKey;

/// The rules Vigil is built with.
pub const BUILT_IN_TEXT: &str = include_str!("../../../assets/restricted-vendors.toml");

/// The file name looked for in the user's config directory.
pub const USER_FILE_NAME: &str = "restricted-vendors.toml";

/// A rules file larger than this is refused (the built-in one is about 15 KiB).
pub const MAX_RULES_BYTES: u64 = 4 * 1024 * 1024;

/// Where the rules in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesOrigin {
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for RulesOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesOrigin::BuiltIn => f.write_str("built in"),
            RulesOrigin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Why a rules file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{}: cannot read the rules file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the rules file is larger than {MAX_RULES_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf },
    /// A syntax or schema error, or a value that fails a check.
    #[error("{origin}{}: {message}", location.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        origin: RulesOrigin,
        location: Option<LineCol>,
        message: String,
    },
}

/// Whether an OUI prefix was checked against the IEEE registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OuiStatus {
    /// Reported by several sources; not checked against the registry yet.
    Reported,
    /// Checked against the IEEE registry on the entry's date.
    Ieee,
}

/// One instrument that restricts an entity somewhere.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub region: String,
    pub instrument: String,
    pub scope: String,
    pub source: String,
    pub date: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OuiRule {
    pub prefix: Oui,
    pub status: OuiStatus,
    pub note: Option<String>,
    pub source: String,
    pub date: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerRule {
    /// Matched case-insensitively anywhere in the `Server` or `WWW-Authenticate` header.
    pub pattern: String,
    pub source: String,
    pub date: String,
}

/// A restricted entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    pub name: String,
    /// Manufacturer strings seen for it (matched ignoring case and punctuation).
    pub names: Vec<String>,
    /// Model-number conventions (a hint: they give "possible relabel" only).
    pub model_prefixes: Vec<String>,
    pub source: String,
    pub date: String,
    pub jurisdictions: Vec<Jurisdiction>,
    pub ouis: Vec<OuiRule>,
    pub banners: Vec<BannerRule>,
    pub(crate) keys: Vec<NameKey>,
}

/// A brand reported to sell some products of a restricted entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relabel {
    pub name: String,
    pub names: Vec<String>,
    /// The entities whose products it is reported to sell.
    pub of: Vec<String>,
    pub note: String,
    pub source: String,
    pub date: String,
    pub(crate) keys: Vec<NameKey>,
}

/// The rules in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub version: String,
    pub date: String,
    pub entities: Vec<Entity>,
    pub relabels: Vec<Relabel>,
    pub origin: RulesOrigin,
}

impl Rules {
    /// The rules built into Vigil.
    pub fn built_in() -> Result<Self, RulesError> {
        Self::parse(BUILT_IN_TEXT, RulesOrigin::BuiltIn)
    }

    /// The rules in `path`.
    pub fn from_file(path: &Path) -> Result<Self, RulesError> {
        let read_err = |source| RulesError::Read {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_err)?.len();
        if size > MAX_RULES_BYTES {
            return Err(RulesError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        Self::parse(&text, RulesOrigin::File(path.to_path_buf()))
    }

    /// The rules to use: `explicit` when given (`--rules FILE`), else the user's
    /// `<config_dir>/restricted-vendors.toml` when it exists, else the built-in ones.
    /// A user file that exists but does not load is an error, never a silent fallback.
    pub fn load(explicit: Option<&Path>, config_dir: Option<&Path>) -> Result<Self, RulesError> {
        if let Some(path) = explicit {
            return Self::from_file(path);
        }
        if let Some(dir) = config_dir {
            let user = dir.join(USER_FILE_NAME);
            if user.exists() {
                return Self::from_file(&user);
            }
        }
        Self::built_in()
    }

    /// `text` parsed and checked; errors name `origin` and the line:column.
    pub fn parse(text: &str, origin: RulesOrigin) -> Result<Self, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RulesError::Invalid {
            origin: origin.clone(),
            location: e.span().map(|s| LineCol::from_offset(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        Checker { text, origin }.check(file)
    }

    /// The entity called `name`, if any.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: Spanned<String>,
    date: Spanned<String>,
    #[serde(default)]
    entity: Vec<EntityFile>,
    #[serde(default)]
    relabel: Vec<RelabelFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityFile {
    name: Spanned<String>,
    names: Spanned<Vec<String>>,
    #[serde(default)]
    model_prefixes: Vec<String>,
    source: Spanned<String>,
    date: Spanned<String>,
    #[serde(default)]
    jurisdiction: Vec<Spanned<Jurisdiction>>,
    #[serde(default)]
    oui: Vec<OuiFile>,
    #[serde(default)]
    banner: Vec<BannerFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OuiFile {
    prefix: Spanned<String>,
    status: OuiStatus,
    #[serde(default)]
    note: Option<String>,
    source: Spanned<String>,
    date: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BannerFile {
    pattern: Spanned<String>,
    source: Spanned<String>,
    date: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelabelFile {
    name: Spanned<String>,
    names: Spanned<Vec<String>>,
    of: Spanned<Vec<String>>,
    note: String,
    source: Spanned<String>,
    date: Spanned<String>,
}

/// The checks after parsing, with the text to turn spans into line:column.
struct Checker<'t> {
    text: &'t str,
    origin: RulesOrigin,
}

impl Checker<'_> {
    fn err<T>(&self, at: &Spanned<T>, message: String) -> RulesError {
        RulesError::Invalid {
            origin: self.origin.clone(),
            location: Some(LineCol::from_offset(self.text, at.span().start)),
            message,
        }
    }

    fn date(&self, d: &Spanned<String>) -> Result<String, RulesError> {
        chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d")
            .map(|_| d.get_ref().clone())
            .map_err(|_| {
                self.err(
                    d,
                    format!("date '{}' is not YYYY-MM-DD", d.get_ref().escape_debug()),
                )
            })
    }

    fn source(&self, s: &Spanned<String>) -> Result<String, RulesError> {
        let url = s.get_ref();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        let host_ok = url.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
        if !scheme_ok || !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(self.err(
                s,
                format!(
                    "source '{}' must be an http(s) URL without spaces: every entry says where its claim comes from",
                    url.escape_debug()
                ),
            ));
        }
        Ok(url.clone())
    }

    fn keys(&self, names: &Spanned<Vec<String>>, who: &str) -> Result<Vec<NameKey>, RulesError> {
        let keys: Vec<NameKey> = names.get_ref().iter().map(|n| NameKey::new(n)).collect();
        if keys.is_empty() || keys.iter().any(NameKey::is_empty) {
            return Err(self.err(
                names,
                format!("{who}: names must list at least one name with a letter or digit in each"),
            ));
        }
        Ok(keys)
    }

    fn check(self, file: RulesFile) -> Result<Rules, RulesError> {
        if file.version.get_ref().trim().is_empty() {
            return Err(self.err(&file.version, "version is empty".into()));
        }
        let date = self.date(&file.date)?;
        let mut seen_ouis: BTreeMap<Oui, String> = BTreeMap::new();
        let mut entities: Vec<Entity> = Vec::new();
        for e in file.entity {
            let name = e.name.get_ref().trim().to_owned();
            if name.is_empty() {
                return Err(self.err(&e.name, "an entity's name is empty".into()));
            }
            if entities.iter().any(|x| x.name == name) {
                return Err(self.err(&e.name, format!("entity '{name}' is listed twice")));
            }
            let mut jurisdictions = Vec::new();
            for j in e.jurisdiction {
                // The jurisdiction's own fields are checked at the table's position.
                let source = Spanned::new(j.span(), j.get_ref().source.clone());
                let jdate = Spanned::new(j.span(), j.get_ref().date.clone());
                self.source(&source)?;
                self.date(&jdate)?;
                jurisdictions.push(j.into_inner());
            }
            let mut ouis = Vec::new();
            for o in e.oui {
                let prefix = crate::mac::Oui::parse(o.prefix.get_ref())
                    .map_err(|err| self.err(&o.prefix, format!("OUI prefix: {err}")))?;
                if let Some(other) = seen_ouis.insert(prefix, name.clone()) {
                    return Err(self.err(
                        &o.prefix,
                        format!("OUI {prefix} is listed twice (for {other} and for {name})"),
                    ));
                }
                ouis.push(OuiRule {
                    prefix,
                    status: o.status,
                    note: o.note,
                    source: self.source(&o.source)?,
                    date: self.date(&o.date)?,
                });
            }
            let mut banners = Vec::new();
            for b in e.banner {
                if b.pattern.get_ref().trim().is_empty() {
                    return Err(self.err(&b.pattern, "a banner pattern is empty".into()));
                }
                banners.push(BannerRule {
                    pattern: b.pattern.get_ref().clone(),
                    source: self.source(&b.source)?,
                    date: self.date(&b.date)?,
                });
            }
            if e.model_prefixes.iter().any(|p| p.trim().is_empty()) {
                return Err(self.err(&e.name, format!("{name}: a model prefix is empty")));
            }
            entities.push(Entity {
                keys: self.keys(&e.names, &name)?,
                names: e.names.into_inner(),
                model_prefixes: e.model_prefixes,
                source: self.source(&e.source)?,
                date: self.date(&e.date)?,
                jurisdictions,
                ouis,
                banners,
                name,
            });
        }
        let mut relabels: Vec<Relabel> = Vec::new();
        for r in file.relabel {
            let name = r.name.get_ref().trim().to_owned();
            if name.is_empty() {
                return Err(self.err(&r.name, "a relabel's name is empty".into()));
            }
            if relabels.iter().any(|x| x.name == name) || entities.iter().any(|x| x.name == name) {
                return Err(self.err(&r.name, format!("'{name}' is listed twice")));
            }
            if r.of.get_ref().is_empty() {
                return Err(self.err(&r.of, format!("relabel {name}: `of` names no entity")));
            }
            if let Some(missing) =
                r.of.get_ref()
                    .iter()
                    .find(|o| !entities.iter().any(|e| &e.name == *o))
            {
                return Err(self.err(
                    &r.of,
                    format!("relabel {name}: `of` names '{missing}', which is no [[entity]]"),
                ));
            }
            relabels.push(Relabel {
                keys: self.keys(&r.names, &name)?,
                names: r.names.into_inner(),
                of: r.of.into_inner(),
                note: r.note,
                source: self.source(&r.source)?,
                date: self.date(&r.date)?,
                name,
            });
        }
        Ok(Rules {
            version: file.version.into_inner(),
            date,
            entities,
            relabels,
            origin: self.origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> (Option<LineCol>, String) {
        match Rules::parse(text, RulesOrigin::BuiltIn) {
            Err(RulesError::Invalid {
                location, message, ..
            }) => (location, message),
            other => panic!("expected an invalid file, got {other:?}"),
        }
    }

    const MINIMAL: &str = r#"version = "t1"
date = "2026-11-30"

[[entity]]
name = "Hikvision"
names = ["Hikvision"]
source = "https://example.org/a"
date = "2026-11-30"

[[entity.oui]]
prefix = "0c75d2"
status = "reported"
source = "https://example.org/b"
date = "2026-11-30"
"#;

    #[test]
    fn the_built_in_rules_load_and_carry_the_issue_s_facts() {
        let rules = Rules::built_in().expect("the built-in rules load");
        assert!(!rules.version.is_empty());
        let hik = rules.entity("Hikvision").expect("Hikvision");
        for oui in ["0C:75:D2", "BC:5E:33", "44:19:B6", "54:C4:15"] {
            let want = Oui::parse(oui).expect("valid");
            assert!(hik.ouis.iter().any(|o| o.prefix == want), "{oui}");
        }
        assert!(
            hik.jurisdictions
                .iter()
                .any(|j| j.region == "CA" && j.instrument.contains("2025-06-27"))
        );
        let dahua = rules.entity("Dahua").expect("Dahua");
        for oui in ["74:C9:29", "3C:EF:8C", "E0:50:8B"] {
            let want = Oui::parse(oui).expect("valid");
            assert!(dahua.ouis.iter().any(|o| o.prefix == want), "{oui}");
        }
        for name in ["Huawei", "ZTE", "Hytera"] {
            assert!(rules.entity(name).is_some(), "{name}");
        }
        for brand in ["Lorex", "Amcrest", "Annke", "EZVIZ", "LTS"] {
            assert!(rules.relabels.iter().any(|r| r.name == brand), "{brand}");
        }
        // Nothing in the file claims an IEEE check it did not make.
        assert!(
            rules
                .entities
                .iter()
                .flat_map(|e| &e.ouis)
                .all(|o| o.status == OuiStatus::Reported)
        );
    }

    #[test]
    fn a_minimal_file_loads() {
        let rules = Rules::parse(MINIMAL, RulesOrigin::BuiltIn).expect("loads");
        assert_eq!(rules.version, "t1");
        assert_eq!(rules.entities[0].ouis[0].prefix, Oui([0x0C, 0x75, 0xD2]));
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_line_and_column() {
        let text = MINIMAL.replace(
            "status = \"reported\"",
            "status = \"reported\"\nstatuss = 1",
        );
        let (at, message) = invalid(&text);
        assert_eq!(
            at,
            Some(LineCol {
                line: 13,
                column: 1
            }),
            "{message}"
        );
        assert!(message.contains("statuss"), "{message}");
    }

    #[test]
    fn bad_values_are_errors_where_they_are() {
        let (at, message) = invalid(&MINIMAL.replace("\"0c75d2\"", "\"0c75dz\""));
        assert_eq!(at.map(|l| l.line), Some(11));
        assert!(
            message.contains("OUI prefix") && message.contains("'z'"),
            "{message}"
        );

        let (at, message) = invalid(&MINIMAL.replace("https://example.org/b", "example.org"));
        assert_eq!(at.map(|l| l.line), Some(13));
        assert!(message.contains("source"), "{message}");

        let (at, message) = invalid(&MINIMAL.replacen("2026-11-30", "30/11/2026", 1));
        assert_eq!(at, Some(LineCol { line: 2, column: 8 }));
        assert!(message.contains("YYYY-MM-DD"), "{message}");

        let (_, message) = invalid(&MINIMAL.replace("status = \"reported\"", "status = \"sure\""));
        assert!(message.contains("sure"), "{message}");

        let twice = format!(
            "{MINIMAL}\n[[entity.oui]]\nprefix = \"0C-75-D2\"\nstatus = \"ieee\"\nsource = \"https://example.org/c\"\ndate = \"2026-11-30\"\n"
        );
        let (_, message) = invalid(&twice);
        assert!(message.contains("listed twice"), "{message}");

        let relabel = format!(
            "{MINIMAL}\n[[relabel]]\nname = \"Acme\"\nnames = [\"Acme\"]\nof = [\"Nobody\"]\nnote = \"\"\nsource = \"https://example.org/d\"\ndate = \"2026-11-30\"\n"
        );
        let (_, message) = invalid(&relabel);
        assert!(message.contains("Nobody"), "{message}");
    }

    #[test]
    fn a_user_file_replaces_the_built_in_one_and_a_broken_one_is_an_error() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let none = Rules::load(None, Some(&dir)).expect("built in");
        assert_eq!(none.origin, RulesOrigin::BuiltIn);
        let user = dir.join(USER_FILE_NAME);
        std::fs::write(&user, MINIMAL).expect("write");
        let loaded = Rules::load(None, Some(&dir)).expect("user file");
        assert_eq!(loaded.version, "t1");
        assert_eq!(loaded.origin, RulesOrigin::File(user.clone()));
        std::fs::write(&user, "version = ").expect("write");
        let err = Rules::load(None, Some(&dir)).expect_err("broken file");
        assert!(err.to_string().contains(":1:"), "{err}");
        let missing = dir.join("missing.toml");
        assert!(matches!(
            Rules::load(Some(&missing), Some(&dir)),
            Err(RulesError::Read { .. })
        ));
    }
}
