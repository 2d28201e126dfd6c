//! How a request holds its strings and lists: one request type ([`Request`](crate::Request))
//! serves both the allocation-free engine (borrowed slices) and the JSON layer (owned
//! vectors), so the field list exists once.

use core::fmt::Debug;

use crate::model::Field;
use crate::request::Hop;

/// The string and list types of a request.
pub trait Storage: Copy + Debug + PartialEq + Eq + Default {
    /// A string (a hop target, an allowed target).
    type Str: AsRef<str> + Clone + Debug + PartialEq + Eq + Default + Field;
    /// The `allowed_targets` list.
    type Targets: AsRef<[Self::Str]> + Clone + Debug + PartialEq + Eq + Default + Field;
    /// The `hops` list.
    type Hops: AsRef<[Hop<Self>]> + Clone + Debug + PartialEq + Eq + Default + Field;
}

/// Borrowed strings and slices: what the engine decides, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Borrowed<'a>(core::marker::PhantomData<&'a ()>);

impl<'a> Storage for Borrowed<'a> {
    type Str = &'a str;
    type Targets = &'a [&'a str];
    type Hops = &'a [Hop<Borrowed<'a>>];
}

/// Owned strings and vectors: what the JSON layer reads (feature `alloc`).
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owned;

#[cfg(feature = "alloc")]
impl Storage for Owned {
    type Str = alloc::string::String;
    type Targets = alloc::vec::Vec<alloc::string::String>;
    type Hops = alloc::vec::Vec<Hop<Owned>>;
}
