//! Authentication services, their `RPC_C_AUTHN_*` encodings, and the resolved service `A`.

use crate::error::ErrorCode;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// The authentication service a call (or hop) asks for.
    pub enum AuthService {
        /// no RPC authentication (RPC_C_AUTHN_NONE; also stands for RPC_C_AUTHN_LEVEL_NONE)
        None = "none",
        /// NTLM (RPC_C_AUTHN_WINNT)
        Ntlm = "ntlm",
        /// Kerberos (RPC_C_AUTHN_GSS_KERBEROS)
        Kerberos = "kerberos",
        /// Negotiate (RPC_C_AUTHN_GSS_NEGOTIATE): Kerberos when available, else NTLM
        Negotiate = "negotiate",
        /// Schannel / TLS (RPC_C_AUTHN_GSS_SCHANNEL)
        Schannel = "schannel",
    }
}

vocabulary! {
    /// Which API a numeric authentication service came from: it decides what
    /// `RPC_C_AUTHN_DEFAULT` means.
    pub enum ApiFamily {
        /// COM (`CoInitializeSecurity`, `CoSetProxyBlanket`): default picks Negotiate.
        Com = "com",
        /// Raw MS-RPC (`RpcBindingSetAuthInfo`): default is NTLM (`RPC_C_AUTHN_WINNT`).
        Rpc = "rpc",
    }
}

/// `RPC_C_AUTHN_DEFAULT`.
pub const RPC_C_AUTHN_DEFAULT: u32 = 0xFFFF_FFFF;

impl AuthService {
    /// From an `RPC_C_AUTHN_*` value (spec §1).
    ///
    /// ```
    /// use onbehalf_core::{ApiFamily, AuthService, ErrorCode};
    /// assert_eq!(AuthService::from_rpc_authn(16, ApiFamily::Com), Ok(AuthService::Kerberos));
    /// assert_eq!(AuthService::from_rpc_authn(0xFFFF_FFFF, ApiFamily::Com), Ok(AuthService::Negotiate));
    /// assert_eq!(AuthService::from_rpc_authn(0xFFFF_FFFF, ApiFamily::Rpc), Ok(AuthService::Ntlm));
    /// assert_eq!(AuthService::from_rpc_authn(68, ApiFamily::Rpc), Err(ErrorCode::UnknownAuth));
    /// ```
    pub const fn from_rpc_authn(value: u32, family: ApiFamily) -> Result<AuthService, ErrorCode> {
        match value {
            0 => Ok(AuthService::None),
            9 => Ok(AuthService::Negotiate),
            10 => Ok(AuthService::Ntlm),
            14 => Ok(AuthService::Schannel),
            16 => Ok(AuthService::Kerberos),
            RPC_C_AUTHN_DEFAULT => match family {
                ApiFamily::Com => Ok(AuthService::Negotiate),
                ApiFamily::Rpc => Ok(AuthService::Ntlm),
            },
            _ => Err(ErrorCode::UnknownAuth),
        }
    }

    /// The `RPC_C_AUTHN_*` value of this service.
    #[must_use]
    pub const fn rpc_authn(self) -> u32 {
        match self {
            AuthService::None => 0,
            AuthService::Negotiate => 9,
            AuthService::Ntlm => 10,
            AuthService::Schannel => 14,
            AuthService::Kerberos => 16,
        }
    }

    /// The name of the `RPC_C_AUTHN_*` constant of this service (what a fix tells a
    /// programmer to pass).
    #[must_use]
    pub const fn rpc_authn_name(self) -> &'static str {
        match self {
            AuthService::None => "RPC_C_AUTHN_NONE",
            AuthService::Negotiate => "RPC_C_AUTHN_GSS_NEGOTIATE",
            AuthService::Ntlm => "RPC_C_AUTHN_WINNT",
            AuthService::Schannel => "RPC_C_AUTHN_GSS_SCHANNEL",
            AuthService::Kerberos => "RPC_C_AUTHN_GSS_KERBEROS",
        }
    }
}

vocabulary! {
    /// The authentication `A` that a leg actually gets after resolution (spec §5 step 3, §6).
    pub enum ResolvedAuth {
        /// Kerberos.
        Kerberos = "kerberos",
        /// NTLM.
        Ntlm = "ntlm",
        /// TLS.
        Schannel = "schannel",
        /// Transport-level identity of a local `ncalrpc` or named-pipe client.
        Transport = "transport",
        /// No security context at all.
        Unauthenticated = "unauthenticated",
    }
}
