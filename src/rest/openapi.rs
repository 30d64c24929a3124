//! The OpenAPI 3 document of the REST layer (`GET /api/openapi.json`), generated from the API
//! root's `#[utoipa::path]`, the view sets' `Resource`s (`rest::resource_doc`, added by whoever
//! wires them: `app.rs`) and the `ToSchema` of the representations, with the bearer (SimpleJWT)
//! security scheme and each view's OPTIONS added from `rest::methods`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::{Operation, OperationBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::rest;
use crate::rest::methods::{Metadata, PARSES};

/// DRF's body for 401, 403, 404, 405, 415 and unreadable requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    #[schema(example = "Authentication credentials were not provided.")]
    pub detail: String,
}

/// DRF's validation errors: a list of messages per field, nested by position for `items`
/// (`{"items": [{}, {"quantity": ["A valid integer is required."]}]}`), `non_field_errors`
/// for the rest.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": ["\"bogus\" is not a valid choice."]}))]
pub struct FieldErrorsBody(pub BTreeMap<String, Value>);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "InventoryHub OMS API (oms-gateway REST compatibility layer)",
        description = "The legacy InventoryHub order-management endpoints, answered as Django REST Framework answered them. Every endpoint takes a SimpleJWT access token (`Authorization: Bearer <access>`; tokens from `POST /api/accounts/token/`). Each path also answers without its trailing slash."
    ),
    paths(rest::api_root),
    components(schemas(Detail, FieldErrorsBody, Metadata)),
    modifiers(&BearerAuth),
    security(("jwt" = [])),
    tags(
        (name = "root", description = "The API root"),
        (name = "orders", description = "Orders with their items and payments"),
        (name = "payments", description = "Payments of orders"),
    )
)]
pub struct ApiDoc;

/// The `jwt` security scheme: `Authorization: Bearer <SimpleJWT access token>`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A SimpleJWT access token"))
                    .build(),
            ),
        );
    }
}

/// OPTIONS on every path (`rest::methods` answers it for every view).
struct ViewOptions;

impl Modify for ViewOptions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let tag = item
                .get
                .as_ref()
                .and_then(|op| op.tags.as_ref())
                .and_then(|tags| tags.first().cloned())
                .unwrap_or_else(|| "root".to_owned());
            let id = format!(
                "{}_options",
                path.trim_matches('/').replace(['/', '{', '}'], "_")
            );
            let mut options = options_operation(tag, id);
            // a detail view's OPTIONS takes the same `{id}` as its GET
            options.parameters = item.get.as_ref().and_then(|op| op.parameters.clone());
            item.options = Some(options);
        }
    }
}

fn options_operation(tag: String, id: String) -> Operation {
    let metadata = ResponseBuilder::new()
        .description("The view's metadata (DRF's SimpleMetadata)")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Metadata")))
                .build(),
        );
    let unauthenticated = ResponseBuilder::new()
        .description("No or bad credentials")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Detail")))
                .build(),
        );
    OperationBuilder::new()
        .tag(tag)
        .operation_id(Some(id))
        .summary(Some("The view's name, description and media types"))
        .response("200", metadata)
        .response("401", unauthenticated)
        .build()
}

/// Write bodies may also come as HTML form data (DRF's `FormParser`).
struct FormBodies;

impl Modify for FormBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                let Some(body) = op.request_body.as_mut() else {
                    continue;
                };
                let Some(json) = body.content.get("application/json").cloned() else {
                    continue;
                };
                for media in PARSES.iter().filter(|m| **m != "application/json") {
                    body.content.insert((*media).to_owned(), json.clone());
                }
            }
        }
    }
}

/// The document: the API root, the view sets `resources` adds (with
/// `rest::resource_doc::add`), then each path's OPTIONS and the form bodies of its writes.
pub fn document(resources: impl FnOnce(&mut utoipa::openapi::OpenApi)) -> Value {
    let mut openapi = ApiDoc::openapi();
    resources(&mut openapi);
    ViewOptions.modify(&mut openapi);
    FormBodies.modify(&mut openapi);
    serde_json::to_value(openapi).unwrap_or(Value::Null)
}
