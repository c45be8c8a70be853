//! Reading the routing fields of one object: each listed key once, with the JSON kind the
//! rules need; everything else is skipped (and validated).

use crate::lex::{Cursor, Error, Span, Token};

use super::{Scanning, Text};

/// The JSON kind a routing field must hold (`null` always reads as absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// An object.
    Obj,
    /// An array.
    Arr,
    /// An object or an array.
    ObjOrArr,
}

impl Want {
    fn accepts(self, token: Token) -> bool {
        matches!(
            (self, token),
            (Self::Str, Token::String)
                | (Self::Bool, Token::Bool)
                | (Self::Obj | Self::ObjOrArr, Token::Object)
                | (Self::Arr | Self::ObjOrArr, Token::Array)
        )
    }

    /// How an error message names what was expected.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Str => "a string",
            Self::Bool => "a boolean",
            Self::Obj => "an object",
            Self::Arr => "an array",
            Self::ObjOrArr => "an object or an array",
        }
    }
}

/// A routing field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    /// A string.
    Str(Text),
    /// A boolean.
    Bool(bool),
    /// An object or an array, already validated: where it starts, to come back to it.
    At { pos: usize, token: Token },
}

impl Val {
    pub(crate) fn text(v: Option<Self>) -> Option<Text> {
        match v {
            Some(Self::Str(t)) => Some(t),
            _ => None,
        }
    }
}

/// A field list: key names with the kind each must hold.
pub(crate) type Fields<const N: usize> = [(&'static str, Want); N];

impl Scanning<'_, '_> {
    /// Reads the fields of the object at the cursor that `fields` lists, skipping the rest.
    /// A listed key that appears twice, or holds another kind than it must, is an error
    /// naming the field; `null` reads as absent.
    pub(crate) fn fields<const N: usize>(
        &mut self,
        c: &mut Cursor<'_>,
        fields: &Fields<N>,
    ) -> Result<[Option<Val>; N], Error> {
        let mut found: [Option<Val>; N] = [None; N];
        let mut seen = 0u64;
        c.object(|c, key| {
            let Some(i) = self.key_in(key, fields.iter().map(|f| f.0)) else {
                return c.skip();
            };
            let Some(&(name, want)) = fields.get(i) else {
                return c.skip();
            };
            let bit = 1u64 << (i % 64);
            if seen & bit != 0 {
                return Err(self.duplicate(c, name));
            }
            seen |= bit;
            let at = {
                c.ws();
                c.pos()
            };
            let token = c.peek_token();
            let v = match token {
                Some(Token::Null) => {
                    c.null()?;
                    return Ok(());
                }
                Some(t) if want.accepts(t) => match t {
                    Token::String => Val::Str(self.text(c.string()?)?),
                    Token::Bool => Val::Bool(c.boolean()?),
                    _ => {
                        c.skip()?;
                        Val::At { pos: at, token: t }
                    }
                },
                Some(_) => return Err(self.wrong_type(c, name, want.noun())),
                None => return Err(c.syntax()),
            };
            if let Some(slot) = found.get_mut(i) {
                *slot = Some(v);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Index of `key` among `names`, comparing unescaped keys as bytes.
    pub(crate) fn key_in<'n>(
        &self,
        key: Span,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Option<usize> {
        if key.is_escaped() {
            let k = key.decode(self.bytes)?;
            return names.into_iter().position(|n| n == k);
        }
        let k = self.bytes.get(key.start()..key.end())?;
        // Lengths first, then a word or two: no UTF-8 check and no `memcmp` call per name.
        names
            .into_iter()
            .position(|n| crate::lex::eq_short(k, n.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use crate::scan::Scanner;
    use crate::{Limits, PayloadError};

    /// A Cloud API body whose only message is `message`.
    fn body(message: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"messages":[{message}]}}}}]}}]}}"#
        )
    }

    /// The error of scanning that body.
    fn message_error(message: &str) -> Option<PayloadError> {
        Scanner::new()
            .scan(body(message).as_bytes(), &Limits::default())
            .err()
    }

    /// The sender's phone of that body's one item.
    fn sender(message: &str) -> Option<String> {
        let body = body(message);
        let mut scanner = Scanner::new();
        let scan = scanner.scan(body.as_bytes(), &Limits::default()).unwrap();
        let item = scan.items().next().unwrap();
        item.party.phone.map(str::to_owned)
    }

    #[test]
    fn a_listed_field_given_twice_is_an_error_naming_it() {
        let err = message_error(r#"{"from":"4915112345678","id":"a","from":"4915112345679"}"#);
        assert!(
            matches!(&err, Some(PayloadError::DuplicateField { path, .. }) if path.ends_with("messages[0].from")),
            "{err:?}"
        );
        // An unlisted key may repeat: the rules do not read it.
        assert_eq!(
            sender(r#"{"from":"4915112345678","x":1,"x":2}"#).as_deref(),
            Some("4915112345678")
        );
    }

    #[test]
    fn a_listed_field_of_another_kind_is_an_error_naming_what_was_expected() {
        let err = message_error(r#"{"from":4915112345678}"#);
        assert!(
            matches!(&err, Some(PayloadError::WrongType { path, expected, .. })
                if path.ends_with("messages[0].from") && expected == "a string"),
            "{err:?}"
        );
        // The message names neither the value nor any digit of it.
        assert!(!err.unwrap().to_string().contains("4915"));
    }

    #[test]
    fn null_reads_as_absent_and_other_fields_are_skipped_but_validated() {
        assert_eq!(sender(r#"{"from":null,"id":"a"}"#), None);
        assert_eq!(
            sender(r#"{"text":{"body":[1,{"a":"b"}]},"from":"4915112345678"}"#).as_deref(),
            Some("4915112345678")
        );
        assert!(matches!(
            message_error(r#"{"text":{"body":[1,}]},"from":"4915112345678"}"#),
            Some(PayloadError::Syntax { .. })
        ));
    }

    #[test]
    fn keys_with_escapes_match_their_decoded_name() {
        assert_eq!(
            sender(r#"{"fr\u006fm":"4915112345678"}"#).as_deref(),
            Some("4915112345678")
        );
        // An escaped key and a plain one are the same field given twice.
        assert!(matches!(
            message_error(r#"{"from":"4915112345678","fr\u006fm":"4915112345679"}"#),
            Some(PayloadError::DuplicateField { .. })
        ));
    }
}
