//! What the page is shown of the FHIR resources: small JSON views of a `Patient`, `Coverage`
//! and `ExplanationOfBenefit` (the records themselves, and the access token, stay here).

use serde_json::{json, Value};

/// `{"id", "name", "birthDate", "gender"}` from a FHIR `Patient`.
pub fn patient_view(id: &str, patient: &Value) -> Value {
    let name = patient["name"]
        .as_array()
        .and_then(|names| {
            names
                .iter()
                .find(|n| n["use"] == "official")
                .or_else(|| names.first())
        })
        .and_then(|n| {
            n["text"].as_str().map(str::to_owned).or_else(|| {
                let given: Vec<&str> = n["given"]
                    .as_array()
                    .map(|g| g.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let family = n["family"].as_str();
                let parts: Vec<&str> = given.into_iter().chain(family).collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
        });
    json!({
        "id": patient["id"].as_str().unwrap_or(id),
        "name": name,
        "birthDate": patient["birthDate"],
        "gender": patient["gender"],
    })
}

/// The contract's coverage list from FHIR `Coverage` resources (others are skipped: a search
/// may mix resource types).
pub fn coverage_view<'a>(resources: impl IntoIterator<Item = &'a Value>) -> Value {
    let resources = resources
        .into_iter()
        .filter(|r| r["resourceType"] == "Coverage");
    let class_name = |c: &Value, code: &str| -> Option<String> {
        c["class"].as_array()?.iter().find_map(|class| {
            let matches = class["type"]["coding"]
                .as_array()?
                .iter()
                .any(|coding| coding["code"] == code);
            matches.then(|| {
                class["name"]
                    .as_str()
                    .or(class["value"].as_str())
                    .map(str::to_owned)
            })?
        })
    };
    let list: Vec<Value> = resources
        .into_iter()
        .map(|c| {
            let member_id = c["subscriberId"].as_str().map(str::to_owned).or_else(|| {
                c["identifier"].as_array().and_then(|ids| {
                    ids.iter()
                        .find(|i| {
                            i["type"]["coding"]
                                .as_array()
                                .is_some_and(|cs| cs.iter().any(|cd| cd["code"] == "MB"))
                        })
                        .or_else(|| ids.first())
                        .and_then(|i| i["value"].as_str().map(str::to_owned))
                })
            });
            json!({
                "payor": c["payor"][0]["display"],
                "plan": class_name(c, "plan").or_else(|| class_name(c, "group")),
                "status": c["status"],
                "memberId": member_id,
                "start": c["period"]["start"],
                "end": c["period"]["end"],
            })
        })
        .collect();
    Value::Array(list)
}

/// The amount of the `total` entry whose category has this code (`submitted`, `benefit`, ...).
fn total(eob: &Value, code: &str) -> Option<f64> {
    eob["total"].as_array()?.iter().find_map(|t| {
        let matches = t["category"]["coding"]
            .as_array()?
            .iter()
            .any(|coding| coding["code"] == code);
        matches.then(|| t["amount"]["value"].as_f64())?
    })
}

/// A claim row from a FHIR `ExplanationOfBenefit`: `{"id", "date", "provider", "type",
/// "billed", "paid", "currency"}`. The date is the billable period's start (else when it was
/// created); billed is the `submitted` total, paid the `benefit` total (CARIN Blue Button).
pub fn claim_view(eob: &Value) -> Value {
    let date = eob["billablePeriod"]["start"]
        .as_str()
        .or(eob["created"].as_str())
        .map(|d| d.chars().take(10).collect::<String>());
    let provider = eob["provider"]["display"]
        .as_str()
        .or(eob["provider"]["reference"].as_str());
    let currency = eob["total"][0]["amount"]["currency"]
        .as_str()
        .unwrap_or("USD");
    json!({
        "id": eob["id"],
        "date": date,
        "provider": provider,
        "type": eob["type"]["coding"][0]["display"],
        "billed": total(eob, "submitted"),
        "paid": total(eob, "benefit"),
        "currency": currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_row_has_date_provider_billed_and_paid() {
        let eob = json!({
            "resourceType": "ExplanationOfBenefit",
            "id": "eob-1",
            "billablePeriod": {"start": "2025-02-11", "end": "2025-02-11"},
            "provider": {"display": "Riverside Family Medicine"},
            "total": [
                {"category": {"coding": [{"code": "submitted"}]}, "amount": {"value": 185.0, "currency": "USD"}},
                {"category": {"coding": [{"code": "benefit"}]}, "amount": {"value": 98.4, "currency": "USD"}}
            ]
        });
        assert_eq!(
            claim_view(&eob),
            json!({"id": "eob-1", "date": "2025-02-11", "provider": "Riverside Family Medicine",
                   "type": null, "billed": 185.0, "paid": 98.4, "currency": "USD"})
        );
        // Missing parts are nulls, not a panic.
        assert_eq!(claim_view(&json!({}))["billed"], Value::Null);
    }
}
