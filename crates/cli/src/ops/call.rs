//! The arguments of one operation being parsed, and the helpers that read them.

use std::fmt;
use std::str::FromStr;

use super::{DEFAULT_LIMIT, NULL_FLAG, OpSpec, ParseError};

/// One operation being parsed: its spec and its arguments.
pub(super) struct Call<'a> {
    /// The kind the operation belongs to.
    pub(super) kind: coterie_core::Kind,
    /// The operation.
    pub(super) spec: OpSpec,
    /// Its arguments.
    pub(super) args: &'a [String],
}

impl<'a> Call<'a> {
    /// The error for a wrong number of arguments.
    fn wrong_args(&self) -> ParseError {
        ParseError::WrongArgs { kind: self.kind, spec: self.spec, got: self.args.len() }
    }

    /// The error for an argument the operation does not accept.
    fn bad(&self, reason: impl Into<String>) -> ParseError {
        ParseError::BadArg { kind: self.kind, spec: self.spec, reason: reason.into() }
    }

    /// Exactly `N` arguments.
    pub(super) fn exactly<const N: usize>(&self) -> Result<[&'a str; N], ParseError> {
        let args: Vec<&'a str> = self.args.iter().map(String::as_str).collect();
        <[&'a str; N]>::try_from(args).map_err(|_| self.wrong_args())
    }

    /// No argument or one.
    pub(super) fn optional(&self) -> Result<Option<&'a str>, ParseError> {
        match self.args {
            [] => Ok(None),
            [arg] => Ok(Some(arg.as_str())),
            _ => Err(self.wrong_args()),
        }
    }

    /// A number of type `T`, or an error saying `what` must be in `range`.
    fn number<T: FromStr>(&self, what: &str, value: &str, range: &str) -> Result<T, ParseError>
    where
        T::Err: fmt::Display,
    {
        value.parse().map_err(|err| self.bad(format!("{what} must be {range}, got {value:?} ({err})")))
    }

    /// A signed 64-bit number.
    pub(super) fn i64(&self, what: &str, value: &str) -> Result<i64, ParseError> {
        self.number(what, value, "a 64-bit signed integer")
    }

    /// An unsigned 64-bit number.
    pub(super) fn u64(&self, what: &str, value: &str) -> Result<u64, ParseError> {
        self.number(what, value, "a non-negative 64-bit integer")
    }

    /// An unsigned 32-bit number.
    pub(super) fn u32(&self, what: &str, value: &str) -> Result<u32, ParseError> {
        self.number(what, value, "an integer from 0 to 4294967295")
    }

    /// A value that cannot be null.
    pub(super) fn bytes(&self, value: &str) -> Result<Vec<u8>, ParseError> {
        if value == NULL_FLAG {
            return Err(self.bad(format!("{NULL_FLAG} stands for null, which this operation does not accept")));
        }
        Ok(value.as_bytes().to_vec())
    }

    /// A value that may be null ([`NULL_FLAG`]).
    pub(super) fn nullable(value: &str) -> Option<Vec<u8>> {
        (value != NULL_FLAG).then(|| value.as_bytes().to_vec())
    }

    /// `[--after CURSOR] [--limit N]`, in any order, each at most once.
    pub(super) fn page(&self) -> Result<(Option<Vec<u8>>, u32), ParseError> {
        let (mut after, mut limit) = (None, None);
        let mut rest = self.args.iter();
        while let Some(arg) = rest.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
                _ => (arg.as_str(), None),
            };
            if flag != "--after" && flag != "--limit" {
                return Err(self.bad(format!("unexpected argument {arg:?}")));
            }
            let value = match inline {
                Some(value) => value,
                None => rest.next().map(String::as_str).ok_or_else(|| self.bad(format!("{flag} needs a value")))?,
            };
            let fresh = if flag == "--after" {
                after.replace(value.as_bytes().to_vec()).is_none()
            } else {
                limit.replace(self.u32("the limit", value)?).is_none()
            };
            if !fresh {
                return Err(self.bad(format!("{flag} was given twice")));
            }
        }
        Ok((after, limit.unwrap_or(DEFAULT_LIMIT)))
    }
}
