//! Platforms (`os/arch[/variant]`) and how an index entry is chosen for one.

use std::fmt;
use std::str::FromStr;

use crate::error::OciError;

/// A target platform, as in the OCI image index `platform` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Operating system (`linux`).
    pub os: String,
    /// CPU architecture in Go's naming (`amd64`, `arm64`).
    pub arch: String,
    /// CPU variant (`v7`, `v8`).
    pub variant: Option<String>,
}

impl Platform {
    /// The platform images would run on here: `linux` plus this machine's architecture (images
    /// are Linux images even when scanned from another OS), with Go's architecture names.
    pub fn host() -> Self {
        let arch = normalize_arch(std::env::consts::ARCH);
        let os = if cfg!(windows) { "windows" } else { "linux" };
        let variant = default_variant(&arch).map(str::to_string);
        Platform {
            os: os.into(),
            arch,
            variant,
        }
    }

    /// Whether an index entry's platform satisfies this request. A missing requested variant
    /// accepts any; a missing offered variant matches the architecture's default variant
    /// (arm64 → v8, arm → v7), as containerd's platform matcher does.
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        if !self.os.eq_ignore_ascii_case(os) || self.arch != normalize_arch(arch) {
            return false;
        }
        match &self.variant {
            None => true,
            Some(want) => {
                let offered = variant.or_else(|| default_variant(&self.arch));
                offered == Some(want.as_str())
                    || (variant.is_none() && default_variant(&self.arch).is_none())
            }
        }
    }
}

/// Go architecture names for the aliases `uname -m` prints.
fn normalize_arch(arch: &str) -> String {
    match arch {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        "x86" | "i386" | "i686" => "386".into(),
        "armhf" | "armel" => "arm".into(),
        "powerpc64le" => "ppc64le".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

impl FromStr for Platform {
    type Err = OciError;
    fn from_str(s: &str) -> Result<Self, OciError> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || OciError::InvalidPlatform(s.to_string());
        let valid = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => Ok(Platform {
                os: os.to_ascii_lowercase(),
                arch: normalize_arch(arch),
                variant: None,
            }),
            [os, arch, v] if valid(os) && valid(arch) && valid(v) => Ok(Platform {
                os: os.to_ascii_lowercase(),
                arch: normalize_arch(arch),
                variant: Some(v.to_ascii_lowercase()),
            }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(os, arch, variant)`.
    type Triple<'a> = (&'a str, &'a str, Option<&'a str>);

    #[test]
    fn platform_parses_two_and_three_parts_only() {
        let cases: &[(&str, Option<Triple>)] = &[
            ("linux/amd64", Some(("linux", "amd64", None))),
            ("linux/arm64/v8", Some(("linux", "arm64", Some("v8")))),
            ("linux/x86_64", Some(("linux", "amd64", None))),
            ("linux", None),
            ("linux/", None),
            ("linux/arm/v7/extra", None),
            ("lin ux/amd64", None),
            ("", None),
        ];
        for (s, want) in cases {
            let got = s.parse::<Platform>().ok();
            let want = want.map(|(o, a, v)| Platform {
                os: o.into(),
                arch: a.into(),
                variant: v.map(Into::into),
            });
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn platform_matching_applies_default_variants() {
        let cases: &[(&str, Triple, bool)] = &[
            ("linux/amd64", ("linux", "amd64", None), true),
            ("linux/amd64", ("linux", "arm64", None), false),
            ("linux/amd64", ("windows", "amd64", None), false),
            ("linux/arm64", ("linux", "arm64", Some("v8")), true),
            ("linux/arm64/v8", ("linux", "arm64", None), true),
            ("linux/arm/v7", ("linux", "arm", Some("v6")), false),
            ("linux/arm/v6", ("linux", "arm", Some("v6")), true),
            ("linux/arm/v6", ("linux", "arm", None), false),
        ];
        for (want, (os, arch, v), ok) in cases {
            let p: Platform = want.parse().unwrap();
            assert_eq!(p.matches(os, arch, *v), *ok, "{want} vs {os}/{arch}/{v:?}");
        }
    }

    #[test]
    fn host_platform_round_trips_through_display() {
        let h = Platform::host();
        assert_eq!(h.to_string().parse::<Platform>().unwrap(), h);
    }
}
