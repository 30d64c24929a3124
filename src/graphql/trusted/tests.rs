//! Unit tests of the manifest reader, the id lifting and `admit`.

use super::*;
use crate::config::TrustedDocuments;
use crate::config::trusted_documents::sha256_hex;

const ME: &str = "query Me { me { id } }";
const ORDERS: &str = "query Orders { orders { totalCount } }";

fn settings(manifest: Option<&str>, staff_any: bool) -> Settings {
    let mut s = Settings::for_database("sqlite::memory:");
    s.trusted_documents = manifest.map(|m| Arc::new(TrustedDocuments::parse(m).unwrap()));
    s.trusted_documents_staff_any = staff_any;
    s
}

fn manifest() -> String {
    json!({ format!("sha256:{}", sha256_hex(ME)): ME, "relay-17": ORDERS }).to_string()
}

fn request(body: Value) -> Request {
    let mut body = body;
    lift_document_id(&mut body);
    serde_json::from_value(body).unwrap()
}

fn code(e: &ServerError) -> Option<String> {
    e.extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .map(|c| c.to_string())
}

#[test]
fn reads_the_client_preset_relay_and_apollo_manifests() {
    let docs = TrustedDocuments::parse(&manifest()).unwrap();
    assert_eq!(docs.len(), 2);
    let hex = sha256_hex(ME);
    for id in [format!("sha256:{hex}"), hex.clone(), hex.to_uppercase()] {
        assert_eq!(docs.lookup(&id).map(|d| &**d), Some(ME), "{id}");
    }
    assert_eq!(docs.lookup("relay-17").map(|d| &**d), Some(ORDERS));
    // a Relay id is found by its key, and its text by its hash
    assert_eq!(docs.lookup(&sha256_hex(ORDERS)).map(|d| &**d), Some(ORDERS));
    assert!(docs.lookup("relay-18").is_none());
    assert!(docs.lists(ORDERS) && !docs.lists("query Orders { orders { totalCount }}"));

    let apollo = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": "abc", "name": "Me", "type": "query", "body": ME }],
    });
    let docs = TrustedDocuments::parse(&apollo.to_string()).unwrap();
    assert_eq!(docs.lookup("abc").map(|d| &**d), Some(ME));
}

#[test]
fn a_bad_manifest_says_what_is_wrong() {
    let cases = [
        ("not json", "not JSON"),
        ("[]", "expected a JSON object"),
        (r#"{"a": 1}"#, "is not a string"),
        (r#"{"a": "query { me { id }"}"#, "is not valid GraphQL"),
        (r#"{"": "query { me { id } }"}"#, "empty id"),
        ("{}", "lists no documents"),
        (
            r#"{"format": "apollo-persisted-query-manifest", "operations": [{"id": "a"}]}"#,
            "an Apollo manifest needs",
        ),
    ];
    for (text, reason) in cases {
        let e = TrustedDocuments::parse(text).unwrap_err();
        assert!(e.contains(reason) && !e.contains('\n'), "{text}: {e}");
    }
}

#[test]
fn document_ids_are_lifted_into_the_extensions() {
    for member in ["documentId", "doc_id", "id"] {
        let mut body = json!({ member: "x", "variables": {} });
        lift_document_id(&mut body);
        assert_eq!(body["extensions"][CARRIED_ID], "x", "{member}");
        assert_eq!(body["query"], "");
    }
    let mut batch =
        json!([{ "query": ME, "documentId": "x", "extensions": null }, { "query": ME }]);
    lift_document_id(&mut batch);
    assert_eq!(batch[0]["query"], ME, "a text sent beside the id is kept");
    assert_eq!(batch[0]["extensions"][CARRIED_ID], "x");
    assert!(batch[1].get("extensions").is_none());

    let frame = json!({ "id": "1", "type": "subscribe", "payload": { "documentId": "x" } });
    let lifted = lift_ws_frame(Ok(Message::Text(frame.to_string().into()))).unwrap();
    let Message::Text(text) = lifted else {
        panic!("a text frame")
    };
    let lifted: Value = serde_json::from_str(text.as_str()).unwrap();
    assert_eq!(lifted["payload"]["extensions"][CARRIED_ID], "x");
    assert_eq!(lifted["id"], "1", "the frame's own id is not a document id");
}

#[test]
fn only_listed_documents_are_admitted() {
    let s = settings(Some(&manifest()), false);
    let admitted = |body: Value| admit(&s, request(body)).map(|r| r.query);
    let hash = format!("sha256:{}", sha256_hex(ME));
    assert_eq!(admitted(json!({ "documentId": hash })).unwrap(), ME);
    assert_eq!(admitted(json!({ "doc_id": "relay-17" })).unwrap(), ORDERS);
    assert_eq!(admitted(json!({ "id": "relay-17" })).unwrap(), ORDERS);
    let apq = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    assert_eq!(admitted(apq).unwrap(), ME);
    assert_eq!(admitted(json!({ "query": ORDERS })).unwrap(), ORDERS);
    // an unknown id with a listed text: the text decides
    assert_eq!(
        admitted(json!({ "query": ME, "documentId": "nope" })).unwrap(),
        ME
    );

    let unknown = admit(&s, request(json!({ "documentId": "nope" }))).unwrap_err();
    assert_eq!(unknown.message, "PersistedQueryNotFound");
    let unlisted = admit(&s, request(json!({ "query": "{ me { id } }" }))).unwrap_err();
    let with_text = admit(
        &s,
        request(json!({ "query": "{ me { id } }", "id": "nope" })),
    );
    for e in [&unknown, &unlisted, &with_text.unwrap_err()] {
        assert_eq!(code(e).as_deref(), Some("\"PERSISTED_QUERY_NOT_FOUND\""));
        assert!(is_refused(e));
    }
}

#[test]
fn staff_any_marks_unlisted_documents_for_staff() {
    let s = settings(Some(&manifest()), true);
    let r = admit(&s, request(json!({ "query": "{ me { id } }" }))).unwrap();
    assert!(staff_only(&r));
    let r = admit(&s, request(json!({ "query": ORDERS }))).unwrap();
    assert!(!staff_only(&r));
    // an unknown id is refused all the same: there is nothing to run
    assert!(admit(&s, request(json!({ "documentId": "nope" }))).is_err());
}

#[test]
fn without_a_manifest_only_a_bare_document_id_is_refused() {
    let s = settings(None, false);
    let r = admit(
        &s,
        request(json!({ "query": "{ me { id } }", "id": "client-7" })),
    )
    .unwrap();
    assert_eq!(r.query, "{ me { id } }");
    assert!(!staff_only(&r));
    let e = admit(&s, request(json!({ "documentId": "x" }))).unwrap_err();
    assert!(is_refused(&e), "{e:?}");
    // Apollo's automatic persisted queries are left to `apq`
    let apq = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "ab" } } });
    let r = admit(&s, request(apq)).unwrap();
    assert!(r.extensions.contains_key("persistedQuery"));
}
