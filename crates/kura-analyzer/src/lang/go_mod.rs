//! `go.mod` (Go Modules Reference, "go.mod files"): `require` directives, single-line or in
//! blocks, with `replace` directives applied. A replacement by another module version names the
//! code that is built; a replacement by a local directory keeps the required module and version.
//! `// indirect` requirements are reported like direct ones (they are built in all the same).

use std::collections::HashMap;

use kura_types::Ecosystem;

use super::{file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Go modules required by `go.mod`.
pub struct GoMod;

const FORMAT: &str = "go.mod";

impl Analyzer for GoMod {
    fn id(&self) -> &'static str {
        "go-mod"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "Go modules (go.mod)"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/go.mod"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        file_name(path) == "go.mod"
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        let mut requires: Vec<(String, String)> = Vec::new();
        // Keyed by (path, Some(version)) for version-specific replaces, (path, None) for all.
        let mut replaces: HashMap<(String, Option<String>), (String, String)> = HashMap::new();
        let mut block: Option<&str> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split("//").next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (verb, rest) = match block {
                Some(_) if line == ")" => {
                    block = None;
                    continue;
                }
                Some(b) => (b, line),
                None => {
                    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                    let rest = rest.trim();
                    if rest == "(" {
                        block = Some(verb);
                        continue;
                    }
                    (verb, rest)
                }
            };
            let bad = |what: &str| {
                AnalyzeError::malformed(FORMAT, input.path, format!("line {}: {what}", n + 1))
            };
            let words: Vec<&str> = rest
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .collect();
            match verb {
                "require" => match words.as_slice() {
                    [p, v, ..] => requires.push((p.to_string(), v.to_string())),
                    _ => return Err(bad("require needs a module path and version")),
                },
                "replace" => {
                    let arrow = words
                        .iter()
                        .position(|w| *w == "=>")
                        .ok_or_else(|| bad("replace without =>"))?;
                    let (lhs, rhs) = words.split_at(arrow);
                    let rhs = rhs.get(1..).unwrap_or_default();
                    let Some(old) = lhs.first() else {
                        return Err(bad("replace without a module path"));
                    };
                    let key = (old.to_string(), lhs.get(1).map(|v| v.to_string()));
                    if let [new_path, new_version] = rhs {
                        replaces.insert(key, (new_path.to_string(), new_version.to_string()));
                    }
                }
                _ => {}
            }
        }
        let packages = requires
            .iter()
            .map(|(p, v)| {
                let r = replaces
                    .get(&(p.clone(), Some(v.clone())))
                    .or_else(|| replaces.get(&(p.clone(), None)));
                let (p, v) = r.map_or((p, v), |(rp, rv)| (rp, rv));
                package(Ecosystem::Go, p, v, input.path)
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

    pub(crate) const FIXTURE: &str = r#"module example.com/app

go 1.21

toolchain go1.21.5

require github.com/gin-gonic/gin v1.9.1

require (
	golang.org/x/net v0.17.0 // indirect
	"github.com/pkg/errors" v0.9.1
	example.com/local v1.0.0
	golang.org/x/text v0.13.0
)

replace golang.org/x/net v0.17.0 => golang.org/x/net v0.19.0

replace (
	example.com/local => ../local
	golang.org/x/text => github.com/fork/text v0.14.0 // fork
)
"#;

    #[test]
    fn requires_with_replacements() {
        let f = run(&GoMod, "src/go.mod", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("github.com/gin-gonic/gin", "v1.9.1", false),
                ("golang.org/x/net", "v0.19.0", false),
                ("github.com/pkg/errors", "v0.9.1", false),
                ("example.com/local", "v1.0.0", false),
                ("github.com/fork/text", "v0.14.0", false),
            ])
        );
        assert_eq!(
            f.packages[0].purl,
            "pkg:golang/github.com/gin-gonic/gin@v1.9.1"
        );
    }

    #[test]
    fn malformed_require_reports_line() {
        let input = FileInput {
            path: "go.mod",
            mode: 0o644,
            data: b"module x\n\nrequire onlypath\n",
        };
        let e = GoMod.analyze(&input).unwrap_err().to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}
