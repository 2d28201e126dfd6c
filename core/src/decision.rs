//! The decision (spec §3): effective level, reach, reasons and per-hop outcomes.

use crate::hop::{HopOutcome, HopReason, MAX_HOPS};
use crate::level::Level;
use crate::reason::Reasons;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// How far the server can act as the client, weakest first.
    pub enum Reach {
        /// The server cannot act as the client at all.
        None = "none",
        /// The server can act as the client on its own computer only — any onward call
        /// arrives as ANONYMOUS LOGON.
        Local = "local",
        /// The server can act as the client on exactly one more machine.
        Network = "network",
        /// The client's identity can travel across machines, within the delegation settings.
        MultiHop = "multi-hop",
    }
}

/// The engine's answer. Fixed-size: hop outcomes live inline (at most [`MAX_HOPS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The level the server really gets (never `default`).
    pub effective: Level,
    /// How far it can act as the client.
    pub reach: Reach,
    /// Why, in emission order.
    pub reasons: Reasons,
    hops: [HopOutcome<'a>; MAX_HOPS],
    hop_count: u8,
}

const NO_HOP: HopOutcome<'static> = HopOutcome {
    target: "",
    reason: HopReason::ChainBroken,
};

impl<'a> Decision<'a> {
    /// A decision without hops.
    #[must_use]
    pub const fn new(effective: Level, reach: Reach, reasons: Reasons) -> Decision<'a> {
        Decision {
            effective,
            reach,
            reasons,
            hops: [NO_HOP; MAX_HOPS],
            hop_count: 0,
        }
    }

    /// A decision with the given hop outcomes; `None` if there are more than [`MAX_HOPS`].
    #[must_use]
    pub fn with_hops(
        effective: Level,
        reach: Reach,
        reasons: Reasons,
        hops: &[HopOutcome<'a>],
    ) -> Option<Decision<'a>> {
        let mut decision = Decision::new(effective, reach, reasons);
        hops.iter()
            .all(|h| decision.push_hop(*h))
            .then_some(decision)
    }

    /// One outcome per requested hop, in request order.
    #[must_use]
    pub fn hops(&self) -> &[HopOutcome<'a>] {
        self.hops.get(..usize::from(self.hop_count)).unwrap_or(&[])
    }

    /// Appends a hop outcome; `false` (and nothing changes) if [`MAX_HOPS`] are already held.
    pub(crate) fn push_hop(&mut self, outcome: HopOutcome<'a>) -> bool {
        match self.hops.get_mut(usize::from(self.hop_count)) {
            Some(slot) => {
                *slot = outcome;
                self.hop_count += 1;
                true
            }
            None => false,
        }
    }
}
