//! `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x.
//!
//! Package keys: v5 `/name/1.2.3_peer@1.0.0`, v6 `/name@1.2.3(peer@1.0.0)`, v9 `name@1.2.3`
//! (peer variants live under `snapshots`). Peer suffixes are dropped, so the variants of one
//! package collapse into one record. Explicit `name`/`version` fields (tarball and git packages)
//! win over the key. Local packages (`file:`, `link:`) are skipped.
//!
//! Dev: v5 and v6 mark each package `dev: true|false`. v9 dropped the flag, so it is derived:
//! a package is dev when reachable (through `snapshots` dependencies) from an importer's
//! `devDependencies` but not from its `dependencies`/`optionalDependencies`.

use std::collections::{BTreeMap, HashSet};

use kura_types::Ecosystem;

use super::{PackageExt, file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// npm packages from `pnpm-lock.yaml`.
pub struct PnpmLock;

const FORMAT: &str = "pnpm-lock.yaml";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lock {
    #[serde(default)]
    lockfile_version: Option<Scalar>,
    #[serde(default)]
    importers: BTreeMap<String, Importer>,
    #[serde(default)]
    packages: BTreeMap<String, Pkg>,
    #[serde(default)]
    snapshots: BTreeMap<String, Snapshot>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Scalar {
    Num(f64),
    Str(String),
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Importer {
    #[serde(default)]
    dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, ImporterDep>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, ImporterDep>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ImporterDep {
    Plain(String),
    Spec { version: String },
}

impl ImporterDep {
    fn version(&self) -> &str {
        match self {
            ImporterDep::Plain(v) | ImporterDep::Spec { version: v } => v,
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct Pkg {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dev: Option<bool>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Snapshot {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
}

impl Analyzer for PnpmLock {
    fn id(&self) -> &'static str {
        "pnpm-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "npm packages (pnpm-lock.yaml)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/pnpm-lock.yaml"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "pnpm-lock.yaml"
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        let lock: Lock = serde_saphyr::from_str(text)
            .map_err(|e| AnalyzeError::malformed(FORMAT, input.path, e))?;
        let major = match &lock.lockfile_version {
            Some(Scalar::Num(n)) => *n as u32,
            Some(Scalar::Str(s)) => s
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
            None => 0,
        };
        let derived_dev = (major >= 9).then(|| dev_from_graph(&lock));
        let packages = lock
            .packages
            .iter()
            .filter_map(|(key, p)| {
                let (kn, kv) = parse_key(key, major)?;
                let name = p.name.as_deref().unwrap_or(kn);
                let version = p.version.as_deref().unwrap_or(kv);
                if version.contains(':') || name.is_empty() || version.is_empty() {
                    return None;
                }
                let dev = match &derived_dev {
                    Some(set) => set.contains(&format!("{kn}@{kv}")),
                    None => p.dev == Some(true),
                };
                Some(package(Ecosystem::Npm, name, version, input.path).dev(dev))
            })
            .collect();
        Ok(FileFindings {
            packages: super::dedup(packages),
            ..Default::default()
        })
    }
}

/// `(name, version)` of a package key, peer suffix removed.
fn parse_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if major > 0 && major < 6 {
        let (name, version) = key.rsplit_once('/')?;
        let version = version.split('_').next()?;
        return Some((name, version));
    }
    let key = key.split('(').next()?;
    let i = key.get(1..)?.find('@')? + 1;
    Some((&key[..i], &key[i + 1..]))
}

/// v9: base keys (`name@version`) reachable only from dev roots.
fn dev_from_graph(lock: &Lock) -> HashSet<String> {
    let id = |name: &str, version: &str| format!("{name}@{version}");
    let reach = |roots: Vec<String>| -> HashSet<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack = roots;
        while let Some(k) = stack.pop() {
            if !seen.insert(k.clone()) {
                continue;
            }
            if let Some(s) = lock.snapshots.get(&k) {
                for (n, v) in s.dependencies.iter().chain(&s.optional_dependencies) {
                    stack.push(id(n, v));
                }
            }
        }
        seen
    };
    let roots = |pick: fn(&Importer) -> Vec<&BTreeMap<String, ImporterDep>>| {
        lock.importers
            .values()
            .flat_map(|imp| pick(imp).into_iter().flatten())
            .map(|(n, d)| id(n, d.version()))
            .collect::<Vec<_>>()
    };
    let prod = reach(roots(|i| vec![&i.dependencies, &i.optional_dependencies]));
    let dev = reach(roots(|i| vec![&i.dev_dependencies]));
    let base = |k: &String| k.split('(').next().unwrap_or(k).to_string();
    let prod_base: HashSet<String> = prod.iter().map(base).collect();
    dev.iter()
        .map(base)
        .filter(|k| !prod_base.contains(k))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      express:
        specifier: ^4.18.2
        version: 4.18.2
    devDependencies:
      '@types/node':
        specifier: ^20.0.0
        version: 20.10.0
      ms:
        specifier: 2.1.3
        version: 2.1.3

packages:

  '@types/node@20.10.0':
    resolution: {integrity: sha512-abc}

  express@4.18.2:
    resolution: {integrity: sha512-def}
    engines: {node: '>= 0.10.0'}

  ms@2.1.3:
    resolution: {integrity: sha512-ghi}

  undici-types@5.26.5:
    resolution: {integrity: sha512-jkl}

snapshots:

  '@types/node@20.10.0':
    dependencies:
      undici-types: 5.26.5

  express@4.18.2:
    dependencies:
      ms: 2.1.3

  ms@2.1.3: {}

  undici-types@5.26.5: {}
"#;

    #[test]
    fn v9_dev_derived_from_importers() {
        let f = run(&PnpmLock, "app/pnpm-lock.yaml", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("@types/node", "20.10.0", true),
                ("express", "4.18.2", false),
                ("ms", "2.1.3", false),
                ("undici-types", "5.26.5", true),
            ])
        );
        assert_eq!(f.packages[0].purl, "pkg:npm/%40types/node@20.10.0");
    }

    #[test]
    fn v6_keys_with_peers_and_dev_flags() {
        let v6 = r#"lockfileVersion: '6.0'

dependencies:
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)

packages:

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-abc}
    peerDependencies:
      react: ^18.2.0
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-def}
    dev: false

  /@babel/core@7.23.0(supports-color@8.0.0):
    resolution: {integrity: sha512-ghi}
    dev: true

  /tar-pkg@github.com/x/y/abc:
    resolution: {tarball: https://example.com/x.tgz}
    name: tar-pkg
    version: 1.0.0
    dev: false
"#;
        let f = run(&PnpmLock, "pnpm-lock.yaml", v6.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("@babel/core", "7.23.0", true),
                ("react-dom", "18.2.0", false),
                ("react", "18.2.0", false),
                ("tar-pkg", "1.0.0", false),
            ])
        );
    }

    #[test]
    fn v5_keys_table() {
        for (key, want) in [
            ("/lodash/4.17.21", ("lodash", "4.17.21")),
            (
                "/@babel/core/7.23.0_supports-color@8.0.0",
                ("@babel/core", "7.23.0"),
            ),
        ] {
            assert_eq!(parse_key(key, 5), Some(want), "{key}");
        }
        let v5 = "lockfileVersion: 5.4\n\npackages:\n\n  /lodash/4.17.21:\n    resolution: {integrity: sha512-x}\n    dev: true\n";
        let f = run(&PnpmLock, "pnpm-lock.yaml", v5.as_bytes());
        assert_eq!(nvd(&f), triples(&[("lodash", "4.17.21", true)]));
    }
}
