//! Flags shared by the commands that read images, and the terminal progress bar.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use kura_scan::{CacheConfig, ProgressEvent, ScanOptions};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// How to reach an image (`kura scan image`, `kura sbom`).
#[derive(Debug, Clone, clap::Args)]
pub struct ImageArgs {
    /// Platform to pick from a multi-platform image: os/arch[/variant] [default: the host's].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Force the source kind instead of detecting it.
    #[arg(long, value_name = "KIND", value_parser = ["docker-archive", "oci-layout", "oci-archive", "registry"])]
    pub source: Option<String>,
    /// Allow plain HTTP to a registry on loopback, and unverified TLS certificates.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (overrides ~/.docker/config.json).
    #[arg(long, env = "KURA_USERNAME", value_name = "NAME")]
    pub username: Option<String>,
    /// Read the registry password or token from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Registry password (prefer --password-stdin or KURA_PASSWORD).
    #[arg(
        long,
        env = "KURA_PASSWORD",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub password: Option<String>,
}

impl ImageArgs {
    /// The source options these flags describe.
    pub fn open_options(&self) -> anyhow::Result<kura_oci::OpenOptions> {
        let mut o = kura_oci::OpenOptions {
            insecure: self.insecure,
            username: self.username.clone(),
            password: self.password.clone(),
            ..Default::default()
        };
        if let Some(p) = &self.platform {
            o.platform = Some(
                p.parse()
                    .map_err(|e| anyhow::anyhow!("--platform {p}: {e}"))?,
            );
        }
        if let Some(k) = &self.source {
            o.kind = Some(
                k.parse()
                    .map_err(|e| anyhow::anyhow!("--source {k}: {e}"))?,
            );
        }
        if self.password_stdin {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the password from standard input")?;
            o.password = Some(s.trim_end_matches(['\n', '\r']).to_string());
        }
        Ok(o)
    }
}

/// Layer cache and input limits.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheArgs {
    /// Do not read or write the per-layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Cache directory [default: <user cache dir>/kura/layers].
    #[arg(long, env = "KURA_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Cache size cap in MiB; least recently used entries are evicted beyond it.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub cache_max_mib: u64,
    /// Largest uncompressed layer accepted, in MiB (decompression bombs).
    #[arg(long, value_name = "MIB")]
    pub max_layer_mib: Option<u64>,
    /// Largest expansion ratio of a layer (uncompressed / stored).
    #[arg(long, value_name = "N")]
    pub max_ratio: Option<u64>,
    /// Largest file handed to an analyzer, in MiB.
    #[arg(long, value_name = "MIB")]
    pub max_file_mib: Option<u64>,
}

impl CacheArgs {
    /// Scan options for these flags; `progress` draws a bar when given.
    pub fn scan_options(&self, oci: kura_oci::OpenOptions, show_progress: bool) -> ScanOptions {
        let mut o = ScanOptions {
            oci,
            ..ScanOptions::default()
        };
        o.cache = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .map(CacheConfig::at)
                .or_else(CacheConfig::user_default)
                .map(|mut c| {
                    c.max_bytes = self.cache_max_mib.saturating_mul(1 << 20);
                    c
                })
        };
        if let Some(m) = self.max_layer_mib {
            o.limits.max_layer_bytes = m.saturating_mul(1 << 20);
        }
        if let Some(r) = self.max_ratio {
            o.limits.max_ratio = r;
        }
        if let Some(m) = self.max_file_mib {
            o.limits.max_file_bytes = m.saturating_mul(1 << 20);
        }
        if show_progress {
            o.progress = Some(progress_bar());
        }
        o
    }
}

/// Where output goes.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Write the output to FILE instead of standard output (written atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// Colour only on a terminal, never with NO_COLOR, never into a file.
    pub fn color(&self) -> bool {
        self.output.is_none()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// Run `f` with a writer to the chosen destination. A file is written beside its final
    /// name and renamed into place, so a failed run never leaves half a report behind.
    pub fn write(
        &self,
        f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match &self.output {
            None => {
                let stdout = std::io::stdout();
                let mut lock = std::io::BufWriter::new(stdout.lock());
                f(&mut lock)?;
                lock.flush()?;
                Ok(())
            }
            Some(path) => {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let mut tmp = tempfile::NamedTempFile::new_in(dir)
                    .with_context(|| format!("creating a file in {}", dir.display()))?;
                {
                    let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                    f(&mut w)?;
                    w.flush()
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                tmp.persist(path)
                    .with_context(|| format!("writing {}", path.display()))?;
                Ok(())
            }
        }
    }
}

/// True when a progress bar should be drawn: stderr is a terminal, not quiet, not CI.
pub fn want_progress(quiet: bool) -> bool {
    !quiet
        && std::io::stderr().is_terminal()
        && std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false")
}

/// A progress bar on stderr fed by scan events: one step per layer, with the uncompressed
/// bytes read so far as the message (layers run in parallel, so bytes are summed per layer).
fn progress_bar() -> kura_scan::Progress {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} layers {pos}/{len} [{bar:30}] {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let read = std::sync::Mutex::new(std::collections::HashMap::<usize, u64>::new());
    Arc::new(move |ev| match ev {
        ProgressEvent::Started { layers, .. } => bar.set_length(layers as u64),
        ProgressEvent::LayerStart { .. } => bar.tick(),
        ProgressEvent::LayerBytes { index, bytes } => {
            if let Ok(mut r) = read.lock() {
                r.insert(index, bytes);
                let total: u64 = r.values().sum();
                bar.set_message(format!("{} MiB read", total >> 20));
            }
        }
        ProgressEvent::LayerDone { .. } => {
            bar.inc(1);
            if bar.position() >= bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        }
    })
}
