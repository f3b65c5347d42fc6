//! Deterministic benchmark content: the same flags produce byte-identical blobs and manifests on
//! every run, so two registries are loaded with the same data.

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// OCI image manifest media type (image-spec `manifest.md`).
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// A blob and its `sha256:` digest.
#[derive(Debug, Clone)]
pub struct Blob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Content.
    pub bytes: Bytes,
}

impl Blob {
    /// Wrap content, computing its digest.
    pub fn new(bytes: Vec<u8>) -> Blob {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        Blob {
            digest,
            bytes: Bytes::from(bytes),
        }
    }

    /// Incompressible pseudo-random content of `len` bytes, fixed by `seed` (splitmix64), so
    /// neither side can profit from compression or deduplication the other does not get.
    pub fn random(seed: u64, len: usize) -> Blob {
        let mut state = seed;
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        out.truncate(len);
        Blob::new(out)
    }
}

/// The config blob every benchmark manifest refers to.
pub fn config_blob() -> Blob {
    let json = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]}
    });
    Blob::new(json.to_string().into_bytes())
}

/// Image manifest number `index` over `config` and `layers`; the index goes into an annotation so
/// each tag resolves to a distinct digest, as tags of one repository do in practice.
pub fn manifest(index: usize, config: &Blob, layers: &[Blob]) -> Blob {
    let descriptor = |media_type: &str, b: &Blob| serde_json::json!({"mediaType": media_type, "digest": b.digest, "size": b.bytes.len()});
    let json = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": descriptor(CONFIG_MEDIA_TYPE, config),
        "layers": layers.iter().map(|l| descriptor(LAYER_MEDIA_TYPE, l)).collect::<Vec<_>>(),
        "annotations": {"org.opencontainers.image.version": format!("bench-{index}")}
    });
    Blob::new(json.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_blobs_are_deterministic_and_seed_dependent() {
        let a = Blob::random(1, 1000);
        assert_eq!(a.bytes.len(), 1000);
        assert_eq!(a.digest, Blob::random(1, 1000).digest);
        assert_ne!(a.digest, Blob::random(2, 1000).digest);
        assert_eq!(Blob::random(1, 0).digest, Blob::new(Vec::new()).digest);
    }

    #[test]
    fn manifests_differ_per_index_and_reference_their_blobs() {
        let cfg = config_blob();
        let layer = Blob::random(3, 64);
        let m0 = manifest(0, &cfg, std::slice::from_ref(&layer));
        let m1 = manifest(1, &cfg, std::slice::from_ref(&layer));
        assert_ne!(m0.digest, m1.digest);
        let v: serde_json::Value = serde_json::from_slice(&m0.bytes).unwrap_or_default();
        assert_eq!(v["layers"][0]["digest"], layer.digest.as_str());
        assert_eq!(v["config"]["size"], cfg.bytes.len());
    }
}
