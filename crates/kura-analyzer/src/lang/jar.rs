//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.jpi`/`.hpi`), including archives nested in
//! them (`WEB-INF/lib/*.jar`, Spring Boot `BOOT-INF/lib/*.jar`), read in memory.
//!
//! Per archive: every `META-INF/maven/<group>/<artifact>/pom.properties` is a package (shaded
//! jars carry several), with licenses from the `pom.xml` beside it. An archive without any falls
//! back to `META-INF/MANIFEST.MF` (JAR File Specification: `Implementation-*`, `Bundle-*`) and
//! its file name (`name-1.2.3.jar`). Packages of a nested archive are located at
//! `/outer.war!/WEB-INF/lib/inner.jar`.
//!
//! Zip bombs: nesting is capped at [`MAX_DEPTH`] archives and the bytes decompressed from one
//! outer file at [`MAX_EXPANDED`], whatever the headers claim (reads are cut at the cap).

use std::collections::HashMap;
use std::io::{Cursor, Read};

use kura_types::{Ecosystem, Package};

use super::{PackageExt, abs_path, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Maven packages in Java archives.
pub struct JavaArchive;

const FORMAT: &str = "Java archive";
/// Archives inside archives inside … this many levels.
pub const MAX_DEPTH: u32 = 4;
/// Bytes decompressed from one top-level archive, nested archives included.
pub const MAX_EXPANDED: u64 = 512 * 1024 * 1024;
/// Metadata files bigger than this are not metadata.
const MAX_META: u64 = 4 * 1024 * 1024;
const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".jpi", ".hpi"];

fn is_archive_name(name: &str) -> bool {
    EXTENSIONS.iter().any(|e| {
        name.len() > e.len()
            && name
                .get(name.len() - e.len()..)
                .is_some_and(|x| x.eq_ignore_ascii_case(e))
    })
}

impl Analyzer for JavaArchive {
    fn id(&self) -> &'static str {
        "java-archive"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Maven packages in jar/war/ear files"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/*.jar", "**/*.war", "**/*.ear", "**/*.jpi", "**/*.hpi"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        is_archive_name(file_name(path))
    }
    fn max_size(&self) -> u64 {
        super::BINARY_MAX_SIZE
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let mut scan = Scan {
            budget: MAX_EXPANDED,
            packages: Vec::new(),
            warnings: Vec::new(),
        };
        scan.archive(input.data, &abs_path(input.path), 0)
            .map_err(|e| AnalyzeError::malformed(FORMAT, input.path, e))?;
        Ok(FileFindings {
            packages: super::dedup(scan.packages),
            os: None,
            warnings: scan.warnings,
            ..Default::default()
        })
    }
}

struct Scan {
    budget: u64,
    packages: Vec<Package>,
    warnings: Vec<String>,
}

#[derive(Default)]
struct Props {
    group: String,
    artifact: String,
    version: String,
}

impl Scan {
    /// Read at most `cap` bytes (and at most the remaining budget) of one entry.
    fn read(&mut self, r: &mut impl Read, cap: u64, what: &str) -> Result<Vec<u8>, String> {
        let limit = cap.min(self.budget);
        let mut v = Vec::new();
        r.take(limit + 1)
            .read_to_end(&mut v)
            .map_err(|e| format!("{what}: {e}"))?;
        if v.len() as u64 > limit {
            return Err(format!(
                "{what}: expands beyond {limit} bytes (cap {cap}, budget left {})",
                self.budget
            ));
        }
        self.budget -= v.len() as u64;
        Ok(v)
    }

    fn archive(&mut self, data: &[u8], display: &str, depth: u32) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| format!("zip: {e}"))?;
        let mut props: Vec<(String, Props)> = Vec::new();
        let mut pom_licenses: HashMap<String, Vec<String>> = HashMap::new();
        let mut manifest: Option<String> = None;
        for i in 0..zip.len() {
            let mut f = match zip.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.warnings.push(format!("{display}: entry {i}: {e}"));
                    continue;
                }
            };
            if f.is_dir() {
                continue;
            }
            let Ok(name) = f.name().map(|n| n.into_owned()) else {
                continue;
            };
            let result = if let Some(dir) = name
                .strip_prefix("META-INF/maven/")
                .and_then(|n| n.strip_suffix("pom.properties"))
            {
                self.read(&mut f, MAX_META, &name).map(|b| {
                    props.push((
                        dir.to_string(),
                        parse_properties(&String::from_utf8_lossy(&b)),
                    ))
                })
            } else if let Some(dir) = name
                .strip_prefix("META-INF/maven/")
                .and_then(|n| n.strip_suffix("pom.xml"))
            {
                self.read(&mut f, MAX_META, &name).map(|b| {
                    if let Ok(pom) = super::pom::parse(&String::from_utf8_lossy(&b)) {
                        pom_licenses.insert(dir.to_string(), pom.license_names());
                    }
                })
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                self.read(&mut f, MAX_META, &name)
                    .map(|b| manifest = Some(String::from_utf8_lossy(&b).into_owned()))
            } else if is_archive_name(&name) {
                let inner = format!("{display}!/{name}");
                if depth + 1 >= MAX_DEPTH {
                    Err(format!(
                        "not opened: nested deeper than {MAX_DEPTH} archives"
                    ))
                } else {
                    match self.read(&mut f, MAX_EXPANDED, &name) {
                        Ok(bytes) => {
                            drop(f);
                            self.archive(&bytes, &inner, depth + 1)
                                .map_err(|e| format!("{inner}: {e}"))
                        }
                        Err(e) => Err(e),
                    }
                }
            } else {
                Ok(())
            };
            if let Err(e) = result {
                self.warnings.push(format!("{display}: {e}"));
            }
        }
        let before = self.packages.len();
        for (dir, p) in &props {
            if p.group.is_empty() || p.artifact.is_empty() || p.version.is_empty() {
                continue;
            }
            let name = format!("{}:{}", p.group, p.artifact);
            let lic = pom_licenses.get(dir).cloned().unwrap_or_default();
            self.packages
                .push(package(Ecosystem::Maven, &name, &p.version, display).licenses(lic));
        }
        // Shaded jars carry their dependencies' pom.properties. When none of them is the jar's
        // own, the jar itself is described by its manifest, provided the manifest states a
        // version (file-name guesses next to real Maven metadata are more noise than signal).
        let found = &self.packages[before..];
        let own = split_file_name(file_name(display)).0;
        let fb = fallback(manifest.as_deref(), display);
        let is_own = |q: &Package, p: &Package| {
            own.is_some_and(|a| q.name.rsplit(':').next() == Some(a))
                || trim_zeros(&q.version) == trim_zeros(&p.version)
                || q.name == p.name
        };
        match fb {
            Some((p, _)) if found.is_empty() => self.packages.push(p),
            Some((p, true)) if !found.iter().any(|q| is_own(q, &p)) => self.packages.push(p),
            _ => {}
        }
        Ok(())
    }
}

/// `key=value` lines of a Java properties file (comments `#`/`!`).
fn parse_properties(text: &str) -> Props {
    let mut p = Props::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', '!']) {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "groupId" => p.group = v,
            "artifactId" => p.artifact = v,
            "version" => p.version = v,
            _ => {}
        }
    }
    p
}

/// Manifest main attributes; continuation lines start with one space (JAR spec, "Manifest").
fn parse_manifest(text: &str) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            break; // End of the main section; per-entry sections follow.
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| m.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            m.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    m
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): split at the last `-` before a digit.
fn split_file_name(file: &str) -> (Option<&str>, Option<&str>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let cut = stem
        .char_indices()
        .filter(|&(i, c)| {
            c == '-'
                && stem
                    .get(i + 1..)
                    .is_some_and(|r| r.starts_with(|d: char| d.is_ascii_digit()))
        })
        .map(|(i, _)| i)
        .next_back();
    match cut {
        Some(i) => (stem.get(..i), stem.get(i + 1..)),
        None => ((!stem.is_empty()).then_some(stem), None),
    }
}

/// `1.3.0` and `1.3` name the same release in OSGi manifests and Maven metadata.
fn trim_zeros(v: &str) -> &str {
    let mut v = v;
    while let Some(s) = v.strip_suffix(".0") {
        v = s;
    }
    v
}

/// The package a manifest and file name describe, and whether the manifest stated the version.
fn fallback(manifest: Option<&str>, display: &str) -> Option<(Package, bool)> {
    let m = manifest.map(parse_manifest).unwrap_or_default();
    let get = |k: &str| m.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (file_artifact, file_version) = split_file_name(file_name(display));
    let artifact = file_artifact
        .or(get("Implementation-Title"))
        .or(get("Bundle-SymbolicName").and_then(|s| s.split(';').next()))?;
    let stated = get("Implementation-Version").or(get("Bundle-Version"));
    let version = stated.or(file_version)?;
    let name = match get("Implementation-Vendor-Id").filter(|g| !g.contains(' ')) {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.to_string(),
    };
    let p = package(Ecosystem::Maven, &name, version, display).licenses(get("Bundle-License"));
    Some((p, stated.is_some()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};
    use std::io::Write;

    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn log4j_jar() -> Vec<u8> {
        zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: Apache Log4j Core\r\n"),
            (
                "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                b"#Created by Apache Maven\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
            ),
            (
                "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.xml",
                b"<project><licenses><license><name>Apache-2.0</name></license></licenses></project>",
            ),
            ("org/apache/logging/log4j/core/Logger.class", b"\xca\xfe\xba\xbe"),
        ])
    }

    pub(crate) fn fixture() -> Vec<u8> {
        let plain = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Vendor-Id: com.google.guava\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\nImplementation-Version: 31.1-j\n re\n",
        )]);
        zip_of(&[
            ("WEB-INF/lib/log4j-core-2.14.1.jar", &log4j_jar()),
            ("WEB-INF/lib/guava-31.1-jre.jar", &plain),
            ("WEB-INF/lib/unversioned.jar", &zip_of(&[("a.txt", b"x")])),
            ("WEB-INF/web.xml", b"<web-app/>"),
        ])
    }

    #[test]
    fn war_with_nested_jars() {
        let f = run(&JavaArchive, "usr/local/tomcat/webapps/app.war", &fixture());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("org.apache.logging.log4j:log4j-core", "2.14.1", false),
                ("com.google.guava:guava", "31.1-jre", false),
            ])
        );
        let p = &f.packages[0];
        assert_eq!(
            p.location.path,
            "/usr/local/tomcat/webapps/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar"
        );
        assert_eq!(p.licenses, ["Apache-2.0"]);
        assert_eq!(
            p.purl,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            f.packages[1].licenses,
            ["https://www.apache.org/licenses/LICENSE-2.0.txt"]
        );
    }

    #[test]
    fn shaded_jar_reports_itself_from_the_manifest_table() {
        let dep = "META-INF/maven/org.example/lib/pom.properties";
        for (file, props_version, manifest, want) in [
            // Only a dependency's metadata, the manifest states the jar's version: both.
            (
                "myapp.jar",
                "2.0",
                "Implementation-Title: myapp\nImplementation-Version: 1.0.0\n",
                vec![("org.example:lib", "2.0", false), ("myapp", "1.0.0", false)],
            ),
            // The manifest version is the metadata's (OSGi 1.3.0 = Maven 1.3): the jar's own.
            (
                "renamed.jar",
                "1.3",
                "Bundle-Version: 1.3.0\n",
                vec![("org.example:lib", "1.3", false)],
            ),
            // No stated version: a file-name guess does not add a package beside real metadata.
            (
                "other-2.0.jar",
                "1.0",
                "Manifest-Version: 1.0\n",
                vec![("org.example:lib", "1.0", false)],
            ),
        ] {
            let props = format!("groupId=org.example\nartifactId=lib\nversion={props_version}\n");
            let jar = zip_of(&[
                ("META-INF/MANIFEST.MF", manifest.as_bytes()),
                (dep, props.as_bytes()),
            ]);
            let f = run(&JavaArchive, file, &jar);
            assert_eq!(nvd(&f), triples(&want), "{file}");
        }
    }

    #[test]
    fn file_name_split_table() {
        for (file, want) in [
            (
                "commons-lang3-3.12.0.jar",
                (Some("commons-lang3"), Some("3.12.0")),
            ),
            (
                "log4j-1.2-api-2.17.1.jar",
                (Some("log4j-1.2-api"), Some("2.17.1")),
            ),
            ("guava-31.1-jre.jar", (Some("guava"), Some("31.1-jre"))),
            ("app.jar", (Some("app"), None)),
        ] {
            assert_eq!(split_file_name(file), want, "{file}");
        }
    }

    #[test]
    fn nesting_depth_is_capped() {
        let mut jar = log4j_jar();
        for _ in 0..MAX_DEPTH + 2 {
            jar = zip_of(&[("lib/inner.jar", &jar)]);
        }
        let f = run(&JavaArchive, "deep.jar", &jar);
        assert!(
            f.packages
                .iter()
                .all(|p| p.name != "org.apache.logging.log4j:log4j-core")
        );
        assert!(
            f.warnings.iter().any(|w| w.contains("nested deeper")),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn zip_bomb_entry_is_cut_at_the_budget() {
        // A nested "jar" of zeros that inflates past the cap; the read stops at the cap.
        let mut scan = Scan {
            budget: 1024,
            packages: Vec::new(),
            warnings: Vec::new(),
        };
        let big = zip_of(&[("lib/bomb.jar", &vec![0u8; 64 * 1024])]);
        scan.archive(&big, "/bomb.jar", 0).unwrap();
        assert!(
            scan.warnings.iter().any(|w| w.contains("expands beyond")),
            "{:?}",
            scan.warnings
        );
    }

    #[test]
    fn not_a_zip_is_an_error_naming_the_file() {
        let input = FileInput {
            path: "app/x.jar",
            mode: 0o644,
            data: b"PK\x03\x04garbage",
        };
        let e = JavaArchive.analyze(&input).unwrap_err().to_string();
        assert!(e.contains("app/x.jar"), "{e}");
    }
}
