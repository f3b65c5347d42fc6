//! `uv.lock` (TOML, `[[package]]` tables with `source`, `dependencies`, `optional-dependencies`
//! and `dev-dependencies`). Workspace members (`source = { editable | virtual = … }`) are the
//! project itself and are not reported. A package is dev when it is reachable from a member's
//! `dev-dependencies` but not from any member's `dependencies`/`optional-dependencies`.

use std::collections::{BTreeMap, HashMap};

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Python packages from `uv.lock`.
pub struct UvLock;

const FORMAT: &str = "uv.lock";

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Pkg>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Pkg {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<Dep>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<Dep>>,
}

#[derive(serde::Deserialize)]
struct Dep {
    name: String,
    #[serde(default)]
    version: Option<String>,
}

impl Pkg {
    fn is_member(&self) -> bool {
        self.source.contains_key("editable") || self.source.contains_key("virtual")
    }
    fn runtime_deps(&self) -> impl Iterator<Item = &Dep> {
        self.dependencies
            .iter()
            .chain(self.optional_dependencies.values().flatten())
    }
}

impl Analyzer for UvLock {
    fn id(&self) -> &'static str {
        "uv-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Python packages (uv)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/uv.lock"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "uv.lock"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let lock: Lock = super::toml(input.data, FORMAT, input.path)?;
        let pkgs = &lock.package;
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in pkgs.iter().enumerate() {
            by_name.entry(p.name.as_str()).or_default().push(i);
        }
        // A dependency names a version only when the lock holds several of that package.
        let resolve = |d: &Dep| -> Vec<usize> {
            by_name
                .get(d.name.as_str())
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| {
                            d.version.is_none()
                                || pkgs.get(i).and_then(|p| p.version.as_ref())
                                    == d.version.as_ref()
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let members: Vec<&Pkg> = pkgs.iter().filter(|p| p.is_member()).collect();
        let reach = |starts: Vec<usize>| -> Vec<bool> {
            let mut seen = vec![false; pkgs.len()];
            let mut stack = starts;
            while let Some(i) = stack.pop() {
                match seen.get_mut(i) {
                    Some(s) if !*s => *s = true,
                    _ => continue,
                }
                if let Some(p) = pkgs.get(i) {
                    stack.extend(p.runtime_deps().flat_map(&resolve));
                }
            }
            seen
        };
        let prod = reach(
            members
                .iter()
                .flat_map(|m| m.runtime_deps())
                .flat_map(&resolve)
                .collect(),
        );
        let dev = reach(
            members
                .iter()
                .flat_map(|m| m.dev_dependencies.values().flatten())
                .flat_map(&resolve)
                .collect(),
        );
        let packages = pkgs
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_member())
            .filter_map(|(i, p)| {
                let v = p.version.as_deref()?;
                let is_dev = dev.get(i) == Some(&true) && prod.get(i) != Some(&true);
                Some(package(Ecosystem::PyPI, &p.name, v, input.path).dev(is_dev))
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

    pub(crate) const FIXTURE: &str = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "myproj"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "requests" },
]

[package.optional-dependencies]
socks = [
    { name = "pysocks" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
    { name = "certifi" },
]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://index.example.invalid/simple" }
dependencies = [
    { name = "certifi" },
]

[[package]]
name = "certifi"
version = "2024.8.30"
source = { registry = "https://index.example.invalid/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://index.example.invalid/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://index.example.invalid/simple" }
dependencies = [
    { name = "pluggy" },
]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://index.example.invalid/simple" }
"#;

    #[test]
    fn dev_only_when_unreachable_from_runtime_deps() {
        let f = run(&UvLock, "app/uv.lock", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("requests", "2.32.3", false),
                ("certifi", "2024.8.30", false),
                ("pysocks", "1.7.1", false),
                ("pytest", "8.3.3", true),
                ("pluggy", "1.5.0", true),
            ])
        );
    }
}
