//! `kura sbom REF`: the inventory of an image, a root filesystem or a source tree.

use super::common::{CacheArgs, ImageArgs, OutputArgs, want_progress};
use crate::Global;
use anyhow::Context;
use kura_report::{Format, RenderOptions};
use std::process::ExitCode;

/// Arguments of `kura sbom`.
#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    /// Image (docker-archive, OCI layout or archive, registry reference) or directory (root filesystem).
    pub reference: String,
    /// Output format: cyclonedx, spdx, json or table.
    #[arg(long, short, default_value = "cyclonedx", value_name = "FORMAT")]
    pub format: String,
    #[command(flatten)]
    pub image: ImageArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `kura sbom`.
pub fn run(args: SbomArgs, g: &Global) -> anyhow::Result<ExitCode> {
    let format: Format = args.format.parse()?;
    let opts = args
        .cache
        .scan_options(args.image.open_options()?, want_progress(g.quiet));
    let inventory = kura_scan::inventory(&args.reference, &opts)
        .with_context(|| format!("scanning {}", args.reference))?;
    super::print_warnings(&inventory.warnings, g);
    let mut render = RenderOptions::now_utc();
    render.color = args.output.color();
    args.output.write(|w| {
        kura_report::write_inventory(w, &inventory, format, &render)?;
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
