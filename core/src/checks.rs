//! The checks of spec §4 that a field table's `then` clauses and [`Request::validate`]
//! (crate::Request::validate) run on typed values: each answers the spec's error code.

use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::hop::MAX_HOPS;
use crate::model::Shape;
use crate::transport::{ServerLocation, Transport};

/// `invalid-value` for an empty target string (spec §4 checks 9 and 11).
pub(crate) fn check_non_empty(text: &str, path: FieldPath) -> Result<(), RequestError> {
    if text.is_empty() {
        return Err(RequestError::new(
            ErrorCode::InvalidValue,
            path,
            Shape::Text.expected(),
        ));
    }
    Ok(())
}

/// Spec §4 bound on `hops` (documented in [`MAX_HOPS`]).
pub(crate) fn check_hop_count(count: usize) -> Result<(), RequestError> {
    if count > MAX_HOPS {
        return Err(RequestError::new(
            ErrorCode::InvalidValue,
            FieldPath::field("hops"),
            "at most 16 hops",
        )
        .found(count));
    }
    Ok(())
}

/// Spec §4 check 11, last part: every hop crosses a machine boundary.
pub(crate) fn check_hop_transport(
    transport: Transport,
    path: FieldPath,
) -> Result<(), RequestError> {
    if transport == Transport::Ncalrpc {
        return Err(RequestError::new(
            ErrorCode::HopTransportNcalrpc,
            path,
            "ncacn_np, ncacn_ip_tcp, ncacn_http, ncadg_ip_udp",
        ));
    }
    Ok(())
}

/// Spec §4 check 12: `ncalrpc` is local-only.
pub(crate) fn check_ncalrpc_server(
    transport: Transport,
    server: ServerLocation,
) -> Result<(), RequestError> {
    if transport == Transport::Ncalrpc && server == ServerLocation::Remote {
        return Err(RequestError::new(
            ErrorCode::NcalrpcRequiresLocalServer,
            FieldPath::field("server"),
            "local (or omit server) with ncalrpc",
        ));
    }
    Ok(())
}
