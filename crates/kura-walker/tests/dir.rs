//! Walking a directory: symlinks never followed out of the root, special files never opened.

mod common;

use common::ANALYZERS;
use kura_walker::{DirError, Limits, flatten, walk_dir};
use std::fs;
use std::os::unix::fs::symlink;

#[test]
fn directory_walk_finds_files_and_stays_inside_the_root() {
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir_all(outside.path().join("secret")).unwrap();
    fs::write(outside.path().join("secret/pkgs.txt"), "stolen 1").unwrap();

    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("app/node")).unwrap();
    fs::create_dir_all(r.join("usr/lib")).unwrap();
    fs::write(r.join("app/node/pkgs.txt"), "x 1\n").unwrap();
    fs::write(
        r.join("usr/lib/os-release"),
        "ID=alpine\nVERSION_ID=3.19.1\n",
    )
    .unwrap();
    fs::create_dir_all(r.join("etc")).unwrap();
    symlink("../usr/lib/os-release", r.join("etc/os-release")).unwrap();
    // A link out of the root, and a loop back to the root.
    symlink(outside.path().join("secret"), r.join("app/escape")).unwrap();
    symlink("..", r.join("app/loop")).unwrap();
    // A FIFO named like a wanted file: opening it would block forever.
    let fifo = r.join("app/fifo-pkgs.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo takes a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);

    let l = walk_dir(r, ANALYZERS, &Limits::default()).unwrap();
    assert_eq!(
        l.files.keys().collect::<Vec<_>>(),
        ["app/node/pkgs.txt", "usr/lib/os-release"]
    );
    let (os, pkgs, warnings) = flatten(&[l], &[]);
    assert_eq!(os.unwrap().version, "3.19.1");
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].location.path, "/app/node/pkgs.txt");
    assert_eq!(pkgs[0].location.layer_index, None);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn directory_walk_errors_name_the_root() {
    let f = tempfile::NamedTempFile::new().unwrap();
    let err = walk_dir(f.path(), ANALYZERS, &Limits::default()).unwrap_err();
    assert!(matches!(err, DirError::NotADirectory { .. }));
    assert!(err.to_string().contains(&f.path().display().to_string()));
    let missing = f.path().join("nope");
    assert!(matches!(
        walk_dir(&missing, ANALYZERS, &Limits::default()),
        Err(DirError::Root { .. })
    ));
}

#[test]
fn oversized_files_on_disk_are_not_read() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("pkgs.txt"), vec![b'a'; 5000]).unwrap();
    let l = walk_dir(root.path(), ANALYZERS, &Limits::default()).unwrap();
    assert_eq!(l.stats.files_read, 0);
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].message.contains("5000 bytes"));
}
