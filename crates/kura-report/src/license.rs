//! Sorting declared license strings into SPDX identifiers, SPDX expressions and free text.

/// What a declared license string is, as far as SPDX is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseKind {
    /// A single identifier from the SPDX license list (`MIT`).
    Id(String),
    /// A valid SPDX license expression that is not a bare identifier
    /// (`MIT OR Apache-2.0`, `GPL-2.0+`, `LicenseRef-foo`).
    Expression(String),
    /// Anything else (`GPLv2+`, `BSD-like`, `see COPYING`): only usable as free text.
    Name(String),
}

/// Classify a declared license string.
///
/// Parsing follows SPDX 2.3 Annex D (license expressions): identifiers must come from the
/// SPDX license list, operators are `AND`, `OR`, `WITH` and a trailing `+`. Deprecated
/// identifiers (`GPL-2.0`) stay valid in SPDX 2.3 documents, so they are accepted; lax
/// spellings (`Apache 2`, `MIT/X11`) are not guessed at, because a wrong guess in an SBOM is
/// worse than free text.
pub fn classify_license(declared: &str) -> LicenseKind {
    let s = declared.trim();
    let mode = spdx::ParseMode {
        allow_deprecated: true,
        // `GPL-2.0+` is valid SPDX 2.3 syntax (Annex D `simple-expression = license-id "+"`).
        allow_postfix_plus_on_gpl: true,
        ..spdx::ParseMode::STRICT
    };
    if s.is_empty() || spdx::Expression::parse_mode(s, mode).is_err() {
        return LicenseKind::Name(s.to_string());
    }
    let single_id = !s.contains(|c: char| c.is_whitespace() || c == '(' || c == '+')
        && spdx::license_id(s).is_some_and(|id| id.name == s);
    if single_id {
        LicenseKind::Id(s.to_string())
    } else {
        LicenseKind::Expression(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_licenses_are_classified() {
        use LicenseKind::*;
        for (input, want) in [
            ("MIT", Id("MIT".into())),
            (" Apache-2.0 ", Id("Apache-2.0".into())),
            ("GPL-2.0", Id("GPL-2.0".into())),
            ("GPL-2.0-or-later", Id("GPL-2.0-or-later".into())),
            ("GPL-2.0+", Expression("GPL-2.0+".into())),
            ("MIT OR Apache-2.0", Expression("MIT OR Apache-2.0".into())),
            (
                "(MIT AND BSD-3-Clause) OR Apache-2.0 WITH LLVM-exception",
                Expression("(MIT AND BSD-3-Clause) OR Apache-2.0 WITH LLVM-exception".into()),
            ),
            ("LicenseRef-custom", Expression("LicenseRef-custom".into())),
            ("mit", Name("mit".into())),
            ("GPLv2+", Name("GPLv2+".into())),
            ("MIT/X11", Name("MIT/X11".into())),
            ("Apache 2.0", Name("Apache 2.0".into())),
            ("MIT AND", Name("MIT AND".into())),
            ("(MIT", Name("(MIT".into())),
            ("", Name(String::new())),
        ] {
            assert_eq!(classify_license(input), want, "{input:?}");
        }
    }
}
