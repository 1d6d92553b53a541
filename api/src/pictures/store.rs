//! Where renditions live: `<folder>/<first two hex digits>/<hash>-<width>.<jpg|webp>`, under
//! the data folder. Names come from the hash of the bytes sent, never from what the person
//! called the file, so the same upload is stored once and a name always means the same bytes
//! (which is what lets them be cached for a year).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The formats each width is stored in: JPEG for every browser, WebP (smaller) for those that
/// take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Webp,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Jpeg, Format::Webp];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
        }
    }
}

/// One file of an upload: its width, its format and its bytes.
#[derive(Debug)]
pub struct Rendition {
    pub width: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// The file name of one rendition.
pub fn file_name(hash: &str, width: u32, format: Format) -> String {
    format!("{hash}-{width}.{}", format.extension())
}

/// What `name` names when it is a rendition's name as [`file_name`] makes them (64 lower-case
/// hex digits, a dash, a width, `.jpg` or `.webp`), so that nothing else can be asked of the
/// folder.
pub fn parse_file_name(name: &str) -> Option<(&str, u32, Format)> {
    let (hash, rest) = name.split_once('-')?;
    let (width, format) = Format::ALL.into_iter().find_map(|format| {
        rest.strip_suffix(format.extension())
            .and_then(|w| w.strip_suffix('.'))
            .map(|w| (w, format))
    })?;
    let valid = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !width.is_empty()
        && width.len() <= 5
        && width.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| width.parse().ok().map(|w| (hash, w, format)))
        .flatten()
}

/// The path of rendition `name` in `folder` (the caller checked it with [`parse_file_name`]).
pub fn path_of(folder: &Path, name: &str) -> PathBuf {
    folder.join(&name[..2]).join(name)
}

/// Writes each rendition not already there; returns the paths written now (and only those,
/// so that a failure after this removes nothing another upload stored).
pub fn write_all(
    folder: &Path,
    hash: &str,
    renditions: &[Rendition],
) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let result = (|| {
        for rendition in renditions {
            let path = path_of(folder, &file_name(hash, rendition.width, rendition.format));
            if path.exists() {
                continue;
            }
            write_one(folder, &path, &rendition.bytes)?;
            written.push(path);
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(written),
        Err(error) => {
            remove(&written);
            Err(error)
        }
    }
}

/// Writes `bytes` at `path`: aside first, then renamed, so that no one is ever served half a
/// file.
pub fn write_one(folder: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(folder);
    std::fs::create_dir_all(dir)?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes files, as far as they are there.
pub fn remove(paths: &[PathBuf]) {
    for path in paths {
        if let Err(error) = std::fs::remove_file(path) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), %error, "could not remove a picture file");
            }
        }
    }
}

/// The paths of every rendition of `hash` at `widths`, in every format.
pub fn paths_of(folder: &Path, hash: &str, widths: &[u32]) -> Vec<PathBuf> {
    widths
        .iter()
        .flat_map(|w| Format::ALL.map(|f| path_of(folder, &file_name(hash, *w, f))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rendition_names_are_taken() {
        let hash = "0a".repeat(32);
        for format in Format::ALL {
            assert_eq!(
                parse_file_name(&file_name(&hash, 640, format)),
                Some((hash.as_str(), 640, format))
            );
        }
        for bad in [
            "../../etc/passwd",
            &format!("{hash}-640.png"),
            &format!("{hash}-640webp"),
            &format!("{hash}-640.jpg.webp"),
            &format!("{}-640.jpg", "0A".repeat(32)),
            &format!("{hash}-.jpg"),
            &format!("{hash}-.webp"),
            &format!("{hash}/640.jpg"),
            "x-1.jpg",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn files_already_there_are_kept_and_not_counted_as_written() {
        let folder = tempfile::tempdir().expect("folder");
        let hash = "ab".repeat(32);
        let one = |bytes: &[u8]| Rendition {
            width: 320,
            format: Format::Jpeg,
            bytes: bytes.to_vec(),
        };
        let first = write_all(folder.path(), &hash, &[one(b"one")]).expect("written");
        assert_eq!(first.len(), 1);
        let again = write_all(folder.path(), &hash, &[one(b"two")]).expect("written");
        assert!(again.is_empty());
        let path = path_of(folder.path(), &file_name(&hash, 320, Format::Jpeg));
        assert_eq!(std::fs::read(path).expect("read"), b"one");
    }
}
