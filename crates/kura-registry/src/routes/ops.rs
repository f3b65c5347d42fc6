//! Operations endpoints: Prometheus `/metrics`, liveness `/healthz`, readiness `/readyz`.

use crate::app::App;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) async fn metrics(State(app): State<App>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

pub(crate) async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Ready when the metadata store answers and the blob store is reachable.
pub(crate) async fn readyz(State(app): State<App>) -> Response {
    let meta = app.meta.clone();
    let db_ok = tokio::task::spawn_blocking(move || meta.uploads_open().is_ok())
        .await
        .unwrap_or(false);
    let probe = crate::digest::Digest::of(crate::digest::Algorithm::Sha256, b"");
    let store_ok = app.store.stat(&probe).await.is_ok();
    if db_ok && store_ok {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("metadata: {db_ok}, storage: {store_ok}\n"),
        )
            .into_response()
    }
}
