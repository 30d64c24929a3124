//! `stored_choice!`: an enum stored as lowercase text (the order and payment statuses), its
//! GraphQL enum, `ALL`, `as_str`, `FromStr` and `Display` written from one list of variants and
//! stored values.

/// Declares `pub enum $name` from `Variant => "stored"` pairs.
macro_rules! stored_choice {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stored (legacy) value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $crate::choice::StoredChoice for $name {
            fn stored(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                $name::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use stored_choice;

/// An enum stored as text: what a filter compares its column with.
pub trait StoredChoice: Copy {
    fn stored(self) -> &'static str;
}
