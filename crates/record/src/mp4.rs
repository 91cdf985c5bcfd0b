//! Top-level MP4 box scanning, to find where a fragmented MP4 file stops being whole.
//!
//! Owns: reading box headers (4-byte size + 4-byte type, 64-bit sizes) and deciding the
//! longest prefix made of complete boxes with no `moof` left without its `mdat`.
//! Must not: parse samples or write anything (truncation is the caller's decision).

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

/// One top-level box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxInfo {
    pub kind: [u8; 4],
    pub offset: u64,
    pub size: u64,
}

/// What a scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Complete boxes, in file order, up to `whole_len`.
    pub boxes: Vec<BoxInfo>,
    /// Length of the longest whole prefix: complete boxes, and every `moof` followed by
    /// its complete `mdat`. Bytes after it are a torn write.
    pub whole_len: u64,
    pub file_len: u64,
}

impl Scan {
    /// True when the file has the `ftyp` + `moov` header.
    pub fn has_header(&self) -> bool {
        self.boxes.iter().any(|b| &b.kind == b"moov")
    }

    /// Number of complete fragments (`moof` + `mdat`).
    pub fn fragments(&self) -> usize {
        self.boxes.iter().filter(|b| &b.kind == b"moof").count()
    }

    /// Offset of the fragment (`moof`) that holds byte `offset`, if any.
    pub fn fragment_at(&self, offset: u64) -> Option<u64> {
        self.boxes
            .iter()
            .filter(|b| &b.kind == b"moof" && b.offset <= offset)
            .map(|b| b.offset)
            .next_back()
    }
}

/// Whether `path` (scanned as `scan`) is laid out as the fragmented MP4s Vigil writes:
/// `ftyp`, then a `moov` whose child boxes fill it exactly and include `mvhd`, `trak`
/// and `mvex`, then only fragments (`moof` + `mdat`) and the muxer's trailing index
/// (`mfra`). `Err` says, for a person, what does not fit: the file is someone else's
/// or damaged, and must not be cut or deleted.
pub fn check_fragmented(path: &Path, scan: &Scan) -> Result<(), String> {
    let kinds: Vec<&[u8; 4]> = scan.boxes.iter().map(|b| &b.kind).collect();
    if kinds.first() != Some(&b"ftyp") {
        return Err("not an MP4 file (it does not start with an ftyp box)".to_owned());
    }
    let Some(moov) = scan.boxes.get(1).filter(|b| &b.kind == b"moov") else {
        return Err(
            "no moov header right after ftyp: damaged, or not an MP4 that Vigil wrote".to_owned(),
        );
    };
    let children = read_children(path, moov)
        .map_err(|e| format!("the moov header cannot be read: {e}"))?
        .ok_or_else(|| "the moov header is damaged (its boxes do not fit in it)".to_owned())?;
    for needed in [b"mvhd", b"trak"] {
        if !children.contains(needed) {
            return Err(format!(
                "the moov header is damaged (no {} box)",
                String::from_utf8_lossy(needed)
            ));
        }
    }
    if !children.contains(b"mvex") {
        return Err("an ordinary MP4 (not fragmented): not a segment Vigil wrote".to_owned());
    }
    let mut after_moof = false;
    for kind in &kinds[2..] {
        match *kind {
            b"moof" => after_moof = true,
            b"mdat" if after_moof => after_moof = false,
            b"mfra" | b"free" | b"skip" => {}
            other => {
                return Err(format!(
                    "a {} box outside a fragment: not a segment Vigil wrote",
                    String::from_utf8_lossy(other)
                ));
            }
        }
    }
    Ok(())
}

/// The kinds of the child boxes of `parent`, or `None` when they do not fill it exactly.
fn read_children(path: &Path, parent: &BoxInfo) -> std::io::Result<Option<Vec<[u8; 4]>>> {
    let mut file = std::fs::File::open(path)?;
    let len = usize::try_from(parent.size.saturating_sub(8)).unwrap_or(usize::MAX);
    if len > 64 << 20 {
        return Ok(None); // no header of a camera stream is that large
    }
    let mut body = vec![0u8; len];
    file.seek(SeekFrom::Start(parent.offset + 8))?;
    file.read_exact(&mut body)?;
    let mut kinds = Vec::new();
    let mut at = 0usize;
    while at < body.len() {
        let Some(header) = body.get(at..at + 8) else {
            return Ok(None);
        };
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = [header[4], header[5], header[6], header[7]];
        if size < 8 || !kind.iter().all(u8::is_ascii_graphic) || at + size > body.len() {
            return Ok(None);
        }
        kinds.push(kind);
        at += size;
    }
    Ok(Some(kinds))
}

/// Reads the box headers of `path`.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    let mut file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut boxes = Vec::new();
    let mut offset = 0u64;
    while offset + 8 <= file_len {
        file.seek(SeekFrom::Start(offset))?;
        let mut header = [0u8; 16];
        let want = if offset + 16 <= file_len { 16 } else { 8 };
        file.read_exact(&mut header[..want])?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let size = match size32 {
            0 => file_len - offset,
            1 if want == 16 => u64::from_be_bytes([
                header[8], header[9], header[10], header[11], header[12], header[13], header[14],
                header[15],
            ]),
            1 => break,
            n => u64::from(n),
        };
        if size < 8 || !kind.iter().all(u8::is_ascii_graphic) {
            break; // not a box: garbage from a torn write
        }
        let Some(end) = offset.checked_add(size) else {
            break;
        };
        if end > file_len {
            break; // runs past the end: torn
        }
        boxes.push(BoxInfo { kind, offset, size });
        offset = end;
    }
    // A moof must be followed by its mdat; a lone trailing moof is torn.
    while boxes.last().is_some_and(|b| &b.kind == b"moof") {
        boxes.pop();
    }
    let whole_len = boxes.last().map_or(0, |b| b.offset + b.size);
    Ok(Scan {
        boxes,
        whole_len,
        file_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn mp4_box(kind: &[u8; 4], payload: usize) -> Vec<u8> {
        let mut v = u32::try_from(payload + 8)
            .expect("size")
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(kind);
        v.resize(payload + 8, 0xAB);
        v
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("tmp");
        f.write_all(bytes).expect("write");
        f
    }

    #[test]
    fn whole_file_is_whole() {
        let mut bytes = mp4_box(b"ftyp", 16);
        bytes.extend(mp4_box(b"moov", 100));
        bytes.extend(mp4_box(b"moof", 40));
        bytes.extend(mp4_box(b"mdat", 1000));
        let f = write(&bytes);
        let scan = scan(f.path()).expect("scan");
        assert_eq!(scan.whole_len, bytes.len() as u64);
        assert!(scan.has_header());
        assert_eq!(scan.fragments(), 1);
        assert_eq!(scan.fragment_at(200), Some(132));
    }

    #[test]
    fn torn_mdat_and_lone_moof_are_cut() {
        let mut bytes = mp4_box(b"ftyp", 16);
        bytes.extend(mp4_box(b"moov", 100));
        let header = bytes.len() as u64;
        bytes.extend(mp4_box(b"moof", 40));
        bytes.extend(mp4_box(b"mdat", 1000));
        let one_fragment = bytes.len() as u64;
        bytes.extend(mp4_box(b"moof", 40));
        let mut torn = bytes.clone();
        torn.extend(&mp4_box(b"mdat", 1000)[..300]);
        assert_eq!(
            scan(write(&torn).path()).expect("scan").whole_len,
            one_fragment
        );
        // A moof with no mdat at all.
        assert_eq!(
            scan(write(&bytes).path()).expect("scan").whole_len,
            one_fragment
        );
        // Half a box header.
        let mut half = mp4_box(b"ftyp", 16);
        half.extend(mp4_box(b"moov", 100));
        half.extend([0, 0, 1]);
        assert_eq!(scan(write(&half).path()).expect("scan").whole_len, header);
        // Zeros (a size of 0 followed by a non-ASCII type) are not a box.
        let mut zeros = mp4_box(b"ftyp", 16);
        zeros.extend([0u8; 64]);
        assert_eq!(scan(write(&zeros).path()).expect("scan").whole_len, 24);
    }
}
