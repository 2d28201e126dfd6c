//! Open connections per client address: one client cannot take all of the server's
//! connections (`--max-connections-per-client`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts of open connections by client address.
#[derive(Debug, Default)]
pub struct PerClient {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of a client, counted until dropped.
#[derive(Debug)]
pub struct ClientSlot {
    clients: Arc<PerClient>,
    client: IpAddr,
}

impl PerClient {
    /// A slot for one more connection of `client`, unless it has `max` open already.
    pub fn take(self: &Arc<Self>, client: IpAddr, max: usize) -> Option<ClientSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(client).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            clients: Arc::clone(self),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self
            .clients
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The entry goes with the client's last connection, so the map holds only clients
        // with open connections (its size is bounded by the connection cap).
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PerClient;
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    #[test]
    fn a_client_gets_at_most_max_slots_and_gets_them_back() {
        let clients = Arc::new(PerClient::default());
        let a = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let first = clients.take(a, 2);
        let second = clients.take(a, 2);
        assert!(first.is_some() && second.is_some());
        assert!(clients.take(a, 2).is_none());
        assert!(
            clients.take(b, 2).is_some(),
            "another client is not affected"
        );
        drop(first);
        assert!(clients.take(a, 2).is_some());
        drop(second);
        assert_eq!(clients.open.lock().map(|m| m.len()).unwrap_or(9), 0);
    }
}
