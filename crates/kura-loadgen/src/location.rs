//! Upload session `Location` handling. distribution-spec ("Pushing blobs") lets the registry
//! answer `POST /v2/<name>/blobs/uploads/` with an absolute URL or an absolute path; the next
//! request goes to that location, with `digest=` appended to whatever query it already carries.

use std::fmt;

/// Why a `Location` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationError {
    /// No `Location` header in the response.
    Missing,
    /// The header is not visible ASCII.
    NotText,
    /// Neither `http(s)://authority/path` nor `/path`.
    Unsupported(String),
}

impl fmt::Display for LocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocationError::Missing => f.write_str("missing"),
            LocationError::NotText => f.write_str("not visible ASCII"),
            LocationError::Unsupported(v) => write!(f, "unsupported form {v:?}"),
        }
    }
}

impl std::error::Error for LocationError {}

/// Reduce a `Location` value to the path and query to request on the same connection. An
/// absolute URL's authority is dropped: the generator talks to one registry, and following a
/// redirect to another host would measure that host instead.
pub fn path_and_query(location: &str) -> Result<String, LocationError> {
    if location.is_empty() || !location.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(LocationError::NotText);
    }
    let rest = if let Some(after) = location
        .strip_prefix("http://")
        .or_else(|| location.strip_prefix("https://"))
    {
        match after.find('/') {
            Some(slash) if slash > 0 => after.get(slash..).unwrap_or_default(),
            _ => return Err(LocationError::Unsupported(location.to_string())),
        }
    } else {
        location
    };
    if rest.starts_with('/') && !rest.starts_with("//") {
        Ok(rest.to_string())
    } else {
        Err(LocationError::Unsupported(location.to_string()))
    }
}

/// Append `key=value` to a path that may already have a query. `value` must already be
/// URL-safe (digests are: `algorithm:hex`, and `:` is allowed in a query per RFC 3986 §3.4).
pub fn with_query(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_forms_table() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("/v2/a/blobs/uploads/123", Ok("/v2/a/blobs/uploads/123")),
            (
                "/v2/a/blobs/uploads/1?_state=x",
                Ok("/v2/a/blobs/uploads/1?_state=x"),
            ),
            (
                "http://127.0.0.1:5000/v2/a/blobs/uploads/1?s=2",
                Ok("/v2/a/blobs/uploads/1?s=2"),
            ),
            ("https://reg.example/v2/x", Ok("/v2/x")),
            ("http://127.0.0.1:5000", Err(())),
            ("http:///v2/x", Err(())),
            ("//evil/v2/x", Err(())),
            ("v2/relative", Err(())),
            ("ftp://h/v2", Err(())),
            ("", Err(())),
            ("/v2/a b", Err(())),
            ("/v2/\u{e9}", Err(())),
        ];
        for (input, want) in cases {
            let got = path_and_query(input);
            assert_eq!(got.as_deref().map_err(|_| ()), *want, "input {input:?}");
        }
    }

    #[test]
    fn digest_query_keeps_existing_parameters() {
        assert_eq!(
            with_query("/u/1", "digest", "sha256:ab"),
            "/u/1?digest=sha256:ab"
        );
        assert_eq!(
            with_query("/u/1?_state=z", "digest", "sha256:ab"),
            "/u/1?_state=z&digest=sha256:ab"
        );
    }

    proptest::proptest! {
        #[test]
        fn location_parser_never_panics(s in ".{0,200}") {
            if let Ok(p) = path_and_query(&s) {
                proptest::prop_assert!(p.starts_with('/') && !p.starts_with("//"));
            }
        }
    }
}
