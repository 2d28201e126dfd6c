//! The `vocabulary!` macro: one definition per enumerated spec value gives its canonical
//! kebab/snake name, its accepted aliases and ASCII-case-insensitive parsing (spec §1, §2).
//!
//! "ASCII case-insensitive" means only `A`–`Z` fold; nothing is trimmed and no Unicode
//! folding happens, so `"\u{212A}erberos"` (KELVIN SIGN) is not `kerberos`.

/// One value of a vocabulary, as the catalog shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The canonical name used in JSON.
    pub name: &'static str,
    /// Every accepted spelling (canonical name first, then aliases).
    pub spellings: &'static [&'static str],
    /// What the value means (the variant's documentation).
    pub description: &'static str,
}

/// Whether `name` is written in JSON as it is: lower-case ASCII letters, digits, `-`, `_`.
/// Every canonical name is (checked at compile time, in `vocabulary!`), so the writers put
/// names into JSON strings without escaping them.
pub(crate) const fn is_plain_name(name: &str) -> bool {
    let mut rest = name.as_bytes();
    while let [first, tail @ ..] = rest {
        if !matches!(first, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_') {
            return false;
        }
        rest = tail;
    }
    !name.is_empty()
}

/// Defines a fieldless enum whose variants have a stable canonical name and aliases.
///
/// Generates `ALL`, `CHOICES`, `name()`, `spellings()`, `describe()` (the variant's doc
/// comment), `ACCEPTED` (the comma-separated canonical names, for error messages),
/// `from_name()` and `Display`, plus `serde::Serialize` as the canonical name.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[doc = $vdoc:literal])*
                $variant:ident = $canon:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant ),+
        }

        const _: () = { $( assert!($crate::vocabulary::is_plain_name($canon)); )+ };

        impl $name {
            /// Every value with its spellings and description, in declaration order.
            pub const CHOICES: &'static [$crate::vocabulary::Choice] = &[$(
                $crate::vocabulary::Choice {
                    name: $canon,
                    spellings: &[$canon $(, $alias)*],
                    description: concat!($($vdoc),*).trim_ascii(),
                }
            ),+];

            /// What the value means, in words (its documentation).
            #[must_use]
            pub const fn describe(self) -> &'static str {
                match self { $($name::$variant => concat!($($vdoc),*).trim_ascii()),+ }
            }

            /// Every value, in declaration (and encoding) order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical name used in JSON.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $canon),+ }
            }

            /// The accepted spellings (canonical name first, then aliases).
            #[must_use]
            pub const fn spellings(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$canon $(, $alias)*]),+ }
            }

            /// Canonical names joined for an error message: `"a, b, c"`.
            pub const ACCEPTED: &'static str = crate::vocabulary::join!($($canon),+);

            /// Parses a canonical name or alias, ASCII-case-insensitively, without trimming.
            #[must_use]
            pub fn from_name(text: &str) -> Option<$name> {
                // The canonical spelling first, as one `match` (the compiler's length and
                // byte dispatch): what generated and well-behaved clients send.
                match text {
                    $($canon => return Some($name::$variant),)+
                    _ => {}
                }
                $(
                    if text.eq_ignore_ascii_case($canon) $(|| text.eq_ignore_ascii_case($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

/// Joins string literals with `", "` at compile time.
macro_rules! join {
    ($first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

pub(crate) use join;
pub(crate) use vocabulary;
