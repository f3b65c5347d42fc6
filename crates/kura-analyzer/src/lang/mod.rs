//! Language-ecosystem analyzers: lockfiles, installed-package metadata, binaries.
//!
//! Every analyzer here is pure: it receives one file already read into memory and returns the
//! packages it declares. Shared rules (see `docs/language-packages.md`):
//!
//! - `location.path` is the image path of the file, with a leading `/`; for archives nested in a
//!   Java archive it is `/outer.war!/WEB-INF/lib/inner.jar`.
//! - One lockfile yields one package per distinct (name, version). A package present at several
//!   places of the same lockfile (npm nested `node_modules`, pnpm peer variants, NuGet target
//!   frameworks) is reported once, because [`Package::key`] (purl plus file path) must identify it;
//!   it is `dev` only when *every* occurrence is a development dependency, and its licenses are
//!   the union of those seen.
//! - Purls follow the package-url spec `PURL-TYPES.rst`: npm scope and Maven group are the
//!   namespace, a Go module path is split at its last `/`, PyPI names are PEP 503-normalised.

use kura_types::{Ecosystem, Location, Package};
use std::collections::HashMap;

use crate::{AnalyzeError, Analyzer};

pub mod cargo_lock;
pub mod composer;
pub mod dotnet_deps;
pub(crate) mod elf;
pub mod gemfile_lock;
pub mod gemspec;
pub mod go_binary;
pub mod go_mod;
pub mod gradle_lock;
pub mod jar;
pub mod node_package_json;
pub mod npm_lock;
pub mod nuget_lock;
pub mod pipfile_lock;
pub mod pnpm_lock;
pub mod poetry_lock;
pub mod pom;
pub mod python_dist;
pub mod requirements;
pub mod rust_binary;
pub mod uv_lock;
pub(crate) mod xml;
pub mod yarn_lock;

/// Every language analyzer, in registration order (the same entries as in [`crate::ANALYZERS`]).
pub static LANG_ANALYZERS: &[&dyn Analyzer] = &[
    &python_dist::PythonDist,
    &requirements::Requirements,
    &poetry_lock::PoetryLock,
    &pipfile_lock::PipfileLock,
    &uv_lock::UvLock,
    &node_package_json::NodePackageJson,
    &npm_lock::NpmLock,
    &yarn_lock::YarnLock,
    &pnpm_lock::PnpmLock,
    &cargo_lock::CargoLock,
    &rust_binary::RustBinary,
    &go_binary::GoBinary,
    &go_mod::GoMod,
    &jar::JavaArchive,
    &gradle_lock::GradleLock,
    &pom::MavenPom,
    &gemspec::Gemspec,
    &gemfile_lock::GemfileLock,
    &composer::ComposerLock,
    &composer::ComposerInstalled,
    &dotnet_deps::DotnetDeps,
    &nuget_lock::NugetLock,
];

/// Largest executable the binary analyzers read (Go binaries of 100+ MiB exist: kubelet, hugo).
pub const BINARY_MAX_SIZE: u64 = 256 * 1024 * 1024;

/// The last path segment.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, n)| n)
}

/// The parent directory's last segment (`""` at the root).
pub(crate) fn parent_name(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some((dir, _)) => file_name(dir),
        None => "",
    }
}

/// Image path with a leading `/`.
pub(crate) fn abs_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// An executable regular file no bigger than [`BINARY_MAX_SIZE`]. Type bits, when the mode
/// carries them (tar headers often do not), must say "regular file".
pub(crate) fn is_executable(mode: u32, size: u64) -> bool {
    let ty = mode & 0o170000;
    (ty == 0 || ty == 0o100000) && mode & 0o111 != 0 && (64..=BINARY_MAX_SIZE).contains(&size)
}

/// Decode UTF-8 or fail naming the byte offset.
pub(crate) fn utf8<'a>(
    data: &'a [u8],
    format: &'static str,
    path: &str,
) -> Result<&'a str, AnalyzeError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    std::str::from_utf8(data).map_err(|e| {
        AnalyzeError::malformed(
            format,
            path,
            format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        )
    })
}

/// Parse JSON into `T`, with the error's line and column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    data: &[u8],
    format: &'static str,
    path: &str,
) -> Result<T, AnalyzeError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    serde_json::from_slice(data).map_err(|e| AnalyzeError::malformed(format, path, e))
}

/// Parse TOML into `T`.
pub(crate) fn toml<T: serde::de::DeserializeOwned>(
    data: &[u8],
    format: &'static str,
    path: &str,
) -> Result<T, AnalyzeError> {
    let text = utf8(data, format, path)?;
    ::toml::from_str(text).map_err(|e| AnalyzeError::malformed(format, path, e.to_string().trim()))
}

/// PEP 503 normalised project name: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The purl of a package, following `PURL-TYPES.rst` for each type.
pub fn purl(eco: Ecosystem, name: &str, version: &str) -> String {
    use kura_purl::Purl;
    let ty = eco.purl_type();
    match eco {
        Ecosystem::PyPI => Purl::new(ty, &pep503(name), version).to_string(),
        // npm: the scope (with its `@`) is the namespace.
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => {
                Purl::new(ty, n, version).namespace(scope).to_string()
            }
            _ => Purl::new(ty, name, version).to_string(),
        },
        // maven: `group:artifact` → namespace group, name artifact.
        Ecosystem::Maven => match name.split_once(':') {
            Some((g, a)) => Purl::new(ty, a, version).namespace(g).to_string(),
            None => Purl::new(ty, name, version).to_string(),
        },
        // golang and composer: everything before the last `/` is the namespace.
        Ecosystem::Go | Ecosystem::Packagist => match name.rsplit_once('/') {
            Some((ns, n)) => Purl::new(ty, n, version).namespace(ns).to_string(),
            None => Purl::new(ty, name, version).to_string(),
        },
        _ => Purl::new(ty, name, version).to_string(),
    }
}

/// A package found at `path` (relative or absolute image path).
pub(crate) fn package(eco: Ecosystem, name: &str, version: &str, path: &str) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: eco,
        purl: purl(eco, name, version),
        licenses: Vec::new(),
        source_name: None,
        source_version: None,
        arch: None,
        dev: false,
        location: Location {
            path: abs_path(path),
            layer_index: None,
            layer_diff_id: None,
        },
    }
}

/// Builder-style setters used by every analyzer.
pub(crate) trait PackageExt {
    /// Set the dev flag.
    fn dev(self, dev: bool) -> Self;
    /// Add licenses, skipping empty and duplicate entries.
    fn licenses<I: IntoIterator<Item = S>, S: AsRef<str>>(self, l: I) -> Self;
}

impl PackageExt for Package {
    fn dev(mut self, dev: bool) -> Self {
        self.dev = dev;
        self
    }
    fn licenses<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, l: I) -> Self {
        for s in l {
            let s = s.as_ref().trim();
            if !s.is_empty() && !self.licenses.iter().any(|x| x == s) {
                self.licenses.push(s.to_string());
            }
        }
        self
    }
}

/// Collapse packages with the same (ecosystem, name, version, path): first-seen order, `dev` only
/// if every occurrence is dev, licenses merged.
pub(crate) fn dedup(pkgs: Vec<Package>) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::with_capacity(pkgs.len());
    let mut index: HashMap<(Ecosystem, String, String, String), usize> = HashMap::new();
    for p in pkgs {
        let k = (
            p.ecosystem,
            p.name.clone(),
            p.version.clone(),
            p.location.path.clone(),
        );
        match index.get(&k) {
            Some(&i) => {
                if let Some(prev) = out.get_mut(i) {
                    prev.dev &= p.dev;
                    for l in p.licenses {
                        if !prev.licenses.contains(&l) {
                            prev.licenses.push(l);
                        }
                    }
                }
            }
            None => {
                index.insert(k, out.len());
                out.push(p);
            }
        }
    }
    out
}

/// Licenses from an npm/composer-style `license` value: a string, an array of strings, or the
/// legacy `{ "type": "MIT" }` object form.
pub(crate) fn json_licenses(v: Option<&serde_json::Value>) -> Vec<String> {
    use serde_json::Value;
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        Some(Value::Object(o)) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the analyzers' table tests.
    use crate::{Analyzer, FileFindings, FileInput};

    /// Run an analyzer on text, panicking on error (tests only).
    pub fn run(a: &dyn Analyzer, path: &str, data: &[u8]) -> FileFindings {
        let input = FileInput {
            path,
            mode: 0o100755,
            data,
        };
        match a.analyze(&input) {
            Ok(f) => f,
            Err(e) => panic!("{} failed on {path}: {e}", a.id()),
        }
    }

    /// `(name, version, dev)` triples, in output order.
    pub fn nvd(f: &FileFindings) -> Vec<(String, String, bool)> {
        f.packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone(), p.dev))
            .collect()
    }

    /// Owned triples from literals.
    pub fn triples(t: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
        t.iter()
            .map(|(n, v, d)| (n.to_string(), v.to_string(), *d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalises_runs_of_separators() {
        for (raw, want) in [
            ("Django", "django"),
            ("zope.interface", "zope-interface"),
            ("Foo__Bar-.baz", "foo-bar-baz"),
            ("typing_extensions", "typing-extensions"),
        ] {
            assert_eq!(pep503(raw), want, "{raw}");
        }
    }

    #[test]
    fn purls_follow_each_type_rules() {
        for (eco, name, version, want) in [
            (
                Ecosystem::PyPI,
                "Flask_Cors",
                "4.0.0",
                "pkg:pypi/flask-cors@4.0.0",
            ),
            (
                Ecosystem::Npm,
                "@babel/core",
                "7.23.0",
                "pkg:npm/%40babel/core@7.23.0",
            ),
            (
                Ecosystem::Npm,
                "lodash",
                "4.17.21",
                "pkg:npm/lodash@4.17.21",
            ),
            (
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ),
            (
                Ecosystem::Go,
                "github.com/gin-gonic/gin",
                "v1.9.1",
                "pkg:golang/github.com/gin-gonic/gin@v1.9.1",
            ),
            (
                Ecosystem::Go,
                "stdlib",
                "v1.21.5",
                "pkg:golang/stdlib@v1.21.5",
            ),
            (
                Ecosystem::Packagist,
                "symfony/console",
                "v6.3.0",
                "pkg:composer/symfony/console@v6.3.0",
            ),
            (
                Ecosystem::Cargo,
                "serde",
                "1.0.190",
                "pkg:cargo/serde@1.0.190",
            ),
            (Ecosystem::RubyGems, "rails", "7.1.0", "pkg:gem/rails@7.1.0"),
            (
                Ecosystem::NuGet,
                "Newtonsoft.Json",
                "13.0.1",
                "pkg:nuget/Newtonsoft.Json@13.0.1",
            ),
        ] {
            assert_eq!(purl(eco, name, version), want);
        }
    }

    #[test]
    fn dedup_keeps_dev_only_when_every_occurrence_is_dev() {
        let a = package(Ecosystem::Npm, "a", "1.0.0", "x/package-lock.json").dev(true);
        let b = package(Ecosystem::Npm, "a", "1.0.0", "x/package-lock.json").dev(false);
        let c = package(Ecosystem::Npm, "a", "2.0.0", "x/package-lock.json").dev(true);
        let out = dedup(vec![a, b, c]);
        assert_eq!(out.len(), 2);
        assert!(!out[0].dev);
        assert!(out[1].dev);
        assert_eq!(out[0].location.path, "/x/package-lock.json");
    }

    #[test]
    fn wants_claims_exactly_the_expected_analyzer() {
        // (path, mode, analyzers that must want it); every other language analyzer must not.
        let table: &[(&str, u32, &[&str])] = &[
            ("app/requirements.txt", 0o644, &["pip-requirements"]),
            ("app/poetry.lock", 0o644, &["poetry-lock"]),
            ("app/Pipfile.lock", 0o644, &["pipfile-lock"]),
            ("app/uv.lock", 0o644, &["uv-lock"]),
            ("app/package-lock.json", 0o644, &["npm-lock"]),
            ("app/node_modules/.package-lock.json", 0o644, &["npm-lock"]),
            (
                "app/node_modules/express/package.json",
                0o644,
                &["node-package-json"],
            ),
            ("app/package.json", 0o644, &[]),
            ("app/yarn.lock", 0o644, &["yarn-lock"]),
            ("app/pnpm-lock.yaml", 0o644, &["pnpm-lock"]),
            ("src/Cargo.lock", 0o644, &["cargo-lock"]),
            ("src/Cargo.toml", 0o644, &[]),
            ("src/go.mod", 0o644, &["go-mod"]),
            ("src/go.sum", 0o644, &[]),
            ("usr/local/bin/app", 0o755, &["rust-binary", "go-binary"]),
            ("usr/local/bin/app", 0o644, &[]),
            ("opt/app.jar", 0o644, &["java-archive"]),
            ("opt/APP.WAR", 0o644, &["java-archive"]),
            (
                "opt/app.jar",
                0o755,
                &["java-archive", "rust-binary", "go-binary"],
            ),
            ("app/gradle.lockfile", 0o644, &["gradle-lockfile"]),
            ("app/pom.xml", 0o644, &["maven-pom"]),
            (
                "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                0o644,
                &["ruby-gemspec"],
            ),
            ("app/Gemfile.lock", 0o644, &["gemfile-lock"]),
            ("app/composer.lock", 0o644, &["composer-lock"]),
            (
                "app/vendor/composer/installed.json",
                0o644,
                &["composer-installed"],
            ),
            ("app/MyApp.deps.json", 0o644, &["dotnet-deps"]),
            ("app/packages.lock.json", 0o644, &["nuget-lock"]),
            ("etc/passwd", 0o644, &[]),
        ];
        for (path, mode, want) in table {
            let mut got: Vec<&str> = LANG_ANALYZERS
                .iter()
                .filter(|a| a.wants(path, *mode, 4096))
                .map(|a| a.id())
                .collect();
            let mut want = want.to_vec();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{path} mode {mode:o}");
        }
    }

    #[test]
    fn lang_ids_are_registered_in_analyzers() {
        for a in LANG_ANALYZERS {
            assert!(
                crate::by_id(a.id()).is_some(),
                "{} missing from ANALYZERS",
                a.id()
            );
        }
    }
}

#[cfg(test)]
mod garbage {
    //! Every language parser fed truncated, bit-flipped and random input: it must return
    //! findings or an error naming the file, never panic.
    use super::*;
    use crate::FileInput;
    use proptest::prelude::*;

    /// (analyzer, path, a valid input) for every analyzer.
    fn corpus() -> Vec<(&'static dyn Analyzer, &'static str, Vec<u8>)> {
        let go_bin = {
            let mut s = b"\xff Go buildinf:\x08\x02".to_vec();
            s.resize(32, 0);
            s.push(8);
            s.extend_from_slice(b"go1.21.5");
            let m = b"0123456789abcdefpath\tx\nmod\tx\t(devel)\t\ndep\ta/b\tv1.0.0\th1:x\n0123456789abcdef";
            s.push(m.len() as u8);
            s.extend_from_slice(m);
            elf::writer::elf64(&[(".go.buildinfo", &s)], 0x40_0000).0
        };
        let rust_bin = {
            use std::io::Write;
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(br#"{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"}]}"#)
                .unwrap();
            elf::writer::elf64(&[(".dep-v0", &e.finish().unwrap())], 0x1000).0
        };
        vec![
            (
                &python_dist::PythonDist,
                "a.dist-info/METADATA",
                python_dist::tests::FIXTURE.into(),
            ),
            (
                &requirements::Requirements,
                "requirements.txt",
                requirements::tests::FIXTURE.into(),
            ),
            (
                &poetry_lock::PoetryLock,
                "poetry.lock",
                poetry_lock::tests::FIXTURE.into(),
            ),
            (
                &pipfile_lock::PipfileLock,
                "Pipfile.lock",
                pipfile_lock::tests::FIXTURE.into(),
            ),
            (&uv_lock::UvLock, "uv.lock", uv_lock::tests::FIXTURE.into()),
            (
                &node_package_json::NodePackageJson,
                "node_modules/a/package.json",
                node_package_json::tests::FIXTURE.into(),
            ),
            (
                &npm_lock::NpmLock,
                "package-lock.json",
                npm_lock::tests::FIXTURE.into(),
            ),
            (
                &yarn_lock::YarnLock,
                "yarn.lock",
                yarn_lock::tests::FIXTURE.into(),
            ),
            (
                &yarn_lock::YarnLock,
                "yarn.lock",
                yarn_lock::tests::BERRY.into(),
            ),
            (
                &pnpm_lock::PnpmLock,
                "pnpm-lock.yaml",
                pnpm_lock::tests::FIXTURE.into(),
            ),
            (
                &cargo_lock::CargoLock,
                "Cargo.lock",
                cargo_lock::tests::FIXTURE.into(),
            ),
            (&rust_binary::RustBinary, "bin/a", rust_bin),
            (&go_binary::GoBinary, "bin/g", go_bin),
            (&go_mod::GoMod, "go.mod", go_mod::tests::FIXTURE.into()),
            (&jar::JavaArchive, "app.war", jar::tests::fixture()),
            (
                &gradle_lock::GradleLock,
                "gradle.lockfile",
                gradle_lock::tests::FIXTURE.into(),
            ),
            (&pom::MavenPom, "pom.xml", pom::tests::FIXTURE.into()),
            (
                &gemspec::Gemspec,
                "specifications/a.gemspec",
                gemspec::tests::FIXTURE.into(),
            ),
            (
                &gemfile_lock::GemfileLock,
                "Gemfile.lock",
                gemfile_lock::tests::FIXTURE.into(),
            ),
            (
                &composer::ComposerLock,
                "composer.lock",
                composer::tests::FIXTURE.into(),
            ),
            (
                &composer::ComposerInstalled,
                "vendor/composer/installed.json",
                composer::tests::INSTALLED.into(),
            ),
            (
                &dotnet_deps::DotnetDeps,
                "a.deps.json",
                dotnet_deps::tests::FIXTURE.into(),
            ),
            (
                &nuget_lock::NugetLock,
                "packages.lock.json",
                nuget_lock::tests::FIXTURE.into(),
            ),
        ]
    }

    fn check(a: &dyn Analyzer, path: &str, data: &[u8]) {
        let input = FileInput {
            path,
            mode: 0o100755,
            data,
        };
        if let Err(e) = a.analyze(&input) {
            assert!(
                e.to_string().contains(path),
                "{}: error without path: {e}",
                a.id()
            );
        }
    }

    #[test]
    fn every_analyzer_has_a_corpus_entry_that_parses() {
        let c = corpus();
        for a in LANG_ANALYZERS {
            let entry = c.iter().find(|(x, _, _)| x.id() == a.id());
            let Some((_, path, data)) = entry else {
                panic!("{} has no garbage corpus entry", a.id());
            };
            assert!(
                a.wants(path, 0o100755, data.len() as u64),
                "{} does not want {path}",
                a.id()
            );
            let input = FileInput {
                path,
                mode: 0o100755,
                data,
            };
            let found = a.analyze(&input).map(|f| f.packages.len());
            assert!(matches!(found, Ok(n) if n > 0), "{}: {found:?}", a.id());
        }
    }

    #[test]
    fn every_truncation_is_handled() {
        for (a, path, data) in corpus() {
            // Every prefix for small inputs, a spread of prefixes for big ones.
            let step = (data.len() / 400).max(1);
            for n in (0..data.len()).step_by(step) {
                check(a, path, &data[..n]);
            }
        }
    }

    #[test]
    fn hostile_structures_are_errors_not_crashes() {
        let deep_json = "[".repeat(100_000);
        let deep_toml = format!("a = {}", "[".repeat(100_000));
        let deep_yaml = "- ".repeat(50_000) + "x";
        let mut laughs =
            String::from("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        laughs.push_str("settings: *a11\n");
        let cases: Vec<(&dyn Analyzer, &str, &str)> = vec![
            (&npm_lock::NpmLock, "package-lock.json", &deep_json),
            (&dotnet_deps::DotnetDeps, "a.deps.json", &deep_json),
            (&cargo_lock::CargoLock, "Cargo.lock", &deep_toml),
            (&uv_lock::UvLock, "uv.lock", &deep_toml),
            (&pnpm_lock::PnpmLock, "pnpm-lock.yaml", &deep_yaml),
            (&pnpm_lock::PnpmLock, "pnpm-lock.yaml", &laughs),
        ];
        for (a, path, data) in cases {
            let input = FileInput {
                path,
                mode: 0o644,
                data: data.as_bytes(),
            };
            let r = a.analyze(&input);
            assert!(
                r.is_err(),
                "{} accepted hostile input: {:?}",
                a.id(),
                r.map(|f| f.packages.len())
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn mutated_inputs_never_panic(
            pick in 0usize..64,
            flips in proptest::collection::vec((any::<u32>(), any::<u8>()), 1..16),
            cut in any::<u32>(),
        ) {
            let c = corpus();
            let (a, path, mut data) = c[pick % c.len()].clone();
            for (pos, b) in flips {
                if !data.is_empty() {
                    let i = pos as usize % data.len();
                    data[i] = b;
                }
            }
            let keep = if data.is_empty() { 0 } else { cut as usize % (data.len() + 1) };
            check(a, path, &data[..keep]);
            check(a, path, &data);
        }

        #[test]
        fn random_bytes_never_panic(pick in 0usize..64, data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let c = corpus();
            let (a, path, _) = c[pick % c.len()].clone();
            check(a, path, &data);
        }
    }
}
