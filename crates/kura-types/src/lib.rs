//! Data shared by every kura stage.
//!
//! The scanner, the registry and the admission webhook depend on these types, not on each other.
//! Data flows one way: a *source* yields layers, the *walker* hands files to *analyzers*, which
//! produce an [`Inventory`]; the matcher turns it into [`Finding`]s; policy filters them; reporters
//! render them. Every type here is plain data with serde support so it can be cached and exported.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A package ecosystem (the package manager or language registry a package belongs to).
///
/// Serialized names follow the OSV schema's ecosystem names where one exists, so a package's
/// ecosystem can be matched directly against OSV `affected[].package.ecosystem` prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Alpine/Wolfi/Chainguard apk packages.
    #[serde(rename = "apk")]
    Apk,
    /// Debian/Ubuntu dpkg packages.
    #[serde(rename = "deb")]
    Deb,
    /// RPM packages (RHEL, CentOS, Fedora, Rocky, Alma, SUSE, Amazon Linux…).
    #[serde(rename = "rpm")]
    Rpm,
    /// Python packages (PyPI).
    #[serde(rename = "PyPI")]
    PyPI,
    /// JavaScript packages (npm registry).
    #[serde(rename = "npm")]
    Npm,
    /// Rust crates (crates.io).
    #[serde(rename = "crates.io")]
    Cargo,
    /// Go modules.
    #[serde(rename = "Go")]
    Go,
    /// Java packages (Maven coordinates).
    #[serde(rename = "Maven")]
    Maven,
    /// Ruby gems.
    #[serde(rename = "RubyGems")]
    RubyGems,
    /// PHP packages (Composer/Packagist).
    #[serde(rename = "Packagist")]
    Packagist,
    /// .NET packages (NuGet).
    #[serde(rename = "NuGet")]
    NuGet,
}

impl Ecosystem {
    /// Every ecosystem, in display order.
    pub const ALL: &'static [Ecosystem] = &[
        Ecosystem::Apk,
        Ecosystem::Deb,
        Ecosystem::Rpm,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::NuGet,
    ];

    /// The serialized name (OSV ecosystem name for language ecosystems).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Apk => "apk",
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::NuGet => "NuGet",
        }
    }

    /// The package-url type (purl spec `PURL-TYPES.rst`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Apk => "apk",
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::NuGet => "nuget",
        }
    }

    /// True for operating-system package managers.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Apk | Ecosystem::Deb | Ecosystem::Rpm)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operating system found in an image or root filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// Distro ID as in os-release `ID` (`alpine`, `debian`, `ubuntu`, `rhel`, `rocky`…).
    pub id: String,
    /// Full version (`3.19.1`, `12.5`, `22.04`, `9.3`).
    pub version: String,
    /// Version used to select advisories: Alpine `3.19`, Debian `12`, Ubuntu `22.04`, RHEL `9`.
    pub release: String,
    /// Codename (`bookworm`, `jammy`) where the distro has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// Human name (`PRETTY_NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `ID_LIKE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// End-of-life date (`YYYY-MM-DD`) when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eol: Option<String>,
    /// True when `eol` is before the scan date.
    #[serde(default)]
    pub eol_reached: bool,
    /// Path of the file this came from.
    pub source_path: String,
}

/// Where a package was found: the file and the layer that introduced it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Absolute path inside the image (`/var/lib/dpkg/status`).
    pub path: String,
    /// Index into [`Inventory::layers`] of the layer that introduced the package, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<usize>,
    /// `diff_id` of that layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<String>,
}

/// One installed or declared package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Name as the ecosystem spells it (Maven: `group:artifact`; Go: module path).
    pub name: String,
    /// Version as the ecosystem spells it (dpkg/rpm: `[epoch:]version-release`).
    pub version: String,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package URL (purl spec), with distro qualifiers for OS packages.
    pub purl: String,
    /// Declared licenses, as written by the package (SPDX expressions where the package uses them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Source package name (dpkg `Source:`, rpm `SOURCERPM` name, apk origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version when it differs from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// CPU architecture for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// True when declared only as a development dependency in a lockfile.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dev: bool,
    /// Where it was found.
    pub location: Location,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Package {
    /// Stable identity used for deduplication and as a bom-ref: purl plus the path it came from.
    pub fn key(&self) -> String {
        format!("{}?path={}", self.purl, self.location.path)
    }
}

/// One layer of an image, as the scan saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Position in the image, 0 = bottom.
    pub index: usize,
    /// Digest of the uncompressed tar (`sha256:…`), from the image config `rootfs.diff_ids`.
    pub diff_id: String,
    /// Digest of the blob as stored (compressed), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Size of the stored blob in bytes.
    #[serde(default)]
    pub size: u64,
    /// The history `created_by` command of this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// True when the layer belongs to the base image.
    #[serde(default)]
    pub base: bool,
}

/// What a scan looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// What the user passed (`alpine:3.19`, `./image.tar`, `/`).
    pub name: String,
    /// Kind of source (`docker-archive`, `oci-layout`, `oci-archive`, `registry`, `rootfs`, `fs`).
    pub kind: String,
    /// Manifest digest when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Config digest (the image ID) when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// `os/arch[/variant]` of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Repo tags / references known for the image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Base image name from `org.opencontainers.image.base.name` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
}

/// A problem that did not stop the scan: a corrupt file, an unreadable layer entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanWarning {
    /// Path of the file, when the problem concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// diff_id of the layer, when the problem concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Analyzer id, when an analyzer raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyzer: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Everything found in one target: the input of matching and of SBOM generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// What was scanned.
    pub target: Target,
    /// The operating system, when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Layers, bottom first (empty for a root filesystem or source tree).
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    /// Packages, sorted by (ecosystem, name, version, path).
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Problems that did not stop the scan.
    #[serde(default)]
    pub warnings: Vec<ScanWarning>,
}

/// Severity on the common five-level scale (plus unknown).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No severity could be determined.
    #[default]
    Unknown,
    /// CVSS 0.1–3.9 or the distro's "low"/"unimportant".
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// Upper-case name (`HIGH`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parse a name case-insensitively (`high`, `Moderate` → Medium, `important` → High).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "none" | "unassigned" | "not yet assigned" => Some(Severity::Unknown),
            "low" | "negligible" | "unimportant" => Some(Severity::Low),
            "medium" | "moderate" => Some(Severity::Medium),
            "high" | "important" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Qualitative rating of a CVSS base score (CVSS v3.1 spec §5, v4.0 spec §6).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One severity rating and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Who rated it (`nvd`, `ghsa`, `debian`, `alpine`, `osv`…).
    pub source: String,
    /// Method: `CVSSv2`, `CVSSv3`, `CVSSv31`, `CVSSv4`, or `other` for a distro's own scale.
    pub method: String,
    /// Base score computed from the vector (never taken from a stored number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Severity.
    pub severity: Severity,
    /// The CVSS vector string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// Whether a fix exists for a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version is known.
    Fixed,
    /// The vendor has not fixed it (Debian "open", no `fixed` event).
    Unfixed,
    /// The vendor decided not to fix it (Debian no-dsa/ignored, "will not fix").
    WontFix,
}

/// One vulnerability affecting one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary ID (a CVE when one is among the aliases, else the advisory's own ID).
    pub id: String,
    /// Every other ID for the same vulnerability (GHSA, PYSEC, RUSTSEC, GO, DSA…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// [`Package::key`] of the affected package.
    pub package_key: String,
    /// Package name.
    pub package_name: String,
    /// Installed version.
    pub installed_version: String,
    /// Ecosystem of the package.
    pub ecosystem: Ecosystem,
    /// Package URL.
    pub purl: String,
    /// Lowest version that fixes this vulnerability, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// Fix state.
    pub fix_state: FixState,
    /// Overall severity (the distro's own when it has one, else the highest computed CVSS).
    pub severity: Severity,
    /// Where `severity` came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    /// Every rating known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Reference URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Advisory sources that reported it (`osv:PyPI`, `alpine-secdb`, `debian-tracker`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Publication date (RFC 3339) when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Where the package was found (path and layer).
    pub location: Location,
    /// True when the package's layer belongs to the base image.
    #[serde(default)]
    pub in_base_layer: bool,
    /// `created_by` of the layer that introduced the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_created_by: Option<String>,
    /// Set by policy when the finding is suppressed (ignore file, VEX); suppressed findings do not gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

/// Why a finding does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `ignore-file` or `vex`.
    pub kind: String,
    /// The reason or VEX justification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The file that suppressed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// VEX status (`not_affected`, `fixed`) when from VEX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// One upgrade that clears findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixAdvice {
    /// Package name.
    pub package_name: String,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Installed version.
    pub installed_version: String,
    /// Lowest version that fixes every fixable finding of this package.
    pub fixed_version: String,
    /// How many findings the upgrade clears.
    pub clears: usize,
    /// How many of those are critical.
    pub clears_critical: usize,
    /// How many of those are high.
    pub clears_high: usize,
}

/// The result of a vulnerability scan: the inventory, its findings and advice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Schema version of this document.
    pub schema_version: u32,
    /// kura version that wrote it.
    pub kura_version: String,
    /// Scan time (RFC 3339).
    pub created: String,
    /// The inventory that was matched.
    pub inventory: Inventory,
    /// Findings, sorted by severity (highest first), then package, then ID.
    pub findings: Vec<Finding>,
    /// Upgrades that clear findings, most effective first.
    #[serde(default)]
    pub fixes: Vec<FixAdvice>,
    /// Information about the vulnerability DB used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<serde_json::Value>,
    /// Ignore-file entries that have expired (they no longer suppress anything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired_ignores: Vec<String>,
}
