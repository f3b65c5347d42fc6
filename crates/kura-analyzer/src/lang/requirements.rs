//! pip requirements files (pip "Requirements File Format"): only exact pins `name==version`
//! (or `===`) are packages; ranges, URLs, editable installs, `-r`/`-c` includes and options are
//! skipped because they do not say which version is installed.

use kura_types::Ecosystem;

use super::{file_name, package};
use crate::{AnalyzeError, Analyzer, FileFindings, FileInput};

/// Pinned requirements from `requirements*.txt`.
pub struct Requirements;

const FORMAT: &str = "requirements.txt";

impl Analyzer for Requirements {
    fn id(&self) -> &'static str {
        "pip-requirements"
    }
    fn version(&self) -> u32 {
        1
    }
    fn extracts(&self) -> &'static str {
        "pinned Python requirements"
    }
    fn patterns(&self) -> &'static [&'static str] {
        &["**/requirements*.txt"]
    }
    fn wants(&self, path: &str, _mode: u32, _size: u64) -> bool {
        let n = file_name(path);
        n.starts_with("requirements") && n.ends_with(".txt")
    }
    fn max_size(&self) -> u64 {
        4 * 1024 * 1024
    }
    fn analyze(&self, input: &FileInput<'_>) -> Result<FileFindings, AnalyzeError> {
        let text = super::utf8(input.data, FORMAT, input.path)?;
        // A trailing backslash continues the line (pip joins them before parsing).
        let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
        let packages = joined
            .lines()
            .filter_map(parse_line)
            .map(|(n, v)| package(Ecosystem::PyPI, n, v, input.path))
            .collect();
        Ok(FileFindings {
            packages: super::dedup(packages),
            ..Default::default()
        })
    }
}

/// `name[extras] == version ; marker  --hash=…  # comment` → (name, version).
fn parse_line(line: &str) -> Option<(&str, &str)> {
    // Comments start at `#` preceded by whitespace or at the line start (pip's COMMENT_RE).
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    };
    let line = line.trim();
    if line.is_empty() || line.starts_with(['#', '-']) {
        return None;
    }
    let line = line.split(';').next()?.trim();
    let (lhs, rhs) = line.split_once("==")?;
    let rhs = rhs.strip_prefix('=').unwrap_or(rhs);
    let name = lhs.split('[').next()?.trim();
    let version = rhs
        .trim()
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()?;
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let valid_version = !version.is_empty() && !version.contains('*');
    (valid_name && valid_version).then_some((name, version))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::testing::{nvd, run, triples};

    pub(crate) const FIXTURE: &str = "# app requirements\n\
        Django==4.2.7\n\
        requests[security,socks] == 2.31.0 ; python_version >= \"3.8\"\n\
        urllib3==2.0.7 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n\
        flask>=2.0\n\
        numpy==1.26.*\n\
        -r other.txt\n\
        -e git+https://example.com/x.git#egg=x\n\
        pinned===1.0+local # comment\n\
        Django==4.2.7\n";

    #[test]
    fn only_exact_pins_table() {
        let f = run(&Requirements, "app/requirements.txt", FIXTURE.as_bytes());
        assert_eq!(
            nvd(&f),
            triples(&[
                ("Django", "4.2.7", false),
                ("requests", "2.31.0", false),
                ("urllib3", "2.0.7", false),
                ("pinned", "1.0+local", false),
            ])
        );
        assert_eq!(f.packages[0].purl, "pkg:pypi/django@4.2.7");
    }

    #[test]
    fn wants_requirement_variants() {
        assert!(Requirements.wants("app/requirements.txt", 0, 1));
        assert!(Requirements.wants("requirements-dev.txt", 0, 1));
        assert!(!Requirements.wants("app/constraints.txt", 0, 1));
    }
}
