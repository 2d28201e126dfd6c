//! Faults: what can go wrong inside a policy-module call, each answered fail-closed
//! (`onbehalf_core::json::fail_closed_for`). A host tells them apart by its engine's trap
//! codes and by flags it sets itself (the memory cap), never by matching error text; the
//! names are the host's vocabulary (metrics labels, log fields, `x-onbehalf-fault`, the
//! Python package's exceptions).

/// Why a call into a policy module did not produce a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The module trapped (unreachable, out-of-bounds access, division by zero, …).
    Trap,
    /// The call used up its fuel (an endless or too-long loop).
    OutOfFuel,
    /// The call exhausted the wasm stack (deep recursion).
    StackOverflow,
    /// The module tried to grow memory beyond its cap.
    MemoryLimit,
    /// The module answered something that is not a well-formed decision for the request.
    MalformedAnswer,
    /// The module answered more than the reference engine grants (a higher level or reach, a
    /// hop the reference denies) or a decision that contradicts itself: a policy may only
    /// restrict.
    ExceedsReference,
    /// The module's ABI version cannot express the request (an ABI v1 module and a request
    /// across domains or forests); nothing was asked of the module.
    Unsupported,
    /// A fresh instance could not be created.
    Instantiate,
}

impl Fault {
    /// Every fault kind (for metrics).
    pub const ALL: [Fault; 8] = [
        Fault::Trap,
        Fault::OutOfFuel,
        Fault::StackOverflow,
        Fault::MemoryLimit,
        Fault::MalformedAnswer,
        Fault::ExceedsReference,
        Fault::Unsupported,
        Fault::Instantiate,
    ];

    /// Stable name (metrics label, log field, `x-onbehalf-fault` header).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Fault::Trap => "trap",
            Fault::OutOfFuel => "out-of-fuel",
            Fault::StackOverflow => "stack-overflow",
            Fault::MemoryLimit => "memory-limit",
            Fault::MalformedAnswer => "malformed-answer",
            Fault::ExceedsReference => "exceeds-reference",
            Fault::Unsupported => "unsupported-request",
            Fault::Instantiate => "instantiate",
        }
    }

    /// The fault of a [`name`](Self::name).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The reason code of the fail-closed answer: the module faulted, or (for an
    /// unsupported request) its ABI is too old to be asked.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            Fault::Unsupported => onbehalf_core::json::POLICY_ABI_TOO_OLD,
            _ => onbehalf_core::json::POLICY_MODULE_FAULT,
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "policy module fault: {}", self.name())
    }
}

/// A fault is an error to an embedder (`?` in a function returning `Box<dyn Error>`).
impl core::error::Error for Fault {}
