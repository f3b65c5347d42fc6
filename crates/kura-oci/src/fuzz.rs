//! Entry points for the cargo-fuzz targets in `fuzz/` and the garbage-input property tests.
//! Each must return (an error or a value) on any input, never panic.

use std::io::Read;

/// Parse bytes as a manifest or index.
pub fn document(data: &[u8]) {
    let _ = crate::manifest::parse_document(data, None, "fuzz");
    let _ = crate::manifest::parse_document(data, Some(crate::manifest::OCI_INDEX), "fuzz");
}

/// Parse bytes as an image config and compute base layers from its history.
pub fn config(data: &[u8]) {
    if let Ok(c) = crate::manifest::parse_config(data, "fuzz") {
        let _ = crate::image::base_layer_count(&c.history, c.diff_ids.len());
        let _ = crate::image::layer_commands(&c.history, c.diff_ids.len());
    }
}

/// Parse a reference, a platform and a `WWW-Authenticate` challenge.
pub fn text(s: &str) {
    let _ = crate::reference::Reference::parse(s);
    let _ = s.parse::<crate::Platform>();
    let _ = crate::registry::parse_challenge(s);
}

/// Treat bytes as an archive file: index it, open it as an image, and read every layer.
pub fn archive(data: &[u8]) {
    let Ok(mut f) = tempfile::NamedTempFile::new() else {
        return;
    };
    if std::io::Write::write_all(&mut f, data).is_err() {
        return;
    }
    let Some(path) = f.path().to_str() else {
        return;
    };
    if let Ok(img) = crate::open(path, &crate::OpenOptions::default()) {
        for i in 0..img.layers.len() {
            if let Ok(mut r) = img.open_layer(i) {
                let _ = std::io::copy(&mut (&mut r).take(64 << 20), &mut std::io::sink());
            }
        }
        let _ = img.layer_infos();
    }
}
