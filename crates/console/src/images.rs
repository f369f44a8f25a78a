//! Where the console puts chart images: a terminal cannot show a PNG, so it is written to a folder and its path
//! printed.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The longest file-name stem taken from a title.
const MAX_STEM: usize = 60;

/// A folder of saved images, named `<title>-<n>.png` with `n` counting up so nothing is overwritten.
#[derive(Debug)]
pub(crate) struct ImageFolder {
    dir: PathBuf,
    next: u64,
}

impl ImageFolder {
    pub(crate) fn new(dir: PathBuf) -> Self {
        ImageFolder { dir, next: 1 }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the PNG under a new name, creating the folder if missing; files already there (say from an earlier
    /// session) are skipped over, never replaced.
    pub(crate) fn save(&mut self, title: &str, png: &[u8]) -> io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let stem = file_stem(title);
        loop {
            let path = self.dir.join(format!("{stem}-{}.png", self.next));
            self.next += 1;
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    file.write_all(png)?;
                    return Ok(path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// A title as a portable file name: lower-case ASCII letters and digits, other runs of characters as one `-`.
pub(crate) fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
        if stem.len() >= MAX_STEM {
            break;
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "image".to_string()
    } else {
        stem.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_safe_file_names() {
        assert_eq!(file_stem("Sales by Week (2024)"), "sales-by-week-2024");
        assert_eq!(file_stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_stem("売上"), "image");
        assert_eq!(file_stem(&"a".repeat(200)).len(), MAX_STEM);
    }

    #[test]
    fn saving_twice_never_overwrites_even_across_folders_reused() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("new/images");
        let mut folder = ImageFolder::new(images.clone());
        let first = folder.save("Chart", b"one").unwrap();
        let second = folder.save("Chart", b"two").unwrap();
        assert_eq!(first, images.join("chart-1.png"));
        assert_eq!(second, images.join("chart-2.png"));
        // A new session starts counting at 1 again but skips the files already there.
        let mut again = ImageFolder::new(images.clone());
        let third = again.save("Chart", b"three").unwrap();
        assert_eq!(third, images.join("chart-3.png"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&third).unwrap(), b"three");
    }
}
