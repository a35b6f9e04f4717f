//! Look-ups for forms: postcode → address, bank and branch search (embedded real data).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiJson, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct Address {
    pub postcode: String,
    pub prefecture: String,
    pub city: String,
    pub town: String,
}

#[utoipa::path(get, path = "/api/v1/postcodes/{code}", tag = "refdata", params(("code" = String, Path)),
    responses((status = 200, body = [Address]), (status = 404, body = ErrorBody)))]
pub async fn postcode(Path(code): Path<String>) -> Result<ApiJson<Vec<Address>>, ApiError> {
    let found: Vec<Address> = kyosai_refdata::postcode(&code)
        .into_iter()
        .map(|a| Address {
            postcode: a.postcode.to_string(),
            prefecture: a.prefecture.into(),
            city: a.city.into(),
            town: a.town.into(),
        })
        .collect();
    if found.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "postcode_unknown",
            "郵便番号が見つかりません。",
        ));
    }
    Ok(ApiJson(found))
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
    pub kana: String,
}

#[utoipa::path(get, path = "/api/v1/banks", tag = "refdata", params(("q" = String, Query)),
    responses((status = 200, body = [Named])))]
pub async fn banks(Query(s): Query<Search>) -> ApiJson<Vec<Named>> {
    ApiJson(
        kyosai_refdata::search_banks(&s.q, 20)
            .into_iter()
            .map(|b| Named {
                code: b.code.into(),
                name: b.name.into(),
                kana: b.kana.into(),
            })
            .collect(),
    )
}

#[utoipa::path(get, path = "/api/v1/banks/{code}/branches", tag = "refdata", params(("code" = String, Path), ("q" = String, Query)),
    responses((status = 200, body = [Named]), (status = 404, body = ErrorBody)))]
pub async fn branches(
    Path(code): Path<String>,
    Query(s): Query<Search>,
) -> Result<ApiJson<Vec<Named>>, ApiError> {
    if kyosai_refdata::bank(&code).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "bank_unknown",
            "金融機関コードが見つかりません。",
        ));
    }
    Ok(ApiJson(
        kyosai_refdata::search_branches(&code, &s.q, 30)
            .into_iter()
            .map(|b| Named {
                code: b.code.into(),
                name: b.name.into(),
                kana: b.kana.into(),
            })
            .collect(),
    ))
}
