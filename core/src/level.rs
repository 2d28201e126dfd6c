//! Impersonation levels and their Windows numeric encodings (spec §1).

use crate::error::ErrorCode;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// A real impersonation level, weakest first; `Ord` follows the spec's order
    /// `anonymous < identification < impersonation < delegation`.
    ///
    /// This is also the *effective* level of a decision (never `default`).
    pub enum Level {
        /// The server cannot identify or use the client.
        Anonymous = "anonymous",
        /// The server gets the client's identity and privileges but cannot act as it.
        Identification = "identification",
        /// The server can act as the client on its own computer.
        Impersonation = "impersonation",
        /// The server can act as the client on other computers.
        Delegation = "delegation",
    }
}

vocabulary! {
    /// The level a client asks for: a [`Level`] or `default` (resolved by spec §5 step 2).
    ///
    /// ```
    /// use onbehalf_core::RequestedLevel;
    /// assert_eq!(RequestedLevel::from_name("SecurityDelegation"), Some(RequestedLevel::Delegation));
    /// assert_eq!(RequestedLevel::from_name("IMPERSONATE"), Some(RequestedLevel::Impersonation));
    /// assert_eq!(RequestedLevel::from_name(" delegation"), None); // never trimmed
    /// ```
    pub enum RequestedLevel {
        /// the system default (COM: resolved to identify)
        Default = "default" | "RPC_C_IMP_LEVEL_DEFAULT",
        /// the server cannot identify or use the client
        Anonymous = "anonymous" | "SecurityAnonymous" | "RPC_C_IMP_LEVEL_ANONYMOUS",
        /// the server gets the client's identity and privileges, cannot act as it
        Identification = "identification" | "identify" | "SecurityIdentification" | "RPC_C_IMP_LEVEL_IDENTIFY",
        /// the server acts as the client on its own computer (and, via KCD/RBCD, on its allowed targets)
        Impersonation = "impersonation" | "impersonate" | "SecurityImpersonation" | "RPC_C_IMP_LEVEL_IMPERSONATE",
        /// the server acts as the client on other computers
        Delegation = "delegation" | "delegate" | "SecurityDelegation" | "RPC_C_IMP_LEVEL_DELEGATE",
    }
}

/// `SECURITY_SQOS_PRESENT`: without it a named-pipe client's SQOS level flags are ignored.
pub const SECURITY_SQOS_PRESENT: u32 = 0x0010_0000;

impl Level {
    /// From a `SECURITY_IMPERSONATION_LEVEL` value (0..=3).
    ///
    /// ```
    /// use onbehalf_core::{Level, ErrorCode};
    /// assert_eq!(Level::from_security_level(3), Ok(Level::Delegation));
    /// assert_eq!(Level::from_security_level(4), Err(ErrorCode::UnknownLevel));
    /// ```
    pub const fn from_security_level(value: u32) -> Result<Level, ErrorCode> {
        match value {
            0 => Ok(Level::Anonymous),
            1 => Ok(Level::Identification),
            2 => Ok(Level::Impersonation),
            3 => Ok(Level::Delegation),
            _ => Err(ErrorCode::UnknownLevel),
        }
    }

    /// The `SECURITY_IMPERSONATION_LEVEL` value (`SecurityAnonymous` = 0 … `SecurityDelegation` = 3).
    #[must_use]
    pub const fn security_level(self) -> u32 {
        self as u32
    }

    /// The `RPC_C_IMP_LEVEL_*` value: `security_level() + 1`.
    #[must_use]
    pub const fn rpc_imp_level(self) -> u32 {
        self as u32 + 1
    }

    /// The Windows constant names of this level, for display.
    #[must_use]
    pub const fn windows_names(self) -> (&'static str, &'static str) {
        match self {
            Level::Anonymous => ("SecurityAnonymous", "RPC_C_IMP_LEVEL_ANONYMOUS"),
            Level::Identification => ("SecurityIdentification", "RPC_C_IMP_LEVEL_IDENTIFY"),
            Level::Impersonation => ("SecurityImpersonation", "RPC_C_IMP_LEVEL_IMPERSONATE"),
            Level::Delegation => ("SecurityDelegation", "RPC_C_IMP_LEVEL_DELEGATE"),
        }
    }

    /// The same level as a request value.
    #[must_use]
    pub const fn requested(self) -> RequestedLevel {
        match self {
            Level::Anonymous => RequestedLevel::Anonymous,
            Level::Identification => RequestedLevel::Identification,
            Level::Impersonation => RequestedLevel::Impersonation,
            Level::Delegation => RequestedLevel::Delegation,
        }
    }
}

impl RequestedLevel {
    /// From an `RPC_C_IMP_LEVEL_*` value: 0 is `default`, 1..=4 the levels.
    ///
    /// A bare number is never guessed: `2` here is *identify*, while
    /// [`Level::from_security_level`]`(2)` is *impersonation*.
    ///
    /// ```
    /// use onbehalf_core::{RequestedLevel, ErrorCode};
    /// assert_eq!(RequestedLevel::from_rpc_imp_level(0), Ok(RequestedLevel::Default));
    /// assert_eq!(RequestedLevel::from_rpc_imp_level(2), Ok(RequestedLevel::Identification));
    /// assert_eq!(RequestedLevel::from_rpc_imp_level(5), Err(ErrorCode::UnknownLevel));
    /// ```
    pub const fn from_rpc_imp_level(value: u32) -> Result<RequestedLevel, ErrorCode> {
        match value {
            0 => Ok(RequestedLevel::Default),
            n => match Level::from_security_level(n.wrapping_sub(1)) {
                Ok(level) => Ok(level.requested()),
                Err(e) => Err(e),
            },
        }
    }

    /// The `RPC_C_IMP_LEVEL_*` value (`DEFAULT` = 0 … `DELEGATE` = 4).
    #[must_use]
    pub const fn rpc_imp_level(self) -> u32 {
        self as u32
    }

    /// The real level this request names, or `None` for `default`.
    #[must_use]
    pub const fn level(self) -> Option<Level> {
        match self {
            RequestedLevel::Default => None,
            RequestedLevel::Anonymous => Some(Level::Anonymous),
            RequestedLevel::Identification => Some(Level::Identification),
            RequestedLevel::Impersonation => Some(Level::Impersonation),
            RequestedLevel::Delegation => Some(Level::Delegation),
        }
    }
}

impl Level {
    /// From a named-pipe `CreateFile` `dwFlagsAndAttributes` (spec §1): total, never fails.
    ///
    /// ```
    /// use onbehalf_core::Level;
    /// assert_eq!(Level::from_sqos_flags(0x0003_0000), Level::Impersonation); // SQOS not present
    /// assert_eq!(Level::from_sqos_flags(0x0013_0000), Level::Delegation);
    /// ```
    #[must_use]
    pub const fn from_sqos_flags(flags: u32) -> Level {
        if flags & SECURITY_SQOS_PRESENT == 0 {
            return Level::Impersonation;
        }
        match (flags >> 16) & 0x3 {
            0 => Level::Anonymous,
            1 => Level::Identification,
            2 => Level::Impersonation,
            _ => Level::Delegation,
        }
    }
}
