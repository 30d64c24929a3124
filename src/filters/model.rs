//! `model_filter!`: a model's filter input declared once, from its fields.

/// Declares a filter input (`pub struct $name`) and its `condition()` from one list of
/// `field: OperatorInput => column expression` (each operator input a
/// [`ColumnFilter`](crate::filters::ColumnFilter)), then optionally `relations { field: Input =>
/// |f| condition }` for fields that match through another table. Every filter gets the same
/// `and`/`or`/`not`: every given field must match, and so must each of `and`, at least one of
/// `or` (none, for an empty list), and not `not`.
macro_rules! model_filter {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $fty:ty => $col:expr ),* $(,)?
        }
        $( relations {
            $( $(#[$rmeta:meta])* $rel:ident : $rty:ty => $how:expr ),* $(,)?
        } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, async_graphql::InputObject)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$fty>, )*
            // boxed: a relation's filter holds whole filters of the other model, and inline
            // they made this input (and every future holding one) kilobytes large
            $($( $(#[$rmeta])* pub $rel: Option<Box<$rty>>, )*)?
            /// Every one of these matches too.
            pub and: Option<Vec<$name>>,
            /// At least one of these matches too (none, for an empty list).
            pub or: Option<Vec<$name>>,
            /// This does not match.
            pub not: Option<Box<$name>>,
        }

        impl $name {
            /// The rows this filter keeps, as a condition over the model's table.
            pub fn condition(&self) -> sea_orm::sea_query::Condition {
                let fields = sea_orm::sea_query::Condition::all()
                    $( .add_option(self.$field.as_ref().map(|f| {
                        $crate::filters::ColumnFilter::condition(f, &$col)
                    })) )*
                    $($( .add_option(self.$rel.as_deref().map($how)) )*)?;
                $crate::filters::combine(
                    fields,
                    self.and.as_deref(),
                    self.or.as_deref(),
                    self.not.as_deref(),
                    Self::condition,
                )
            }
        }

        impl $crate::filters::relation::RowFilter for $name {
            fn condition(&self) -> sea_orm::sea_query::Condition {
                $name::condition(self)
            }
        }
    };
}

pub(crate) use model_filter;
