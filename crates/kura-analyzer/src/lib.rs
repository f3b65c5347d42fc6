//! Analyzers: each one turns files of an image (or a directory) into packages and OS facts.
//!
//! An analyzer declares which paths it wants through [`Analyzer::wants`]; the layer walker hands it
//! only those files, already read into memory (size-capped by [`Analyzer::max_size`]). Analyzers
//! never touch the filesystem or the network, so the same code serves image scans, root filesystem
//! scans, the registry's scan-on-push and the admission webhook.
//!
//! Adding a format is one file in `os/` or `lang/` plus one line in [`ANALYZERS`].

use kura_types::{OsInfo, Package};

pub mod lang;
pub mod os;

/// Default cap on the size of a file handed to an analyzer.
pub const DEFAULT_MAX_SIZE: u64 = 64 * 1024 * 1024;

/// A file handed to an analyzer.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// Path inside the image, relative to its root, without a leading `/` (`var/lib/dpkg/status`).
    pub path: &'a str,
    /// Unix mode bits (permissions and type bits as in the tar header).
    pub mode: u32,
    /// File content (at most [`Analyzer::max_size`] bytes).
    pub data: &'a [u8],
}

/// What an analyzer found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFindings {
    /// Packages found. `location.path` is filled by the analyzer (with a leading `/`);
    /// the layer fields are filled later by the walker.
    pub packages: Vec<Package>,
    /// OS facts found (os-release and friends).
    pub os: Option<OsInfo>,
    /// Non-fatal problems (e.g. one malformed stanza in a dpkg status file).
    pub warnings: Vec<String>,
    /// Licenses stated for a package in a file other than its package database (Debian's
    /// `/usr/share/doc/<pkg>/copyright`); the walker joins them to packages that declare none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_facts: Vec<LicenseFact>,
}

/// Licenses that one file states for one package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LicenseFact {
    /// Ecosystem of the package.
    pub ecosystem: kura_types::Ecosystem,
    /// Package name.
    pub package: String,
    /// License names as the file writes them (SPDX-like short names in DEP-5).
    pub licenses: Vec<String>,
}

/// An error that stops an analyzer on one file; the walker records it as a warning naming the
/// file and layer and goes on with the rest of the image.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The file is not in the format the analyzer expects.
    #[error("malformed {format} in {path}: {reason}")]
    Malformed {
        /// Format name (`dpkg status`, `package-lock.json`).
        format: &'static str,
        /// File path.
        path: String,
        /// What is wrong, with an offset or line where known.
        reason: String,
    },
}

impl AnalyzeError {
    /// Shorthand for [`AnalyzeError::Malformed`].
    pub fn malformed(format: &'static str, path: &str, reason: impl std::fmt::Display) -> Self {
        AnalyzeError::Malformed {
            format,
            path: path.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// One analyzer.
pub trait Analyzer: Sync + Send {
    /// Stable identifier (`dpkg`, `python-dist-info`); enters the cache key and the coverage table.
    fn id(&self) -> &'static str;
    /// Version of the analyzer's logic; bump it whenever its output for the same input changes.
    fn version(&self) -> u32;
    /// Ecosystem or kind of data it extracts, for `kura analyzers` (`deb packages`, `OS release`).
    fn extracts(&self) -> &'static str;
    /// The paths it claims, in human-readable glob form, for `kura analyzers` and docs/coverage.md.
    fn patterns(&self) -> &'static [&'static str];
    /// Cheap filter: does the analyzer want this file? `path` is relative, without a leading `/`.
    /// `mode` is the Unix mode (use it to pick executables), `size` the file size in bytes.
    fn wants(&self, path: &str, mode: u32, size: u64) -> bool;
    /// Largest file the analyzer accepts; bigger files are skipped with a warning.
    fn max_size(&self) -> u64 {
        DEFAULT_MAX_SIZE
    }
    /// Analyze one file.
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError>;
}

/// Every analyzer, in the order they are consulted. One line per analyzer.
pub static ANALYZERS: &[&dyn Analyzer] = &[
    // OS release files.
    &os::OsRelease,
    &os::AlpineRelease,
    &os::DebianVersion,
    &os::RedhatRelease,
    // OS package databases.
    &os::Dpkg,
    &os::DpkgCopyright,
    &os::Apk,
    &os::Rpm,
    // Language ecosystems.
    &lang::python_dist::PythonDist,
    &lang::requirements::Requirements,
    &lang::poetry_lock::PoetryLock,
    &lang::pipfile_lock::PipfileLock,
    &lang::uv_lock::UvLock,
    &lang::node_package_json::NodePackageJson,
    &lang::npm_lock::NpmLock,
    &lang::yarn_lock::YarnLock,
    &lang::pnpm_lock::PnpmLock,
    &lang::cargo_lock::CargoLock,
    &lang::rust_binary::RustBinary,
    &lang::go_binary::GoBinary,
    &lang::go_mod::GoMod,
    &lang::jar::JavaArchive,
    &lang::gradle_lock::GradleLock,
    &lang::pom::MavenPom,
    &lang::gemspec::Gemspec,
    &lang::gemfile_lock::GemfileLock,
    &lang::composer::ComposerLock,
    &lang::composer::ComposerInstalled,
    &lang::dotnet_deps::DotnetDeps,
    &lang::nuget_lock::NugetLock,
];

/// Look up an analyzer by id.
pub fn by_id(id: &str) -> Option<&'static dyn Analyzer> {
    ANALYZERS.iter().copied().find(|a| a.id() == id)
}

/// A fingerprint of every analyzer id and version, for cache keys.
pub fn fingerprint() -> String {
    ANALYZERS
        .iter()
        .map(|a| format!("{}@{}", a.id(), a.version()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzer_ids_are_unique() {
        let mut ids: Vec<_> = ANALYZERS.iter().map(|a| a.id()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate analyzer id");
    }
}
