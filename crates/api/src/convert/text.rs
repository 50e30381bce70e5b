//! Requests from text: what a command line gives (`coterie call atomic-long compare-and-set
//! seq expected=1 update=2`) turned into the rpc's request, field by field, by the field's
//! proto type. Generated for every rpc from the rpc list, so the command line knows every
//! operation the API has, under the names the API gives them.

use std::collections::BTreeMap;

use super::ConvertError;

/// A proto field's value read from text.
pub trait FromText: Sized {
    /// The value of `field` from `text` (`None`: not given), or why it cannot be one.
    fn from_text(text: Option<&str>, operation: &'static str, field: &'static str) -> Result<Self, ConvertError>;
}

fn required<'a>(text: Option<&'a str>, operation: &'static str, field: &'static str) -> Result<&'a str, ConvertError> {
    text.ok_or_else(|| ConvertError::invalid(operation, format!("{field} is required: give {field}=VALUE")))
}

macro_rules! numbers {
    ($($number:ty),*) => {
        $(
            impl FromText for $number {
                fn from_text(text: Option<&str>, operation: &'static str, field: &'static str) -> Result<Self, ConvertError> {
                    let text = required(text, operation, field)?;
                    text.trim().parse().map_err(|_| {
                        ConvertError::invalid(
                            operation,
                            format!("{field}={text:?} is not a {} number", stringify!($number)),
                        )
                    })
                }
            }
        )*
    };
}

numbers!(i64, u64, u32);

impl FromText for bool {
    fn from_text(text: Option<&str>, operation: &'static str, field: &'static str) -> Result<Self, ConvertError> {
        match required(text, operation, field)? {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(ConvertError::invalid(operation, format!("{field}={other:?} is not true or false"))),
        }
    }
}

/// Bytes are given as UTF-8 text.
impl FromText for Vec<u8> {
    fn from_text(text: Option<&str>, operation: &'static str, field: &'static str) -> Result<Self, ConvertError> {
        Ok(required(text, operation, field)?.as_bytes().to_vec())
    }
}

/// An optional field is absent when it is not given.
impl<T: FromText> FromText for Option<T> {
    fn from_text(text: Option<&str>, operation: &'static str, field: &'static str) -> Result<Self, ConvertError> {
        text.map(|text| T::from_text(Some(text), operation, field)).transpose()
    }
}

/// The `FIELD=VALUE` arguments of one request, taken field by field.
pub(super) struct TextFields {
    operation: &'static str,
    given: BTreeMap<String, String>,
}

impl TextFields {
    /// The arguments `fields` (each `FIELD=VALUE`, every field at most once) for `operation`.
    pub(super) fn new(operation: &'static str, fields: &[String]) -> Result<Self, ConvertError> {
        let mut given = BTreeMap::new();
        for field in fields {
            let Some((key, value)) = field.split_once('=') else {
                return Err(ConvertError::invalid(operation, format!("{field:?} is not FIELD=VALUE")));
            };
            if given.insert(key.to_owned(), value.to_owned()).is_some() {
                return Err(ConvertError::invalid(operation, format!("{key} is given twice")));
            }
        }
        Ok(TextFields { operation, given })
    }

    /// Takes field `field`, read as its proto type.
    pub(super) fn take<T: FromText>(&mut self, field: &'static str) -> Result<T, ConvertError> {
        let text = self.given.remove(field);
        T::from_text(text.as_deref(), self.operation, field)
    }

    /// Refuses the fields left over: the request has no such field.
    pub(super) fn finish(self, accepted: &[&str]) -> Result<(), ConvertError> {
        match self.given.keys().next() {
            None => Ok(()),
            Some(unknown) => Err(ConvertError::invalid(
                self.operation,
                format!("it has no field {unknown:?}; its fields are: {}", field_list(accepted)),
            )),
        }
    }
}

/// `a, b` or `none`.
pub(super) fn field_list(fields: &[&str]) -> String {
    if fields.is_empty() { "none".to_owned() } else { fields.join(", ") }
}

/// Whether `given` (a command line's `atomic-long`, `atomic_long` or `AtomicLong`) names
/// `kind` (the rpc list's `AtomicLong`).
pub(super) fn names_kind(kind: &str, given: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_lowercase();
    squash(kind) == squash(given)
}

/// Whether `given` (`compare-and-set` or `compare_and_set`) names `operation`.
pub(super) fn names_operation(operation: &str, given: &str) -> bool {
    operation == given.replace('-', "_")
}
