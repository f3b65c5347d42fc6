//! `GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>` (distribution-spec end-3, end-7, end-9).
//!
//! Accepted media types: OCI image manifest and index (image-spec v1.1), Docker v2 schema 2
//! manifest and manifest list. References are checked unless `limits.allow_missing_refs`:
//! an image's config and distributable layers must be blobs of the repository, an index's
//! children must be manifests of it. A `subject` may be missing (distribution-spec v1.1,
//! "Pushing Manifests with Subject").

use super::{Ctx, read_limited, respond};
use crate::auth::Action;
use crate::digest::{Algorithm, Digest};
use crate::error::{ErrorCode, OciError};
use crate::meta::{ManifestRow, MetaError, glob_match};
use crate::names::{RefError, Reference};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use std::time::Duration;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// What a manifest says about itself and what it references.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Blobs that must exist (config, distributable layers).
    pub blobs: Vec<Digest>,
    /// Manifests that must exist (index children).
    pub children: Vec<Digest>,
    /// Subject digest.
    pub subject: Option<Digest>,
    /// artifactType, or the config media type of an image manifest.
    pub artifact_type: Option<String>,
    /// Top-level annotations (JSON text).
    pub annotations: Option<String>,
}

fn invalid(msg: impl Into<String>) -> OciError {
    OciError::new(ErrorCode::ManifestInvalid, msg)
}

fn descriptor(v: &Value, what: &str) -> Result<(Digest, Option<String>, bool), OciError> {
    let obj = v
        .as_object()
        .ok_or_else(|| invalid(format!("{what} is not an object")))?;
    let digest = obj
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{what} has no digest")))?
        .parse::<Digest>()
        .map_err(|e| invalid(format!("{what}: {e}")))?;
    if obj
        .get("size")
        .is_none_or(|s| s.as_i64().is_none_or(|n| n < 0))
    {
        return Err(invalid(format!("{what} has no valid size")));
    }
    let media_type = obj
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    // Non-distributable and foreign layers live elsewhere (image-spec layer.md; Docker
    // "foreign" layers with urls); they are never pushed.
    let external = media_type
        .as_deref()
        .is_some_and(|m| m.contains("nondistributable") || m.contains("foreign"))
        || obj
            .get("urls")
            .is_some_and(|u| u.as_array().is_some_and(|a| !a.is_empty()));
    Ok((digest, media_type, external))
}

/// Validate a manifest body pushed with `content_type` and list its references.
pub fn parse_manifest(content_type: &str, body: &[u8]) -> Result<Parsed, OciError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("manifest is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| invalid("manifest is not a JSON object"))?;
    if obj.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    let body_type = obj.get("mediaType").and_then(Value::as_str);
    if let Some(bt) = body_type
        && bt != content_type
    {
        return Err(invalid(format!(
            "mediaType {bt} does not match Content-Type {content_type}"
        )));
    }
    let mut p = Parsed {
        blobs: Vec::new(),
        children: Vec::new(),
        subject: None,
        artifact_type: None,
        annotations: None,
    };
    match content_type {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = obj
                .get("config")
                .ok_or_else(|| invalid("image manifest has no config"))?;
            let (cd, cmt, _) = descriptor(config, "config")?;
            p.blobs.push(cd);
            let layers = obj
                .get("layers")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("image manifest has no layers array"))?;
            for (i, l) in layers.iter().enumerate() {
                let (d, _, external) = descriptor(l, &format!("layers[{i}]"))?;
                if !external {
                    p.blobs.push(d);
                }
            }
            p.artifact_type = obj
                .get("artifactType")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or(cmt);
        }
        OCI_INDEX | DOCKER_LIST => {
            let ms = obj
                .get("manifests")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("index has no manifests array"))?;
            for (i, m) in ms.iter().enumerate() {
                let (d, _, _) = descriptor(m, &format!("manifests[{i}]"))?;
                p.children.push(d);
            }
            p.artifact_type = obj
                .get("artifactType")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        other => {
            return Err(invalid(format!(
                "unsupported manifest media type {other:?}"
            )));
        }
    }
    if let Some(s) = obj.get("subject") {
        p.subject = Some(descriptor(s, "subject")?.0);
    }
    if let Some(a) = obj.get("annotations") {
        if !a.is_object() {
            return Err(invalid("annotations must be an object"));
        }
        p.annotations = Some(a.to_string());
    }
    Ok(p)
}

fn parse_ref(s: &str) -> Result<Reference, OciError> {
    Reference::parse(s).map_err(|e| match e {
        RefError::Tag => OciError::new(ErrorCode::ManifestInvalid, format!("invalid tag {s:?}")),
        RefError::Digest(d) => OciError::new(ErrorCode::DigestInvalid, d.to_string()),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OciError> + Send + 'static,
) -> Result<T, OciError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| OciError::new(ErrorCode::Unknown, "task failed"))?
}

fn unknown() -> OciError {
    OciError::new(ErrorCode::ManifestUnknown, "manifest unknown to registry")
}

pub(crate) async fn get(ctx: Ctx, reference: &str, head: bool) -> Result<Response, OciError> {
    ctx.authorize(Action::Pull)?;
    let r = parse_ref(reference).map_err(|e| if head { unknown() } else { e })?;
    let d = match &r {
        Reference::Digest(d) => d.clone(),
        Reference::Tag(t) => ctx.app.meta.tag(&ctx.repo, t)?.ok_or_else(unknown)?,
    };
    let m = ctx.app.meta.manifest(&ctx.repo, &d)?.ok_or_else(unknown)?;
    let headers = [
        ("content-type", m.media_type.clone()),
        ("docker-content-digest", d.to_string()),
        ("content-length", m.content.len().to_string()),
        ("etag", format!("\"{d}\"")),
    ];
    if head {
        return Ok(respond(StatusCode::OK, &headers, Body::empty()));
    }
    ctx.audit("pull", reference, &d.to_string(), "ok");
    Ok(respond(StatusCode::OK, &headers, Body::from(m.content)))
}

pub(crate) async fn put(ctx: Ctx, reference: &str, body: Body) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    let r = parse_ref(reference)?;
    let limit = ctx.app.cfg.limits.max_manifest_bytes;
    let idle = Duration::from_secs(ctx.app.cfg.limits.body_idle_secs.max(1));
    let bytes = read_limited(body, limit, idle).await.map_err(|e| {
        if e.status == StatusCode::PAYLOAD_TOO_LARGE {
            OciError::new(
                ErrorCode::SizeInvalid,
                format!("manifest exceeds {limit} bytes"),
            )
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            e
        }
    })?;
    let ct = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned());
    let ct = match ct {
        Some(c) if !c.is_empty() => c,
        _ => serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .ok_or_else(|| invalid("no Content-Type and no mediaType"))?,
    };
    let parsed = parse_manifest(&ct, &bytes)?;
    let (d, tag) = match r {
        Reference::Digest(want) => {
            let got = Digest::of(want.algorithm(), &bytes);
            if got != want {
                return Err(OciError::new(
                    ErrorCode::DigestInvalid,
                    format!("manifest hashes to {got}, not {want}"),
                ));
            }
            (want, None)
        }
        Reference::Tag(t) => (Digest::of(Algorithm::Sha256, &bytes), Some(t)),
    };
    let mut refs = parsed.blobs.clone();
    refs.extend(parsed.children.iter().cloned());
    if !ctx.app.cfg.limits.allow_missing_refs {
        let missing = ctx.app.meta.missing_refs(&ctx.repo, &refs)?;
        if let Some(first) = missing.first() {
            ctx.audit(
                "push",
                reference,
                &d.to_string(),
                "error: missing references",
            );
            return Err(OciError::new(
                ErrorCode::ManifestBlobUnknown,
                format!(
                    "manifest references {} unknown blob(s) or manifest(s), first {first}",
                    missing.len()
                ),
            ));
        }
    }
    let row = ManifestRow {
        digest: d.clone(),
        media_type: ct,
        content: bytes.to_vec(),
        artifact_type: parsed.artifact_type.clone(),
        subject: parsed.subject.clone(),
        annotations: parsed.annotations.clone(),
    };
    let project = ctx.app.meta.project(ctx.repo.project())?;
    let patterns = project.map(|p| p.immutable_tags).unwrap_or_default();
    let (app, repo, tag2) = (ctx.app.clone(), ctx.repo.clone(), tag.clone());
    let res = blocking(move || {
        let imm = |t: &str| patterns.iter().any(|p| glob_match(p, t));
        match app
            .meta
            .put_manifest(&repo, &row, &refs, tag2.as_deref(), &imm)
        {
            Ok(_) => Ok(Ok(())),
            Err(MetaError::TagImmutable { tag, .. }) => Ok(Err(tag)),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    if let Err(t) = res {
        ctx.audit("push", reference, &d.to_string(), "denied: immutable tag");
        return Err(OciError::new(
            ErrorCode::Denied,
            format!("tag {t} is immutable in project {}", ctx.repo.project()),
        ));
    }
    ctx.audit("push", reference, &d.to_string(), "ok");
    let mut headers = vec![
        ("location", format!("/v2/{}/manifests/{d}", ctx.repo)),
        ("docker-content-digest", d.to_string()),
        ("content-length", "0".to_owned()),
    ];
    if let Some(s) = &parsed.subject {
        headers.push(("oci-subject", s.to_string()));
    }
    Ok(respond(StatusCode::CREATED, &headers, Body::empty()))
}

pub(crate) async fn delete(ctx: Ctx, reference: &str) -> Result<Response, OciError> {
    let r = parse_ref(reference)?;
    let (app, repo) = (ctx.app.clone(), ctx.repo.clone());
    match r {
        Reference::Tag(t) => {
            ctx.authorize(Action::DeleteTag)?;
            let project = ctx.app.meta.project(ctx.repo.project())?;
            if project.is_some_and(|p| p.immutable_tags.iter().any(|p| glob_match(p, &t))) {
                ctx.audit("delete", &t, "", "denied: immutable tag");
                return Err(OciError::new(
                    ErrorCode::Denied,
                    format!("tag {t} is immutable"),
                ));
            }
            let t2 = t.clone();
            if !blocking(move || Ok(app.meta.delete_tag(&repo, &t2)?)).await? {
                return Err(unknown());
            }
            ctx.audit("delete", &t, "", "ok");
        }
        Reference::Digest(d) => {
            ctx.authorize(Action::Delete)?;
            let d2 = d.clone();
            if !blocking(move || Ok(app.meta.delete_manifest(&repo, &d2)?)).await? {
                return Err(unknown());
            }
            ctx.audit("delete", "", &d.to_string(), "ok");
        }
    }
    Ok(respond(
        StatusCode::ACCEPTED,
        &[("content-length", "0".into())],
        Body::empty(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn manifest_validation_table() {
        let img = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/x","digest":"{}","size":2}},
            "layers":[{{"mediaType":"l","digest":"{}","size":3}},{{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar","digest":"{}","size":1}}],
            "subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1}}}}"#,
            d('a'),
            d('b'),
            d('c'),
            d('e')
        );
        let p = parse_manifest(OCI_MANIFEST, img.as_bytes()).unwrap();
        assert_eq!(p.blobs.len(), 2, "non-distributable layer is not required");
        assert_eq!(p.artifact_type.as_deref(), Some("application/x"));
        assert!(p.subject.is_some());

        let bad: &[(&str, &str)] = &[
            (OCI_MANIFEST, "not json"),
            (OCI_MANIFEST, "[]"),
            (OCI_MANIFEST, r#"{"schemaVersion":1}"#),
            (OCI_MANIFEST, r#"{"schemaVersion":2}"#),
            (
                OCI_INDEX,
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#,
            ),
            (
                OCI_INDEX,
                r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:zz","size":1}]}"#,
            ),
            (
                OCI_INDEX,
                r#"{"schemaVersion":2,"manifests":[{"digest":"sha256:aa"}]}"#,
            ),
            ("application/json", r#"{"schemaVersion":2}"#),
        ];
        for (ct, body) in bad {
            let e = parse_manifest(ct, body.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::ManifestInvalid, "{body}");
        }
        let idx = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{}","size":5}}]}}"#,
            d('f')
        );
        assert_eq!(
            parse_manifest(DOCKER_LIST, idx.as_bytes())
                .unwrap()
                .children
                .len(),
            1
        );
    }

    proptest::proptest! {
        #[test]
        fn manifest_parser_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for ct in [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST, "x"] {
                let _ = parse_manifest(ct, &body);
            }
        }
    }
}
