//! Writing a bundle: checks the request, remuxes each camera into a temporary folder
//! beside the bundle, hashes, signs, then renames the folder into place, so a failed
//! or cancelled export leaves no partial bundle.
//!
//! Owns: the refusals (empty range, range in the future, unknown camera, no footage,
//! existing bundle), the gap list, the order of writing. Must not: write to the
//! archive, or overwrite anything.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use ed25519_dalek::{Signer as _, SigningKey};
use vigil_store::{INDEX_FILE, Segment, Store};

use crate::manifest::{
    self, CameraEntry, CameraWithoutFootage, FileEntry, GapEntry, MANIFEST_FILE, Manifest,
    PUBLIC_KEY_FILE, Range, SIGNATURE_FILE, SUMS_FILE, instant,
};
use crate::{ExportError, io_error, key, names, remux};

/// Footage closer than this to the next counts as continuous (no gap listed).
const GAP_TOLERANCE_NS: i64 = 1_000_000_000;

/// A camera to export, as the site knows it.
#[derive(Clone, Debug)]
pub struct ExportCamera {
    pub id: String,
    /// Its display name (the id when the site has none).
    pub name: String,
    /// Make, model, serial … when the site knows them.
    pub device: Option<String>,
}

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    /// The storage folder (with `index.sqlite3`).
    pub archive: PathBuf,
    pub cameras: Vec<ExportCamera>,
    pub from_ns: i64,
    pub to_ns: i64,
    /// The bundle folder to create; must not exist.
    pub out: PathBuf,
    pub case: String,
    pub reason: String,
    pub operator: String,
    pub vigil_version: String,
    /// The time of the export (the range may not start after it).
    pub now_ns: i64,
    /// Re-encode with the camera name and UTC time burned into the picture.
    pub burn_in: bool,
    /// A camera without footage in the range is listed in the manifest's
    /// `cameras_without_footage` instead of refusing the export (the app's "Whole
    /// layout"); the export is still refused when no camera has footage. Off, any
    /// camera without footage refuses the export (the command line's `--camera`).
    pub skip_cameras_without_footage: bool,
}

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct ExportReport {
    pub bundle: PathBuf,
    pub manifest: Manifest,
    pub fingerprint: String,
}

/// Removes the temporary folder unless the bundle was committed.
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take()
            && let Err(err) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(dir = %dir.display(), %err, "cannot remove the unfinished export");
        }
    }
}

/// Exports `request` signed with `key`; `progress(done, total)` counts segments.
pub fn export(
    request: &ExportRequest,
    key: &SigningKey,
    progress: &mut dyn FnMut(u64, u64),
    cancel: &AtomicBool,
) -> Result<ExportReport, ExportError> {
    let (from_ns, to_ns) = (request.from_ns, request.to_ns);
    if to_ns <= from_ns {
        return Err(ExportError::EmptyRange {
            from: instant(from_ns).utc,
            to: instant(to_ns).utc,
        });
    }
    if from_ns >= request.now_ns {
        return Err(ExportError::Future {
            from: instant(from_ns).utc,
            now: instant(request.now_ns).utc,
        });
    }
    if request.cameras.is_empty() {
        return Err(ExportError::NoCamera);
    }
    if request.out.symlink_metadata().is_ok() {
        return Err(ExportError::Exists(request.out.clone()));
    }
    if !parent_of(&request.out).is_dir() {
        return Err(ExportError::NoParent(parent_of(&request.out)));
    }
    if !request.archive.join(INDEX_FILE).is_file() {
        return Err(ExportError::NoIndex(request.archive.clone()));
    }
    let store = Store::open(&request.archive)?;
    let known: Vec<String> = store
        .camera_extents()?
        .into_iter()
        .map(|e| e.camera)
        .collect();
    let mut work: Vec<(&ExportCamera, Vec<Segment>)> = Vec::new();
    let mut without: Vec<&ExportCamera> = Vec::new();
    for camera in &request.cameras {
        if work.iter().any(|(c, _)| c.id == camera.id) || without.iter().any(|c| c.id == camera.id)
        {
            continue;
        }
        if !known.contains(&camera.id) {
            return Err(ExportError::UnknownCamera {
                camera: camera.id.clone(),
                known: if known.is_empty() {
                    "no cameras".into()
                } else {
                    known.join(", ")
                },
            });
        }
        let segments = store.segments_in(Some(&camera.id), from_ns, to_ns)?;
        if segments.is_empty() {
            if !request.skip_cameras_without_footage {
                return Err(no_footage(&camera.id, from_ns, to_ns));
            }
            without.push(camera);
            continue;
        }
        work.push((camera, segments));
    }
    if work.is_empty() {
        let ids: Vec<&str> = without.iter().map(|c| c.id.as_str()).collect();
        return Err(no_footage(&ids.join(", "), from_ns, to_ns));
    }
    let cameras_without_footage = without
        .iter()
        .map(|c| {
            Ok(CameraWithoutFootage {
                id: c.id.clone(),
                name: c.name.clone(),
                device: c.device.clone(),
                gaps: gaps(&store, &c.id, &[], from_ns, to_ns)?,
            })
        })
        .collect::<Result<Vec<_>, ExportError>>()?;
    let total: u64 = work.iter().map(|(_, s)| s.len() as u64).sum();
    let mut done = 0u64;
    progress(0, total);

    let tmp = temp_dir_for(&request.out)?;
    let mut guard = TempDir(Some(tmp.clone()));
    let stems = names::unique_stems(
        &work
            .iter()
            .map(|(c, _)| {
                if c.name.is_empty() || c.name == c.id {
                    c.id.clone()
                } else {
                    format!("{}_{}", c.id, c.name)
                }
            })
            .collect::<Vec<_>>(),
    );
    let mut cameras = Vec::with_capacity(work.len());
    for ((camera, segments), stem) in work.iter().zip(&stems) {
        let span = tracing::info_span!("export", camera = %camera.id);
        let _enter = span.enter();
        let done_before = done;
        let video = format!("{stem}.mp4");
        let still = format!("{stem}.png");
        let clip = remux::remux(
            &request.archive,
            segments,
            (from_ns, to_ns),
            &tmp.join(&video),
            &tmp.join(&still),
            request.burn_in.then_some(camera.name.as_str()),
            cancel,
            &mut || {
                done += 1;
                progress(done, total);
            },
        )?
        .ok_or_else(|| no_footage(&camera.id, from_ns, to_ns))?;
        // Segments after the range's end are not read: they count as done too.
        done = done.max(done_before + segments.len() as u64);
        progress(done, total);
        let gaps = gaps(&store, &camera.id, segments, from_ns, to_ns)?;
        #[allow(clippy::cast_precision_loss)]
        let offset_secs = (from_ns - clip.zero_ns) as f64 / 1e9;
        cameras.push(CameraEntry {
            id: camera.id.clone(),
            name: camera.name.clone(),
            device: camera.device.clone(),
            video,
            still,
            codec: clip.codec.clone(),
            actual: Range {
                from: instant(clip.first_frame_ns),
                to: instant(clip.end_ns),
            },
            media_time_zero: instant(clip.zero_ns),
            requested_start_offset_secs: offset_secs,
            frames: clip.frames,
            burned_in_with: clip.encoder.clone(),
            gaps,
        });
    }

    let verifying = key.verifying_key();
    write_file(
        &tmp.join(PUBLIC_KEY_FILE),
        key::public_pem(&verifying).as_bytes(),
    )?;
    let mut files = Vec::new();
    for camera in &cameras {
        files.push(entry(&tmp, &camera.video)?);
        files.push(entry(&tmp, &camera.still)?);
    }
    files.push(entry(&tmp, PUBLIC_KEY_FILE)?);
    write_file(&tmp.join(SUMS_FILE), manifest::sums_text(&files).as_bytes())?;
    files.push(entry(&tmp, SUMS_FILE)?);
    let fingerprint = key::fingerprint(&verifying);
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        case: request.case.clone(),
        reason: request.reason.clone(),
        operator: request.operator.clone(),
        exported_at: instant(request.now_ns),
        vigil_version: request.vigil_version.clone(),
        requested: Range {
            from: instant(from_ns),
            to: instant(to_ns),
        },
        key_fingerprint_sha256: fingerprint.clone(),
        cameras,
        cameras_without_footage,
        files,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|err| ExportError::Footage {
        path: tmp.join(MANIFEST_FILE),
        message: err.to_string(),
    })?;
    bytes.push(b'\n');
    write_file(&tmp.join(MANIFEST_FILE), &bytes)?;
    write_file(&tmp.join(SIGNATURE_FILE), &key.sign(&bytes).to_bytes())?;
    sync_all(&tmp)?;
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ExportError::Cancelled);
    }
    if request.out.symlink_metadata().is_ok() {
        return Err(ExportError::Exists(request.out.clone()));
    }
    std::fs::rename(&tmp, &request.out).map_err(|source| io_error(&request.out, source))?;
    guard.0 = None; // committed: nothing to remove
    sync_dir(&parent_of(&request.out))?;
    Ok(ExportReport {
        bundle: request.out.clone(),
        manifest,
        fingerprint,
    })
}

fn no_footage(camera: &str, from_ns: i64, to_ns: i64) -> ExportError {
    ExportError::NoFootage {
        camera: camera.to_owned(),
        from: instant(from_ns).utc,
        to: instant(to_ns).utc,
    }
}

/// A fresh hidden folder beside `out`, on the same file system so the final rename is
/// atomic.
fn temp_dir_for(out: &Path) -> Result<PathBuf, ExportError> {
    let parent = parent_of(out);
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if tmp.exists() {
        // Left by an earlier process with our id that died mid-export.
        std::fs::remove_dir_all(&tmp).map_err(|source| io_error(&tmp, source))?;
    }
    std::fs::create_dir(&tmp).map_err(|source| io_error(&tmp, source))?;
    Ok(tmp)
}

/// The folder `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn entry(dir: &Path, name: &str) -> Result<FileEntry, ExportError> {
    let path = dir.join(name);
    let (size, sha256) = manifest::hash_file(&path).map_err(|source| io_error(&path, source))?;
    Ok(FileEntry {
        name: name.to_owned(),
        size,
        sha256,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|source| io_error(path, source))
}

fn sync_all(dir: &Path) -> Result<(), ExportError> {
    for entry in std::fs::read_dir(dir).map_err(|source| io_error(dir, source))? {
        let path = entry.map_err(|source| io_error(dir, source))?.path();
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|source| io_error(&path, source))?;
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), ExportError> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|source| io_error(dir, source))
}

/// The stretches of `[from_ns, to_ns)` without footage: the index's gap rows (clipped,
/// with their reasons) and holes between segments that no gap row explains
/// (`no_recording`), in time order.
fn gaps(
    store: &Store,
    camera: &str,
    segments: &[Segment],
    from_ns: i64,
    to_ns: i64,
) -> Result<Vec<GapEntry>, ExportError> {
    let rows = store.gaps_in(Some(camera), from_ns, to_ns)?;
    let mut out: Vec<(i64, i64, String)> = rows
        .iter()
        .map(|g| {
            (
                g.start_ns.max(from_ns),
                g.end_ns.unwrap_or(to_ns).min(to_ns),
                g.reason.as_str().to_owned(),
            )
        })
        .filter(|(a, b, _)| b > a)
        .collect();
    let mut holes = Vec::new();
    let mut cursor = from_ns;
    for s in segments {
        if s.start_ns > cursor + GAP_TOLERANCE_NS {
            holes.push((cursor, s.start_ns.min(to_ns)));
        }
        cursor = cursor.max(s.end_ns);
    }
    if cursor + GAP_TOLERANCE_NS < to_ns {
        holes.push((cursor, to_ns));
    }
    for (a, b) in holes {
        let explained = out.iter().any(|(ga, gb, _)| *ga < b && *gb > a);
        if !explained {
            out.push((a, b, "no_recording".into()));
        }
    }
    out.sort_by_key(|g| g.0);
    Ok(out
        .into_iter()
        .map(|(a, b, reason)| GapEntry {
            from: instant(a),
            to: instant(b),
            reason,
        })
        .collect())
}
