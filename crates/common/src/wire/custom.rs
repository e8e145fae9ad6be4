//! A decoder's own error message, which postcard drops.
//!
//! A `Deserialize` impl that rejects a value says why with `D::Error::custom(message)`.
//! postcard's error type holds no text (the crate is `no_std`), so the message is lost and the
//! caller would see "Serde Deserialization Error". After such a failure the same bytes are
//! decoded again through [`Wrap`], whose error type records the first message made with it.
//! Every deserializer, visitor, access object and seed the value's impls are handed is wrapped
//! the same way, so a nested impl's `custom` call lands here too. Only failures take this path:
//! decoding that succeeds never sees it.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

thread_local! {
    /// The first custom message made during the current [`message`] call.
    static FIRST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What a `Deserialize` impl of `T` said when it refused `bytes`, if it said anything.
pub(crate) fn message<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> Option<String> {
    FIRST.set(None);
    let mut inner = postcard::Deserializer::from_bytes(bytes);
    let _ = T::deserialize(Wrap(&mut inner));
    FIRST.take()
}

/// The error of the wrapped types: a message an impl made, or the inner decoder's error.
#[derive(Debug)]
struct Kept(String);

impl fmt::Display for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Kept {}

impl de::Error for Kept {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let msg = msg.to_string();
        FIRST.with_borrow_mut(|first| {
            first.get_or_insert_with(|| msg.clone());
        });
        Kept(msg)
    }
}

/// An error of the inner decoder, as ours.
fn kept<E: fmt::Display>(e: E) -> Kept {
    Kept(e.to_string())
}

/// Ours, as an error of the inner decoder (whose `custom` may drop the text: [`FIRST`] has it).
fn back<E: de::Error>(e: Kept) -> E {
    E::custom(e)
}

/// A deserializer, a visitor, or an access object, wrapped.
struct Wrap<T>(T);

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Kept> {
            self.0.$method(Wrap(visitor)).map_err(kept)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Wrap<D> {
    type Error = Kept;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0
            .deserialize_unit_struct(name, Wrap(visitor))
            .map_err(kept)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0
            .deserialize_newtype_struct(name, Wrap(visitor))
            .map_err(kept)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Kept> {
        self.0.deserialize_tuple(len, Wrap(visitor)).map_err(kept)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0
            .deserialize_tuple_struct(name, len, Wrap(visitor))
            .map_err(kept)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0
            .deserialize_struct(name, fields, Wrap(visitor))
            .map_err(kept)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0
            .deserialize_enum(name, variants, Wrap(visitor))
            .map_err(kept)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method::<Kept>(v).map_err(back)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    );

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none::<Kept>().map_err(back)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit::<Kept>().map_err(back)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Wrap(d)).map_err(back)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Wrap(d)).map_err(back)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Wrap(seq)).map_err(back)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Wrap(map)).map_err(back)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Wrap(data)).map_err(back)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Wrap(d)).map_err(back)
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Wrap<A> {
    type Error = Kept;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Kept> {
        self.0.next_element_seed(Wrap(seed)).map_err(kept)
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Wrap<A> {
    type Error = Kept;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Kept> {
        self.0.next_key_seed(Wrap(seed)).map_err(kept)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Kept> {
        self.0.next_value_seed(Wrap(seed)).map_err(kept)
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Wrap<A> {
    type Error = Kept;
    type Variant = Wrap<A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Kept> {
        self.0
            .variant_seed(Wrap(seed))
            .map(|(value, variant)| (value, Wrap(variant)))
            .map_err(kept)
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Wrap<A> {
    type Error = Kept;

    fn unit_variant(self) -> Result<(), Kept> {
        self.0.unit_variant().map_err(kept)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Kept> {
        self.0.newtype_variant_seed(Wrap(seed)).map_err(kept)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Kept> {
        self.0.tuple_variant(len, Wrap(visitor)).map_err(kept)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Kept> {
        self.0.struct_variant(fields, Wrap(visitor)).map_err(kept)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    /// Refuses 13 with a message of its own.
    #[derive(Debug)]
    struct Touchy;
    impl<'de> Deserialize<'de> for Touchy {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match u32::deserialize(d)? {
                13 => Err(serde::de::Error::custom("13 will not be read")),
                _ => Ok(Touchy),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // only decoded
    enum Shapes {
        Unit,
        Newtype(Touchy),
        Tuple(u8, Touchy),
        Struct { a: Option<Touchy>, b: Vec<Touchy> },
    }

    #[test]
    fn the_message_survives_nesting() {
        let cases: [&[u8]; 5] = [
            &[1, 13],       // Newtype(13)
            &[2, 5, 13],    // Tuple(5, 13)
            &[3, 1, 13, 0], // Struct { a: Some(13), b: [] }
            &[3, 0, 2, 1, 13],
            &[13],
        ];
        for (i, bytes) in cases.iter().enumerate() {
            let plain = if i < 4 {
                postcard::from_bytes::<Shapes>(bytes).unwrap_err()
            } else {
                postcard::from_bytes::<Touchy>(bytes).unwrap_err()
            };
            assert_eq!(plain, postcard::Error::SerdeDeCustom, "case {i}");
            let kept = if i < 4 {
                super::message::<Shapes>(bytes)
            } else {
                super::message::<Touchy>(bytes)
            };
            assert_eq!(kept.as_deref(), Some("13 will not be read"), "case {i}");
        }
        // No message when the failure is postcard's own (a truncated input).
        assert_eq!(super::message::<Shapes>(&[2, 5]), None);
    }
}
