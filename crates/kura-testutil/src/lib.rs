//! Test helpers shared by kura's crates. Used only as a dev-dependency.

pub mod image;

use std::path::{Path, PathBuf};

/// True under CI (`CI=true`), where tests that need an external tool must fail, not skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Find an external tool on PATH. Under CI a missing tool panics (the test fails); elsewhere
/// it returns `None` and prints why the test is skipped.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if in_ci() => panic!("required tool `{name}` is not installed (CI=true)"),
        None => {
            eprintln!("skipping: `{name}` is not installed (set CI=true to make this fail)");
            None
        }
    }
}

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("crates").is_dir() {
        if !dir.pop() {
            panic!("workspace root not found");
        }
    }
    dir
}

/// `../shared` beside the clone, when present. Under CI its absence panics: tests on real
/// advisory data are required there.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("..").join("shared");
    if dir.join("vulndata").is_dir() {
        Some(dir)
    } else if in_ci() {
        panic!("../shared/vulndata is missing (CI=true)");
    } else {
        eprintln!("skipping: ../shared/vulndata is not present");
        None
    }
}

/// sha256 of bytes as an OCI digest string (`sha256:…`).
pub fn sha256_digest(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

/// Build an uncompressed tar from `(path, content, mode)` entries (directories end with `/`).
pub fn tar_bytes(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in entries {
        let mut h = tar::Header::new_gnu();
        if path.ends_with('/') {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
        } else {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
        }
        h.set_mode(*mode);
        h.set_mtime(0);
        b.append_data(&mut h, path, *data).expect("tar append");
    }
    b.into_inner().expect("tar finish")
}

/// Read a file under the workspace's `tests/fixtures`-style path relative to the root.
pub fn fixture(rel: impl AsRef<Path>) -> PathBuf {
    workspace_root().join(rel)
}
