//! Values that are one number: carried as 8-byte words, with no per-item encoding.
//!
//! Most `map` inputs and results are plain numbers (`u64`, `f64`, a newtype of one). Encoded
//! with postcard, each costs a varint and a walk through serde; laid out as words, a chunk is an
//! array, read and written at memory speed, and item `i` is at byte `8 * i` without a list of
//! lengths. Whether a value is one is asked of the value itself: its `Serialize` runs against
//! [`WordSerializer`], which accepts a single primitive (through newtypes) and refuses anything
//! else. The other side hands the word back to `Deserialize` as that same primitive
//! ([`WordDeserializer`]), so the value round-trips through its own serde impls, exactly as it
//! would through postcard.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Serialize, Serializer, ser};

/// Decodes a `T` from a word of kind `K` (a [`Kind`] as `u8`): the kind is a constant, so a
/// loop over many words of one kind has no branch on it per word.
#[inline]
pub(crate) fn from_bits<T: de::DeserializeOwned, const K: u8>(bits: u64) -> Result<T, WordError> {
    T::deserialize(WordDeserializer::<K>(bits))
}

/// Calls `$body` with `$k` bound to `kind` as a constant `u8`: one copy of the body per kind.
macro_rules! for_kind {
    ($kind:expr, $k:ident => $body:expr) => {{
        use $crate::wire::word::Kind;
        match $kind {
            Kind::Bool => {
                const $k: u8 = Kind::Bool as u8;
                $body
            }
            Kind::U8 => {
                const $k: u8 = Kind::U8 as u8;
                $body
            }
            Kind::U16 => {
                const $k: u8 = Kind::U16 as u8;
                $body
            }
            Kind::U32 => {
                const $k: u8 = Kind::U32 as u8;
                $body
            }
            Kind::U64 => {
                const $k: u8 = Kind::U64 as u8;
                $body
            }
            Kind::I8 => {
                const $k: u8 = Kind::I8 as u8;
                $body
            }
            Kind::I16 => {
                const $k: u8 = Kind::I16 as u8;
                $body
            }
            Kind::I32 => {
                const $k: u8 = Kind::I32 as u8;
                $body
            }
            Kind::I64 => {
                const $k: u8 = Kind::I64 as u8;
                $body
            }
            Kind::F32 => {
                const $k: u8 = Kind::F32 as u8;
                $body
            }
            Kind::F64 => {
                const $k: u8 = Kind::F64 as u8;
                $body
            }
            Kind::Char => {
                const $k: u8 = Kind::Char as u8;
                $body
            }
            Kind::Unit => {
                const $k: u8 = Kind::Unit as u8;
                $body
            }
        }
    }};
}
pub(crate) use for_kind;

/// Which primitive a word holds: the `serialize_*` method the value called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Kind {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    Char,
    Unit,
}

/// One value as a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word {
    pub kind: Kind,
    pub bits: u64,
}

/// Why a value is not carried as a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WordError {
    /// Its shape is not a single primitive: encode it with postcard instead.
    NotAWord,
    /// Its own `Serialize` or `Deserialize` impl failed, with this message: the item fails.
    Custom(String),
}

impl fmt::Display for WordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordError::NotAWord => f.write_str("not a single number"),
            WordError::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for WordError {}

impl ser::Error for WordError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WordError::Custom(msg.to_string())
    }
}

impl de::Error for WordError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WordError::Custom(msg.to_string())
    }
}

/// The word `value` is, if it is one.
#[inline]
pub(crate) fn to_word<T: Serialize + ?Sized>(value: &T) -> Result<Word, WordError> {
    value.serialize(WordSerializer)
}

/// Decodes a `T` from `word` (one word: see [`from_bits`] for many of one kind).
pub(crate) fn from_word<T: de::DeserializeOwned>(word: Word) -> Result<T, WordError> {
    for_kind!(word.kind, K => from_bits::<T, K>(word.bits))
}

/// A value of `kind` made of `bits`, as its own serde impls would write it (for turning words
/// into postcard when a chunk cannot stay words).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsValue(pub Word);

impl Serialize for AsValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bits = self.0.bits;
        match self.0.kind {
            Kind::Bool => s.serialize_bool(bits != 0),
            Kind::U8 => s.serialize_u8(bits as u8),
            Kind::U16 => s.serialize_u16(bits as u16),
            Kind::U32 => s.serialize_u32(bits as u32),
            Kind::U64 => s.serialize_u64(bits),
            Kind::I8 => s.serialize_i8(bits as i8),
            Kind::I16 => s.serialize_i16(bits as i16),
            Kind::I32 => s.serialize_i32(bits as i32),
            Kind::I64 => s.serialize_i64(bits as i64),
            Kind::F32 => s.serialize_f32(f32::from_bits(bits as u32)),
            Kind::F64 => s.serialize_f64(f64::from_bits(bits)),
            Kind::Char => s.serialize_char(char::from_u32(bits as u32).unwrap_or('\0')),
            Kind::Unit => s.serialize_unit(),
        }
    }
}

/// Accepts exactly one primitive value, through any number of newtypes.
pub(crate) struct WordSerializer;

macro_rules! word {
    ($($method:ident($t:ty) => $kind:ident, $bits:expr;)*) => {$(
        #[inline]
        fn $method(self, v: $t) -> Result<Word, WordError> {
            #[allow(clippy::redundant_closure_call)]
            Ok(Word { kind: Kind::$kind, bits: ($bits)(v) })
        }
    )*};
}

macro_rules! not_a_word {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        #[inline]
        fn $method(self, $(_: $arg),*) -> Result<$ret, WordError> {
            Err(WordError::NotAWord)
        }
    )*};
}

impl Serializer for WordSerializer {
    type Ok = Word;
    type Error = WordError;
    type SerializeSeq = ser::Impossible<Word, WordError>;
    type SerializeTuple = ser::Impossible<Word, WordError>;
    type SerializeTupleStruct = ser::Impossible<Word, WordError>;
    type SerializeTupleVariant = ser::Impossible<Word, WordError>;
    type SerializeMap = ser::Impossible<Word, WordError>;
    type SerializeStruct = ser::Impossible<Word, WordError>;
    type SerializeStructVariant = ser::Impossible<Word, WordError>;

    word! {
        serialize_bool(bool) => Bool, |v: bool| v as u64;
        serialize_u8(u8) => U8, |v: u8| v as u64;
        serialize_u16(u16) => U16, |v: u16| v as u64;
        serialize_u32(u32) => U32, |v: u32| v as u64;
        serialize_u64(u64) => U64, |v: u64| v;
        serialize_i8(i8) => I8, |v: i8| v as i64 as u64;
        serialize_i16(i16) => I16, |v: i16| v as i64 as u64;
        serialize_i32(i32) => I32, |v: i32| v as i64 as u64;
        serialize_i64(i64) => I64, |v: i64| v as u64;
        serialize_f32(f32) => F32, |v: f32| v.to_bits() as u64;
        serialize_f64(f64) => F64, |v: f64| v.to_bits();
        serialize_char(char) => Char, |v: char| v as u64;
    }

    not_a_word! {
        serialize_i128(i128) -> Word;
        serialize_u128(u128) -> Word;
        serialize_str(&str) -> Word;
        serialize_bytes(&[u8]) -> Word;
        serialize_none() -> Word;
        serialize_unit_variant(&'static str, u32, &'static str) -> Word;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    #[inline]
    fn serialize_unit(self) -> Result<Word, WordError> {
        Ok(Word {
            kind: Kind::Unit,
            bits: 0,
        })
    }

    #[inline]
    fn serialize_unit_struct(self, _: &'static str) -> Result<Word, WordError> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Word, WordError> {
        Err(WordError::NotAWord)
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Word, WordError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Word, WordError> {
        Err(WordError::NotAWord)
    }

    fn is_human_readable(&self) -> bool {
        // As postcard: a value that serializes differently for people (a time as text) is
        // carried as it would be to postcard.
        false
    }
}

/// Hands the bits of a word of kind `K` back to a `Deserialize` impl as the primitive it was.
struct WordDeserializer<const K: u8>(u64);

impl<'de, const K: u8> de::Deserializer<'de> for WordDeserializer<K> {
    type Error = WordError;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WordError> {
        let bits = self.0;
        // `K` is a constant: this match is decided at compile time.
        match K {
            k if k == Kind::Bool as u8 => visitor.visit_bool(bits != 0),
            k if k == Kind::U8 as u8 => visitor.visit_u8(bits as u8),
            k if k == Kind::U16 as u8 => visitor.visit_u16(bits as u16),
            k if k == Kind::U32 as u8 => visitor.visit_u32(bits as u32),
            k if k == Kind::U64 as u8 => visitor.visit_u64(bits),
            k if k == Kind::I8 as u8 => visitor.visit_i8(bits as i8),
            k if k == Kind::I16 as u8 => visitor.visit_i16(bits as i16),
            k if k == Kind::I32 as u8 => visitor.visit_i32(bits as i32),
            k if k == Kind::I64 as u8 => visitor.visit_i64(bits as i64),
            k if k == Kind::F32 as u8 => visitor.visit_f32(f32::from_bits(bits as u32)),
            k if k == Kind::F64 as u8 => visitor.visit_f64(f64::from_bits(bits)),
            k if k == Kind::Char as u8 => match char::from_u32(bits as u32) {
                Some(c) => visitor.visit_char(c),
                None => Err(WordError::Custom(format!("{bits:#x} is not a char"))),
            },
            _ => visitor.visit_unit(),
        }
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, WordError> {
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, WordError> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Meters(f64);

    #[test]
    fn numbers_and_newtypes_are_words_and_come_back() {
        assert_eq!(
            to_word(&7u64).unwrap(),
            Word {
                kind: Kind::U64,
                bits: 7
            }
        );
        assert_eq!(from_word::<u64>(to_word(&7u64).unwrap()).unwrap(), 7);
        assert_eq!(from_word::<i16>(to_word(&-3i16).unwrap()).unwrap(), -3);
        assert_eq!(from_word::<char>(to_word(&'é').unwrap()).unwrap(), 'é');
        let m = Meters(2.5);
        assert_eq!(from_word::<Meters>(to_word(&m).unwrap()).unwrap(), m);
        from_word::<()>(to_word(&()).unwrap()).unwrap();
    }

    #[test]
    fn other_shapes_are_not_words() {
        assert_eq!(to_word(&Some(1u8)), Err(WordError::NotAWord));
        assert_eq!(to_word(&(1u8, 2u8)), Err(WordError::NotAWord));
        assert_eq!(to_word("text"), Err(WordError::NotAWord));
        assert_eq!(to_word(&1u128), Err(WordError::NotAWord));
    }

    #[test]
    fn a_word_written_as_postcard_is_what_the_value_writes() {
        for value in [0u64, 127, 128, u64::MAX] {
            let word = to_word(&value).unwrap();
            assert_eq!(
                postcard::to_allocvec(&AsValue(word)).unwrap(),
                postcard::to_allocvec(&value).unwrap()
            );
        }
        let word = to_word(&-5i32).unwrap();
        assert_eq!(
            postcard::to_allocvec(&AsValue(word)).unwrap(),
            postcard::to_allocvec(&-5i32).unwrap()
        );
    }

    #[test]
    fn out_of_range_words_are_the_decoders_error() {
        let word = to_word(&300u64).unwrap();
        let err = from_word::<u8>(word).unwrap_err();
        assert!(matches!(err, WordError::Custom(_)), "{err:?}");
    }
}
