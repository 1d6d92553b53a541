//! Where renditions live: `<folder>/<first two hex digits>/<hash>-<width>.jpg`, under the data
//! folder. Names come from the hash of the bytes sent, never from what the person called the
//! file, so the same upload is stored once and a name always means the same bytes (which is
//! what lets them be cached for a year).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name of one rendition.
pub fn file_name(hash: &str, width: u32) -> String {
    format!("{hash}-{width}.jpg")
}

/// Whether `name` is a rendition's name as [`file_name`] makes them (64 lower-case hex digits,
/// a dash, a width, `.jpg`), so that nothing else can be asked of the folder.
pub fn is_file_name(name: &str) -> bool {
    let Some((hash, rest)) = name.split_once('-') else {
        return false;
    };
    let Some(width) = rest.strip_suffix(".jpg") else {
        return false;
    };
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !width.is_empty()
        && width.len() <= 5
        && width.bytes().all(|b| b.is_ascii_digit())
}

/// The path of rendition `name` in `folder` (the caller checked it with [`is_file_name`]).
pub fn path_of(folder: &Path, name: &str) -> PathBuf {
    folder.join(&name[..2]).join(name)
}

/// Writes each rendition not already there; returns the paths written now (and only those,
/// so that a failure after this removes nothing another upload stored).
pub fn write_all(
    folder: &Path,
    hash: &str,
    renditions: &[(u32, Vec<u8>)],
) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let result = (|| {
        for (width, bytes) in renditions {
            let path = path_of(folder, &file_name(hash, *width));
            if path.exists() {
                continue;
            }
            let dir = path.parent().unwrap_or(folder);
            std::fs::create_dir_all(dir)?;
            // Written aside and renamed, so that no one is ever served half a file.
            let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
            temporary.write_all(bytes)?;
            temporary.as_file().sync_all()?;
            temporary.persist(&path).map_err(|e| e.error)?;
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

/// The paths of every rendition of `hash` at `widths`.
pub fn paths_of(folder: &Path, hash: &str, widths: &[u32]) -> Vec<PathBuf> {
    widths
        .iter()
        .map(|w| path_of(folder, &file_name(hash, *w)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rendition_names_are_taken() {
        let hash = "0a".repeat(32);
        assert!(is_file_name(&file_name(&hash, 640)));
        for bad in [
            "../../etc/passwd",
            &format!("{hash}-640.png"),
            &format!("{}-640.jpg", "0A".repeat(32)),
            &format!("{hash}-.jpg"),
            &format!("{hash}/640.jpg"),
            "x-1.jpg",
        ] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn files_already_there_are_kept_and_not_counted_as_written() {
        let folder = tempfile::tempdir().expect("folder");
        let hash = "ab".repeat(32);
        let first = write_all(folder.path(), &hash, &[(320, b"one".to_vec())]).expect("written");
        assert_eq!(first.len(), 1);
        let again = write_all(folder.path(), &hash, &[(320, b"two".to_vec())]).expect("written");
        assert!(again.is_empty());
        let path = path_of(folder.path(), &file_name(&hash, 320));
        assert_eq!(std::fs::read(path).expect("read"), b"one");
    }
}
