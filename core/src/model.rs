//! The request's field table machinery: the `record!` macro turns one declarative list of
//! fields (name, type, default, documentation, packed position, follow-up check) into the
//! typed struct, its §4 reading in the spec's order, its canonical JSON, its packed bits and
//! the [`FieldInfo`] table the catalog, the `table` columns and the TypeScript types are
//! rendered from. The tables themselves are in `request.rs`.

use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::vocabulary::Choice;

/// What kind of value a field holds: enough for a page to draw a control and for the
/// TypeScript types.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One of a vocabulary's names (matched ASCII-case-insensitively, aliases accepted).
    Choice(&'static ChoiceSet),
    /// `true` or `false`.
    Bool,
    /// A non-empty string.
    Text,
    /// An array of non-empty strings.
    TextList,
    /// A nested object.
    Record(&'static RecordInfo),
    /// An array of nested objects, at most this many.
    RecordList(&'static RecordInfo, usize),
}

impl Shape {
    /// How many bits a packed field of this shape takes: a choice its index, a flag one bit,
    /// a list one bit ("not empty"); 0 for what does not pack.
    #[must_use]
    pub const fn packed_width(&self) -> u32 {
        match self {
            Shape::Choice(set) => width_for(set.choices.len()),
            Shape::Bool | Shape::TextList => 1,
            Shape::Text | Shape::Record(_) | Shape::RecordList(..) => 0,
        }
    }
}

/// A vocabulary as a field type: its values and the error code of an unknown name.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceSet {
    /// The TypeScript type name (the Rust enum's name).
    pub type_name: &'static str,
    /// The values, in encoding order.
    pub choices: &'static [Choice],
    /// The code of an unknown name (spec §4).
    pub unknown: ErrorCode,
    /// The canonical names joined with `", "` (error messages).
    pub accepted: &'static str,
}

/// An object of the request (the request itself, `delegation`, a hop, …).
#[derive(Debug, Clone, Copy)]
pub struct RecordInfo {
    /// The TypeScript interface name.
    pub type_name: &'static str,
    /// What the object is.
    pub doc: &'static str,
    /// Its fields, in spec §4 order.
    pub fields: &'static [FieldInfo],
}

impl RecordInfo {
    /// The row of the field `name`. For const items (the field's position, its spelling):
    /// there a missing field is a build error, never a runtime one.
    #[allow(clippy::indexing_slicing, clippy::panic)]
    #[must_use]
    pub const fn row(&self, name: &str) -> &'static FieldInfo {
        let fields = self.fields;
        let mut i = 0;
        while i < fields.len() {
            let field = &fields[i];
            let (a, b) = (field.name.as_bytes(), name.as_bytes());
            if a.len() == b.len() {
                let mut j = 0;
                while j < a.len() && a[j] == b[j] {
                    j += 1;
                }
                if j == a.len() {
                    return field;
                }
            }
            i += 1;
        }
        panic!("no such field")
    }
}

/// What happens when a field is absent.
#[derive(Debug, Clone, Copy)]
pub enum DefaultInfo {
    /// The field must be present; its absence is this error.
    Required(ErrorCode),
    /// A fixed default (rendered by [`FieldInfo::default_value`] with `alloc`).
    Value,
    /// A default computed from earlier fields, described in words.
    Derived(&'static str),
}

/// One row of a field table.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    /// The JSON key.
    pub name: &'static str,
    /// What the field means (its documentation; the first line is a label).
    pub doc: &'static str,
    /// Its kind of value.
    pub shape: Shape,
    /// What an absent field means.
    pub default: DefaultInfo,
    /// Its first bit in a packed request, if it is part of the packed (hop-free) domain.
    pub packed_at: Option<u32>,
    /// Its byte in a binary record's fixed part (ABI v2's hop record), if it has one.
    pub wire_at: Option<usize>,
    /// The group of fields it belongs to, if any (a page may show a group only when used;
    /// see the catalog's `groups`).
    pub group: Option<&'static str>,
    /// The default as JSON (fixed defaults only).
    #[cfg(feature = "alloc")]
    pub default_json: Option<fn() -> crate::json::Value>,
}

/// A field's or record's documentation as a label (its first line) and a help text (the
/// rest of its first paragraph, lines joined); later paragraphs are Rust-only detail.
pub fn split_doc(doc: &'static str) -> (&'static str, impl Iterator<Item = &'static str>) {
    let mut lines = doc.lines().map(str::trim);
    let label = lines.next().unwrap_or_default();
    (label, lines.take_while(|l| !l.is_empty()))
}

impl FieldInfo {
    /// The first line of the documentation: a label for a control.
    #[must_use]
    pub fn label(&self) -> &'static str {
        split_doc(self.doc).0
    }

    /// The default as JSON, for a fixed default.
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn default_value(&self) -> Option<crate::json::Value> {
        self.default_json.map(|f| f())
    }
}

/// A field type: its shape and how it packs.
pub trait Field {
    /// Its kind of value.
    const SHAPE: Shape;
    /// How many bits it takes in a packed request (0: not packable by itself).
    const PACKED_WIDTH: u32 = 0;
    /// Its packed bits (below `1 << PACKED_WIDTH`).
    fn packed(&self) -> u64 {
        0
    }
    /// Writes its packed bits at `at` (records write each of their fields at its own position).
    fn pack_into(&self, at: Option<u32>, bits: &mut u64) {
        if let Some(at) = at {
            *bits |= self.packed() << at;
        }
    }
    /// Its canonical JSON.
    #[cfg(feature = "alloc")]
    fn to_value(&self) -> crate::json::Value;
    /// Where its packed bits start, for a byte of a binary record (`wire`): 0 for a value, the
    /// lowest packed position of its fields for a record (whose fields pack at their own
    /// positions).
    const WIRE_SHIFT: u32 = 0;
    /// How many bits its byte of a binary record uses (at most 8, checked where it is placed).
    const WIRE_WIDTH: u32 = Self::PACKED_WIDTH;
}

/// The byte of `value` in a binary record (a `wire` position of a field table): its packed
/// bits, moved down to bit 0.
pub fn wire_byte<T: Field>(value: &T) -> u8 {
    let mut bits = 0;
    value.pack_into(Some(0), &mut bits);
    // At most 8 bits: `record!` asserts `WIRE_WIDTH <= 8` for every `wire` field.
    (bits >> T::WIRE_SHIFT) as u8
}

/// Reads a byte written by [`wire_byte`]; `None` for a byte with bits above the type's width
/// or a value out of range (a record that was not written by [`wire_byte`] is not decided on).
pub fn from_wire_byte<T: Field + Unpack>(byte: u8) -> Option<T> {
    if u32::from(byte) >> T::WIRE_WIDTH != 0 {
        return None;
    }
    T::from_bits(u64::from(byte) << T::WIRE_SHIFT, Some(0))
}

/// The packed positions `fields` span: their lowest bit and their highest plus one (`(0, 0)`
/// when none packs).
#[allow(clippy::indexing_slicing)] // const fn (no `get`); `i` is below the length
#[must_use]
pub const fn packed_span(fields: &[FieldInfo]) -> (u32, u32) {
    let (mut low, mut high) = (u32::MAX, 0);
    let mut i = 0;
    while i < fields.len() {
        if let Some(at) = fields[i].packed_at {
            let end = at + fields[i].shape.packed_width();
            low = if at < low { at } else { low };
            high = if end > high { end } else { high };
        }
        i += 1;
    }
    if high == 0 {
        (0, 0)
    } else {
        (low, high)
    }
}

/// The bytes the `wire` fields of `fields` take: the highest position plus one.
#[allow(clippy::indexing_slicing)] // const fn (no `get`); `i` is below the length
#[must_use]
pub const fn wire_size(fields: &[FieldInfo]) -> usize {
    let mut size = 0;
    let mut i = 0;
    while i < fields.len() {
        if let Some(at) = fields[i].wire_at {
            if at + 1 > size {
                size = at + 1;
            }
        }
        i += 1;
    }
    size
}

/// A field type that can be read back from packed bits (only the hop-free fields, and only
/// into the `'static`-borrowed request the packed domain decodes to).
pub trait Unpack: Sized {
    /// Decodes the value at `at`; a value out of range is the field's unknown-value error.
    fn unpack_from(bits: u64, at: Option<u32>, path: FieldPath) -> Result<Self, RequestError>;
    /// [`unpack_from`](Self::unpack_from) without the error: no field path is built (a
    /// binary record's bytes are decoded per hop, in a module's hot path).
    fn from_bits(bits: u64, at: Option<u32>) -> Option<Self> {
        Self::unpack_from(bits, at, FieldPath::REQUEST).ok()
    }
}

/// A field type read from JSON (spec §4): the checks of its row, in order.
#[cfg(feature = "alloc")]
pub trait ReadField: Sized {
    /// Reads a present value at `path`.
    fn read(value: &crate::json::Value, path: FieldPath) -> Result<Self, RequestError>;
}

/// The number of bits that hold the indices `0..count`.
#[must_use]
pub const fn width_for(count: usize) -> u32 {
    let mut width = 0;
    while (1usize << width) < count {
        width += 1;
    }
    width
}

/// The bits of one field at `at`.
#[must_use]
pub const fn bits_at(bits: u64, at: u32, width: u32) -> u64 {
    (bits >> at) & ((1u64 << width) - 1)
}

/// Gives a vocabulary enum its field behaviour: index-packed, read by name with `unknown`.
macro_rules! choice_field {
    ($($ty:ident => $unknown:ident),+ $(,)?) => {$(
        impl $crate::model::Field for $ty {
            const SHAPE: $crate::model::Shape = $crate::model::Shape::Choice(&$crate::model::ChoiceSet {
                type_name: stringify!($ty),
                choices: $ty::CHOICES,
                unknown: $crate::error::ErrorCode::$unknown,
                accepted: $ty::ACCEPTED,
            });
            const PACKED_WIDTH: u32 = $crate::model::width_for($ty::ALL.len());
            fn packed(&self) -> u64 {
                *self as u64
            }
            #[cfg(feature = "alloc")]
            fn to_value(&self) -> $crate::json::Value {
                $crate::json::Value::String(self.name().into())
            }
        }

        impl $crate::model::Unpack for $ty {
            fn unpack_from(
                bits: u64,
                at: Option<u32>,
                path: $crate::error::FieldPath,
            ) -> Result<Self, $crate::error::RequestError> {
                let index = $crate::model::bits_at(bits, at.unwrap_or(0), <$ty as $crate::model::Field>::PACKED_WIDTH);
                usize::try_from(index)
                    .ok()
                    .and_then(|i| $ty::ALL.get(i))
                    .copied()
                    .ok_or_else(|| {
                        $crate::error::RequestError::new($crate::error::ErrorCode::$unknown, path, $ty::ACCEPTED)
                            .found(index)
                    })
            }

            fn from_bits(bits: u64, at: Option<u32>) -> Option<Self> {
                let index = $crate::model::bits_at(bits, at.unwrap_or(0), <$ty as $crate::model::Field>::PACKED_WIDTH);
                usize::try_from(index).ok().and_then(|i| $ty::ALL.get(i)).copied()
            }
        }

        #[cfg(feature = "alloc")]
        impl $crate::model::Own for $ty {
            type Owned = $ty;
            fn owned(&self) -> $ty {
                *self
            }
        }

        #[cfg(feature = "alloc")]
        impl $crate::json::fast::FastRead for $ty {
            fn read_fast(cursor: &mut $crate::json::fast::Cursor<'_>) -> Option<Self> {
                cursor.plain_string().and_then($ty::from_name)
            }
        }

        #[cfg(feature = "alloc")]
        impl $crate::model::ReadField for $ty {
            fn read(
                value: &$crate::json::Value,
                path: $crate::error::FieldPath,
            ) -> Result<Self, $crate::error::RequestError> {
                $crate::json::read::name(value, path, $ty::from_name, $crate::error::ErrorCode::$unknown, $ty::ACCEPTED)
            }
        }
    )+};
}

pub(crate) use choice_field;

impl Field for bool {
    const SHAPE: Shape = Shape::Bool;
    const PACKED_WIDTH: u32 = 1;
    fn packed(&self) -> u64 {
        u64::from(*self)
    }
    #[cfg(feature = "alloc")]
    fn to_value(&self) -> crate::json::Value {
        crate::json::Value::Bool(*self)
    }
}

/// A value with its strings and lists owned: the same value in [`Owned`](crate::Owned)
/// storage (the identity for values without strings). `record!` generates it for every record
/// from its field table, so a request of any storage becomes an owned one without listing a
/// field (and without a round trip through JSON).
#[cfg(feature = "alloc")]
pub trait Own {
    /// The owned form.
    type Owned;
    /// This value with owned strings and lists.
    fn owned(&self) -> Self::Owned;
}

#[cfg(feature = "alloc")]
impl Own for bool {
    type Owned = bool;
    fn owned(&self) -> bool {
        *self
    }
}

impl Unpack for bool {
    fn unpack_from(bits: u64, at: Option<u32>, _: FieldPath) -> Result<Self, RequestError> {
        Ok(bits_at(bits, at.unwrap_or(0), 1) == 1)
    }
    fn from_bits(bits: u64, at: Option<u32>) -> Option<Self> {
        Some(bits_at(bits, at.unwrap_or(0), 1) == 1)
    }
}

/// Defines a record of the request from its field table. Each field line is
///
/// ```text
/// /// Label (first line), then what it means.
/// name: Type = value(expr) | derived("rule in words", expr) | required(ErrorCode, blank)
///     [, packed BIT] [, wire BYTE] [, group "name"] [, then |path| check-expression];
/// ```
///
/// `packed` places the field in the packed (hop-free) request, `wire` in a binary record's
/// fixed part (ABI v2's hop record: one byte each, a record's byte holding its packed bits
/// moved down to bit 0). `derived` and `then` expressions may use the fields read before
/// them (by name). The generated items: the struct, `FIELDS`/`INFO` (the table), `blank()`
/// (every default, the `blank` of required fields), `pack_bits`, `write_wire`/`read_wire`,
/// `Field`/`Unpack`/`ReadField` impls and the field-by-field JSON reader.
macro_rules! record {
    // A record generic over the request's storage.
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident<S> { $($body:tt)* }
    ) => {
        $crate::model::record!(@struct [$($doc)*] $name
            [<S: $crate::Storage = $crate::Borrowed<'static>>]
            [<S: $crate::Storage>] [<S>] [$name<$crate::Owned>] { $($body)* });
        impl<'a> Copy for $name<$crate::Borrowed<'a>> {}
    };
    // A record with no strings.
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::model::record!(@struct [$($doc)*] $name [] [] [] [$name] { $($body)* });
        impl Copy for $name {}
    };
    (@struct [$($doc:literal)*] $name:ident [$($def:tt)*] [$($gen:tt)*] [$($args:tt)*] [$owned:ty] {
        $(
            $(#[doc = $fdoc:literal])*
            $field:ident : $ty:ty = $dkind:ident ( $($darg:tt)* )
                $(, packed $pos:literal)?
                $(, wire $wire:literal)?
                $(, group $group:literal)?
                $(, then |$p:ident| $check:expr)?
            ;
        )+
    }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name $($def)* {
            $( $(#[doc = $fdoc])* pub $field: $ty, )+
        }

        impl $($gen)* $name $($args)* {
            /// The field table: one row per field, in spec §4 order.
            pub const FIELDS: &'static [$crate::model::FieldInfo] = &[$(
                $crate::model::FieldInfo {
                    name: stringify!($field),
                    doc: concat!($($fdoc, "\n"),*),
                    shape: <$ty as $crate::model::Field>::SHAPE,
                    default: $crate::model::record!(@info $dkind($($darg)*)),
                    packed_at: $crate::model::record!(@pos $($pos)?),
                    wire_at: $crate::model::record!(@pos $($wire)?),
                    group: $crate::model::record!(@group $($group)?),
                    #[cfg(feature = "alloc")]
                    default_json: $crate::model::record!(@json $ty; $dkind($($darg)*)),
                }
            ),+];

            /// The field names joined with `", "` (error messages).
            pub const ACCEPTED: &'static str = $crate::model::join_names!($($field),+);

            /// This object in the field tables.
            pub const INFO: $crate::model::RecordInfo = $crate::model::RecordInfo {
                type_name: stringify!($name),
                doc: concat!($($doc, "\n"),*),
                fields: Self::FIELDS,
            };

            /// Every field at its default; required fields hold a blank placeholder.
            #[must_use]
            pub fn blank() -> Self {
                $( let $field: $ty = $crate::model::record!(@blank $dkind($($darg)*)); )+
                $name { $($field),+ }
            }

            /// ORs this record's packed fields into `bits`.
            pub fn pack_bits(&self, bits: &mut u64) {
                $( <$ty as $crate::model::Field>::pack_into(&self.$field, $crate::model::record!(@pos $($pos)?), bits); )+
            }

            /// How many bytes the fields with a `wire` position take in a binary record
            /// (ABI v2's hop record): the highest position plus one.
            pub const WIRE_SIZE: usize = $crate::model::wire_size(Self::FIELDS);

            /// Writes the fields with a `wire` position, one byte each ([`wire_byte`](crate::model::wire_byte)),
            /// into `bytes` (at least [`Self::WIRE_SIZE`] long, else `None`).
            pub fn write_wire(&self, bytes: &mut [u8]) -> Option<()> {
                let _ = &bytes; // a record without `wire` fields writes nothing
                $( $crate::model::record!(@wire_put self.$field, bytes, $ty; $($wire)?); )+
                Some(())
            }

            /// Reads the fields with a `wire` position from `bytes` into `self` (the other fields
            /// keep their values); `None` for a byte that [`Self::write_wire`] does not write.
            pub fn read_wire(&mut self, bytes: &[u8]) -> Option<()> {
                let _ = &bytes; // a record without `wire` fields reads nothing
                $( $crate::model::record!(@wire_get self.$field, bytes, $ty; $($wire)?); )+
                Some(())
            }

            /// The canonical JSON object: every field, in table order, canonical names.
            #[cfg(feature = "alloc")]
            #[must_use]
            pub fn to_value(&self) -> $crate::json::Value {
                $crate::json::Value::Object(alloc::vec![$(
                    (alloc::string::String::from(stringify!($field)), <$ty as $crate::model::Field>::to_value(&self.$field))
                ),+])
            }
        }

        impl $($gen)* $crate::model::Field for $name $($args)* {
            const SHAPE: $crate::model::Shape = $crate::model::Shape::Record(&Self::INFO);
            const WIRE_SHIFT: u32 = $crate::model::packed_span(Self::FIELDS).0;
            const WIRE_WIDTH: u32 =
                $crate::model::packed_span(Self::FIELDS).1 - $crate::model::packed_span(Self::FIELDS).0;
            fn pack_into(&self, _: Option<u32>, bits: &mut u64) {
                self.pack_bits(bits);
            }
            #[cfg(feature = "alloc")]
            fn to_value(&self) -> $crate::json::Value {
                $name::to_value(self)
            }
        }

        #[cfg(feature = "alloc")]
        impl $($gen)* $crate::model::Own for $name $($args)* {
            type Owned = $owned;
            fn owned(&self) -> $owned {
                $name { $($field: $crate::model::Own::owned(&self.$field)),+ }
            }
        }

        impl $($gen)* $crate::model::Unpack for $name $($args)* where $($ty: $crate::model::Unpack),+ {
            fn unpack_from(
                bits: u64,
                _: Option<u32>,
                path: $crate::error::FieldPath,
            ) -> Result<Self, $crate::error::RequestError> {
                Ok($name {$(
                    $field: <$ty as $crate::model::Unpack>::unpack_from(
                        bits,
                        $crate::model::record!(@pos $($pos)?),
                        path.key(stringify!($field)),
                    )?,
                )+})
            }

            fn from_bits(bits: u64, _: Option<u32>) -> Option<Self> {
                Some($name {$(
                    $field: <$ty as $crate::model::Unpack>::from_bits(
                        bits,
                        $crate::model::record!(@pos $($pos)?),
                    )?,
                )+})
            }
        }

        #[cfg(feature = "alloc")]
        impl $($gen)* $name $($args)* where $($ty: $crate::model::ReadField),+ {
            /// Spec §4 on an object's fields: unknown keys first, then field by field in
            /// table order (the first failure wins); absent fields take their defaults.
            pub(crate) fn read_fields(
                object: &[(alloc::string::String, $crate::json::Value)],
                path: $crate::error::FieldPath,
            ) -> Result<Self, $crate::error::RequestError> {
                $crate::json::read::check_keys(object, &[$(stringify!($field)),+], Self::ACCEPTED, path)?;
                let get = |key: &str| object.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                $(
                    let $field: $ty = match get(stringify!($field)) {
                        None => $crate::model::record!(@absent $dkind($($darg)*); $ty; path.key(stringify!($field))),
                        Some(v) => <$ty as $crate::model::ReadField>::read(v, path.key(stringify!($field)))?,
                    };
                    $( { let $p = path.key(stringify!($field)); $check?; } )?
                )+
                Ok($name { $($field),+ })
            }
        }

        #[cfg(feature = "alloc")]
        impl $($gen)* $crate::model::ReadField for $name $($args)* where $($ty: $crate::model::ReadField),+ {
            fn read(
                value: &$crate::json::Value,
                path: $crate::error::FieldPath,
            ) -> Result<Self, $crate::error::RequestError> {
                let object = $crate::json::read::object(value, path, concat!("an object with ", $crate::model::join_names!($($field),+)))?;
                Self::read_fields(object, path)
            }
        }

        #[cfg(feature = "alloc")]
        impl $($gen)* $crate::json::fast::FastRead for $name $($args)* where $($ty: $crate::json::fast::FastRead),+ {
            /// `read_fields` for plainly valid text: keys of this table, each once, in any
            /// order; then the defaults and checks in table order. `None` on anything else.
            fn read_fast(cursor: &mut $crate::json::fast::Cursor<'_>) -> Option<Self> {
                const KEYS: &[&str] = &[$(concat!("\"", stringify!($field), "\":")),+];
                $( let mut $field: Option<$ty> = None; )+
                let mut more = cursor.open(b'{', b'}')?;
                // Keys usually come in table order (the order every writer uses): the
                // expected one is checked first, by one comparison.
                let mut expected = 0;
                while more {
                    let index = cursor.key_index(KEYS, expected)?;
                    let mut i = 0;
                    $(
                        if index == i {
                            $crate::json::fast::fill(&mut $field, cursor)?;
                        }
                        i += 1;
                    )+
                    let _ = i;
                    expected = index + 1;
                    more = cursor.next(b'}')?;
                }
                $(
                    let $field: $ty = match $field {
                        Some(v) => v,
                        None => $crate::model::record!(@fast_absent $dkind($($darg)*)),
                    };
                    $( { let $p = $crate::error::FieldPath::REQUEST; if $check.is_err() { return None; } } )?
                )+
                Some($name { $($field),+ })
            }
        }
    };

    (@info value($($e:tt)*)) => { $crate::model::DefaultInfo::Value };
    (@info derived($words:literal, $($e:tt)*)) => { $crate::model::DefaultInfo::Derived($words) };
    (@info required($code:ident, $($e:tt)*)) => { $crate::model::DefaultInfo::Required($crate::error::ErrorCode::$code) };

    (@json $ty:ty; value($($e:tt)*)) => { Some(|| <$ty as $crate::model::Field>::to_value(&{ $($e)* })) };
    (@json $ty:ty; $other:ident($($e:tt)*)) => { None };

    (@blank value($($e:tt)*)) => { $($e)* };
    (@blank derived($words:literal, $($e:tt)*)) => { $($e)* };
    (@blank required($code:ident, $($e:tt)*)) => { $($e)* };

    (@absent value($($e:tt)*); $ty:ty; $path:expr) => { $($e)* };
    (@absent derived($words:literal, $($e:tt)*); $ty:ty; $path:expr) => { $($e)* };
    (@absent required($code:ident, $($e:tt)*); $ty:ty; $path:expr) => {
        return Err($crate::error::RequestError::new(
            $crate::error::ErrorCode::$code,
            $path,
            <$ty as $crate::model::Field>::SHAPE.expected(),
        ))
    };

    (@fast_absent required($($e:tt)*)) => { return None };
    (@fast_absent $other:ident($($e:tt)*)) => { $crate::model::record!(@blank $other($($e)*)) };

    (@wire_put $value:expr, $bytes:ident, $ty:ty; $at:literal) => {
        const { assert!(<$ty as $crate::model::Field>::WIRE_WIDTH <= 8, "a wire field is one byte") };
        *$bytes.get_mut($at)? = $crate::model::wire_byte::<$ty>(&$value);
    };
    (@wire_put $value:expr, $bytes:ident, $ty:ty;) => {};
    (@wire_get $place:expr, $bytes:ident, $ty:ty; $at:literal) => {
        $place = $crate::model::from_wire_byte::<$ty>(*$bytes.get($at)?)?;
    };
    (@wire_get $place:expr, $bytes:ident, $ty:ty;) => {};

    (@pos $pos:literal) => { Some($pos) };
    (@pos) => { None };
    (@group $group:literal) => { Some($group) };
    (@group) => { None };
}

pub(crate) use record;

/// Joins identifiers as `"a, b, c"` at compile time.
macro_rules! join_names {
    ($first:ident $(, $rest:ident)*) => { concat!(stringify!($first) $(, ", ", stringify!($rest))*) };
}

pub(crate) use join_names;

impl Shape {
    /// What a value of this shape looks like, for error messages.
    #[must_use]
    pub const fn expected(&self) -> &'static str {
        match self {
            Shape::Choice(set) => set.accepted,
            Shape::Bool => "true or false",
            Shape::Text => "a non-empty SPN or host string",
            Shape::TextList => "an array of non-empty strings",
            Shape::Record(_) => "an object",
            Shape::RecordList(..) => "an array of objects",
        }
    }
}
