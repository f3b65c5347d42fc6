//! `Pipfile.lock` (pipenv, JSON): `default` holds runtime packages, `develop` development ones,
//! each `{ "name": { "version": "==1.2.3", … } }`. Entries without a `==` version (VCS, paths)
//! are skipped. A package in both sections is not dev.

use std::collections::BTreeMap;

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Python packages from `Pipfile.lock`.
pub struct PipfileLock;

const FORMAT: &str = "Pipfile.lock";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    default: BTreeMap<String, Entry>,
    #[serde(default)]
    develop: BTreeMap<String, Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    #[serde(default)]
    version: Option<String>,
}

impl Analyzer for PipfileLock {
    fn id(&self) -> &'static str {
        "pipfile-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Python packages (Pipenv)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/Pipfile.lock"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "Pipfile.lock"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::json(input.data, FORMAT, input.path)?;
        let sections = [(&lock.default, false), (&lock.develop, true)];
        let packages = sections
            .iter()
            .flat_map(|(sec, dev)| {
                sec.iter().filter_map(move |(name, e)| {
                    let v = e.version.as_deref()?.strip_prefix("==")?;
                    Some(package(Ecosystem::PyPI, name, v, input.path).dev(*dev))
                })
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

    pub(crate) const FIXTURE: &str = r#"{
    "_meta": {"hash": {"sha256": "abc"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"}},
    "default": {
        "idna": {"hashes": ["sha256:abc"], "markers": "python_version >= '3.5'", "version": "==3.4"},
        "requests": {"hashes": [], "index": "pypi", "version": "==2.31.0"},
        "mylib": {"git": "https://example.com/mylib.git", "ref": "abc"}
    },
    "develop": {
        "pytest": {"version": "==7.4.3"},
        "idna": {"version": "==3.4"}
    }
}"#;

    #[test]
    fn default_and_develop_sections() {
        let f = run(&PipfileLock, "Pipfile.lock", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("idna", "3.4", false),
                ("requests", "2.31.0", false),
                ("pytest", "7.4.3", true),
            ])
        );
    }
}
