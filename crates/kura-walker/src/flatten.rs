//! Stacking layers into the final filesystem view, with per-package layer attribution.
//!
//! Layers are applied bottom-up as OCI image-spec `layer.md` "Applying Changesets" describes:
//! whiteouts and opaque markers remove lower-layer entries, then the layer's own entries
//! replace whatever was at their paths. Parent directories of every entry are resolved through
//! the symlinks present at that point (as runtimes do when they unpack), confined to the root.

use crate::analyze::rehome;
use crate::path::{ResolveError, resolve};
use crate::{EntryWarning, FileRecord, LayerAnalysis, Link};
use kura_types::{Ecosystem, LayerInfo, OsInfo, Package, ScanWarning};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Depth used when the layers carry no limits of their own (Linux `MAXSYMLINKS`).
const MAX_SYMLINK_DEPTH: u32 = 40;

/// One write of a path by one layer.
struct Version<'a> {
    layer: usize,
    record: Cow<'a, FileRecord>,
}

struct View<'a> {
    /// Per path, the versions written since it was last removed, bottom first.
    files: BTreeMap<String, Vec<Version<'a>>>,
    /// Symlinks present: path → raw target.
    symlinks: BTreeMap<String, String>,
    /// Symlinks some analyzer wanted, and the layer that wrote them.
    wanted: BTreeMap<String, usize>,
    warnings: Vec<ScanWarning>,
}

/// Stack the layers (bottom first) into the final view. `infos[i]` describes `layers[i]`; with
/// no infos (a directory scan) packages carry no layer attribution.
///
/// A package found in the final file at path P is attributed to the lowest layer from which the
/// same package (ecosystem, name, version) was present in P without interruption up to the top
/// — a dpkg status rewritten by every `apt-get` layer still credits each package to the layer
/// that installed it.
pub fn flatten(
    layers: &[LayerAnalysis],
    infos: &[LayerInfo],
) -> (Option<OsInfo>, Vec<Package>, Vec<ScanWarning>) {
    let mut view = View {
        files: BTreeMap::new(),
        symlinks: BTreeMap::new(),
        wanted: BTreeMap::new(),
        warnings: Vec::new(),
    };
    for (i, layer) in layers.iter().enumerate() {
        let diff_id = infos.get(i).map(|l| l.diff_id.as_str());
        view.warnings
            .extend(layer.warnings.iter().map(|w| to_scan_warning(w, diff_id)));
        view.apply(i, layer, diff_id);
    }
    view.finish(infos)
}

fn to_scan_warning(w: &EntryWarning, layer: Option<&str>) -> ScanWarning {
    ScanWarning {
        path: w.path.as_ref().map(|p| format!("/{p}")),
        layer: layer.map(str::to_string),
        analyzer: w.analyzer.clone(),
        message: w.message.clone(),
    }
}

/// Remove `dir` and everything under it from a path-keyed map (or only what is under it).
fn remove_tree<V>(map: &mut BTreeMap<String, V>, dir: &str, include_self: bool) {
    if dir.is_empty() {
        map.clear();
        return;
    }
    let start = format!("{dir}/");
    // '0' is the character after '/', so this range is exactly the paths under `dir/`.
    let end = format!("{dir}0");
    let doomed: Vec<String> = map.range(start..end).map(|(k, _)| k.clone()).collect();
    for k in doomed {
        map.remove(&k);
    }
    if include_self {
        map.remove(dir);
    }
}

impl<'a> View<'a> {
    /// Resolve the parent directories of `path` through the current symlinks.
    fn place(&mut self, path: &str, layer: Option<&str>) -> Option<String> {
        match resolve(path, &self.symlinks, false, MAX_SYMLINK_DEPTH) {
            Ok(p) => Some(p),
            Err(e) => {
                self.warn(path, layer, e);
                None
            }
        }
    }

    fn warn(&mut self, path: &str, layer: Option<&str>, e: impl std::fmt::Display) {
        self.warnings.push(ScanWarning {
            path: Some(format!("/{path}")),
            layer: layer.map(str::to_string),
            analyzer: None,
            message: e.to_string(),
        });
    }

    /// Hide a path and everything under it (a whiteout, or a non-directory written over it).
    fn hide(&mut self, path: &str, include_self: bool) {
        remove_tree(&mut self.files, path, include_self);
        remove_tree(&mut self.symlinks, path, include_self);
        remove_tree(&mut self.wanted, path, include_self);
    }

    fn apply(&mut self, i: usize, layer: &'a LayerAnalysis, diff_id: Option<&str>) {
        for dir in &layer.opaque_dirs {
            if let Some(d) = self.place(dir, diff_id) {
                self.hide(&d, false);
            }
        }
        for p in &layer.whiteouts {
            if let Some(p) = self.place(p, diff_id) {
                self.hide(&p, true);
            }
        }
        for (p, link) in &layer.links {
            let Some(at) = self.place(p, diff_id) else {
                continue;
            };
            match link {
                Link::Symlink { target, wanted } => {
                    self.hide(&at, true);
                    self.symlinks.insert(at.clone(), target.clone());
                    if *wanted {
                        self.wanted.insert(at, i);
                    }
                }
                Link::Hard { target } => self.hard_link(i, &at, target, diff_id),
            }
        }
        for (p, record) in &layer.files {
            let Some(at) = self.place(p, diff_id) else {
                continue;
            };
            let record = if at == *p {
                Cow::Borrowed(record)
            } else {
                Cow::Owned(rehome(record, p, &at))
            };
            self.write(i, at, record);
        }
    }

    fn write(&mut self, layer: usize, at: String, record: Cow<'a, FileRecord>) {
        self.hide(&at, false);
        self.symlinks.remove(&at);
        self.wanted.remove(&at);
        self.files
            .entry(at)
            .or_default()
            .push(Version { layer, record });
    }

    /// A hard link to a file of a lower layer shares that file's content.
    fn hard_link(&mut self, i: usize, at: &str, target: &str, diff_id: Option<&str>) {
        let Some(t) = self.place(target, diff_id) else {
            return;
        };
        let found = self
            .files
            .get(&t)
            .and_then(|h| h.last())
            .map(|v| rehome(&v.record, &t, at));
        match found {
            Some(record) => self.write(i, at.to_string(), Cow::Owned(record)),
            None => self.warn(
                at,
                diff_id,
                format!("hard link to /{t}, which is not among the analyzed files: not analyzed"),
            ),
        }
    }

    fn finish(mut self, infos: &[LayerInfo]) -> (Option<OsInfo>, Vec<Package>, Vec<ScanWarning>) {
        self.check_wanted_symlinks(infos);
        let mut packages = Vec::new();
        let mut os_found: Vec<(&str, &OsInfo)> = Vec::new();
        let mut license_facts: std::collections::HashMap<(Ecosystem, &str), &Vec<String>> =
            std::collections::HashMap::new();
        for (path, history) in &self.files {
            let Some(top) = history.last() else {
                continue;
            };
            for r in &top.record.results {
                if let Some(os) = &r.findings.os {
                    os_found.push((path.as_str(), os));
                }
                for fact in &r.findings.license_facts {
                    license_facts
                        .entry((fact.ecosystem, fact.package.as_str()))
                        .or_insert(&fact.licenses);
                }
                for pkg in &r.findings.packages {
                    let mut p = pkg.clone();
                    let layer = introduced_by(history, pkg);
                    if let Some(info) = infos.get(layer) {
                        p.location.layer_index = Some(info.index);
                        p.location.layer_diff_id = Some(info.diff_id.clone());
                    }
                    packages.push(p);
                }
            }
        }
        // Licenses stated in another file (Debian copyright files) fill packages whose own
        // database declares none.
        for p in packages.iter_mut().filter(|p| p.licenses.is_empty()) {
            if let Some(l) = license_facts.get(&(p.ecosystem, p.name.as_str())) {
                p.licenses = (*l).clone();
            }
        }
        // Several release files may describe the OS (os-release, debian_version…); the OS
        // analyzers own the rules for combining them and for the distro part of OS purls.
        let os = kura_analyzer::os::merge_os(
            os_found
                .into_iter()
                .map(|(p, o)| (p.to_string(), o.clone()))
                .collect(),
        );
        if let Some(os) = &os {
            kura_analyzer::os::finalize_purls(os, &mut packages);
        }
        sort_packages(&mut packages);
        (os, packages, self.warnings)
    }

    fn check_wanted_symlinks(&mut self, infos: &[LayerInfo]) {
        let wanted: Vec<(String, usize)> =
            self.wanted.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for (link, layer) in wanted {
            let diff_id = infos.get(layer).map(|l| l.diff_id.clone());
            match resolve(&link, &self.symlinks, true, MAX_SYMLINK_DEPTH) {
                Ok(t) if self.files.contains_key(&t) => {}
                Ok(t) => self.warn(
                    &link,
                    diff_id.as_deref(),
                    format!(
                        "symlink resolves to /{t}, which was not analyzed (absent, or not wanted under that path)"
                    ),
                ),
                Err(e @ ResolveError::TooDeep { .. }) => self.warn(&link, diff_id.as_deref(), e),
            }
        }
    }
}

/// The lowest layer from which `pkg` was present in this path continuously up to the top.
fn introduced_by(history: &[Version<'_>], pkg: &Package) -> usize {
    let key = (pkg.ecosystem, pkg.name.as_str(), pkg.version.as_str());
    let has = |v: &Version<'_>| {
        v.record.results.iter().any(|r| {
            r.findings
                .packages
                .iter()
                .any(|p| (p.ecosystem, p.name.as_str(), p.version.as_str()) == key)
        })
    };
    let mut lowest = history.len().saturating_sub(1);
    while lowest > 0 && history.get(lowest - 1).is_some_and(has) {
        lowest -= 1;
    }
    history.get(lowest).map_or(0, |v| v.layer)
}

/// Sort by (ecosystem, name, version, path, purl) and drop exact duplicates (same purl at the
/// same path, as two analyzers reading one file might report).
pub(crate) fn sort_packages(packages: &mut Vec<Package>) {
    fn key(p: &Package) -> (Ecosystem, &str, &str, &str, &str) {
        (p.ecosystem, &p.name, &p.version, &p.location.path, &p.purl)
    }
    packages.sort_by(|a, b| key(a).cmp(&key(b)));
    packages.dedup_by(|a, b| key(a) == key(b));
}
