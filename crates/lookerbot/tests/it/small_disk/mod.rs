//! A real small file system for disk-full tests: a tmpfs of a few MiB mounted on a temporary folder (needs root, as
//! in CI's container; elsewhere the tests that need it say so and pass without running).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    /// A tmpfs of `size_kib` KiB, or `None` (with the reason on stderr) when this process may not mount one.
    pub fn mount(size_kib: usize) -> Option<SmallDisk> {
        let mount = tempfile::tempdir().unwrap();
        let done = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"])
            .arg(mount.path())
            .output();
        match done {
            Ok(output) if output.status.success() => Some(SmallDisk { mount }),
            other => {
                eprintln!("skipped: cannot mount a tmpfs (run the tests as root): {other:?}");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.mount.path()
    }

    /// Fills every free byte with a file; returns its path (remove it to free the space).
    pub fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        while file.write_all(&block[..1]).is_ok() {}
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.mount.path()).status();
    }
}
