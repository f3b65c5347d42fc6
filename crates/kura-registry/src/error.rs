//! Distribution-spec error codes (spec "Error Codes" table) and their HTTP rendering.
//!
//! Every handler returns [`OciError`]; this is the only place that builds an error body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The spec's error codes, plus the two registry-wide ones distribution uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// code-1
    BlobUnknown,
    /// code-2
    BlobUploadInvalid,
    /// code-3
    BlobUploadUnknown,
    /// code-4
    DigestInvalid,
    /// code-5
    ManifestBlobUnknown,
    /// code-6
    ManifestInvalid,
    /// code-7
    ManifestUnknown,
    /// code-8
    NameInvalid,
    /// code-9
    NameUnknown,
    /// code-10
    SizeInvalid,
    /// code-11
    Unauthorized,
    /// code-12
    Denied,
    /// code-13
    Unsupported,
    /// code-14
    TooManyRequests,
    /// Range not satisfiable (416): spec "Pushing a blob in chunks".
    RangeInvalid,
    /// Tag refused by an immutability rule or a quota.
    TagInvalid,
    /// Server-side failure; the detail stays in the log.
    Unknown,
}

impl ErrorCode {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BlobUnknown => "BLOB_UNKNOWN",
            BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            DigestInvalid => "DIGEST_INVALID",
            ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ManifestInvalid => "MANIFEST_INVALID",
            ManifestUnknown => "MANIFEST_UNKNOWN",
            NameInvalid => "NAME_INVALID",
            NameUnknown => "NAME_UNKNOWN",
            SizeInvalid => "SIZE_INVALID",
            Unauthorized => "UNAUTHORIZED",
            Denied => "DENIED",
            Unsupported => "UNSUPPORTED",
            TooManyRequests => "TOOMANYREQUESTS",
            RangeInvalid => "BLOB_UPLOAD_INVALID",
            TagInvalid => "TAG_INVALID",
            Unknown => "UNKNOWN",
        }
    }
    /// Default status.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            BlobUnknown | BlobUploadUnknown | ManifestUnknown | NameUnknown => {
                StatusCode::NOT_FOUND
            }
            Unauthorized => StatusCode::UNAUTHORIZED,
            Denied => StatusCode::FORBIDDEN,
            TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            RangeInvalid => StatusCode::RANGE_NOT_SATISFIABLE,
            Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            SizeInvalid => StatusCode::BAD_REQUEST,
            Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error response.
#[derive(Debug)]
pub struct OciError {
    /// The code.
    pub code: ErrorCode,
    /// HTTP status (defaults to the code's).
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// Extra headers (`WWW-Authenticate`, `Range`, `Location`, `Retry-After`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl OciError {
    /// An error with the code's default status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> OciError {
        OciError {
            code,
            status: code.status(),
            message: message.into(),
            headers: Vec::new(),
        }
    }
    /// Override the status.
    pub fn with_status(mut self, status: StatusCode) -> OciError {
        self.status = status;
        self
    }
    /// Add a header.
    pub fn with_header(mut self, name: header::HeaderName, value: &str) -> OciError {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

impl std::fmt::Display for OciError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "code": self.code.as_str(), "message": self.message, "detail": null }]
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        for (k, v) in self.headers {
            resp.headers_mut().append(k, v);
        }
        resp
    }
}

/// Internal failures (storage, metadata) become `UNKNOWN` 500s; the cause is logged, not sent.
impl From<crate::storage::StorageError> for OciError {
    fn from(e: crate::storage::StorageError) -> Self {
        tracing::error!(error = %e, "storage failure");
        OciError::new(ErrorCode::Unknown, "storage failure")
    }
}

impl From<crate::meta::MetaError> for OciError {
    fn from(e: crate::meta::MetaError) -> Self {
        tracing::error!(error = %e, "metadata failure");
        OciError::new(ErrorCode::Unknown, "metadata failure")
    }
}
