//! Reading a request body: the content type, the size limit and the body deadline.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use onbehalf_core::json::{invalid_utf8, Value};

use super::{http_error, request_error, AppState};

/// Checks the content type (absent is accepted) and reads the body within `limit`.
pub(super) async fn read_body(
    state: &AppState,
    request: Request,
    limit: usize,
    accept: &[&str],
) -> Result<Vec<u8>, Response> {
    if let Some(ct) = request.headers().get(header::CONTENT_TYPE) {
        let mime = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !accept.contains(&mime.as_str()) {
            let message = format!(
                "content-type {mime:?} is not accepted; send {}",
                accept.join(" or ")
            );
            return Err(http_error(
                state,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                &message,
            ));
        }
    }
    let deadline = state.config.body_read_timeout;
    match tokio::time::timeout(deadline, to_bytes(request.into_body(), limit)).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Err(_) => {
            let message = format!("the body did not arrive within {} ms", deadline.as_millis());
            let mut response = http_error(
                state,
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                &message,
            );
            // The rest of the body is still on its way: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
        Ok(Err(_)) => {
            let message = format!("the body exceeds {limit} bytes (or was cut off)");
            Err(http_error(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                &message,
            ))
        }
    }
}

pub(super) async fn read_json(state: &AppState, request: Request) -> Result<Value, Response> {
    let body = read_body(
        state,
        request,
        state.config.body_limit,
        &["application/json"],
    )
    .await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| request_error(state, &invalid_utf8(e.valid_up_to())))?;
    Value::parse(text).map_err(|e| request_error(state, &e))
}
