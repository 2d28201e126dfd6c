//! The error codes of `onbehalf serve`'s HTTP layer: what a client gets when its request
//! never reaches the rules (too large, too slow, not allowed, the server too busy). Request
//! errors keep the spec's [`ErrorCode`](crate::ErrorCode)s; these are the others, each with
//! the HTTP status it is answered with, so the server, its documentation and the TypeScript
//! types (`HttpErrorCode`) name them from this one table.
//!
//! ```
//! use onbehalf_core::HttpError;
//! assert_eq!(HttpError::PayloadTooLarge.name(), "payload-too-large");
//! assert_eq!(HttpError::PayloadTooLarge.status(), 413);
//! assert_eq!(HttpError::for_status(431), Some(HttpError::HeadersTooLarge));
//! ```

use crate::vocabulary::vocabulary;

vocabulary! {
    /// An HTTP-layer error code of `onbehalf serve` (the body is `{"error":{"code","message"}}`).
    pub enum HttpError {
        /// The request line or a header is not valid HTTP/1.1 (400).
        BadRequest = "bad-request",
        /// The body ended before its `Content-Length` (400).
        BodyIncomplete = "body-incomplete",
        /// The admin token is missing or wrong (401).
        Unauthorized = "unauthorized",
        /// Policy upload is off: the server has no admin token (403).
        AdminDisabled = "admin-disabled",
        /// No such route or file (404).
        NotFound = "not-found",
        /// The route exists, the method does not (405; the `allow` header lists the methods).
        MethodNotAllowed = "method-not-allowed",
        /// The request's headers or body did not arrive in time (408).
        RequestTimeout = "request-timeout",
        /// The body is larger than the server accepts (413).
        PayloadTooLarge = "payload-too-large",
        /// The request target is longer than the server accepts (414).
        UriTooLong = "uri-too-long",
        /// The body's content type is not one the route accepts (415).
        UnsupportedMediaType = "unsupported-media-type",
        /// An uploaded policy module was refused; the current one stays loaded (422).
        PolicyRejected = "policy-rejected",
        /// The request's header block is larger than the server accepts (431).
        HeadersTooLarge = "headers-too-large",
        /// The server failed; the request may be retried (500).
        Internal = "internal",
        /// The server holds as many connections as it accepts, in all or from this address (503).
        TooManyConnections = "too-many-connections",
        /// The decision lane's queue is full, in all or for this address (503).
        ServerBusy = "server-busy",
    }
}

impl HttpError {
    /// The HTTP status this error is answered with.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            HttpError::BadRequest | HttpError::BodyIncomplete => 400,
            HttpError::Unauthorized => 401,
            HttpError::AdminDisabled => 403,
            HttpError::NotFound => 404,
            HttpError::MethodNotAllowed => 405,
            HttpError::RequestTimeout => 408,
            HttpError::PayloadTooLarge => 413,
            HttpError::UriTooLong => 414,
            HttpError::UnsupportedMediaType => 415,
            HttpError::PolicyRejected => 422,
            HttpError::HeadersTooLarge => 431,
            HttpError::Internal => 500,
            HttpError::TooManyConnections | HttpError::ServerBusy => 503,
        }
    }

    /// The code for a bare error status (one produced below the handlers, such as hyper's
    /// own `431`): the first code answered with that status.
    #[must_use]
    pub fn for_status(status: u16) -> Option<HttpError> {
        HttpError::ALL
            .iter()
            .copied()
            .find(|e| e.status() == status)
    }
}
