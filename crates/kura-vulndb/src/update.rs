//! `kura db update`: download the advisory feeds, compile them into a new DB, swap it in.
//!
//! Each feed is fetched with a conditional GET (`If-None-Match` / `If-Modified-Since`, RFC 9110
//! §13.1) and kept in a feed cache beside the DB, so an unchanged feed costs one request and is
//! not re-parsed. Any failure — network, truncated body, unreadable archive, full disk — aborts
//! the update before the rename, leaving the previous DB in place.

use crate::error::VulnDbError;
use crate::import::{ImportReport, Sink};
use crate::store::{DbWriter, SourceMeta, VulnDb};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Public OSV export bucket (`<base>/<ecosystem>/all.zip`).
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Alpine secdb (`<base>/<branch>/<repo>.json`).
pub const ALPINE_BASE: &str = "https://secdb.alpinelinux.org";
/// Debian security tracker JSON.
pub const DEBIAN_URL: &str = "https://security-tracker.debian.org/tracker/data/json";

/// OSV ecosystems fetched by default.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "Packagist",
    "NuGet",
    "Alpine",
    "Debian",
    "Ubuntu",
    "Rocky Linux",
    "AlmaLinux",
    "Wolfi",
    "Chainguard",
];

/// Alpine branches fetched by default (secdb serves one JSON per branch and repository).
pub const DEFAULT_ALPINE_BRANCHES: &[&str] = &[
    "v3.16", "v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge",
];

/// Where `kura db update` reads from.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// OSV export base URL.
    pub osv_base: String,
    /// OSV ecosystems to fetch.
    pub ecosystems: Vec<String>,
    /// Alpine secdb base URL.
    pub alpine_base: String,
    /// Alpine branches (`v3.19`, `edge`); empty to skip secdb.
    pub alpine_branches: Vec<String>,
    /// Debian tracker JSON URL; `None` to skip it.
    pub debian_url: Option<String>,
    /// Directory caching downloaded feeds (default: `<db>.feeds/` beside the DB).
    pub feed_dir: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Make no requests: rebuild from the feed files already in the feed cache.
    pub offline: bool,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            osv_base: OSV_BASE.into(),
            ecosystems: DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect(),
            alpine_base: ALPINE_BASE.into(),
            alpine_branches: DEFAULT_ALPINE_BRANCHES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            debian_url: Some(DEBIAN_URL.into()),
            feed_dir: None,
            timeout: Duration::from_secs(600),
            offline: false,
        }
    }
}

impl UpdateConfig {
    /// Read every feed from one mirror laid out as `<mirror>/osv/<ecosystem>/all.zip`,
    /// `<mirror>/alpine/<branch>/<repo>.json`, `<mirror>/debian/json`.
    pub fn with_mirror(mut self, mirror: &str) -> Result<Self, VulnDbError> {
        let m = mirror.trim_end_matches('/');
        if !(m.starts_with("http://") || m.starts_with("https://")) {
            return Err(VulnDbError::Config(format!(
                "mirror `{mirror}` is not an http(s) URL"
            )));
        }
        self.osv_base = format!("{m}/osv");
        self.alpine_base = format!("{m}/alpine");
        if self.debian_url.is_some() {
            self.debian_url = Some(format!("{m}/debian/json"));
        }
        Ok(self)
    }

    fn feeds(&self) -> Vec<Feed> {
        let mut feeds = Vec::new();
        for eco in &self.ecosystems {
            feeds.push(Feed {
                name: format!("osv/{eco}"),
                url: format!(
                    "{}/{}/all.zip",
                    self.osv_base.trim_end_matches('/'),
                    eco.replace(' ', "%20")
                ),
                kind: FeedKind::Zip,
            });
        }
        for branch in &self.alpine_branches {
            for repo in ["main", "community"] {
                feeds.push(Feed {
                    name: format!("alpine/{branch}/{repo}"),
                    url: format!(
                        "{}/{branch}/{repo}.json",
                        self.alpine_base.trim_end_matches('/')
                    ),
                    kind: FeedKind::Json,
                });
            }
        }
        if let Some(url) = &self.debian_url {
            feeds.push(Feed {
                name: "debian".into(),
                url: url.clone(),
                kind: FeedKind::Json,
            });
        }
        feeds
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FeedKind {
    Zip,
    Json,
}

#[derive(Debug, Clone)]
struct Feed {
    name: String,
    url: String,
    kind: FeedKind,
}

impl Feed {
    fn cache_file(&self, dir: &Path) -> PathBuf {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let ext = match self.kind {
            FeedKind::Zip => "zip",
            FeedKind::Json => "json",
        };
        dir.join(format!("{safe}.{ext}"))
    }
}

/// What one feed did in an update.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedReport {
    /// Source name.
    pub name: String,
    /// URL fetched.
    pub url: String,
    /// True when the feed was (re)read into the DB; false when the server answered 304
    /// Not Modified (or, offline, when no cached copy exists).
    pub changed: bool,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Advisories stored (0 when unchanged).
    pub advisories: u64,
}

/// What an update did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UpdateReport {
    /// Per feed.
    pub feeds: Vec<FeedReport>,
    /// Parsing totals over the changed feeds.
    pub import: ImportReport,
}

fn feed_dir(db: &Path, cfg: &UpdateConfig) -> PathBuf {
    cfg.feed_dir.clone().unwrap_or_else(|| {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".feeds");
        db.with_file_name(name)
    })
}

enum Fetched {
    Unchanged,
    New {
        bytes: u64,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

fn download(
    client: &reqwest::blocking::Client,
    feed: &Feed,
    prev: Option<&SourceMeta>,
    dest: &Path,
) -> Result<Fetched, VulnDbError> {
    let derr = |detail: String| VulnDbError::Download {
        url: feed.url.clone(),
        detail,
    };
    let mut req = client.get(&feed.url);
    if dest.is_file()
        && let Some(p) = prev
    {
        if let Some(e) = &p.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(lm) = &p.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
    }
    let mut resp = req.send().map_err(|e| derr(error_chain(&e)))?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::Unchanged);
    }
    if !status.is_success() {
        return Err(VulnDbError::HttpStatus {
            url: feed.url.clone(),
            status: status.as_u16(),
        });
    }
    let header = |h: reqwest::header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(dir)
        .map_err(|e| VulnDbError::io("creating a temporary file in", dir, e))?;
    let bytes = std::io::copy(&mut resp, tmp.as_file_mut()).map_err(|e| derr(e.to_string()))?;
    tmp.as_file_mut()
        .flush()
        .map_err(|e| VulnDbError::io("writing", tmp.path(), e))?;
    tmp.persist(dest)
        .map_err(|e| VulnDbError::io("renaming a download to", dest, e.error))?;
    Ok(Fetched::New {
        bytes,
        etag,
        last_modified,
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Download every configured feed and rebuild the DB at `db` from them. Sources not configured
/// (earlier imports) are kept. On any error the DB at `db` is left as it was.
pub fn update(db: &Path, cfg: &UpdateConfig) -> Result<UpdateReport, VulnDbError> {
    let dir = feed_dir(db, cfg);
    fs_err::create_dir_all(&dir).map_err(|e| VulnDbError::io("creating", &dir, e))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(cfg.timeout)
        .user_agent(concat!("kura/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| VulnDbError::Config(format!("HTTP client: {e}")))?;
    let mut writer = match DbWriter::from_existing(db) {
        Ok(w) => w,
        Err(e @ (VulnDbError::Io { .. } | VulnDbError::Config(_))) => return Err(e),
        Err(e) => {
            tracing::warn!("rebuilding the DB from scratch: {e}");
            DbWriter::create(db)?
        }
    };
    let mut report = UpdateReport::default();
    for feed in cfg.feeds() {
        let cache = feed.cache_file(&dir);
        let prev = writer.source(&feed.name)?;
        let fetched = if cfg.offline {
            if !cache.is_file() {
                tracing::warn!("{}: no cached copy at {}", feed.name, cache.display());
                report.feeds.push(FeedReport {
                    name: feed.name,
                    url: feed.url,
                    changed: false,
                    bytes: 0,
                    advisories: 0,
                });
                continue;
            }
            Fetched::New {
                bytes: 0,
                etag: prev.as_ref().and_then(|p| p.etag.clone()),
                last_modified: prev.as_ref().and_then(|p| p.last_modified.clone()),
            }
        } else {
            download(&client, &feed, prev.as_ref(), &cache)?
        };
        let (bytes, etag, last_modified) = match fetched {
            Fetched::Unchanged => {
                if let Some(mut p) = prev {
                    p.updated = crate::now_rfc3339();
                    writer.set_source(&p)?;
                }
                report.feeds.push(FeedReport {
                    name: feed.name,
                    url: feed.url,
                    changed: false,
                    bytes: 0,
                    advisories: 0,
                });
                continue;
            }
            Fetched::New {
                bytes,
                etag,
                last_modified,
            } => (bytes, etag, last_modified),
        };
        writer.clear_source(&feed.name)?;
        let mut sink = Sink::new(&mut writer, &feed.name);
        match feed.kind {
            FeedKind::Zip => sink.zip(&cache)?,
            FeedKind::Json => {
                let data =
                    fs_err::read(&cache).map_err(|e| VulnDbError::io("reading", &cache, e))?;
                sink.bytes(&cache.display().to_string(), &data)?;
            }
        }
        let kind = if feed.name.starts_with("osv/") {
            "osv"
        } else if feed.name.starts_with("alpine/") {
            "alpine-secdb"
        } else {
            "debian-tracker"
        };
        let r = sink.finish(kind, &feed.url, etag, last_modified)?;
        report.feeds.push(FeedReport {
            name: feed.name,
            url: feed.url,
            changed: true,
            bytes,
            advisories: r.advisories,
        });
        report.import.files += r.files;
        report.import.advisories += r.advisories;
        report.import.informational += r.informational;
        report.import.skipped.extend(r.skipped);
    }
    writer.commit()?;
    Ok(report)
}

/// The state of the DB before a scan.
#[derive(Debug)]
pub enum Freshness {
    /// Younger than the limit; nothing done.
    Fresh,
    /// It was refreshed now.
    Updated(UpdateReport),
    /// Older than the limit and not refreshed (offline, or the refresh failed); the scan uses it.
    Stale {
        /// Human-readable warning stating the age (and the refresh error, if any).
        warning: String,
    },
}

fn describe_age(age: time::Duration) -> String {
    let h = age.whole_hours();
    if h >= 48 {
        format!("{} days", h / 24)
    } else {
        format!("{h} hours")
    }
}

/// Before a scan: refresh the DB when it is missing or older than `max_age`, unless `offline`.
/// Offline, or when a refresh fails but an older DB exists, returns [`Freshness::Stale`] with a
/// warning naming the DB's age; a missing DB that cannot be built is an error.
pub fn ensure_fresh(
    db: &Path,
    cfg: &UpdateConfig,
    offline: bool,
    max_age: Duration,
) -> Result<Freshness, VulnDbError> {
    let now = time::OffsetDateTime::now_utc();
    let existing = match VulnDb::open(db) {
        Ok(d) => Some(d),
        Err(VulnDbError::Missing { .. }) if !offline => None,
        Err(e) if offline => return Err(e),
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    };
    let age = existing.as_ref().and_then(|d| d.age(now));
    let max = time::Duration::try_from(max_age).unwrap_or(time::Duration::DAY);
    if let Some(a) = age
        && a <= max
    {
        return Ok(Freshness::Fresh);
    }
    let built = existing
        .as_ref()
        .map(|d| d.meta().built_at.clone())
        .unwrap_or_default();
    drop(existing);
    if offline {
        let age = age
            .map(describe_age)
            .unwrap_or_else(|| "of unknown age".into());
        return Ok(Freshness::Stale {
            warning: format!(
                "vulnerability DB {} is {age} old (built {built}); --offline prevents a refresh, findings may miss recent advisories",
                db.display()
            ),
        });
    }
    match update(db, cfg) {
        Ok(r) => Ok(Freshness::Updated(r)),
        Err(e) => match age {
            Some(a) => Ok(Freshness::Stale {
                warning: format!(
                    "vulnerability DB {} is {} old (built {built}) and refreshing it failed: {e}",
                    db.display(),
                    describe_age(a)
                ),
            }),
            None => Err(e),
        },
    }
}
