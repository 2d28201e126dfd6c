//! RPC protocol sequences and where the server runs (spec §2).

use crate::vocabulary::vocabulary;

vocabulary! {
    /// The RPC protocol sequence the call is made over.
    pub enum Transport {
        /// local RPC (ALPC), same computer only
        Ncalrpc = "ncalrpc",
        /// named pipes (SMB when remote)
        NcacnNp = "ncacn_np",
        /// TCP
        NcacnIpTcp = "ncacn_ip_tcp",
        /// RPC over HTTP
        NcacnHttp = "ncacn_http",
        /// UDP (datagram RPC)
        NcadgIpUdp = "ncadg_ip_udp",
    }
}

vocabulary! {
    /// Where the server process runs relative to the client.
    pub enum ServerLocation {
        /// on the client's computer
        Local = "local",
        /// on another computer
        Remote = "remote",
    }
}

impl ServerLocation {
    /// The spec's default: `local` for `ncalrpc` (local-only transport), else `remote`.
    #[must_use]
    pub const fn default_for(transport: Transport) -> ServerLocation {
        match transport {
            Transport::Ncalrpc => ServerLocation::Local,
            _ => ServerLocation::Remote,
        }
    }
}
