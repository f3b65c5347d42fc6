//! `poetry.lock` (TOML, `[[package]]` tables). Poetry before 1.2 marked development packages with
//! `category = "dev"`; Poetry 2 lists the dependency `groups` a package belongs to: a package is
//! dev when it is in groups but not in `main`.

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Python packages from `poetry.lock`.
pub struct PoetryLock;

const FORMAT: &str = "poetry.lock";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Pkg>,
}

#[derive(serde::Deserialize)]
struct Pkg {
    name: String,
    version: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

impl Analyzer for PoetryLock {
    fn id(&self) -> &'static str {
        "poetry-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Python packages (Poetry)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/poetry.lock"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "poetry.lock"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::toml(input.data, FORMAT, input.path)?;
        let packages = lock
            .package
            .iter()
            .map(|p| {
                let dev = p.category.as_deref() == Some("dev")
                    || (!p.groups.is_empty() && !p.groups.iter().any(|g| g == "main"));
                package(Ecosystem::PyPI, &p.name, &p.version, input.path).dev(dev)
            })
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

    pub(crate) const FIXTURE: &str = r#"
[[package]]
name = "certifi"
version = "2023.7.22"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
groups = ["main"]

[[package]]
name = "pytest"
version = "7.4.3"
description = "pytest: simple powerful testing with Python"
optional = false
python-versions = ">=3.7"
groups = ["dev"]

[[package]]
name = "colorama"
version = "0.4.6"
category = "dev"
optional = false
python-versions = "*"

[[package]]
name = "Zope.Interface"
version = "6.1"
groups = ["main", "dev"]

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "abc"
"#;

    #[test]
    fn dev_from_category_and_groups() {
        let f = run(&PoetryLock, "app/poetry.lock", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("certifi", "2023.7.22", false),
                ("pytest", "7.4.3", true),
                ("colorama", "0.4.6", true),
                ("Zope.Interface", "6.1", false),
            ])
        );
        assert_eq!(f.packages[3].purl, "pkg:pypi/zope-interface@6.1");
    }
}
