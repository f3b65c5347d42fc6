//! Garbage, truncated and mutated input never panics the parsers.

use kura_oci::fuzz;
use kura_testutil::image::{Compression, DockerArchiveFormat, ImageBuilder, gzip};
use kura_testutil::tar_bytes;
use proptest::prelude::*;

fn valid_archives() -> Vec<Vec<u8>> {
    let img = ImageBuilder::new()
        .layer(
            tar_bytes(&[("a", b"hello", 0o644)]),
            Compression::Gzip,
            "ADD a /",
        )
        .empty_history("CMD [\"sh\"]")
        .layer(
            tar_bytes(&[("b", b"world", 0o644)]),
            Compression::Zstd,
            "RUN b",
        )
        .build();
    vec![
        img.docker_archive(DockerArchiveFormat::Legacy),
        img.docker_archive(DockerArchiveFormat::OciLayout),
        img.oci_archive(),
        gzip(&img.oci_archive()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn json_parsers_survive_garbage(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzz::document(&data);
        fuzz::config(&data);
    }

    #[test]
    fn json_parsers_survive_mutated_documents(pos in 0usize..400, byte in any::<u8>()) {
        let doc = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":7,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let mut d = doc.to_vec();
        if let Some(b) = d.get_mut(pos % doc.len()) { *b = byte; }
        fuzz::document(&d);
        let cfg = br#"{"os":"linux","architecture":"amd64","rootfs":{"diff_ids":["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]},"history":[{"created_by":"CMD x","empty_layer":true}]}"#;
        let mut c = cfg.to_vec();
        if let Some(b) = c.get_mut(pos % cfg.len()) { *b = byte; }
        fuzz::config(&c);
    }

    #[test]
    fn text_parsers_survive_garbage(s in ".{0,200}") {
        fuzz::text(&s);
    }

    #[test]
    fn archives_survive_truncation_and_corruption(which in 0usize..4, cut in 0.0f64..1.0, pos in any::<usize>(), byte in any::<u8>()) {
        let archives = valid_archives();
        let a = &archives[which];
        let n = (a.len() as f64 * cut) as usize;
        fuzz::archive(&a[..n]);
        let mut m = a.clone();
        let len = m.len();
        m[pos % len] = byte;
        fuzz::archive(&m);
    }
}
