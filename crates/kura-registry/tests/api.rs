//! In-process router tests: every endpoint and error code, the role matrix, token auth, audit.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use kura_registry::app::App;
use kura_registry::config::Config;
use kura_registry::meta::{Project, Role};
use tower::ServiceExt;

struct Reg {
    app: App,
    _dir: tempfile::TempDir,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn h(&self, k: &str) -> &str {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn code(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        v["errors"][0]["code"].as_str().unwrap_or("").to_owned()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn sha(data: &[u8]) -> String {
    kura_testutil::sha256_digest(data)
}

fn basic(u: &str, p: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
    )
}

const PW: &str = "password-123";

impl Reg {
    fn new(f: impl FnOnce(&mut Config)) -> Reg {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config {
            data: dir.path().to_owned(),
            ..Config::default()
        };
        cfg.gc.grace_secs = 0;
        f(&mut cfg);
        let app = App::open(cfg).unwrap();
        kura_registry::admin::user_add(app.meta.as_ref(), "root", PW, true).unwrap();
        Reg { app, _dir: dir }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "reg.test");
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Body::from(body)).unwrap();
        let resp = kura_registry::routes::router(self.app.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn root(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        self.send(method, path, Some(&basic("root", PW)), headers, body)
            .await
    }

    async fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let d = sha(data);
        let r = self
            .root(
                "POST",
                &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
                &[],
                data.to_vec(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        d
    }

    /// Push config + one layer + manifest; returns (manifest digest, manifest bytes).
    async fn push_image(&self, repo: &str, tag: &str, seed: &str) -> (String, Vec<u8>) {
        let cfg = self
            .push_blob(repo, format!("{{\"seed\":\"{seed}\"}}").as_bytes())
            .await;
        let layer_data = format!("layer-{seed}").into_bytes();
        let layer = self.push_blob(repo, &layer_data).await;
        let m = manifest(&cfg, 14 + seed.len(), &layer, layer_data.len(), None);
        let r = self
            .root(
                "PUT",
                &format!("/v2/{repo}/manifests/{tag}"),
                &[("content-type", OCI_MANIFEST)],
                m.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        (r.h("docker-content-digest").to_owned(), m)
    }
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn manifest(
    cfg: &str,
    cfg_size: usize,
    layer: &str,
    layer_size: usize,
    subject: Option<&str>,
) -> Vec<u8> {
    let mut v = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}],
    });
    if let Some(s) = subject {
        v["subject"] = serde_json::json!({"mediaType": OCI_MANIFEST, "digest": s, "size": 1});
        v["artifactType"] = "application/vnd.example.sbom".into();
    }
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test]
async fn version_check_challenges_anonymous_and_accepts_basic() {
    let r = Reg::new(|_| {});
    let a = r.send("GET", "/v2/", None, &[], vec![]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        a.h("www-authenticate")
            .starts_with("Bearer realm=\"http://reg.test/token\",service=\"kura\"")
    );
    let ok = r.root("GET", "/v2/", &[], vec![]).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.h("docker-distribution-api-version"), "registry/2.0");
    let bad = r
        .send(
            "GET",
            "/v2/",
            Some(&basic("root", "wrong-pass")),
            &[],
            vec![],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.code(), "UNAUTHORIZED");
}

#[tokio::test]
async fn push_and_pull_roundtrip_with_ranges_and_chunks() {
    let r = Reg::new(|_| {});
    let (d, m) = r.push_image("p/app", "v1", "a").await;
    let g = r.root("GET", "/v2/p/app/manifests/v1", &[], vec![]).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.body, m);
    assert_eq!(g.h("docker-content-digest"), d);
    assert_eq!(g.h("content-type"), OCI_MANIFEST);
    let h = r
        .root("HEAD", &format!("/v2/p/app/manifests/{d}"), &[], vec![])
        .await;
    assert_eq!(h.status, StatusCode::OK);
    assert!(h.body.is_empty());
    assert_eq!(h.h("content-length"), m.len().to_string());

    // Chunked upload with Content-Range, status, then PUT.
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let d2 = sha(&data);
    let s = r
        .root("POST", "/v2/p/app/blobs/uploads/", &[], vec![])
        .await;
    assert_eq!(s.status, StatusCode::ACCEPTED);
    let loc = s.h("location").to_owned();
    let p1 = r
        .root(
            "PATCH",
            &loc,
            &[("content-range", "0-1999")],
            data[..2000].to_vec(),
        )
        .await;
    assert_eq!(p1.status, StatusCode::ACCEPTED);
    assert_eq!(p1.h("range"), "0-1999");
    // Out of order: 416 and the current range.
    let bad = r
        .root(
            "PATCH",
            &loc,
            &[("content-range", "3000-3999")],
            data[3000..4000].to_vec(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(bad.h("range"), "0-1999");
    let st = r.root("GET", &loc, &[], vec![]).await;
    assert_eq!(st.status, StatusCode::NO_CONTENT);
    assert_eq!(st.h("range"), "0-1999");
    let fin = r
        .root(
            "PUT",
            &format!("{loc}?digest={d2}"),
            &[("content-range", "2000-4999")],
            data[2000..].to_vec(),
        )
        .await;
    assert_eq!(
        fin.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&fin.body)
    );
    assert_eq!(fin.h("docker-content-digest"), d2);

    let full = r
        .root("GET", &format!("/v2/p/app/blobs/{d2}"), &[], vec![])
        .await;
    assert_eq!(full.body, data);
    let part = r
        .root(
            "GET",
            &format!("/v2/p/app/blobs/{d2}"),
            &[("range", "bytes=10-19")],
            vec![],
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, &data[10..20]);
    assert_eq!(part.h("content-range"), "bytes 10-19/5000");
    let unsat = r
        .root(
            "GET",
            &format!("/v2/p/app/blobs/{d2}"),
            &[("range", "bytes=6000-")],
            vec![],
        )
        .await;
    assert_eq!(unsat.status, StatusCode::RANGE_NOT_SATISFIABLE);

    // Cross-repository mount.
    let mnt = r
        .root(
            "POST",
            &format!("/v2/p/other/blobs/uploads/?mount={d2}&from=p/app"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(mnt.status, StatusCode::CREATED);
    let got = r
        .root("HEAD", &format!("/v2/p/other/blobs/{d2}"), &[], vec![])
        .await;
    assert_eq!(got.status, StatusCode::OK);
}

#[tokio::test]
async fn sha512_blobs_and_manifests_by_digest() {
    let r = Reg::new(|_| {});
    let data = b"sha512 content".to_vec();
    let d = kura_registry::digest::Digest::of(kura_registry::digest::Algorithm::Sha512, &data)
        .to_string();
    let p = r
        .root(
            "POST",
            &format!("/v2/p/x/blobs/uploads/?digest={d}"),
            &[],
            data.clone(),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED);
    let g = r
        .root("GET", &format!("/v2/p/x/blobs/{d}"), &[], vec![])
        .await;
    assert_eq!(g.body, data);
}

#[tokio::test]
async fn spec_error_codes_table() {
    let r = Reg::new(|c| c.limits.max_manifest_bytes = 1024);
    let (d, good) = r.push_image("p/app", "v1", "a").await;
    let missing = format!("sha256:{}", "0".repeat(64));
    let big = vec![b' '; 2048];
    let dangling = manifest(&missing, 1, &missing, 1, None);
    type Case<'a> = (
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/v2/Bad_Name/tags/list".into(),
            vec![],
            vec![],
            400,
            "NAME_INVALID",
        ),
        (
            "GET",
            "/v2/p/app/blobs/sha256:xyz".into(),
            vec![],
            vec![],
            400,
            "DIGEST_INVALID",
        ),
        (
            "GET",
            format!("/v2/p/app/blobs/{missing}"),
            vec![],
            vec![],
            404,
            "BLOB_UNKNOWN",
        ),
        (
            "GET",
            "/v2/p/app/manifests/nope".into(),
            vec![],
            vec![],
            404,
            "MANIFEST_UNKNOWN",
        ),
        (
            "GET",
            "/v2/p/none/tags/list".into(),
            vec![],
            vec![],
            404,
            "NAME_UNKNOWN",
        ),
        (
            "PUT",
            "/v2/p/app/manifests/t".into(),
            vec![("content-type", OCI_MANIFEST)],
            b"{".to_vec(),
            400,
            "MANIFEST_INVALID",
        ),
        (
            "PUT",
            "/v2/p/app/manifests/t".into(),
            vec![("content-type", OCI_MANIFEST)],
            dangling,
            400,
            "MANIFEST_BLOB_UNKNOWN",
        ),
        (
            "PUT",
            "/v2/p/app/manifests/t".into(),
            vec![("content-type", OCI_MANIFEST)],
            big,
            413,
            "SIZE_INVALID",
        ),
        (
            "PUT",
            format!("/v2/p/app/manifests/{missing}"),
            vec![("content-type", OCI_MANIFEST)],
            good,
            400,
            "DIGEST_INVALID",
        ),
        (
            "PATCH",
            "/v2/p/app/blobs/uploads/deadbeef".into(),
            vec![],
            b"x".to_vec(),
            404,
            "BLOB_UPLOAD_UNKNOWN",
        ),
        (
            "PUT",
            "/v2/p/app/blobs/uploads/../../x?digest=sha256:aa".into(),
            vec![],
            vec![],
            404,
            "NAME_INVALID",
        ),
        (
            "POST",
            format!("/v2/p/app/blobs/uploads/?digest={missing}"),
            vec![],
            b"abc".to_vec(),
            400,
            "DIGEST_INVALID",
        ),
        (
            "DELETE",
            format!("/v2/p/app/manifests/{missing}"),
            vec![],
            vec![],
            404,
            "MANIFEST_UNKNOWN",
        ),
        (
            "POST",
            "/v2/p/app/tags/list".into(),
            vec![],
            vec![],
            405,
            "UNSUPPORTED",
        ),
        (
            "GET",
            "/v2/p/app/referrers/notadigest".into(),
            vec![],
            vec![],
            400,
            "DIGEST_INVALID",
        ),
    ];
    for (m, path, hdrs, body, status, code) in cases {
        let resp = r.root(m, &path, &hdrs, body).await;
        assert_eq!(
            (resp.status.as_u16(), resp.code().as_str()),
            (status, code),
            "{m} {path}"
        );
    }
    let del = r
        .root("DELETE", &format!("/v2/p/app/manifests/{d}"), &[], vec![])
        .await;
    assert_eq!(del.status, StatusCode::ACCEPTED);
    let gone = r.root("GET", "/v2/p/app/manifests/v1", &[], vec![]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tag_list_paginates_with_link_header() {
    let r = Reg::new(|_| {});
    for t in ["c", "a", "b", "d"] {
        r.push_image("p/app", t, "x").await;
    }
    let all = r.root("GET", "/v2/p/app/tags/list", &[], vec![]).await;
    assert_eq!(all.json()["tags"], serde_json::json!(["a", "b", "c", "d"]));
    let p1 = r.root("GET", "/v2/p/app/tags/list?n=2", &[], vec![]).await;
    assert_eq!(p1.json()["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(
        p1.h("link"),
        "</v2/p/app/tags/list?n=2&last=b>; rel=\"next\""
    );
    let p2 = r
        .root("GET", "/v2/p/app/tags/list?n=2&last=b", &[], vec![])
        .await;
    assert_eq!(p2.json()["tags"], serde_json::json!(["c", "d"]));
    let p3 = r
        .root("GET", "/v2/p/app/tags/list?n=2&last=d", &[], vec![])
        .await;
    assert_eq!(p3.json()["tags"], serde_json::json!([]));
    assert_eq!(p3.h("link"), "");
    let cat = r.root("GET", "/v2/_catalog", &[], vec![]).await;
    assert_eq!(cat.json()["repositories"], serde_json::json!(["p/app"]));
}

#[tokio::test]
async fn referrers_list_and_filter_by_artifact_type() {
    let r = Reg::new(|_| {});
    let (subject, _) = r.push_image("p/app", "v1", "a").await;
    let cfg = r.push_blob("p/app", b"{}").await;
    let layer = r.push_blob("p/app", b"sbom").await;
    let m = manifest(&cfg, 2, &layer, 4, Some(&subject));
    let put = r
        .root(
            "PUT",
            &format!("/v2/p/app/manifests/{}", sha(&m)),
            &[("content-type", OCI_MANIFEST)],
            m,
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED);
    assert_eq!(put.h("oci-subject"), subject);
    let all = r
        .root(
            "GET",
            &format!("/v2/p/app/referrers/{subject}"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(all.json()["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(
        all.json()["manifests"][0]["artifactType"],
        "application/vnd.example.sbom"
    );
    let f = r
        .root(
            "GET",
            &format!("/v2/p/app/referrers/{subject}?artifactType=application/other"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(f.json()["manifests"].as_array().unwrap().len(), 0);
    assert_eq!(f.h("oci-filters-applied"), "artifactType");
}

/// Every role × every action on a private project, plus anonymous and outsiders.
#[tokio::test]
async fn role_matrix_private_project() {
    let r = Reg::new(|_| {});
    let meta = r.app.meta.clone();
    kura_registry::admin::project_set(
        meta.as_ref(),
        &Project {
            name: "sec".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let (digest, m) = r.push_image("sec/app", "v1", "a").await;
    let roles = [
        None,
        Some(Role::Guest),
        Some(Role::Developer),
        Some(Role::Maintainer),
        Some(Role::Admin),
    ];
    for (i, role) in roles.iter().enumerate() {
        let user = format!("u{i}");
        kura_registry::admin::user_add(meta.as_ref(), &user, PW, false).unwrap();
        if let Some(role) = role {
            kura_registry::admin::member_set(meta.as_ref(), "sec", &user, Some(*role)).unwrap();
        }
        let auth = basic(&user, PW);
        let pull = r
            .send("GET", "/v2/sec/app/manifests/v1", Some(&auth), &[], vec![])
            .await
            .status;
        let push = r
            .send(
                "PUT",
                &format!("/v2/sec/app/manifests/t{i}"),
                Some(&auth),
                &[("content-type", OCI_MANIFEST)],
                m.clone(),
            )
            .await
            .status;
        let del_tag = r
            .send(
                "DELETE",
                &format!("/v2/sec/app/manifests/t{i}"),
                Some(&auth),
                &[],
                vec![],
            )
            .await
            .status;
        let del = r
            .send(
                "DELETE",
                &format!("/v2/sec/app/blobs/{}", sha(b"layer-a")),
                Some(&auth),
                &[],
                vec![],
            )
            .await
            .status;
        let want: [u16; 4] = match role {
            None => [404, 404, 404, 404],
            Some(Role::Guest) => [200, 403, 403, 403],
            Some(Role::Developer) => [200, 201, 403, 403],
            Some(Role::Maintainer) => [200, 201, 202, 403],
            Some(Role::Admin) => [200, 201, 202, 202],
        };
        assert_eq!(
            [pull.as_u16(), push.as_u16(), del_tag.as_u16(), del.as_u16()],
            want,
            "role {role:?}"
        );
    }
    let anon = r
        .send("GET", "/v2/sec/app/manifests/v1", None, &[], vec![])
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert!(
        anon.h("www-authenticate")
            .contains("scope=\"repository:sec/app:pull\"")
    );
    let _ = digest;
    // Public project: anonymous pull, no anonymous push.
    kura_registry::admin::project_set(
        meta.as_ref(),
        &Project {
            name: "sec".into(),
            public: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        r.send("GET", "/v2/sec/app/manifests/v1", None, &[], vec![])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        r.send(
            "PUT",
            "/v2/sec/app/manifests/x",
            None,
            &[("content-type", OCI_MANIFEST)],
            m.clone()
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    // Non-admins cannot create projects by pushing.
    let np = r
        .send(
            "POST",
            "/v2/newproj/app/blobs/uploads/",
            Some(&basic("u4", PW)),
            &[],
            vec![],
        )
        .await;
    assert_eq!(np.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn robots_are_scoped_to_project_actions_and_expiry() {
    let r = Reg::new(|_| {});
    let meta = r.app.meta.clone();
    for p in ["ci", "other"] {
        kura_registry::admin::project_set(
            meta.as_ref(),
            &Project {
                name: p.into(),
                ..Default::default()
            },
        )
        .unwrap();
    }
    r.push_image("ci/app", "v1", "a").await;
    r.push_image("other/app", "v1", "a").await;
    let (name, secret) =
        kura_registry::admin::robot_add(meta.as_ref(), "ci", "puller", &["pull".into()], None)
            .unwrap();
    let auth = basic(&name, &secret);
    assert_eq!(
        r.send("GET", "/v2/ci/app/manifests/v1", Some(&auth), &[], vec![])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        r.send(
            "POST",
            "/v2/ci/app/blobs/uploads/",
            Some(&auth),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        r.send(
            "GET",
            "/v2/other/app/manifests/v1",
            Some(&auth),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let stored = meta.robot(&name).unwrap().unwrap();
    assert!(
        !stored.secret_hash.contains(&secret),
        "secret stored hashed"
    );
    let (old, old_secret) =
        kura_registry::admin::robot_add(meta.as_ref(), "ci", "old", &["pull".into()], Some(1))
            .unwrap();
    assert_eq!(
        r.send(
            "GET",
            "/v2/ci/app/manifests/v1",
            Some(&basic(&old, &old_secret)),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn token_flow_grants_requested_scopes_only() {
    let r = Reg::new(|_| {});
    r.push_image("p/app", "v1", "a").await;
    let t = r
        .root(
            "GET",
            "/token?service=kura&scope=repository:p/app:pull",
            &[],
            vec![],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    let token = t.json()["token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        r.send("GET", "/v2/p/app/manifests/v1", Some(&bearer), &[], vec![])
            .await
            .status,
        StatusCode::OK
    );
    let push = r
        .send(
            "POST",
            "/v2/p/app/blobs/uploads/",
            Some(&bearer),
            &[],
            vec![],
        )
        .await;
    assert_eq!(push.status, StatusCode::UNAUTHORIZED);
    assert!(
        push.h("www-authenticate")
            .contains("scope=\"repository:p/app:pull,push\"")
    );
    let forged = format!("Bearer {}x", token);
    assert_eq!(
        r.send("GET", "/v2/p/app/manifests/v1", Some(&forged), &[], vec![])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Anonymous token for a private repository grants nothing.
    let anon = r
        .send(
            "GET",
            "/token?service=kura&scope=repository:p/app:pull",
            None,
            &[],
            vec![],
        )
        .await;
    let at = format!("Bearer {}", anon.json()["token"].as_str().unwrap());
    assert_eq!(
        r.send("GET", "/v2/p/app/manifests/v1", Some(&at), &[], vec![])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn failed_logins_are_throttled() {
    let r = Reg::new(|c| c.auth.max_failures = 3);
    for _ in 0..3 {
        let x = r
            .send(
                "GET",
                "/v2/",
                Some(&basic("root", "wrong-pass")),
                &[],
                vec![],
            )
            .await;
        assert_eq!(x.status, StatusCode::UNAUTHORIZED);
    }
    let locked = r.root("GET", "/v2/", &[], vec![]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "TOOMANYREQUESTS");
}

#[tokio::test]
async fn immutable_tags_and_quotas_are_enforced() {
    let r = Reg::new(|_| {});
    let meta = r.app.meta.clone();
    let p = Project {
        name: "rel".into(),
        immutable_tags: vec!["v*".into()],
        quota_bytes: Some(200),
        ..Default::default()
    };
    kura_registry::admin::project_set(meta.as_ref(), &p).unwrap();
    let (_, m1) = r.push_image("rel/app", "v1", "a").await;
    let _ = m1;
    let cfg = r.push_blob("rel/app", b"{\"seed\":\"b\"}").await;
    let layer = r.push_blob("rel/app", b"layer-b").await;
    let m2 = manifest(&cfg, 12, &layer, 7, None);
    let moved = r
        .root(
            "PUT",
            "/v2/rel/app/manifests/v1",
            &[("content-type", OCI_MANIFEST)],
            m2.clone(),
        )
        .await;
    assert_eq!(
        (moved.status, moved.code().as_str()),
        (StatusCode::FORBIDDEN, "DENIED")
    );
    assert_eq!(
        r.root(
            "PUT",
            "/v2/rel/app/manifests/latest",
            &[("content-type", OCI_MANIFEST)],
            m2
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        r.root("DELETE", "/v2/rel/app/manifests/v1", &[], vec![])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let big = vec![7u8; 300];
    let q = r
        .root(
            "POST",
            &format!("/v2/rel/app/blobs/uploads/?digest={}", sha(&big)),
            &[],
            big,
        )
        .await;
    assert_eq!(
        (q.status, q.code().as_str()),
        (StatusCode::FORBIDDEN, "DENIED")
    );
}

#[tokio::test]
async fn audit_chain_verifies_and_detects_tampering() {
    let r = Reg::new(|_| {});
    r.push_image("p/app", "v1", "a").await;
    r.root("GET", "/v2/p/app/manifests/v1", &[], vec![]).await;
    r.app.audit.flush();
    let rep = kura_registry::audit::verify(r.app.meta.as_ref()).unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert!(rep.checked >= 5);
    let entries = r.app.meta.audit_entries(0, 1000).unwrap();
    assert!(entries.iter().any(|e| e.record.action == "push"
        && e.record.reference == "v1"
        && e.record.actor == "root"));
    assert!(entries.iter().any(|e| e.record.action == "pull"));
    assert!(entries.iter().any(|e| e.record.action == "login"));

    let mut out = Vec::new();
    kura_registry::audit::export(
        r.app.meta.as_ref(),
        0,
        kura_registry::audit::ExportFormat::Syslog,
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines()
            .all(|l| l.starts_with("<10") && l.contains("[kura@32473 seq=")),
        "{text}"
    );

    let db = rusqlite::Connection::open(r._dir.path().join("meta.db")).unwrap();
    // Edit an entry.
    db.execute(
        "UPDATE audit SET record = replace(record, '\"root\"', '\"mallory\"') WHERE seq = 3",
        [],
    )
    .unwrap();
    let rep = kura_registry::audit::verify(r.app.meta.as_ref()).unwrap();
    assert!(
        rep.problems
            .contains(&kura_registry::audit::ChainError::Modified { seq: 3 }),
        "{:?}",
        rep.problems
    );
    // Delete one in the middle.
    db.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let rep = kura_registry::audit::verify(r.app.meta.as_ref()).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| matches!(p, kura_registry::audit::ChainError::Gap { .. })),
        "{:?}",
        rep.problems
    );
    // Cut the tail.
    let last: i64 = db
        .query_row("SELECT MAX(seq) FROM audit", [], |r| r.get(0))
        .unwrap();
    db.execute("DELETE FROM audit WHERE seq = ?1", [last])
        .unwrap();
    let rep = kura_registry::audit::verify(r.app.meta.as_ref()).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| matches!(p, kura_registry::audit::ChainError::Truncated { .. })),
        "{:?}",
        rep.problems
    );
}

#[tokio::test]
async fn audit_retention_keeps_the_chain_verifiable() {
    let r = Reg::new(|_| {});
    r.push_image("p/app", "v1", "a").await;
    r.app.audit.flush();
    let n = r.app.meta.audit_prune("9999-01-01T00:00:00.000Z").unwrap();
    assert!(n > 0);
    r.root("GET", "/v2/p/app/manifests/v1", &[], vec![]).await;
    r.app.audit.flush();
    let rep = kura_registry::audit::verify(r.app.meta.as_ref()).unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert!(rep.first.unwrap() > n);
}

#[tokio::test]
async fn gc_removes_only_unreferenced_blobs_and_idle_uploads() {
    let r = Reg::new(|c| c.gc.upload_expiry_secs = 0);
    let (_, _) = r.push_image("p/app", "v1", "a").await;
    let orphan = r.push_blob("p/tmp", b"orphan").await;
    let del = r
        .root("DELETE", &format!("/v2/p/tmp/blobs/{orphan}"), &[], vec![])
        .await;
    assert_eq!(del.status, StatusCode::ACCEPTED);
    let up = r
        .root("POST", "/v2/p/app/blobs/uploads/", &[], vec![])
        .await;
    let loc = up.h("location").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let rep = kura_registry::gc::run(&r.app).await.unwrap();
    assert_eq!(rep.blobs_removed, 1);
    assert_eq!(rep.uploads_expired, 1);
    assert_eq!(
        r.root("GET", &loc, &[], vec![]).await.status,
        StatusCode::NOT_FOUND
    );
    let still = r.root("GET", "/v2/p/app/manifests/v1", &[], vec![]).await;
    assert_eq!(still.status, StatusCode::OK);
    let layer = sha(b"layer-a");
    assert_eq!(
        r.root("GET", &format!("/v2/p/app/blobs/{layer}"), &[], vec![])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_and_health_endpoints() {
    let r = Reg::new(|_| {});
    r.push_image("p/app", "v1", "a").await;
    let m = r.send("GET", "/metrics", None, &[], vec![]).await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains(
            "kura_registry_requests_total{route=\"manifest\",method=\"PUT\",status=\"2xx\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("kura_registry_uploads_in_flight 0"));
    assert_eq!(
        r.send("GET", "/healthz", None, &[], vec![]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        r.send("GET", "/readyz", None, &[], vec![]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn concurrent_pushes_of_the_same_tag_leave_one_valid_manifest() {
    let r = std::sync::Arc::new(Reg::new(|_| {}));
    let mut handles = Vec::new();
    for i in 0..8 {
        let r = r.clone();
        handles.push(tokio::spawn(async move {
            r.push_image("p/app", "latest", &format!("s{i}")).await
        }));
    }
    let mut digests = Vec::new();
    for h in handles {
        digests.push(h.await.unwrap().0);
    }
    let g = r
        .root("GET", "/v2/p/app/manifests/latest", &[], vec![])
        .await;
    assert!(digests.contains(&g.h("docker-content-digest").to_owned()));
    assert_eq!(sha(&g.body), g.h("docker-content-digest"));
}
