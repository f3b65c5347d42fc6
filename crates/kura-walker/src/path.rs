//! Path rules of the flattened view: entry-name normalisation, whiteout names and symlink
//! resolution confined to the image root.

use std::collections::BTreeMap;

/// An entry name after normalisation, plus what was wrong with the raw name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalPath {
    /// Relative path without a leading `/`, `.` components or trailing `/`; empty for the root.
    pub path: String,
    /// The raw name tried to leave the root (`..` above the top) or was absolute.
    pub escaped: bool,
}

/// Normalise a tar entry name the way container runtimes apply it: the name is joined to the
/// layer root and cleaned, so `..` never climbs above the root and a leading `/` is dropped
/// (containerd `archive.Apply` joins every name to the root before use). Names that tried to
/// escape are flagged so the walker can warn about them.
pub fn normalize(raw: &str) -> NormalPath {
    let mut escaped = raw.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            c => parts.push(c),
        }
    }
    NormalPath {
        path: parts.join("/"),
        escaped,
    }
}

/// What an entry's base name says about whiteouts (OCI image-spec `layer.md`, "Whiteouts").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whiteout {
    /// Not a whiteout: an ordinary entry.
    None,
    /// `.wh.NAME`: hide `NAME` (and everything under it) in lower layers.
    Entry(String),
    /// `.wh..wh..opq`: hide every lower-layer child of this directory.
    Opaque(String),
    /// Another `.wh..wh.` name: reserved by the spec, never part of the filesystem.
    Reserved,
}

/// Prefix of whiteout files.
const WH: &str = ".wh.";
/// Base name of the opaque-directory marker.
const OPAQUE: &str = ".wh..wh..opq";

/// Classify a normalised path as a whiteout or not.
pub fn whiteout(path: &str) -> Whiteout {
    let (dir, base) = split_parent(path);
    if base == OPAQUE {
        return Whiteout::Opaque(dir.to_string());
    }
    if base.starts_with(".wh..wh.") {
        return Whiteout::Reserved;
    }
    match base.strip_prefix(WH) {
        Some("") | None => Whiteout::None,
        Some(name) => Whiteout::Entry(join(dir, name)),
    }
}

/// Split `a/b/c` into (`a/b`, `c`); the root's parent is itself.
pub fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Join a directory and a relative name, either of which may be empty.
pub fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{name}"),
    }
}

/// True when `path` is `dir` itself or lies under it. The root (`""`) contains everything.
pub fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Why a path could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// More symlinks than allowed on the way (a loop, or a chain too long to be honest).
    #[error("too many levels of symbolic links (more than {limit}) resolving {path}")]
    TooDeep {
        /// The path being resolved.
        path: String,
        /// The limit that was hit.
        limit: u32,
    },
}

/// Resolve `path` through the symlinks in `links` (relative path → raw target) as if the image
/// root were `/` — chroot semantics: absolute targets start at the image root and `..` stops
/// there, so nothing outside the image is ever named. The last component is followed only when
/// `follow_last` is set. At most `max_depth` links are followed (Linux `MAXSYMLINKS` is 40).
pub fn resolve(
    path: &str,
    links: &BTreeMap<String, String>,
    follow_last: bool,
    max_depth: u32,
) -> Result<String, ResolveError> {
    let mut done: Vec<String> = Vec::new();
    // Components still to walk, in reverse order so `pop` yields the next one.
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut followed = 0u32;
    while let Some(comp) = todo.pop() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        done.push(comp);
        let is_last = todo.iter().all(|c| c.is_empty() || c == ".");
        if is_last && !follow_last {
            continue;
        }
        let here = done.join("/");
        let Some(target) = links.get(&here) else {
            continue;
        };
        followed += 1;
        if followed > max_depth {
            return Err(ResolveError::TooDeep {
                path: path.to_string(),
                limit: max_depth,
            });
        }
        done.pop();
        if target.starts_with('/') {
            done.clear();
        }
        todo.extend(target.split('/').rev().map(str::to_string));
    }
    Ok(done.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_cleans_and_clamps_names_like_a_runtime() {
        let cases: &[(&str, &str, bool)] = &[
            ("etc/os-release", "etc/os-release", false),
            ("./etc/os-release", "etc/os-release", false),
            ("etc//./apk/", "etc/apk", false),
            ("./", "", false),
            ("/etc/passwd", "etc/passwd", true),
            ("../../etc/shadow", "etc/shadow", true),
            ("a/../../b", "b", true),
            ("a/b/../c", "a/c", false),
            ("..", "", true),
        ];
        for (raw, want, esc) in cases {
            let n = normalize(raw);
            assert_eq!((n.path.as_str(), n.escaped), (*want, *esc), "raw {raw:?}");
        }
    }

    #[test]
    fn whiteout_names_follow_the_oci_spec() {
        let cases: &[(&str, Whiteout)] = &[
            ("a/.wh.b", Whiteout::Entry("a/b".into())),
            (".wh.etc", Whiteout::Entry("etc".into())),
            ("a/.wh..wh..opq", Whiteout::Opaque("a".into())),
            (".wh..wh..opq", Whiteout::Opaque(String::new())),
            ("a/.wh..wh.plnk", Whiteout::Reserved),
            ("a/.wh.", Whiteout::None),
            ("a/b.wh.c", Whiteout::None),
            ("a/.whx", Whiteout::None),
        ];
        for (p, want) in cases {
            assert_eq!(&whiteout(p), want, "path {p:?}");
        }
    }

    #[test]
    fn is_within_respects_component_boundaries() {
        assert!(is_within("a/b", "a"));
        assert!(is_within("a", "a"));
        assert!(!is_within("ab", "a"));
        assert!(is_within("x", ""));
        assert!(!is_within("a", "a/b"));
    }

    fn links(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn resolve_stays_inside_the_root() {
        let l = links(&[
            ("etc/os-release", "../usr/lib/os-release"),
            ("lib", "usr/lib"),
            ("abs", "/usr/share"),
            ("evil", "../../../../host/etc"),
            ("rel", "../../x"),
            ("usr/lib/chain", "../../abs/doc"),
        ]);
        let cases: &[(&str, bool, &str)] = &[
            ("etc/os-release", true, "usr/lib/os-release"),
            ("etc/os-release", false, "etc/os-release"),
            ("lib/x/METADATA", false, "usr/lib/x/METADATA"),
            ("abs/doc", true, "usr/share/doc"),
            ("evil/passwd", true, "host/etc/passwd"),
            ("rel", true, "x"),
            ("usr/lib/chain", true, "usr/share/doc"),
            ("lib/chain/z", true, "usr/share/doc/z"),
        ];
        for (p, follow, want) in cases {
            assert_eq!(resolve(p, &l, *follow, 40).as_deref(), Ok(*want), "{p}");
        }
    }

    #[test]
    fn resolve_stops_on_loops() {
        let l = links(&[("a", "b"), ("b", "a"), ("self", "self/x")]);
        assert!(matches!(
            resolve("a", &l, true, 40),
            Err(ResolveError::TooDeep { .. })
        ));
        assert!(matches!(
            resolve("self/y", &l, true, 40),
            Err(ResolveError::TooDeep { .. })
        ));
        // Not following the last component never touches the loop.
        assert_eq!(resolve("a", &l, false, 40).as_deref(), Ok("a"));
    }
}
