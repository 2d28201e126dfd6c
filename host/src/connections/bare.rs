//! Bodies for hyper's own error answers. When hyper cannot parse a request (a malformed
//! request line or header: `400`; a target too long: `414`; a header block over the buffer:
//! `431`) it answers by itself, before any handler runs, with an empty body. Every 4xx/5xx of
//! this server promises the JSON error object, so [`completed`] completes those answers on
//! their way out.
//!
//! How one is recognised: it is the only error head this server writes with
//! `content-length: 0`, because every error answer of the handlers (and of the `track`
//! middleware, which fills axum's own) carries the JSON body. The status is read from the
//! head itself. The connection's I/O (`io.rs`) writes the completed answer instead and
//! reports the status for `/metrics`.

use onbehalf_core::json::error_object;
use onbehalf_core::HttpError;

/// The completed answer for `head`, when it is a bare error head of hyper's.
pub(super) fn completed(head: &[u8]) -> Option<(Vec<u8>, u16)> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    let head_end = text.find("\r\n\r\n")?;
    // The whole head, nothing after it, and no body announced.
    if status < 400 || head_end + 4 != text.len() {
        return None;
    }
    let lines: Vec<&str> = text[..head_end].split("\r\n").collect();
    if !lines
        .iter()
        .any(|l| l.eq_ignore_ascii_case("content-length: 0"))
    {
        return None;
    }
    let code = HttpError::for_status(status).unwrap_or(HttpError::BadRequest);
    let body = error_object(code.name(), code.describe().into()).to_json();
    let mut out = String::with_capacity(text.len() + body.len() + 64);
    for line in lines {
        if line.eq_ignore_ascii_case("content-length: 0") {
            out.push_str(&format!("content-length: {}\r\n", body.len()));
            out.push_str("content-type: application/json\r\n");
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some((out.into_bytes(), status))
}

#[cfg(test)]
mod tests {
    use super::completed;

    #[test]
    fn a_bare_error_head_gets_the_json_body() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let (bytes, status) = completed(head).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert_eq!(status, 431);
        assert!(text.ends_with(r#""code":"headers-too-large","message":"The request's header block is larger than the server accepts (431)."}}"#), "{text}");
        assert!(
            text.contains("content-type: application/json\r\n"),
            "{text}"
        );
    }

    #[test]
    fn answers_with_bodies_and_successes_pass_unchanged() {
        assert!(completed(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(completed(b"HTTP/1.1 404 Not Found\r\ncontent-length: 12\r\n\r\n").is_none());
        assert!(completed(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}").is_none());
        assert!(completed(b"{\"not\":\"a head\"}").is_none());
    }
}
