//! Reading a request body: the content type, the size limit and the body deadline.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use http_body_util::LengthLimitError;
use onbehalf_core::json::{invalid_utf8, Value};
use onbehalf_core::{HttpError, RequestError};

use super::{http_error, AppState};

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
            let mime = onbehalf_core::echo(mime);
            let message = format!(
                "content-type {mime:?} is not accepted; send {}",
                accept.join(" or ")
            );
            return Err(http_error(HttpError::UnsupportedMediaType, &message));
        }
    }
    let deadline = state.config.body_read_timeout;
    let read = tokio::time::timeout(deadline, to_bytes(request.into_body(), limit)).await;
    let (error, message) = match read {
        Ok(Ok(bytes)) => return Ok(bytes.to_vec()),
        Err(_) => (
            HttpError::RequestTimeout,
            format!("the body did not arrive within {} ms", deadline.as_millis()),
        ),
        // The limit is told apart by the error's type, not its text.
        Ok(Err(e)) if over_limit(&e) => (
            HttpError::PayloadTooLarge,
            format!("the body exceeds {limit} bytes"),
        ),
        Ok(Err(_)) => (
            HttpError::BodyIncomplete,
            "the body ended before its content-length (or its chunked encoding is broken)".into(),
        ),
    };
    let mut response = http_error(error, &message);
    // The rest of the body may still be on its way: the connection cannot be reused.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Err(response)
}

/// A body as text, or the spec's `invalid-json` error naming where the UTF-8 breaks.
pub(super) fn body_text(body: &[u8]) -> Result<&str, RequestError> {
    std::str::from_utf8(body).map_err(|e| invalid_utf8(e.valid_up_to()))
}

/// A body's JSON, or the spec's `invalid-json` error.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, RequestError> {
    Value::parse(body_text(body)?)
}

/// Whether reading failed because the body exceeds the limit (the error's type says so).
fn over_limit(e: &axum::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<LengthLimitError>())
}
