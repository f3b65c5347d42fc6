//! The scan pipeline: images end to end, layer failures, the per-layer cache.

use kura_analyzer::{AnalyzeError, Analyzer, FileFindings, FileInput};
use kura_scan::cache::LayerCache;
use kura_scan::{
    CacheConfig, DirKind, LayerError, LayerSource, ProgressEvent, ScanError, ScanOptions, scan_dir,
    scan_layers,
};
use kura_testutil::image::{Compression, ImageBuilder};
use kura_types::{Ecosystem, LayerInfo, Location, Package, Target};
use kura_walker::{LayerAnalysis, Limits};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Reads `pkgs.txt` files: one `name version` per line.
struct Pkgs(u32);

impl Analyzer for Pkgs {
    fn id(&self) -> &'static str {
        "test-pkgs"
    }
    fn version(&self) -> u32 {
        self.0
    }
    fn extracts(&self) -> &'static str {
        "test packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/pkgs.txt"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        path.ends_with("pkgs.txt")
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = std::str::from_utf8(input.data)
            .map_err(|e| AnalyzeError::malformed("pkgs", input.path, e))?;
        let packages = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, v)| Package {
                name: n.into(),
                version: v.into(),
                ecosystem: Ecosystem::Npm,
                purl: format!("pkg:npm/{n}@{v}"),
                licenses: vec![],
                source_name: None,
                source_version: None,
                arch: None,
                dev: false,
                location: Location {
                    path: format!("/{}", input.path),
                    ..Default::default()
                },
            })
            .collect();
        Ok(FileFindings {
            packages,
            ..Default::default()
        })
    }
}

static V1: Pkgs = Pkgs(1);
static V2: Pkgs = Pkgs(2);
static ANALYZERS: &[&dyn Analyzer] = &[&V1];
static ANALYZERS_V2: &[&dyn Analyzer] = &[&V2];

fn opts(cache: Option<&std::path::Path>) -> ScanOptions {
    ScanOptions {
        cache: cache.map(CacheConfig::at),
        analyzers: ANALYZERS,
        ..ScanOptions::default()
    }
}

/// Layers held in memory; counts how often each is opened.
struct Mem {
    layers: Vec<Vec<u8>>,
    opened: AtomicUsize,
    fail: Option<usize>,
}

impl Mem {
    fn new(layers: Vec<Vec<u8>>) -> Mem {
        Mem {
            layers,
            opened: AtomicUsize::new(0),
            fail: None,
        }
    }
    fn infos(&self) -> Vec<LayerInfo> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| LayerInfo {
                index: i,
                diff_id: kura_testutil::sha256_digest(l),
                size: l.len() as u64,
                ..Default::default()
            })
            .collect()
    }
    fn scan(&self, o: &ScanOptions) -> Result<kura_types::Inventory, ScanError> {
        scan_layers(self, Target::default(), self.infos(), o)
    }
}

struct FailAtEnd<'a>(&'a [u8]);

impl Read for FailAtEnd<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "diff_id mismatch",
            ));
        }
        self.0.read(buf)
    }
}

impl LayerSource for Mem {
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, LayerError> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        let data = &self.layers[index][..];
        if self.fail == Some(index) {
            return Ok(Box::new(FailAtEnd(data)));
        }
        Ok(Box::new(data))
    }
}

fn tar(entries: &[(&str, &str)]) -> Vec<u8> {
    let e: Vec<(&str, &[u8], u32)> = entries
        .iter()
        .map(|(p, d)| (*p, d.as_bytes(), 0o644))
        .collect();
    kura_testutil::tar_bytes(&e)
}

fn names(inv: &kura_types::Inventory) -> Vec<String> {
    inv.packages
        .iter()
        .map(|p| {
            let layer = p
                .location
                .layer_index
                .map_or("-".to_string(), |i| i.to_string());
            format!("{}@{} L{layer}", p.name, p.version)
        })
        .collect()
}

#[test]
fn an_oci_layout_image_is_scanned_with_layer_attribution() {
    let built = ImageBuilder::new()
        .layer(
            tar(&[("var/pkgs.txt", "base 1\n")]),
            Compression::Gzip,
            "ADD rootfs.tar /",
        )
        .layer(
            tar(&[
                ("var/pkgs.txt", "base 1\ncurl 7\n"),
                ("app/pkgs.txt", "left 2\n"),
            ]),
            Compression::Zstd,
            "RUN apt-get install curl",
        )
        .build();
    let dir = tempfile::tempdir().unwrap();
    built.write_oci_layout(dir.path());
    let inv = kura_scan::inventory(dir.path().to_str().unwrap(), &opts(None)).unwrap();
    assert_eq!(names(&inv), ["base@1 L0", "curl@7 L1", "left@2 L1"]);
    assert_eq!(inv.layers.len(), 2);
    assert_eq!(
        inv.layers[1].created_by.as_deref(),
        Some("RUN apt-get install curl")
    );
    assert_eq!(inv.target.kind, "oci-layout");
    let curl = &inv.packages[1];
    assert_eq!(
        curl.location.layer_diff_id.as_ref(),
        Some(&inv.layers[1].diff_id)
    );
}

#[test]
fn a_plain_directory_is_scanned_as_a_root_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/pkgs.txt"), "x 1\n").unwrap();
    let inv = kura_scan::inventory(dir.path().to_str().unwrap(), &opts(None)).unwrap();
    assert_eq!(inv.target.kind, "rootfs");
    assert_eq!(names(&inv), ["x@1 L-"]);
    let fs = scan_dir(dir.path(), DirKind::Fs, &opts(None)).unwrap();
    assert_eq!(fs.target.kind, "fs");
}

#[test]
fn a_warm_cache_never_opens_a_layer() {
    let cache = tempfile::tempdir().unwrap();
    let src = Mem::new(vec![
        tar(&[("a/pkgs.txt", "a 1\n")]),
        tar(&[("b/pkgs.txt", "b 2\n")]),
    ]);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut o = opts(Some(cache.path()));
    o.progress = Some(Arc::new(move |e| sink.lock().unwrap().push(e)));
    let cold = src.scan(&o).unwrap();
    assert_eq!(src.opened.load(Ordering::SeqCst), 2);
    events.lock().unwrap().clear();
    let warm = src.scan(&o).unwrap();
    assert_eq!(
        src.opened.load(Ordering::SeqCst),
        2,
        "warm scan opened a layer"
    );
    assert_eq!(cold, warm);
    let ev = events.lock().unwrap();
    assert!(
        ev.iter()
            .all(|e| !matches!(e, ProgressEvent::LayerStart { .. }))
    );
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, ProgressEvent::LayerDone { cached: true, .. }))
            .count(),
        2
    );
}

#[test]
fn the_cache_key_follows_analyzer_versions_and_limits() {
    let l = Limits::default();
    let k1 = LayerCache::key("sha256:aa", ANALYZERS, &l);
    assert_eq!(k1, LayerCache::key("sha256:aa", ANALYZERS, &l));
    assert_ne!(k1, LayerCache::key("sha256:ab", ANALYZERS, &l));
    assert_ne!(k1, LayerCache::key("sha256:aa", ANALYZERS_V2, &l));
    let smaller = Limits {
        max_file_bytes: 1,
        ..Limits::default()
    };
    assert_ne!(k1, LayerCache::key("sha256:aa", ANALYZERS, &smaller));

    // A bumped analyzer version re-reads the layer.
    let cache = tempfile::tempdir().unwrap();
    let src = Mem::new(vec![tar(&[("a/pkgs.txt", "a 1\n")])]);
    src.scan(&opts(Some(cache.path()))).unwrap();
    let mut o = opts(Some(cache.path()));
    o.analyzers = ANALYZERS_V2;
    src.scan(&o).unwrap();
    assert_eq!(src.opened.load(Ordering::SeqCst), 2);
    // --no-cache reads it again too.
    src.scan(&opts(None)).unwrap();
    assert_eq!(src.opened.load(Ordering::SeqCst), 3);
}

#[test]
fn a_damaged_cache_entry_is_a_miss_and_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::open(&CacheConfig::at(dir.path())).unwrap();
    let key = LayerCache::key("sha256:aa", ANALYZERS, &Limits::default());
    let path = dir.path().join(format!("{key}.json"));
    for junk in [
        &b"{\"version\":1,\"key\""[..],
        b"",
        b"not json",
        b"{\"version\":1,\"key\":\"other\",\"diff_id\":\"x\",\"analysis\":{}}",
    ] {
        std::fs::write(&path, junk).unwrap();
        assert!(cache.get(&key).is_none());
        assert!(!path.exists(), "damaged entry {junk:?} kept");
    }
    cache
        .put(&key, "sha256:aa", &LayerAnalysis::default())
        .unwrap();
    assert_eq!(cache.get(&key), Some(LayerAnalysis::default()));
}

#[test]
fn concurrent_writers_and_readers_never_see_a_partial_entry() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = CacheConfig::at(dir.path());
    let mut big = LayerAnalysis::default();
    for i in 0..2000 {
        big.whiteouts.insert(format!("some/long/path/number/{i}"));
    }
    let key = LayerCache::key("sha256:cc", ANALYZERS, &Limits::default());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let c = LayerCache::open(&cfg).unwrap();
                for _ in 0..20 {
                    c.put(&key, "sha256:cc", &big).unwrap();
                }
            });
            s.spawn(|| {
                let c = LayerCache::open(&cfg).unwrap();
                for _ in 0..50 {
                    if let Some(got) = c.get(&key) {
                        assert_eq!(got, big);
                    }
                }
            });
        }
    });
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");
}

#[test]
fn eviction_removes_least_recently_used_entries_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = CacheConfig::at(dir.path());
    let c = LayerCache::open(&cfg).unwrap();
    let keys: Vec<String> = (0..5)
        .map(|i| LayerCache::key(&format!("sha256:{i}"), ANALYZERS, &Limits::default()))
        .collect();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for (i, k) in keys.iter().enumerate() {
        c.put(k, "d", &LayerAnalysis::default()).unwrap();
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(format!("{k}.json")))
            .unwrap();
        f.set_modified(old + std::time::Duration::from_secs(i as u64 * 60))
            .unwrap();
    }
    // Using the oldest entry makes it the most recent.
    assert!(c.get(&keys[0]).is_some());
    let one = std::fs::metadata(dir.path().join(format!("{}.json", keys[0])))
        .unwrap()
        .len();
    cfg.max_bytes = one * 2;
    let c = LayerCache::open(&cfg).unwrap();
    let ev = c.evict().unwrap();
    assert_eq!(ev.removed, 3);
    let left: Vec<bool> = keys
        .iter()
        .map(|k| dir.path().join(format!("{k}.json")).exists())
        .collect();
    assert_eq!(left, [true, false, false, false, true]);
    // A second evictor finding nothing to do (or racing on removed files) is fine.
    assert_eq!(c.evict().unwrap().removed, 0);
}

#[test]
fn a_malformed_layer_is_skipped_with_a_warning_naming_it() {
    let good = tar(&[("a/pkgs.txt", "a 1\n")]);
    let mut bad = tar(&[("b/pkgs.txt", "b 1\n")]);
    bad.truncate(600);
    let src = Mem::new(vec![good, bad]);
    let inv = src.scan(&opts(None)).unwrap();
    assert_eq!(names(&inv), ["a@1 L0"]);
    assert_eq!(inv.warnings.len(), 1);
    let w = &inv.warnings[0];
    assert_eq!(w.layer.as_ref(), Some(&inv.layers[1].diff_id));
    assert!(w.message.contains("layer 1 skipped"), "{}", w.message);
    assert!(w.message.contains("truncated"), "{}", w.message);
}

#[test]
fn a_failing_layer_source_stops_the_scan_naming_the_layer() {
    let mut src = Mem::new(vec![
        tar(&[("a/pkgs.txt", "a 1\n")]),
        tar(&[("b/pkgs.txt", "b 1\n")]),
    ]);
    src.fail = Some(1);
    let diff_id = src.infos()[1].diff_id.clone();
    match src.scan(&opts(None)) {
        Err(ScanError::Layer {
            index: 1,
            diff_id: d,
            ..
        }) => assert_eq!(d, diff_id),
        other => panic!("expected a layer error, got {other:?}"),
    }
}

#[test]
fn a_bomb_is_capped_per_layer() {
    let zeros = "0".repeat(200_000);
    let src = Mem::new(vec![
        tar(&[("a/pkgs.txt", "a 1\n")]),
        tar(&[("big", zeros.as_str())]),
    ]);
    let mut o = opts(None);
    o.limits.max_layer_bytes = 100_000;
    let inv = src.scan(&o).unwrap();
    assert_eq!(names(&inv), ["a@1 L0"]);
    assert!(
        inv.warnings[0].message.contains("decompression bomb"),
        "{:?}",
        inv.warnings
    );
}

/// The analysis stored under key number `i` in the multi-process test.
fn numbered(i: usize) -> LayerAnalysis {
    let mut a = LayerAnalysis::default();
    for j in 0..(200 + i * 10) {
        a.whiteouts.insert(format!("entry/{i}/{j}"));
    }
    a
}

/// Worker body of `separate_processes_share_and_evict_the_cache_safely`.
fn cache_worker(dir: &str) {
    let cfg = CacheConfig {
        dir: dir.into(),
        max_bytes: 40_000,
    };
    let c = LayerCache::open(&cfg).unwrap();
    let keys: Vec<String> = (0..8)
        .map(|i| LayerCache::key(&format!("sha256:{i}"), ANALYZERS, &Limits::default()))
        .collect();
    for round in 0..25 {
        for (i, k) in keys.iter().enumerate() {
            if (round + i) % 3 == 0 {
                c.put(k, "d", &numbered(i)).unwrap();
            }
            if let Some(got) = c.get(k) {
                assert_eq!(got, numbered(i), "entry {i} read back altered");
            }
        }
        c.evict().unwrap();
    }
}

#[test]
fn separate_processes_share_and_evict_the_cache_safely() {
    const CHILD: &str = "KURA_TEST_CACHE_CHILD";
    if let Ok(dir) = std::env::var(CHILD) {
        cache_worker(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "separate_processes_share_and_evict_the_cache_safely",
                ])
                .env(CHILD, dir.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a cache worker process failed");
    }
    let total: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total <= 40_000, "cache left at {total} bytes, over its cap");
}
