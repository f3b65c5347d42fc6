//! Local sources built in-process: OCI layouts, OCI archives, docker archives.

use std::io::Read;
use std::path::Path;

use kura_oci::{OciError, OpenOptions, Platform, SourceKind, detect, open};
use kura_testutil::image::{
    BuiltImage, Compression, DockerArchiveFormat, ImageBuilder, MediaTypes, digest_hex, files_tar,
    gzip, write_files, write_oci_layout,
};
use kura_testutil::tar_bytes;

fn sample(c: Compression) -> BuiltImage {
    ImageBuilder::new()
        .layer(
            tar_bytes(&[("etc/os-release", b"ID=alpine\n", 0o644)]),
            c,
            "/bin/sh -c #(nop) ADD file:abc in / ",
        )
        .empty_history("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]")
        .layer(
            tar_bytes(&[("app/", b"", 0o755), ("app/run", b"#!/bin/sh\n", 0o755)]),
            c,
            "COPY run /app/run # buildkit",
        )
        .empty_history("ENTRYPOINT [\"/app/run\"]")
        .config_field("Env", serde_json::json!(["PATH=/usr/bin"]))
        .config_field("User", serde_json::json!("app"))
        .repo_tag("example/app:1.0")
        .build()
}

fn read_layer(img: &kura_oci::Image, i: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    img.open_layer(i)
        .map_err(std::io::Error::other)?
        .read_to_end(&mut out)?;
    Ok(out)
}

fn assert_matches(img: &kura_oci::Image, built: &BuiltImage, kind: &str) {
    assert_eq!(img.target.kind, kind);
    assert_eq!(
        img.target.config_digest.as_deref(),
        Some(built.config_digest.as_str())
    );
    assert_eq!(img.layers.len(), built.layers.len());
    for (l, b) in img.layers.iter().zip(&built.layers) {
        assert_eq!(l.diff_id, b.diff_id);
        assert_eq!(
            read_layer(img, l.index).unwrap(),
            b.tar,
            "layer {}",
            l.index
        );
    }
    assert_eq!(img.config.user.as_deref(), Some("app"));
    assert_eq!(img.target.platform.as_deref(), Some("linux/amd64"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn every_local_format_and_compression_opens_with_verified_layers() {
    let tmp = tempfile::tempdir().unwrap();
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let built = sample(c);
        let layout = tmp.path().join(format!("layout-{c:?}"));
        built.write_oci_layout(&layout);
        let cases: Vec<(String, SourceKind, &str)> = vec![
            (
                layout.to_str().unwrap().into(),
                SourceKind::OciLayout,
                "oci-layout",
            ),
            (
                write(tmp.path(), &format!("oci-{c:?}.tar"), &built.oci_archive()),
                SourceKind::OciArchive,
                "oci-archive",
            ),
            (
                write(
                    tmp.path(),
                    &format!("oci-{c:?}.tar.gz"),
                    &gzip(&built.oci_archive()),
                ),
                SourceKind::DockerArchive,
                "oci-archive",
            ),
            (
                write(
                    tmp.path(),
                    &format!("legacy-{c:?}.tar"),
                    &built.docker_archive(DockerArchiveFormat::Legacy),
                ),
                SourceKind::DockerArchive,
                "docker-archive",
            ),
            (
                write(
                    tmp.path(),
                    &format!("legacy-{c:?}.tar.gz"),
                    &gzip(&built.docker_archive(DockerArchiveFormat::Legacy)),
                ),
                SourceKind::DockerArchive,
                "docker-archive",
            ),
            (
                write(
                    tmp.path(),
                    &format!("ocidocker-{c:?}.tar"),
                    &built.docker_archive(DockerArchiveFormat::OciLayout),
                ),
                SourceKind::DockerArchive,
                "docker-archive",
            ),
        ];
        for (reference, detected, kind) in cases {
            assert_eq!(detect(&reference), detected, "{reference}");
            let img = open(&reference, &OpenOptions::default())
                .unwrap_or_else(|e| panic!("{reference}: {e}"));
            assert_matches(&img, &built, kind);
        }
    }
}

#[test]
fn docker_archive_metadata_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::Gzip);
    let legacy = write(
        tmp.path(),
        "l.tar",
        &built.docker_archive(DockerArchiveFormat::Legacy),
    );
    let img = open(&legacy, &OpenOptions::default()).unwrap();
    assert_eq!(img.target.tags, vec!["example/app:1.0"]);
    assert_eq!(
        img.target.manifest_digest, None,
        "legacy archives carry no manifest"
    );
    assert_eq!(
        img.layers[1].created_by.as_deref(),
        Some("COPY run /app/run # buildkit")
    );
    let oci = write(
        tmp.path(),
        "o.tar",
        &built.docker_archive(DockerArchiveFormat::OciLayout),
    );
    let img = open(&oci, &OpenOptions::default()).unwrap();
    assert_eq!(
        img.target.manifest_digest.as_deref(),
        Some(built.manifest_digest.as_str())
    );
    assert_eq!(img.layers[0].digest, built.layers[0].digest);
    assert_eq!(img.target.tags, vec!["example/app:1.0"]);
    assert_eq!(
        img.layers[0].media_type,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
}

#[test]
fn layer_infos_mark_base_layers_from_history() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::None);
    built.write_oci_layout(tmp.path());
    let img = open(tmp.path().to_str().unwrap(), &OpenOptions::default()).unwrap();
    let infos = img.layer_infos();
    assert_eq!(
        infos.iter().map(|l| l.base).collect::<Vec<_>>(),
        vec![true, false]
    );
    assert_eq!(
        infos[1].created_by.as_deref(),
        Some("COPY run /app/run # buildkit")
    );
}

#[test]
fn manifest_annotations_name_the_base_image() {
    let tmp = tempfile::tempdir().unwrap();
    let built = ImageBuilder::new()
        .layer(
            tar_bytes(&[("a", b"a", 0o644)]),
            Compression::Gzip,
            "ADD a /",
        )
        .annotation(
            "org.opencontainers.image.base.name",
            "docker.io/library/alpine:3.19",
        )
        .build();
    built.write_oci_layout(tmp.path());
    let img = open(tmp.path().to_str().unwrap(), &OpenOptions::default()).unwrap();
    assert_eq!(
        img.target.base_image.as_deref(),
        Some("docker.io/library/alpine:3.19")
    );
    assert_eq!(img.manifest_annotations.len(), 1);
}

fn multi_arch() -> Vec<BuiltImage> {
    [("amd64", None), ("arm64", Some("v8")), ("arm", Some("v7"))]
        .into_iter()
        .map(|(arch, v)| {
            ImageBuilder::new()
                .platform("linux", arch, v)
                .media_types(MediaTypes::Docker)
                .layer(
                    tar_bytes(&[("arch", arch.as_bytes(), 0o644)]),
                    Compression::Gzip,
                    "ADD arch /",
                )
                .build()
        })
        .collect()
}

#[test]
fn index_entries_are_chosen_by_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let images = multi_arch();
    for nested in [None, Some(kura_testutil::image::DOCKER_MANIFEST_LIST)] {
        let dir = tmp
            .path()
            .join(format!("{nested:?}").replace(['/', '"', '(', ')'], "_"));
        write_oci_layout(&dir, &images, nested);
        let r = dir.to_str().unwrap();
        let cases: &[(&str, Option<&str>)] = &[
            ("linux/amd64", Some("linux/amd64")),
            ("linux/arm64", Some("linux/arm64/v8")),
            ("linux/arm/v7", Some("linux/arm/v7")),
            ("linux/arm/v6", None),
            ("windows/amd64", None),
        ];
        for (want, got) in cases {
            let opts = OpenOptions {
                platform: Some(want.parse().unwrap()),
                ..Default::default()
            };
            match (open(r, &opts), got) {
                (Ok(img), Some(p)) => {
                    assert_eq!(img.target.platform.as_deref(), Some(*p), "{want}")
                }
                (Err(OciError::PlatformNotFound { available, .. }), None) => {
                    assert!(available.contains("linux/arm/v7"), "{available}")
                }
                (r, _) => panic!("{want}: unexpected {r:?}"),
            }
        }
        let host = open(r, &OpenOptions::default());
        if ["amd64", "arm64"].contains(&Platform::host().arch.as_str()) {
            let host = host.unwrap();
            assert_eq!(
                host.target.platform.as_deref().map(|p| p.split('/').nth(1)),
                Some(Some(Platform::host().arch.as_str()))
            );
        }
    }
}

#[test]
fn layout_tag_suffix_selects_the_tagged_image() {
    let tmp = tempfile::tempdir().unwrap();
    let a = ImageBuilder::new()
        .layer(
            tar_bytes(&[("a", b"a", 0o644)]),
            Compression::None,
            "ADD a /",
        )
        .repo_tag("one")
        .build();
    let b = ImageBuilder::new()
        .layer(
            tar_bytes(&[("b", b"b", 0o644)]),
            Compression::None,
            "ADD b /",
        )
        .repo_tag("two")
        .build();
    let mut images = vec![a, b.clone()];
    images[1].arch = "amd64".into();
    write_oci_layout(tmp.path(), &images, None);
    let r = format!("{}:two", tmp.path().display());
    let img = open(&r, &OpenOptions::default()).unwrap();
    assert_eq!(
        img.target.config_digest.as_deref(),
        Some(b.config_digest.as_str())
    );
    assert_eq!(img.target.tags, vec!["two"]);
    assert!(matches!(
        open(
            &format!("{}:three", tmp.path().display()),
            &OpenOptions::default()
        ),
        Err(OciError::NoImage { .. })
    ));
}

/// Replace one file of a layout, returning the directory.
fn layout_with(
    tmp: &Path,
    name: &str,
    built: &BuiltImage,
    edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> String {
    let dir = tmp.join(name);
    let mut files = built.oci_layout_files();
    edit(&mut files);
    write_files(&dir, &files);
    dir.to_str().unwrap().to_string()
}

fn blob_path(d: &str) -> String {
    format!("blobs/sha256/{}", digest_hex(d))
}

#[test]
fn corrupt_layouts_fail_with_errors_naming_the_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::Gzip);
    let layer0 = built.layers[0].digest.clone();
    let cfg = built.config_digest.clone();
    let missing = layout_with(tmp.path(), "missing", &built, |f| {
        f.retain(|(p, _)| *p != blob_path(&cfg))
    });
    let e = open(&missing, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OciError::MissingBlob { digest, .. } if *digest == cfg),
        "{e}"
    );

    let bad_cfg = layout_with(tmp.path(), "badcfg", &built, |f| {
        f.iter_mut()
            .filter(|(p, _)| *p == blob_path(&cfg))
            .for_each(|(_, b)| b.push(b' '))
    });
    let e = open(&bad_cfg, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OciError::BlobMismatch { digest, .. } if *digest == cfg),
        "{e}"
    );

    let small = OpenOptions {
        max_config_size: 10,
        ..Default::default()
    };
    let ok = layout_with(tmp.path(), "ok", &built, |_| {});
    assert!(matches!(
        open(&ok, &small),
        Err(OciError::TooLarge { what: "config", .. })
    ));
    let tiny = OpenOptions {
        max_manifest_size: 10,
        ..Default::default()
    };
    assert!(matches!(
        open(&ok, &tiny),
        Err(OciError::TooLarge { what: "index", .. })
    ));

    // Same length, different bytes: the stored-blob digest check fires at EOF.
    let flipped = layout_with(tmp.path(), "flipped", &built, |f| {
        for (p, b) in f.iter_mut() {
            if *p == blob_path(&layer0)
                && let Some(last) = b.last_mut()
            {
                *last ^= 0xff;
            }
        }
    });
    let img = open(&flipped, &OpenOptions::default()).unwrap();
    let e = read_layer(&img, 0).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert!(e.to_string().contains(&layer0), "{e}");

    let garbage = layout_with(tmp.path(), "garbage", &built, |f| {
        for (p, b) in f.iter_mut() {
            if *p == blob_path(&layer0) {
                b.iter_mut().skip(10).for_each(|x| *x = 0x55);
            }
        }
    });
    let img = open(&garbage, &OpenOptions::default()).unwrap();
    let e = read_layer(&img, 0).unwrap_err();
    assert!(e.to_string().contains(&layer0), "{e}");
}

#[test]
fn a_layer_whose_content_differs_from_its_diff_id_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let mut built = sample(Compression::Zstd);
    // Re-point layer 1's diff_id in the config and re-digest config and manifest, so that
    // only the diff_id check can catch it.
    let other = kura_testutil::sha256_digest(b"something else");
    let mut cfg: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    cfg["rootfs"]["diff_ids"][1] = serde_json::json!(other);
    built.config = serde_json::to_vec(&cfg).unwrap();
    built.config_digest = kura_testutil::sha256_digest(&built.config);
    let mut m: serde_json::Value = serde_json::from_slice(&built.manifest).unwrap();
    m["config"]["digest"] = serde_json::json!(built.config_digest);
    m["config"]["size"] = serde_json::json!(built.config.len());
    built.manifest = serde_json::to_vec(&m).unwrap();
    built.manifest_digest = kura_testutil::sha256_digest(&built.manifest);
    built.write_oci_layout(tmp.path());
    let img = open(tmp.path().to_str().unwrap(), &OpenOptions::default()).unwrap();
    assert!(read_layer(&img, 0).is_ok());
    let e = read_layer(&img, 1).unwrap_err();
    assert!(
        e.to_string().contains("diff_id mismatch") && e.to_string().contains(&other),
        "{e}"
    );
}

#[test]
fn hostile_archives_yield_typed_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::None);
    let mut traversal = built.docker_archive_files(DockerArchiveFormat::Legacy);
    traversal.push(("../../etc/evil".into(), b"x".to_vec()));
    let p = write(tmp.path(), "trav.tar", &files_tar(&traversal));
    assert!(matches!(
        open(&p, &OpenOptions::default()),
        Err(OciError::UnsafeMemberName { .. })
    ));

    let full = built.docker_archive(DockerArchiveFormat::Legacy);
    for cut in [full.len() / 3, full.len() / 2, full.len() - 1500] {
        let p = write(
            tmp.path(),
            &format!("trunc{cut}.tar"),
            full.get(..cut).unwrap(),
        );
        let r = open(&p, &OpenOptions::default()).and_then(|img| {
            (0..img.layers.len()).try_for_each(|i| {
                read_layer(&img, i)
                    .map(drop)
                    .map_err(|e| OciError::BlobMismatch {
                        digest: i.to_string(),
                        detail: e.to_string(),
                    })
            })
        });
        assert!(r.is_err(), "truncated at {cut} must fail");
        let gz = gzip(&full);
        let p = write(
            tmp.path(),
            &format!("trunc{cut}.tar.gz"),
            gz.get(..gz.len() * cut / full.len()).unwrap(),
        );
        assert!(
            open(&p, &OpenOptions::default()).is_err(),
            "truncated gzip at {cut}"
        );
    }

    let mut no_layer = built.docker_archive_files(DockerArchiveFormat::Legacy);
    no_layer.retain(|(p, _)| !p.ends_with("layer.tar") || no_layer_keep(p, &built));
    let p = write(tmp.path(), "nolayer.tar", &files_tar(&no_layer));
    assert!(matches!(
        open(&p, &OpenOptions::default()),
        Err(OciError::MissingBlob { .. })
    ));

    let p = write(
        tmp.path(),
        "junk.tar",
        b"this is not a tar archive at all, not even close............",
    );
    assert!(open(&p, &OpenOptions::default()).is_err());
    let p = write(tmp.path(), "empty.tar", &files_tar(&[]));
    assert!(matches!(
        open(&p, &OpenOptions::default()),
        Err(OciError::NoImage { .. })
    ));
}

fn no_layer_keep(p: &str, built: &BuiltImage) -> bool {
    // Keep the first layer only; drop the rest.
    let first = built
        .docker_archive_files(DockerArchiveFormat::Legacy)
        .into_iter()
        .find(|(n, _)| n.ends_with("layer.tar"));
    first.is_some_and(|(n, _)| n == p)
}

#[test]
fn symlinked_legacy_layers_are_followed_and_loops_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::None);
    let files = built.docker_archive_files(DockerArchiveFormat::Legacy);
    let layer_names: Vec<String> = files
        .iter()
        .filter(|(n, _)| n.ends_with("layer.tar"))
        .map(|(n, _)| n.clone())
        .collect();
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in &files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        if *name == layer_names[1] {
            // docker save links a duplicate layer to the first copy: `../<id>/layer.tar`.
            let real = format!("real/{}", name);
            h.set_size(data.len() as u64);
            b.append_data(&mut h, &real, data.as_slice()).unwrap();
            let mut l = tar::Header::new_gnu();
            l.set_entry_type(tar::EntryType::Symlink);
            l.set_size(0);
            b.append_link(&mut l, name, format!("../real/{name}"))
                .unwrap();
        } else {
            h.set_size(data.len() as u64);
            b.append_data(&mut h, name, data.as_slice()).unwrap();
        }
    }
    let p = write(tmp.path(), "links.tar", &b.into_inner().unwrap());
    let img = open(&p, &OpenOptions::default()).unwrap();
    assert_eq!(read_layer(&img, 1).unwrap(), built.layers[1].tar);

    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in &files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        if *name == layer_names[0] {
            let mut l = tar::Header::new_gnu();
            l.set_entry_type(tar::EntryType::Symlink);
            l.set_size(0);
            b.append_link(&mut l, name, "layer.tar").unwrap();
        } else {
            h.set_size(data.len() as u64);
            b.append_data(&mut h, name, data.as_slice()).unwrap();
        }
    }
    let p = write(tmp.path(), "loop.tar", &b.into_inner().unwrap());
    assert!(matches!(
        open(&p, &OpenOptions::default()),
        Err(OciError::CorruptArchive { .. })
    ));
}

#[test]
fn layers_can_be_read_in_parallel() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::Gzip);
    let p = write(
        tmp.path(),
        "p.tar.gz",
        &gzip(&built.docker_archive(DockerArchiveFormat::OciLayout)),
    );
    let img = open(&p, &OpenOptions::default()).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..img.layers.len())
            .map(|i| {
                s.spawn({
                    let img = &img;
                    move || read_layer(img, i).unwrap()
                })
            })
            .collect();
        for (h, b) in handles.into_iter().zip(&built.layers) {
            assert_eq!(h.join().unwrap(), b.tar);
        }
    });
}

#[test]
fn an_explicit_platform_is_checked_against_an_unlabelled_single_image() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::None);
    let mut files = built.oci_layout_files();
    for (p, b) in files.iter_mut() {
        if p == "index.json" {
            let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
            v["manifests"][0]
                .as_object_mut()
                .unwrap()
                .remove("platform");
            *b = serde_json::to_vec(&v).unwrap();
        }
    }
    write_files(tmp.path(), &files);
    let r = tmp.path().to_str().unwrap();
    assert!(open(r, &OpenOptions::default()).is_ok());
    let amd = OpenOptions {
        platform: Some("linux/amd64".parse().unwrap()),
        ..Default::default()
    };
    assert!(open(r, &amd).is_ok());
    let arm = OpenOptions {
        platform: Some("linux/arm64".parse().unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        open(r, &arm),
        Err(OciError::PlatformNotFound { .. })
    ));
}

#[test]
fn docker_archive_tag_suffix_selects_among_several_images() {
    let tmp = tempfile::tempdir().unwrap();
    let a = ImageBuilder::new()
        .layer(
            tar_bytes(&[("a", b"a", 0o644)]),
            Compression::None,
            "ADD a /",
        )
        .repo_tag("example/a:1.0")
        .build();
    let b = ImageBuilder::new()
        .layer(
            tar_bytes(&[("b", b"b", 0o644)]),
            Compression::None,
            "ADD b /",
        )
        .repo_tag("example/b:2.0")
        .build();
    // `docker save a b`: one manifest.json listing both.
    let mut files = a.docker_archive_files(DockerArchiveFormat::Legacy);
    let fb = b.docker_archive_files(DockerArchiveFormat::Legacy);
    let entry = |f: &[(String, Vec<u8>)]| -> serde_json::Value {
        let m = &f.iter().find(|(n, _)| n == "manifest.json").unwrap().1;
        serde_json::from_slice::<serde_json::Value>(m).unwrap()[0].clone()
    };
    let both = serde_json::to_vec(&serde_json::json!([entry(&files), entry(&fb)])).unwrap();
    files.retain(|(n, _)| n != "manifest.json" && n != "repositories");
    files.extend(
        fb.into_iter()
            .filter(|(n, _)| n != "manifest.json" && n != "repositories"),
    );
    files.push(("manifest.json".into(), both));
    let p = write(tmp.path(), "both.tar", &files_tar(&files));
    let cases = [
        (p.clone(), &a),
        (format!("{p}:example/b:2.0"), &b),
        (format!("{p}:2.0"), &b),
        (format!("docker-archive:{p}:1.0"), &a),
    ];
    for (r, want) in cases {
        let img = open(&r, &OpenOptions::default()).unwrap_or_else(|e| panic!("{r}: {e}"));
        assert_eq!(
            img.target.config_digest.as_deref(),
            Some(want.config_digest.as_str()),
            "{r}"
        );
    }
    assert!(matches!(
        open(&format!("{p}:3.0"), &OpenOptions::default()),
        Err(OciError::NoImage { .. })
    ));
}

#[test]
fn archive_kind_hints_fall_back_to_the_layout_present() {
    let tmp = tempfile::tempdir().unwrap();
    let built = sample(Compression::Gzip);
    let oci = write(tmp.path(), "o.tar.gz", &gzip(&built.oci_archive()));
    let docker = write(
        tmp.path(),
        "d.tar",
        &built.docker_archive(DockerArchiveFormat::Legacy),
    );
    let both = write(
        tmp.path(),
        "b.tar",
        &built.docker_archive(DockerArchiveFormat::OciLayout),
    );
    let cases = [
        (&oci, SourceKind::DockerArchive, "oci-archive"),
        (&docker, SourceKind::OciArchive, "docker-archive"),
        (&both, SourceKind::OciArchive, "oci-archive"),
        (&both, SourceKind::DockerArchive, "docker-archive"),
    ];
    for (p, kind, got) in cases {
        let opts = OpenOptions {
            kind: Some(kind),
            ..Default::default()
        };
        let img = open(p, &opts).unwrap_or_else(|e| panic!("{p} as {kind}: {e}"));
        assert_eq!(img.target.kind, got, "{p} as {kind}");
        assert_eq!(read_layer(&img, 1).unwrap(), built.layers[1].tar);
    }
}
