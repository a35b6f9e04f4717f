//! The OpenAPI document as a snapshot (`snapshots/openapi__document.snap`): any change to a
//! path, a parameter or a schema of `/api/v1` shows as a diff in review. After an intended
//! change, re-bless it as docs/API.md says and commit the new snapshot with the change.

use kyosai_web::api::ApiDoc;
use utoipa::OpenApi;

#[test]
fn document() {
    insta::assert_json_snapshot!(ApiDoc::openapi());
}

#[test]
fn every_operation_has_typed_bodies() {
    let doc = serde_json::to_value(ApiDoc::openapi()).expect("document serializes");
    let mut untyped = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let json = |v: &serde_json::Value| v["content"]["application/json"]["schema"].clone();
            // A file upload is typed by its multipart schema.
            let typed_upload = |b: &serde_json::Value| {
                b["content"].as_object().is_some_and(|c| {
                    c.contains_key("multipart/form-data")
                        && c.values().all(|m| m["schema"].get("$ref").is_some())
                })
            };
            if let Some(body) = op.get("requestBody")
                && json(body).get("$ref").is_none()
                && !typed_upload(body)
            {
                untyped.push(format!("{method} {path} request"));
            }
            for (status, resp) in op["responses"].as_object().expect("responses") {
                // 429 comes from the rate limiter, not from a handler.
                // A file download is typed by its media types (binary schemas).
                let typed_file = resp["content"].as_object().is_some_and(|c| {
                    !c.contains_key("application/json")
                        && c.values().all(|m| m["schema"].get("$ref").is_some())
                });
                if status != "429" && json(resp).is_null() && !typed_file {
                    untyped.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(untyped.is_empty(), "without a schema: {untyped:#?}");
}
