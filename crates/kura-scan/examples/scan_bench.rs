//! Benchmark driver for `bench/scan.sh`: builds synthetic OCI layouts and scans them.
//!
//! ```text
//! scan_bench gen-image DIR          ~1 GB, 5 gzip layers: dpkg, python, node_modules, binaries
//! scan_bench gen-tiny DIR COUNT     one gzip layer of COUNT tiny files
//! scan_bench scan REF [--cache DIR | --no-cache]
//! ```
//!
//! Each generated layout also gets `layers.txt`, the blob paths of its layers (bottom first),
//! so the script can time `gzip -dc` of exactly the same bytes.

use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["gen-image", dir] => gen_image(Path::new(dir)),
        ["gen-tiny", dir, count] => gen_tiny(Path::new(dir), count.parse()?),
        ["scan", reference, rest @ ..] => scan(reference, rest),
        _ => Err("usage: scan_bench gen-image DIR | gen-tiny DIR COUNT | scan REF [--cache DIR | --no-cache]".into()),
    }
}

fn scan(reference: &str, rest: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let mut opts = kura_scan::ScanOptions::default();
    match rest {
        ["--no-cache"] => opts.cache = None,
        ["--cache", dir] => opts.cache = Some(kura_scan::CacheConfig::at(dir)),
        [] => {}
        _ => return Err("expected --cache DIR or --no-cache".into()),
    }
    let start = Instant::now();
    let inv = kura_scan::inventory(reference, &opts)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut by_eco = std::collections::BTreeMap::new();
    for p in &inv.packages {
        *by_eco.entry(p.ecosystem.as_str()).or_insert(0usize) += 1;
    }
    println!(
        "{{\"packages\":{},\"by_ecosystem\":{},\"layers\":{},\"warnings\":{},\"os\":{:?},\"ms\":{ms:.1}}}",
        inv.packages.len(),
        serde_json::to_string(&by_eco)?,
        inv.layers.len(),
        inv.warnings.len(),
        inv.os
            .map(|o| format!("{} {}", o.id, o.version))
            .unwrap_or_default(),
    );
    for w in inv.warnings.iter().take(5) {
        eprintln!("warning: {w:?}");
    }
    Ok(())
}

/// Counts and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn hashing<W: Write>(inner: W) -> Hashing<W> {
    Hashing {
        inner,
        hash: Sha256::new(),
        len: 0,
    }
}

/// A layer being written: tar → diff_id hash → gzip → blob hash → file.
struct LayerWriter {
    tar: tar::Builder<Hashing<flate2::write::GzEncoder<Hashing<std::fs::File>>>>,
    tmp: PathBuf,
    blobs: PathBuf,
}

struct Written {
    digest: String,
    diff_id: String,
    size: u64,
    path: PathBuf,
}

impl LayerWriter {
    fn new(blobs: &Path) -> io::Result<LayerWriter> {
        let tmp = blobs.join(".tmp-layer");
        let file = std::fs::File::create(&tmp)?;
        let gz = flate2::write::GzEncoder::new(hashing(file), flate2::Compression::new(6));
        Ok(LayerWriter {
            tar: tar::Builder::new(hashing(gz)),
            tmp,
            blobs: blobs.to_path_buf(),
        })
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        self.tar.append_data(&mut h, path, data)
    }

    fn finish(self) -> io::Result<Written> {
        let uncompressed = self.tar.into_inner()?;
        let diff_id = format!("sha256:{}", hex::encode(uncompressed.hash.finalize()));
        let blob = uncompressed.inner.finish()?;
        let digest = hex::encode(blob.hash.finalize());
        let path = self.blobs.join(&digest);
        std::fs::rename(&self.tmp, &path)?;
        Ok(Written {
            digest: format!("sha256:{digest}"),
            diff_id,
            size: blob.len,
            path,
        })
    }
}

/// xorshift64*: fast incompressible filler.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
    /// Text that compresses like source code or docs (about 3-4:1).
    fn text(&mut self, n: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "import", "def", "return", "function", "const", "self", "value", "module", "export",
            "require", "if", "else", "for", "while", "class", "None", "true", "false", "data",
            "config", "handler", "request", "response", "error", "buffer", "index", "length",
        ];
        let mut v = Vec::with_capacity(n + 16);
        while v.len() < n {
            let r = self.next();
            v.extend_from_slice(WORDS[(r % WORDS.len() as u64) as usize].as_bytes());
            v.push(if r.is_multiple_of(11) { b'\n' } else { b' ' });
            if r.is_multiple_of(7) {
                v.extend_from_slice(format!("{}", r % 100_000).as_bytes());
            }
        }
        v.truncate(n);
        v
    }
}

fn dpkg_status(count: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..count {
        s.push_str(&format!(
            "Package: lib{i}-pkg\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
             Installed-Size: {}\nMaintainer: Debian Maintainers <maint@example.org>\nArchitecture: amd64\n\
             Source: src{i}\nVersion: 1.{}.{}-{}\nDepends: libc6 (>= 2.34)\nDescription: library number {i}\n \
             A longer description of library {i}.\n\n",
            100 + i,
            i % 10,
            i % 7,
            1 + i % 3
        ));
    }
    s.into_bytes()
}

struct Image {
    dir: PathBuf,
    layers: Vec<(Written, String)>,
}

impl Image {
    fn new(dir: &Path) -> io::Result<Image> {
        std::fs::create_dir_all(dir.join("blobs/sha256"))?;
        Ok(Image {
            dir: dir.to_path_buf(),
            layers: Vec::new(),
        })
    }
    fn layer(&self) -> io::Result<LayerWriter> {
        LayerWriter::new(&self.dir.join("blobs/sha256"))
    }
    fn push(&mut self, w: LayerWriter, created_by: &str) -> io::Result<()> {
        let written = w.finish()?;
        eprintln!(
            "layer {}: {} bytes stored ({created_by})",
            self.layers.len(),
            written.size
        );
        self.layers.push((written, created_by.to_string()));
        Ok(())
    }
    fn blob(&self, data: &[u8]) -> io::Result<String> {
        let hex = hex::encode(Sha256::digest(data));
        std::fs::write(self.dir.join("blobs/sha256").join(&hex), data)?;
        Ok(format!("sha256:{hex}"))
    }
    fn finish(self) -> Result<(), Box<dyn std::error::Error>> {
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": self.layers.iter().map(|l| l.0.diff_id.clone()).collect::<Vec<_>>()},
            "history": self.layers.iter().map(|l| serde_json::json!({"created_by": l.1})).collect::<Vec<_>>(),
        });
        let config = serde_json::to_vec(&config)?;
        let config_digest = self.blob(&config)?;
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": self.layers.iter().map(|l| serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": l.0.digest, "size": l.0.size,
            })).collect::<Vec<_>>(),
        });
        let manifest = serde_json::to_vec(&manifest)?;
        let manifest_digest = self.blob(&manifest)?;
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest, "size": manifest.len(),
                "platform": {"architecture": "amd64", "os": "linux"},
            }],
        });
        std::fs::write(self.dir.join("index.json"), serde_json::to_vec(&index)?)?;
        std::fs::write(
            self.dir.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        let list: String = self
            .layers
            .iter()
            .map(|l| format!("{}\n", l.0.path.display()))
            .collect();
        std::fs::write(self.dir.join("layers.txt"), list)?;
        Ok(())
    }
}

const MIB: usize = 1 << 20;

fn gen_image(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut img = Image::new(dir)?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Base OS: os-release, dpkg status, binaries and docs.
    let mut l = img.layer()?;
    l.file("etc/os-release", 0o644, b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n")?;
    l.file("etc/debian_version", 0o644, b"12.5\n")?;
    l.file("var/lib/dpkg/status", 0o644, &dpkg_status(400))?;
    for i in 0..150 {
        l.file(&format!("usr/bin/tool{i}"), 0o755, &rng.bytes(200 * 1024))?;
    }
    for i in 0..2000 {
        l.file(
            &format!("usr/share/doc/pkg{i}/copyright"),
            0o644,
            &rng.text(20 * 1024),
        )?;
    }
    img.push(l, "ADD rootfs.tar.xz / # buildkit")?;

    // apt-get install: dpkg status rewritten, shared libraries added.
    let mut l = img.layer()?;
    l.file("var/lib/dpkg/status", 0o644, &dpkg_status(520))?;
    for i in 0..120 {
        l.file(
            &format!("usr/lib/x86_64-linux-gnu/libextra{i}.so.1"),
            0o644,
            &rng.bytes(MIB),
        )?;
    }
    img.push(l, "RUN apt-get install -y build-essential")?;

    // pip install: dist-info metadata and sources.
    let mut l = img.layer()?;
    for i in 0..200 {
        let base = format!(
            "usr/local/lib/python3.11/site-packages/pypkg{i}-2.{}.0.dist-info",
            i % 9
        );
        let meta = format!(
            "Metadata-Version: 2.1\nName: pypkg{i}\nVersion: 2.{}.0\nSummary: package {i}\nLicense: MIT\n",
            i % 9
        );
        l.file(&format!("{base}/METADATA"), 0o644, meta.as_bytes())?;
        l.file(&format!("{base}/RECORD"), 0o644, &rng.text(4 * 1024))?;
        for j in 0..20 {
            l.file(
                &format!("usr/local/lib/python3.11/site-packages/pypkg{i}/mod{j}.py"),
                0o644,
                &rng.text(30 * 1024),
            )?;
        }
    }
    img.push(l, "RUN pip install -r requirements.txt")?;

    // npm install: many small package.json files and sources.
    let mut l = img.layer()?;
    for i in 0..3000 {
        let pj = format!(
            "{{\"name\":\"npmpkg{i}\",\"version\":\"3.{}.{}\",\"license\":\"ISC\",\"description\":\"module {i}\",\"main\":\"index.js\"}}",
            i % 13,
            i % 5
        );
        l.file(
            &format!("app/node_modules/npmpkg{i}/package.json"),
            0o644,
            pj.as_bytes(),
        )?;
        l.file(
            &format!("app/node_modules/npmpkg{i}/index.js"),
            0o644,
            &rng.text(50 * 1024),
        )?;
    }
    img.push(l, "RUN npm ci")?;

    // Application: large binary assets.
    let mut l = img.layer()?;
    for i in 0..4 {
        l.file(
            &format!("srv/models/model{i}.bin"),
            0o644,
            &rng.bytes(100 * MIB),
        )?;
    }
    l.file("srv/app", 0o755, &rng.bytes(30 * MIB))?;
    l.file("srv/assets.json", 0o644, &rng.text(50 * MIB))?;
    img.push(l, "COPY . /srv")?;

    img.finish()
}

fn gen_tiny(dir: &Path, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut img = Image::new(dir)?;
    let mut l = img.layer()?;
    for i in 0..count {
        l.file(
            &format!("data/d{}/f{i}.txt", i / 1000),
            0o644,
            format!("{i}\n").as_bytes(),
        )?;
    }
    img.push(l, "COPY data /data")?;
    img.finish()
}
