//! PHP Composer: `composer.lock` (`packages` and `packages-dev`) and the installed-package list
//! `vendor/composer/installed.json` (Composer 1: a JSON array; Composer 2: `{"packages": […],
//! "dev-package-names": […]}`). Each package has `name` (`vendor/project`, the purl namespace
//! and name), `version` as written (`v6.3.0` keeps its `v`) and `license` (array of SPDX ids).

use std::collections::HashSet;

use kura_types::{Ecosystem, Package};

use super::{PackageExt, file_name, json_licenses, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// PHP packages from `composer.lock`.
pub struct ComposerLock;

/// Installed PHP packages from `vendor/composer/installed.json`.
pub struct ComposerInstalled;

#[derive(serde::Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Lock {
    #[serde(default)]
    packages: Vec<Pkg>,
    #[serde(default)]
    packages_dev: Vec<Pkg>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Installed {
    V1(Vec<Pkg>),
    #[serde(rename_all = "kebab-case")]
    V2 {
        packages: Vec<Pkg>,
        #[serde(default)]
        dev_package_names: Vec<String>,
    },
}

fn to_package(p: &Pkg, dev: bool, path: &str) -> Option<Package> {
    let v = p.version.as_deref().filter(|v| !v.is_empty())?;
    Some(
        package(Ecosystem::Packagist, &p.name, v, path)
            .dev(dev)
            .licenses(json_licenses(p.license.as_ref())),
    )
}

impl Analyzer for ComposerLock {
    fn id(&self) -> &'static str {
        "composer-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "PHP packages (composer.lock)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/composer.lock"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "composer.lock"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::json(input.data, "composer.lock", input.path)?;
        let packages = lock
            .packages
            .iter()
            .map(|p| (p, false))
            .chain(lock.packages_dev.iter().map(|p| (p, true)))
            .filter_map(|(p, dev)| to_package(p, dev, input.path))
            .collect();
        Ok(FileFindings {
            packages: super::dedup(packages),
            ..Default::default()
        })
    }
}

impl Analyzer for ComposerInstalled {
    fn id(&self) -> &'static str {
        "composer-installed"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "installed PHP packages"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/vendor/composer/installed.json"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        path == "vendor/composer/installed.json"
            || path.ends_with("/vendor/composer/installed.json")
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let installed: Installed = super::json(input.data, "installed.json", input.path)?;
        let (pkgs, dev_names) = match &installed {
            Installed::V1(p) => (p, HashSet::new()),
            Installed::V2 {
                packages,
                dev_package_names,
            } => (
                packages,
                dev_package_names.iter().map(String::as_str).collect(),
            ),
        };
        let packages = pkgs
            .iter()
            .filter_map(|p| to_package(p, dev_names.contains(p.name.as_str()), input.path))
            .collect();
        Ok(FileFindings {
            packages: super::dedup(packages),
            ..Default::default()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = r#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "abc",
    "packages": [
        {"name": "symfony/console", "version": "v6.3.0", "license": ["MIT"], "type": "library"},
        {"name": "guzzlehttp/guzzle", "version": "7.8.0", "license": ["MIT"]}
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "10.4.1", "license": ["BSD-3-Clause"]}
    ],
    "aliases": [],
    "minimum-stability": "stable"
}"#;

    pub(crate) const INSTALLED: &str = r#"{
    "packages": [
        {"name": "symfony/console", "version": "v6.3.0", "version_normalized": "6.3.0.0", "license": ["MIT"]},
        {"name": "phpunit/phpunit", "version": "10.4.1", "license": ["BSD-3-Clause"]}
    ],
    "dev": true,
    "dev-package-names": ["phpunit/phpunit"]
}"#;

    #[test]
    fn lock_packages_and_dev_packages() {
        let f = run(&ComposerLock, "app/composer.lock", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("symfony/console", "v6.3.0", false),
                ("guzzlehttp/guzzle", "7.8.0", false),
                ("phpunit/phpunit", "10.4.1", true),
            ])
        );
        assert_eq!(f.packages[0].purl, "pkg:composer/symfony/console@v6.3.0");
        assert_eq!(f.packages[2].licenses, ["BSD-3-Clause"]);
    }

    #[test]
    fn installed_json_v1_and_v2() {
        let f = run(
            &ComposerInstalled,
            "app/vendor/composer/installed.json",
            INSTALLED.as_bytes(),
        );
        assert_eq!(
            nvd(&f),
            triples(&[
                ("symfony/console", "v6.3.0", false),
                ("phpunit/phpunit", "10.4.1", true)
            ])
        );
        let v1 = r#"[{"name": "monolog/monolog", "version": "2.9.1", "license": ["MIT"]}]"#;
        let f = run(
            &ComposerInstalled,
            "vendor/composer/installed.json",
            v1.as_bytes(),
        );
        assert_eq!(nvd(&f), triples(&[("monolog/monolog", "2.9.1", false)]));
        assert!(!ComposerInstalled.wants("app/installed.json", 0o644, 1));
    }
}
