//! The storage folder's identity: a random UUID kept both in a small file in the folder
//! ([`META_FILE`]) and in its index (`meta.storage_id`), compared before anything
//! writes. A folder and an index that do not belong together refuse to record.
//!
//! Owns: creating, reading and comparing the two copies, adopting an archive made
//! before identities existed, and refusing a storage folder under an `/etc/fstab` mount
//! point that is not mounted. Must not: repair or delete anything — a mismatch is for a
//! person to resolve, and the error says how.
//!
//! | folder file | index id | index rows | result |
//! |---|---|---|---|
//! | X | X | any | recording goes on |
//! | X | Y | any | refused: the index belongs to another folder (a backup of another folder restored, or two folders swapped) |
//! | none | Y | any | refused: the folder lost its file, or the index was copied in |
//! | X | none | none | the index adopts X (a new or rebuilt index) |
//! | X | none | some | refused: an index from before identities, restored from a backup |
//! | none | none | some, or segment files | adopted: a new id in both, logged once |
//! | none | none | none | a new archive: a new id in both (unless the folder lies under an unmounted `/etc/fstab` mount point) |

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use vigil_store::{Store, StoreError};

/// The identity file inside the storage folder.
pub const META_FILE: &str = "vigil-storage.toml";

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Folder and index carry the same id.
    Matched(String),
    /// A new, empty archive: a new id was written to both.
    Created(String),
    /// An archive without an identity (or a new index in a marked folder) got one;
    /// the text says what was adopted.
    Adopted { id: String, what: String },
}

impl Identity {
    pub fn id(&self) -> &str {
        match self {
            Self::Matched(id) | Self::Created(id) | Self::Adopted { id, .. } => id,
        }
    }
}

/// Why a storage folder is refused for recording.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "the recording index in {dir} belongs to another storage folder (the index says storage {index_id}, the folder's {META_FILE} says {folder_id}): it was restored from a backup of another folder, or two storage folders were swapped. Recording is refused so that neither archive is mixed up; put back this folder's own index, or move the index aside so that Vigil rebuilds it from the segment files"
    )]
    Mismatch {
        dir: PathBuf,
        folder_id: String,
        index_id: String,
    },
    #[error(
        "the storage folder {dir} has no {META_FILE}, but its recording index belongs to storage {index_id}: the folder's identity file was removed, or the index was copied here from another folder. Recording is refused; restore {META_FILE} from a backup, or move the index aside so that Vigil rebuilds it from the segment files"
    )]
    FolderUnmarked { dir: PathBuf, index_id: String },
    #[error(
        "the recording index in {dir} lists {segments} segments but has no storage identity, while the folder's {META_FILE} says {folder_id}: an index from before storage identities was restored from a backup. Recording is refused; move the index aside so that Vigil rebuilds it from the segment files"
    )]
    OldIndex {
        dir: PathBuf,
        folder_id: String,
        segments: u64,
    },
    #[error(
        "the storage folder {dir} lies under {mount_point}, which /etc/fstab lists as a mount point, but nothing is mounted there: the storage disk is not mounted. Recording is refused so that the empty mount point does not silently become a new archive; mount the disk and start again"
    )]
    NotMounted { dir: PathBuf, mount_point: PathBuf },
    #[error("{path}: {why}")]
    BadMeta { path: PathBuf, why: String },
    #[error("storage identity {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Before the folder is created or locked: a folder without its identity file must not
/// lie under an `/etc/fstab` mount point that is not mounted.
pub fn precheck(dir: &Path) -> Result<(), IdentityError> {
    if dir.join(META_FILE).exists() {
        return Ok(());
    }
    let fstab = std::fs::read_to_string("/etc/fstab").unwrap_or_default();
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Ok(()); // cannot tell what is mounted: no check
    };
    precheck_with(dir, &fstab, &mountinfo)
}

/// [`precheck`] against the given `/etc/fstab` and `/proc/self/mountinfo` texts.
pub fn precheck_with(dir: &Path, fstab: &str, mountinfo: &str) -> Result<(), IdentityError> {
    match unmounted_mount_point(dir, fstab, mountinfo) {
        Some(mount_point) => Err(IdentityError::NotMounted {
            dir: dir.to_path_buf(),
            mount_point,
        }),
        None => Ok(()),
    }
}

/// The deepest `/etc/fstab` mount point (other than `/`) at or above `dir`, when nothing
/// is mounted on it.
fn unmounted_mount_point(dir: &Path, fstab: &str, mountinfo: &str) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let listed = fstab
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let (point, kind) = (fields.get(1)?, fields.get(2).copied().unwrap_or(""));
            (point.starts_with('/') && kind != "swap").then(|| PathBuf::from(unescape(point)))
        })
        .filter(|p| p != Path::new("/") && dir.starts_with(p))
        .max_by_key(|p| p.components().count())?;
    let mounted = mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .any(|p| Path::new(&unescape(p)) == listed);
    (!mounted).then_some(listed)
}

/// Undoes the octal escapes of fstab and mountinfo (`\040` for a space).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let digits = bytes.get(i + 1..i + 4);
        match digits {
            Some(d) if bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares (or creates) the identity of `store`'s folder and index. Run it by the
/// folder's one writer (under its lock), before reconciliation.
pub fn check(store: &Store) -> Result<Identity, IdentityError> {
    let dir = store.dir();
    let folder = read_meta(dir)?;
    let index = store.storage_id()?;
    let identity = match (folder, index) {
        (Some(folder_id), Some(index_id)) if folder_id == index_id => Identity::Matched(folder_id),
        (Some(folder_id), Some(index_id)) => {
            return Err(IdentityError::Mismatch {
                dir: dir.to_path_buf(),
                folder_id,
                index_id,
            });
        }
        (None, Some(index_id)) => {
            return Err(IdentityError::FolderUnmarked {
                dir: dir.to_path_buf(),
                index_id,
            });
        }
        (Some(folder_id), None) => {
            let segments = store.segment_count()?;
            if segments > 0 {
                return Err(IdentityError::OldIndex {
                    dir: dir.to_path_buf(),
                    folder_id,
                    segments,
                });
            }
            store.set_storage_id(&folder_id)?;
            Identity::Adopted {
                id: folder_id,
                what: "a new recording index takes the storage folder's identity".to_owned(),
            }
        }
        (None, None) => {
            let segments = store.segment_count()?;
            let id = new_id();
            write_meta(dir, &id)?;
            store.set_storage_id(&id)?;
            if segments > 0 || has_segment_folders(dir) {
                Identity::Adopted {
                    id,
                    what: format!(
                        "an archive from before storage identities ({segments} indexed segments)"
                    ),
                }
            } else {
                Identity::Created(id)
            }
        }
    };
    match &identity {
        Identity::Matched(id) => tracing::debug!(%id, "storage identity matches"),
        Identity::Created(id) => {
            tracing::info!(%id, dir = %dir.display(), "new storage folder: identity created")
        }
        Identity::Adopted { id, what } => {
            tracing::warn!(%id, dir = %dir.display(), adopted = %what, "storage identity adopted");
        }
    }
    Ok(identity)
}

/// True when `dir` holds a camera folder (segments recorded before the index existed).
fn has_segment_folders(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_type().is_ok_and(|t| t.is_dir())
                && crate::segment_path::is_camera_id(&e.file_name().to_string_lossy())
                && e.file_name() != crate::reconcile::QUARANTINE_DIR
        })
    })
}

/// The id in the folder's [`META_FILE`], if it has one.
pub fn read_meta(dir: &Path) -> Result<Option<String>, IdentityError> {
    let path = dir.join(META_FILE);
    let mut text = String::new();
    match std::fs::File::open(&path) {
        Ok(mut f) => f.read_to_string(&mut text).map_err(io_err(&path))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let id = text.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "storage_id").then(|| value.trim().trim_matches('"').to_owned())
    });
    match id {
        Some(id) if is_uuid(&id) => Ok(Some(id)),
        _ => Err(IdentityError::BadMeta {
            path,
            why: "no storage_id = \"<uuid>\" line: the file is damaged; restore it from a backup"
                .to_owned(),
        }),
    }
}

/// Writes `id` into `dir`'s [`META_FILE`] (a temporary file renamed over it, fsynced).
fn write_meta(dir: &Path, id: &str) -> Result<(), IdentityError> {
    let path = dir.join(META_FILE);
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let text = format!(
        "# Vigil: the identity of this storage folder. Its recording index ({}) holds the\n\
         # same id; Vigil refuses to record when they differ. Do not edit it, and do not\n\
         # copy it into another folder.\n\
         storage_id = \"{id}\"\n",
        vigil_store::INDEX_FILE
    );
    let mut file = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    file.write_all(text.as_bytes()).map_err(io_err(&tmp))?;
    file.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A random (version 4) UUID, from the operating system's random source.
fn new_id() -> String {
    let mut b = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if from_os.is_err() {
        b = fastrand::u128(..).to_be_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
        40 22 8:17 / /mnt/cams rw,relatime shared:2 - ext4 /dev/sdb1 rw\n";
    const FSTAB: &str = "# <fs> <mount point> <type>\n\
        UUID=1 / ext4 defaults 0 1\n\
        UUID=2 /mnt/cams ext4 defaults 0 2\n\
        UUID=3 /mnt/nvr\\040disk ext4 defaults,nofail 0 2\n\
        UUID=4 none swap sw 0 0\n";

    #[test]
    fn an_unmounted_fstab_disk_is_refused_a_mounted_one_and_plain_folders_are_not() {
        let refused = precheck_with(Path::new("/mnt/nvr disk/vigil"), FSTAB, MOUNTINFO)
            .expect_err("not mounted");
        let text = refused.to_string();
        assert!(
            text.contains("/mnt/nvr disk") && text.contains("not mounted"),
            "{text}"
        );
        assert!(precheck_with(Path::new("/mnt/nvr disk"), FSTAB, MOUNTINFO).is_err());
        precheck_with(Path::new("/mnt/cams/vigil"), FSTAB, MOUNTINFO).expect("mounted");
        precheck_with(Path::new("/srv/vigil"), FSTAB, MOUNTINFO).expect("under / only");
        precheck_with(Path::new("/mnt/nvr"), FSTAB, MOUNTINFO).expect("another folder");
    }

    #[test]
    fn a_new_folder_gets_an_identity_and_an_old_archive_is_adopted_once() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("store");
        let created = check(&store).expect("new");
        assert!(matches!(created, Identity::Created(_)), "{created:?}");
        assert!(is_uuid(created.id()));
        assert_eq!(
            read_meta(dir.path()).expect("meta").as_deref(),
            Some(created.id())
        );
        assert_eq!(
            check(&store).expect("again"),
            Identity::Matched(created.id().to_owned())
        );

        // An archive recorded before identities: rows and camera folders, no ids.
        let old = tempfile::tempdir().expect("tmp");
        let store = Store::open(old.path()).expect("store");
        let mut row = vigil_store::NewSegment {
            camera: "cam".to_owned(),
            file: "cam/1000.mp4".to_owned(),
            start_ns: 1000,
            source_dts: 0,
            time_base: (1, 90_000),
            bytes: 10,
            codec: "h264".to_owned(),
            width: 1,
            height: 1,
            trigger: vigil_store::SegmentTrigger::Continuous,
        };
        store.insert_segment(&row).expect("row");
        let adopted = check(&store).expect("adopt");
        assert!(matches!(adopted, Identity::Adopted { .. }), "{adopted:?}");
        assert_eq!(
            check(&store).expect("then"),
            Identity::Matched(adopted.id().to_owned())
        );

        // A lost index rebuilt empty takes the folder's id; an old one with rows is refused.
        drop(store);
        std::fs::remove_file(old.path().join(vigil_store::INDEX_FILE)).expect("rm");
        let store = Store::open(old.path()).expect("new index");
        let taken = check(&store).expect("adopt the folder's id");
        assert_eq!(taken.id(), adopted.id());
        drop(store);
        std::fs::remove_file(old.path().join(vigil_store::INDEX_FILE)).expect("rm");
        let store = Store::open(old.path()).expect("old index");
        row.file = "cam/2000.mp4".to_owned();
        store.insert_segment(&row).expect("row");
        let err = check(&store).expect_err("an old index");
        assert!(
            matches!(err, IdentityError::OldIndex { segments: 1, .. }),
            "{err}"
        );
    }
}
