//! The OpenAPI operations of a [`Resource`], generated from the resource itself (its paths, its
//! representation and write schemas, its filters), so that the document always describes what
//! `rest::resource` wires and the view sets are not described twice.

use std::borrow::Cow;

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::rest::pagination::PageQuery;
use crate::rest::resource::Resource;

/// What the document says of a resource beyond its types.
#[derive(Debug)]
pub struct Docs {
    /// The tag of its operations (`orders`).
    pub tag: &'static str,
    /// `order`, `orders`: the words of the generated summaries.
    pub noun: &'static str,
    pub plural: &'static str,
    /// The list's filters: name, whether an integer (else text), description.
    pub filters: &'static [(&'static str, bool, &'static str)],
    /// What `POST` does.
    pub create: &'static str,
    /// What `DELETE` does.
    pub destroy: &'static str,
}

fn json(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn answer(description: &str, schema: Option<&str>) -> utoipa::openapi::Response {
    let builder = ResponseBuilder::new().description(description);
    match schema {
        Some(name) => builder
            .content("application/json", json(Ref::from_schema_name(name)))
            .build(),
        None => builder.build(),
    }
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
}

/// One operation: its answers by status (a `None` schema: no body), then `Detail` bodies.
fn operation(
    docs: &Docs,
    id: &str,
    summary: String,
    answers: &[(&str, &str, Option<&str>)],
) -> OperationBuilder {
    let mut op = OperationBuilder::new()
        .tag(docs.tag)
        .operation_id(Some(format!("{}_{id}", docs.plural)))
        .summary(Some(summary));
    for (status, description, schema) in answers {
        op = op.response(*status, answer(description, *schema));
    }
    op
}

const UNAUTHENTICATED: (&str, &str, Option<&str>) =
    ("401", "No or bad credentials", Some("Detail"));
const FORBIDDEN: (&str, &str, Option<&str>) =
    ("403", "Not allowed for the caller's role", Some("Detail"));
const UNSUPPORTED: (&str, &str, Option<&str>) =
    ("415", "A body of another media type", Some("Detail"));

fn body(schema: &str) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content("application/json", json(Ref::from_schema_name(schema)))
        .required(Some(Required::True))
        .build()
}

fn id_parameter(docs: &Docs) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .description(Some(format!("The {}'s id", docs.noun)))
        .required(Required::True)
        .schema(Some(integer()))
        .build()
}

fn list_operation(docs: &Docs, shown: &str) -> Operation {
    let mut op = operation(
        docs,
        "list",
        format!(
            "The {}, newest first: the bare array (streamed), or a page when one is asked for (see `rest::pagination`).",
            docs.plural
        ),
        &[
            (
                "200",
                &format!(
                    "The {}: a bare array, or a page when one is asked for",
                    docs.plural
                ),
                Some(&format!("Listing_{shown}")),
            ),
            ("400", "A filter with a bad value", Some("FieldErrorsBody")),
            UNAUTHENTICATED,
            ("404", "Invalid page.", Some("Detail")),
        ],
    );
    for (name, is_integer, description) in docs.filters {
        let schema = if *is_integer {
            integer()
        } else {
            ObjectBuilder::new().schema_type(Type::String)
        };
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .description(Some(*description))
                .required(Required::False)
                .schema(Some(schema)),
        );
    }
    for p in PageQuery::into_params(|| Some(ParameterIn::Query)) {
        op = op.parameter(p);
    }
    op.build()
}

fn create_operation(docs: &Docs, shown: &str, write: &str) -> Operation {
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .description(Some("Makes a retry safe: a request with the same key (1 to 255 printable ASCII characters, per user, remembered for OMS_IDEMPOTENCY_TTL) and the same body answers the first 201 again, with `Idempotent-Replayed: true`, and creates nothing."))
        .required(Required::False)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)));
    operation(
        docs,
        "create",
        docs.create.to_owned(),
        &[
            ("201", &format!("The new {}", docs.noun), Some(shown)),
            (
                "400",
                "Field errors, all at once (items nested by position)",
                Some("FieldErrorsBody"),
            ),
            UNAUTHENTICATED,
            FORBIDDEN,
            UNSUPPORTED,
            (
                "422",
                "The Idempotency-Key was already used for a different body",
                Some("Detail"),
            ),
        ],
    )
    .parameter(key)
    .request_body(Some(body(write)))
    .build()
}

fn item_operation(
    docs: &Docs,
    id: &str,
    summary: String,
    success: (&str, &str, Option<&str>),
    write: Option<&str>,
) -> Operation {
    let missing = format!("No such {}, or not the caller's", docs.noun);
    let mut answers = vec![success];
    if write.is_some() {
        answers.push((
            "400",
            "Field errors, or an illegal status change",
            Some("FieldErrorsBody"),
        ));
    }
    answers.push(UNAUTHENTICATED);
    if id != "retrieve" {
        answers.push(FORBIDDEN);
    }
    answers.push(("404", &missing, Some("Detail")));
    if write.is_some() {
        answers.push(UNSUPPORTED);
    }
    let op = operation(docs, id, summary, &answers).parameter(id_parameter(docs));
    match write {
        Some(schema) => op.request_body(Some(body(schema))),
        None => op,
    }
    .build()
}

/// `Listing_<T>`: the bare array or `Page_<T>`; and `Page_<T>`, DRF's envelope.
fn list_schemas(shown: &str) -> [(String, RefOr<Schema>); 2] {
    let array = || ArrayBuilder::new().items(Ref::from_schema_name(shown));
    let link = |description: &str| {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ]))
            .description(Some(description))
    };
    let page = ObjectBuilder::new()
        .description(Some("One page of a list."))
        .property(
            "count",
            integer().description(Some("How many rows match, over all pages.")),
        )
        .property("next", link("The absolute URL of the next page, if any."))
        .property(
            "previous",
            link("The absolute URL of the previous page, if any."),
        )
        .property("results", array())
        .required("count")
        .required("next")
        .required("previous")
        .required("results");
    let listing = OneOfBuilder::new()
        .item(array())
        .item(Ref::from_schema_name(format!("Page_{shown}")))
        .description(Some(
            "A list as the REST layer answers it: the documented bare array, or one page.",
        ));
    [
        (format!("Listing_{shown}"), listing.into()),
        (format!("Page_{shown}"), page.into()),
    ]
}

fn schema_of<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> Cow<'static, str> {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
    T::name()
}

/// The schema of a `PATCH` body, from the write body `W`'s: its fields, none required, as
/// DRF's `partial=True` reads them; `OrderWrite` gives `OrderPatch`.
fn patch_schema<W: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    let write = W::name();
    let name = format!("{}Patch", write.strip_suffix("Write").unwrap_or(&write));
    let mut schema = W::schema();
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        object.required.clear();
        object.description = Some(format!(
            "A partial change (`PATCH`): any of the fields of `{write}`."
        ));
    }
    out.push((name.clone(), schema));
    name
}

/// Adds the paths and schemas of `R` to the document.
pub fn add<R: Resource>(openapi: &mut OpenApi) {
    let docs = R::DOCS;
    let mut schemas = Vec::new();
    let shown = schema_of::<R::Shown>(&mut schemas);
    let write = schema_of::<R::Write>(&mut schemas);
    let patch = patch_schema::<R::Write>(&mut schemas);
    schemas.extend(list_schemas(&shown));
    let paths = &mut openapi.paths;
    let collection = format!("{}/", R::PATH);
    let item = format!("{}/{{id}}/", R::PATH);
    let list = list_operation(docs, &shown);
    paths.add_path_operation(&collection, vec![HttpMethod::Get, HttpMethod::Head], list);
    paths.add_path_operation(
        &collection,
        vec![HttpMethod::Post],
        create_operation(docs, &shown, &write),
    );
    let noun = docs.noun;
    let changed = format!("The {noun} as changed");
    for (methods, op) in [
        (
            vec![HttpMethod::Get, HttpMethod::Head],
            item_operation(
                docs,
                "retrieve",
                format!("One {noun}."),
                ("200", &format!("The {noun}"), Some(&shown)),
                None,
            ),
        ),
        (
            vec![HttpMethod::Put],
            item_operation(
                docs,
                "update",
                format!("Replaces a {noun} (DRF's full update): the fields `{write}` requires."),
                ("200", &changed, Some(&shown)),
                Some(&write),
            ),
        ),
        (
            vec![HttpMethod::Patch],
            item_operation(
                docs,
                "partial_update",
                format!("Changes some fields of a {noun}."),
                ("200", &changed, Some(&shown)),
                Some(&patch),
            ),
        ),
        (
            vec![HttpMethod::Delete],
            item_operation(
                docs,
                "destroy",
                docs.destroy.to_owned(),
                ("204", "Deleted", None),
                None,
            ),
        ),
    ] {
        paths.add_path_operation(&item, methods, op);
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}
