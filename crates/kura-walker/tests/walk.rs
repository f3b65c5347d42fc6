//! Layer walking and flattening: whiteouts, links, attribution, hostile input.

mod common;

use common::{ANALYZERS, E, layer};
use kura_types::{LayerInfo, OsInfo, Package, ScanWarning};
use kura_walker::{LayerAnalysis, Limits, WalkError, flatten, walk_layer, walk_layer_sized};

fn walk(entries: &[E<'_>]) -> LayerAnalysis {
    walk_layer(&layer(entries)[..], ANALYZERS, &Limits::default()).unwrap()
}

fn infos(n: usize) -> Vec<LayerInfo> {
    (0..n)
        .map(|i| LayerInfo {
            index: i,
            diff_id: format!("sha256:{i:064}"),
            ..Default::default()
        })
        .collect()
}

/// Flatten layers given as entry lists; returns (os, packages, warnings).
fn image(layers: &[&[E<'_>]]) -> (Option<OsInfo>, Vec<Package>, Vec<ScanWarning>) {
    let walked: Vec<LayerAnalysis> = layers.iter().map(|l| walk(l)).collect();
    flatten(&walked, &infos(walked.len()))
}

/// `name@version path layer` for each package, sorted.
fn summary(pkgs: &[Package]) -> Vec<String> {
    pkgs.iter()
        .map(|p| {
            format!(
                "{}@{} {} L{}",
                p.name,
                p.version,
                p.location.path,
                p.location
                    .layer_index
                    .map_or("-".to_string(), |i| i.to_string())
            )
        })
        .collect()
}

#[test]
fn whiteouts_and_opaque_dirs_hide_lower_layers_only() {
    type Case<'a> = (&'a str, Vec<Vec<E<'a>>>, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "file whiteout removes the lower file",
            vec![
                vec![E::F("a/pkgs.txt", b"x 1"), E::F("b/pkgs.txt", b"y 1")],
                vec![E::F("a/.wh.pkgs.txt", b"")],
            ],
            vec!["y@1 /b/pkgs.txt L0"],
        ),
        (
            "directory whiteout removes everything under it",
            vec![
                vec![E::F("a/b/pkgs.txt", b"x 1"), E::F("ab/pkgs.txt", b"y 1")],
                vec![E::F(".wh.a", b"")],
            ],
            vec!["y@1 /ab/pkgs.txt L0"],
        ),
        (
            "opaque dir hides lower children but keeps its own layer's",
            vec![
                vec![E::F("d/old/pkgs.txt", b"x 1")],
                vec![E::F("d/.wh..wh..opq", b""), E::F("d/new/pkgs.txt", b"y 2")],
            ],
            vec!["y@2 /d/new/pkgs.txt L1"],
        ),
        (
            "opaque marker after its siblings still keeps them",
            vec![
                vec![E::F("d/old/pkgs.txt", b"x 1")],
                vec![E::F("d/new/pkgs.txt", b"y 2"), E::F("d/.wh..wh..opq", b"")],
            ],
            vec!["y@2 /d/new/pkgs.txt L1"],
        ),
        (
            "a whiteout does not hide a file of its own layer",
            vec![
                vec![E::F("a/pkgs.txt", b"x 1")],
                vec![E::F("a/.wh.pkgs.txt", b""), E::F("a/pkgs.txt", b"x 2")],
            ],
            vec!["x@2 /a/pkgs.txt L1"],
        ),
        (
            "re-added after a whiteout counts from the re-adding layer",
            vec![
                vec![E::F("a/pkgs.txt", b"x 1")],
                vec![E::F("a/.wh.pkgs.txt", b"")],
                vec![E::F("a/pkgs.txt", b"x 1")],
            ],
            vec!["x@1 /a/pkgs.txt L2"],
        ),
        (
            "reserved .wh..wh. names are not files",
            vec![vec![
                E::F("a/.wh..wh.plnk", b""),
                E::F("a/pkgs.txt", b"x 1"),
            ]],
            vec!["x@1 /a/pkgs.txt L0"],
        ),
        (
            "a symlink over a directory hides it",
            vec![
                vec![E::F("d/pkgs.txt", b"x 1")],
                vec![E::S("d", "elsewhere")],
            ],
            vec![],
        ),
        (
            "a later entry in the same layer wins",
            vec![vec![E::F("a/pkgs.txt", b"x 1"), E::F("a/pkgs.txt", b"x 3")]],
            vec!["x@3 /a/pkgs.txt L0"],
        ),
        (
            "a directory written over a file in the same layer replaces it",
            vec![vec![E::F("a/pkgs.txt", b"x 1"), E::D("a/pkgs.txt/")]],
            vec![],
        ),
        (
            "whiteout of the root's opaque marker clears everything below",
            vec![
                vec![E::F("a/pkgs.txt", b"x 1")],
                vec![E::F(".wh..wh..opq", b""), E::F("b/pkgs.txt", b"y 1")],
            ],
            vec!["y@1 /b/pkgs.txt L1"],
        ),
    ];
    for (name, layers, want) in cases {
        let refs: Vec<&[E<'_>]> = layers.iter().map(Vec::as_slice).collect();
        let (_, pkgs, _) = image(&refs);
        assert_eq!(summary(&pkgs), want, "{name}");
    }
}

#[test]
fn packages_are_attributed_to_the_layer_that_introduced_them() {
    // A package database rewritten by every layer, like dpkg's status file.
    let (_, pkgs, _) = image(&[
        &[E::F("var/pkgs.txt", b"base 1\nlibc 2\n")],
        &[E::F("var/pkgs.txt", b"base 1\nlibc 2\ncurl 7\n")],
        &[E::F("var/pkgs.txt", b"base 1\nlibc 3\ncurl 7\nvim 9\n")],
        &[E::F("other/pkgs.txt", b"unrelated 1")],
    ]);
    assert_eq!(
        summary(&pkgs),
        [
            "base@1 /var/pkgs.txt L0",
            "curl@7 /var/pkgs.txt L1",
            "libc@3 /var/pkgs.txt L2",
            "unrelated@1 /other/pkgs.txt L3",
            "vim@9 /var/pkgs.txt L2",
        ]
    );
    let curl = pkgs.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(
        curl.location.layer_diff_id.as_deref(),
        Some(format!("sha256:{:064}", 1).as_str())
    );
}

#[test]
fn attribution_restarts_when_a_package_disappears_for_a_layer() {
    let (_, pkgs, _) = image(&[
        &[E::F("var/pkgs.txt", b"a 1\n")],
        &[E::F("var/pkgs.txt", b"b 1\n")],
        &[E::F("var/pkgs.txt", b"a 1\nb 1\n")],
    ]);
    assert_eq!(
        summary(&pkgs),
        ["a@1 /var/pkgs.txt L2", "b@1 /var/pkgs.txt L1"]
    );
}

#[test]
fn hard_links_reuse_the_result_of_their_target() {
    let (_, pkgs, warnings) = image(&[
        &[
            E::F("a/pkgs.txt", b"x 1"),
            E::H("b/pkgs.txt", "a/pkgs.txt"),
            E::H("c/pkgs.txt", "./lower/pkgs.txt"),
        ],
        // A hard link to a file of a lower layer.
        &[E::H("d/pkgs.txt", "a/pkgs.txt")],
    ]);
    assert_eq!(
        summary(&pkgs),
        [
            "x@1 /a/pkgs.txt L0",
            "x@1 /b/pkgs.txt L0",
            "x@1 /d/pkgs.txt L1"
        ]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.path.as_deref() == Some("/c/pkgs.txt")
                && w.message.contains("not among the analyzed files")),
        "{warnings:?}"
    );
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let (os, _, warnings) = image(&[&[
        E::F("usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
        E::S("etc/os-release", "../usr/lib/os-release"),
    ]]);
    assert_eq!(os.unwrap().id, "debian");
    assert!(warnings.is_empty(), "{warnings:?}");

    // Parents are resolved through directory symlinks of lower layers (merged /usr).
    let (_, pkgs, _) = image(&[
        &[E::S("lib", "usr/lib"), E::D("usr/lib/")],
        &[E::F("lib/node/pkgs.txt", b"x 1")],
    ]);
    assert_eq!(summary(&pkgs), ["x@1 /usr/lib/node/pkgs.txt L1"]);

    // An escaping target is clamped to the image root: it names /host/..., never the host.
    let (_, pkgs, _) = image(&[
        &[E::S("app", "../../../../../srv"), E::S("abs", "/srv")],
        &[E::F("app/pkgs.txt", b"x 1"), E::F("abs/x/pkgs.txt", b"y 1")],
    ]);
    assert_eq!(
        summary(&pkgs),
        ["x@1 /srv/pkgs.txt L1", "y@1 /srv/x/pkgs.txt L1"]
    );
}

#[test]
fn etc_os_release_wins_over_usr_lib() {
    let (os, _, _) = image(&[&[
        E::F("usr/lib/os-release", b"ID=debian\nVERSION_ID=12\n"),
        E::F("etc/os-release", b"ID=ubuntu\nVERSION_ID=22.04\n"),
    ]]);
    assert_eq!(os.unwrap().id, "ubuntu");
}

#[test]
fn symlink_loops_end_with_a_warning() {
    let (_, pkgs, warnings) = image(&[&[
        E::S("a", "b"),
        E::S("b", "a"),
        E::S("etc/os-release", "../a"),
        E::F("a/x/pkgs.txt", b"x 1"),
    ]]);
    assert!(pkgs.is_empty());
    let loops = warnings
        .iter()
        .filter(|w| w.message.contains("too many levels"))
        .count();
    assert_eq!(loops, 2, "{warnings:?}");
}

#[test]
fn dangling_wanted_symlinks_are_reported() {
    let (os, _, warnings) = image(&[&[E::S("etc/os-release", "/nowhere")]]);
    assert!(os.is_none());
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].path.as_deref(), Some("/etc/os-release"));
    assert!(warnings[0].layer.is_some());
}

#[test]
fn traversal_and_absolute_names_are_confined_and_reported() {
    let l = walk(&[
        E::F("../../etc/pkgs.txt", b"evil 1"),
        E::F("/abs/pkgs.txt", b"abs 1"),
    ]);
    assert_eq!(
        l.files.keys().collect::<Vec<_>>(),
        ["abs/pkgs.txt", "etc/pkgs.txt"]
    );
    assert_eq!(l.warnings.len(), 2);
    assert!(
        l.warnings
            .iter()
            .all(|w| w.message.contains("leaves the layer root"))
    );
}

#[test]
fn analyzer_failures_and_oversized_files_become_warnings() {
    let big = vec![b'a'; 2000];
    let l = walk(&[
        E::F("p/pkgs.txt", b"!panic"),
        E::F("b/pkgs.txt", b"!bad"),
        E::F("w/pkgs.txt", b"!warn\nok 1"),
        E::F("big/pkgs.txt", &big),
        E::F("fine/pkgs.txt", b"ok 2"),
    ]);
    let msgs: Vec<(String, String)> = l
        .warnings
        .iter()
        .map(|w| (w.path.clone().unwrap(), w.message.clone()))
        .collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|(p, m)| p == "p/pkgs.txt" && m.contains("panicked"))
    );
    assert!(
        msgs.iter()
            .any(|(p, m)| p == "b/pkgs.txt" && m.contains("asked to fail"))
    );
    assert!(
        msgs.iter()
            .any(|(p, m)| p == "w/pkgs.txt" && m == "odd line")
    );
    assert!(
        msgs.iter()
            .any(|(p, m)| p == "big/pkgs.txt" && m.contains("2000 bytes"))
    );
    // The oversized file is recorded unread, so it still hides lower versions.
    assert!(l.files["big/pkgs.txt"].results.is_empty());
    assert_eq!(l.stats.files_read, 4);
}

#[test]
fn only_wanted_files_are_read() {
    let other = vec![7u8; 100_000];
    let l = walk(&[
        E::F("x/pkgs.txt", b"x 1"),
        E::F("blob.bin", &other),
        E::Fifo("fifo"),
    ]);
    assert_eq!(l.stats.files_read, 1);
    assert_eq!(l.stats.bytes_read, 3);
    assert_eq!(l.stats.entries, 3);
    assert!(l.stats.bytes > 100_000);
}

#[test]
fn expansion_caps_stop_decompression_bombs() {
    let data = layer(&[
        E::F("blob", &vec![0u8; 64 * 1024]),
        E::F("x/pkgs.txt", b"x 1"),
    ]);
    let tight = Limits {
        max_layer_bytes: 10_000,
        ..Limits::default()
    };
    match walk_layer(&data[..], ANALYZERS, &tight) {
        Err(WalkError::TooLarge { limit: 10_000, .. }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let ratio = Limits {
        max_ratio: 10,
        ratio_grace_bytes: 1000,
        ..Limits::default()
    };
    match walk_layer_sized(&data[..], Some(100), ANALYZERS, &ratio) {
        Err(WalkError::Ratio {
            stored: 100,
            ratio: 10,
            ..
        }) => {}
        other => panic!("expected Ratio, got {other:?}"),
    }
    // Exactly at the cap is fine.
    let exact = Limits {
        max_layer_bytes: data.len() as u64,
        ..Limits::default()
    };
    assert!(walk_layer(&data[..], ANALYZERS, &exact).is_ok());
    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    assert!(matches!(
        walk_layer(&data[..], ANALYZERS, &few),
        Err(WalkError::TooManyEntries { limit: 1 })
    ));
}

#[test]
fn absurd_header_sizes_end_in_an_error_not_an_allocation() {
    let mut h = tar::Header::new_gnu();
    h.set_path("x/pkgs.txt").unwrap();
    h.set_size(u64::MAX / 2);
    h.set_cksum();
    let mut data = h.as_bytes().to_vec();
    data.extend_from_slice(b"x 1");
    let err = walk_layer(&data[..], ANALYZERS, &Limits::default());
    // The file is over the analyzer's cap: it is skipped, and skipping hits the end of data.
    assert!(matches!(err, Err(WalkError::Tar { .. })), "{err:?}");
}

#[test]
fn truncated_and_corrupt_layers_are_errors_naming_the_last_entry() {
    let data = layer(&[E::F("a/pkgs.txt", b"x 1"), E::F("b/pkgs.txt", b"y 1")]);
    let cut = &data[..1024 + 100];
    match walk_layer(cut, ANALYZERS, &Limits::default()) {
        Err(WalkError::Tar { after, .. }) => assert_eq!(after.as_deref(), Some("a/pkgs.txt")),
        other => panic!("expected Tar, got {other:?}"),
    }
    let mut corrupt = data.clone();
    corrupt[1024 + 10] ^= 0x55;
    let err = walk_layer(&corrupt[..], ANALYZERS, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("a/pkgs.txt"), "{err}");
}

#[test]
fn source_errors_are_told_apart_from_tar_errors() {
    struct Failing<'a>(&'a [u8]);
    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("digest mismatch"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let data = layer(&[E::F("a/pkgs.txt", b"x 1")]);
    let err = walk_layer(Failing(&data[..512]), ANALYZERS, &Limits::default()).unwrap_err();
    assert!(matches!(err, WalkError::Read { .. }), "{err:?}");
}

#[test]
fn layer_analysis_round_trips_through_json() {
    let l = walk(&[
        E::F("a/pkgs.txt", b"x 1"),
        E::S("etc/os-release", "../a"),
        E::F("d/.wh.gone", b""),
        E::F("e/.wh..wh..opq", b""),
        E::H("h/pkgs.txt", "lower"),
    ]);
    let json = serde_json::to_string(&l).unwrap();
    let back: LayerAnalysis = serde_json::from_str(&json).unwrap();
    assert_eq!(back, l);
    assert_eq!(back.whiteouts.len(), 1);
    assert_eq!(back.opaque_dirs.len(), 1);
    assert_eq!(back.links.len(), 2);
}

#[test]
fn recorded_links_are_capped() {
    let names: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    let entries: Vec<E<'_>> = names.iter().map(|n| E::S(n, "t")).collect();
    let limits = Limits {
        max_recorded: 3,
        ..Limits::default()
    };
    let l = walk_layer(&layer(&entries)[..], ANALYZERS, &limits).unwrap();
    assert_eq!(l.links.len(), 3);
    assert_eq!(l.warnings.len(), 1);
}

mod garbage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn walking_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = walk_layer(&data[..], ANALYZERS, &Limits::default());
        }

        #[test]
        fn walking_a_mutated_layer_never_panics(
            cut in 0usize..6000,
            flips in proptest::collection::vec((0usize..6000, any::<u8>()), 0..8),
        ) {
            let mut data = layer(&[
                E::F("a/pkgs.txt", b"x 1"),
                E::S("etc/os-release", "../a"),
                E::H("b/pkgs.txt", "a/pkgs.txt"),
                E::F("c/.wh..wh..opq", b""),
                E::F("usr/lib/os-release", b"ID=x"),
            ]);
            for (at, b) in flips {
                if let Some(x) = data.get_mut(at) { *x ^= b; }
            }
            data.truncate(cut);
            if let Ok(l) = walk_layer(&data[..], ANALYZERS, &Limits::default()) {
                let _ = flatten(&[l.clone(), l], &infos(2));
            }
        }
    }
}
