//! Installed Python distributions: `*.dist-info/METADATA` (wheel installs, PEP 427/PEP 566),
//! `*.egg-info/PKG-INFO` and single-file `*.egg-info` (setuptools/distutils). All use the core
//! metadata format (RFC 822 style headers, then a blank line and the description body).
//!
//! Licenses: `License-Expression` (PEP 639) when present; else `License` when it is a short
//! one-line value (many packages paste the whole license text there); else the last segment of
//! each `Classifier: License :: …` entry.

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package, parent_name};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Installed Python packages from core metadata files.
pub struct PythonDist;

const FORMAT: &str = "Python core metadata";
/// A `License` value longer than this is license text, not a license name.
const MAX_LICENSE_NAME: usize = 120;

impl Analyzer for PythonDist {
    fn id(&self) -> &'static str {
        "python-dist"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "installed Python packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &[
            "**/*.dist-info/METADATA",
            "**/*.egg-info/PKG-INFO",
            "**/*.egg-info",
        ]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        match file_name(path) {
            "METADATA" => parent_name(path).ends_with(".dist-info"),
            "PKG-INFO" => parent_name(path).ends_with(".egg-info"),
            n => n.ends_with(".egg-info"),
        }
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        // Core metadata is UTF-8, but old sdists wrote Latin-1 descriptions: decode leniently.
        let text = String::from_utf8_lossy(input.data);
        let m = parse(&text);
        let (Some(name), Some(version)) = (m.name, m.version) else {
            return Err(AnalyzeError::malformed(
                FORMAT,
                input.path,
                "missing Name or Version header",
            ));
        };
        let pkg = package(Ecosystem::PyPI, &name, &version, input.path).licenses(m.licenses);
        Ok(FileFindings {
            packages: vec![pkg],
            ..Default::default()
        })
    }
}

#[derive(Default)]
struct Metadata {
    name: Option<String>,
    version: Option<String>,
    licenses: Vec<String>,
}

fn parse(text: &str) -> Metadata {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |k: &str| {
        headers
            .iter()
            .find(|(hk, _)| hk == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let mut m = Metadata {
        name: get("name"),
        version: get("version"),
        licenses: Vec::new(),
    };
    if let Some(expr) = get("license-expression") {
        m.licenses.push(expr);
    } else if let Some(l) = get("license").filter(|l| {
        !l.contains('\n') && l.len() <= MAX_LICENSE_NAME && !l.eq_ignore_ascii_case("UNKNOWN")
    }) {
        m.licenses.push(l);
    } else {
        m.licenses = headers
            .iter()
            .filter(|(k, _)| k == "classifier")
            .filter_map(|(_, v)| v.strip_prefix("License ::"))
            .filter_map(|v| v.rsplit("::").next().map(str::trim))
            .filter(|v| !v.is_empty() && *v != "OSI Approved")
            .map(str::to_string)
            .collect();
    }
    m
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::run;

    pub(crate) const FIXTURE: &str = "Metadata-Version: 2.1\nName: Flask_Cors\nVersion: 4.0.0\n\
        Summary: A Flask extension\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\
        Requires-Dist: Flask (>=0.9)\n\nLicense: not-a-header\n";

    #[test]
    fn license_rules_table() {
        for (meta, want) in [
            (FIXTURE, vec!["MIT"]),
            (
                "Name: a\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\nLicense: BSD\n",
                vec!["Apache-2.0 OR MIT"],
            ),
            (
                "Name: a\nVersion: 1\nLicense: Copyright (c) 2010\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: BSD License\n",
                vec!["BSD License"],
            ),
            (
                "Name: a\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: MIT License\n",
                vec!["Apache Software License", "MIT License"],
            ),
            ("Name: a\nVersion: 1\n", vec![]),
        ] {
            let f = run(&PythonDist, "x.dist-info/METADATA", meta.as_bytes());
            assert_eq!(f.packages[0].licenses, want, "{meta}");
        }
    }

    #[test]
    fn name_as_written_purl_normalised() {
        let f = run(
            &PythonDist,
            "usr/lib/python3.11/site-packages/Flask_Cors-4.0.0.dist-info/METADATA",
            FIXTURE.as_bytes(),
        );
        let p = &f.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("Flask_Cors", "4.0.0")
        );
        assert_eq!(p.purl, "pkg:pypi/flask-cors@4.0.0");
        assert_eq!(
            p.location.path,
            "/usr/lib/python3.11/site-packages/Flask_Cors-4.0.0.dist-info/METADATA"
        );
    }

    #[test]
    fn wants_table() {
        for (path, want) in [
            ("usr/lib/python3/site-packages/a-1.dist-info/METADATA", true),
            ("a-1.dist-info/METADATA", true),
            ("usr/lib/python3/site-packages/a.egg-info/PKG-INFO", true),
            ("usr/lib/python3/dist-packages/a-1.0.egg-info", true),
            ("usr/lib/python3/site-packages/a-1.dist-info/RECORD", false),
            ("src/METADATA", false),
            ("PKG-INFO", false),
        ] {
            assert_eq!(PythonDist.wants(path, 0o644, 100), want, "{path}");
        }
    }

    #[test]
    fn missing_version_is_an_error_naming_the_file() {
        let input = FileInput {
            path: "a.dist-info/METADATA",
            mode: 0o644,
            data: b"Name: a\n",
        };
        let e = PythonDist.analyze(&input).unwrap_err().to_string();
        assert!(
            e.contains("a.dist-info/METADATA") && e.contains("Version"),
            "{e}"
        );
    }
}
