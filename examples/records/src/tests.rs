use serde_json::{json, to_value, Value};

use super::*;

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

// Patient

#[test]
fn a_patient_is_named_by_the_official_name_as_written() {
    let patient = json!({
        "resourceType": "Patient",
        "id": "p-1",
        "name": [
            {"use": "usual", "text": "Janie Doe"},
            {"use": "official", "text": "Jane Q. Doe", "given": ["Ignored"], "family": "Ignored"}
        ],
        "birthDate": "1980-01-01",
        "gender": "female"
    });
    assert_eq!(
        Patient::from_fhir(&patient),
        Patient {
            id: "p-1".into(),
            name: some("Jane Q. Doe"),
            birth_date: some("1980-01-01"),
            gender: some("female"),
        }
    );
}

#[test]
fn without_an_official_name_the_first_one_is_given_names_and_family() {
    let patient = json!({
        "name": [
            {"use": "usual", "given": ["Jane", "Quinn"], "family": "Doe"},
            {"use": "nickname", "text": "JD"}
        ]
    });
    assert_eq!(Patient::from_fhir(&patient).name, some("Jane Quinn Doe"));
    // Only a family name, or only given names.
    let family = json!({"name": [{"family": "Doe"}]});
    assert_eq!(Patient::from_fhir(&family).name, some("Doe"));
    let given = json!({"name": [{"given": ["Jane"]}]});
    assert_eq!(Patient::from_fhir(&given).name, some("Jane"));
}

#[test]
fn odd_patients_give_nones_not_a_panic() {
    let empty = Patient {
        id: String::new(),
        name: None,
        birth_date: None,
        gender: None,
    };
    assert_eq!(Patient::from_fhir(&json!({})), empty);
    assert_eq!(Patient::from_fhir(&Value::Null), empty);
    assert_eq!(Patient::from_fhir(&json!("Patient")), empty);
    assert_eq!(Patient::from_fhir(&json!([1, 2])), empty);
    // Wrong types: a name that is no array, an id, birth date and gender that are no strings.
    let odd = json!({"id": 7, "name": {"text": "Jane"}, "birthDate": 19800101, "gender": true});
    assert_eq!(Patient::from_fhir(&odd), empty);
    // Names that are no objects, a name with nothing in it, given names that are not strings.
    assert_eq!(Patient::from_fhir(&json!({"name": ["Jane"]})).name, None);
    assert_eq!(Patient::from_fhir(&json!({"name": [{}]})).name, None);
    assert_eq!(
        Patient::from_fhir(&json!({"name": [{"given": []}]})).name,
        None
    );
    let given = json!({"name": [{"given": [1, "Jane", null], "family": 2}]});
    assert_eq!(Patient::from_fhir(&given).name, some("Jane"));
    // An official name with nothing in it wins over a later full one.
    let official = json!({"name": [{"text": "Janie"}, {"use": "official"}]});
    assert_eq!(Patient::from_fhir(&official).name, None);
}

#[test]
fn a_patient_json_is_the_contract_with_nulls() {
    let patient = Patient::from_fhir(&json!({"id": "p-1", "gender": "female"}));
    assert_eq!(
        to_value(&patient).unwrap(),
        json!({"id": "p-1", "name": null, "birthDate": null, "gender": "female"})
    );
    let back: Patient = serde_json::from_value(to_value(&patient).unwrap()).unwrap();
    assert_eq!(back, patient);
}

#[test]
fn patient_details_say_unknown_for_what_is_missing() {
    let mut patient = Patient::from_fhir(&json!({"id": "p-1", "birthDate": "1980-01-01"}));
    assert_eq!(patient.details(), "Born 1980-01-01 · unknown");
    assert_eq!(
        patient.details_with_id(),
        "Born 1980-01-01 · unknown · Patient/p-1"
    );
    patient.gender = some("female");
    patient.birth_date = None;
    assert_eq!(patient.details(), "Born unknown · female");
}

// Coverage

fn class(code: &str, name: Option<&str>, value: Option<&str>) -> Value {
    let mut class = json!({"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": code}]}});
    if let Some(name) = name {
        class["name"] = json!(name);
    }
    if let Some(value) = value {
        class["value"] = json!(value);
    }
    class
}

#[test]
fn a_coverage_has_payor_plan_status_member_and_period() {
    let coverage = json!({
        "resourceType": "Coverage",
        "status": "active",
        "subscriberId": "EVG100234501",
        "identifier": [{"type": {"coding": [{"code": "MB"}]}, "value": "not-this"}],
        "payor": [{"display": "Evergreen Health"}, {"display": "Second"}],
        "class": [
            class("group", Some("Group 7"), None),
            class("plan", Some("Evergreen PPO 1500"), Some("PPO-1500"))
        ],
        "period": {"start": "2024-01-01"}
    });
    let view = Coverage::from_fhir(&coverage);
    assert_eq!(
        view,
        Coverage {
            payor: some("Evergreen Health"),
            plan: some("Evergreen PPO 1500"),
            status: some("active"),
            member_id: some("EVG100234501"),
            start: some("2024-01-01"),
            end: None,
        }
    );
    assert_eq!(
        to_value(&view).unwrap(),
        json!({"payor": "Evergreen Health", "plan": "Evergreen PPO 1500", "status": "active",
               "memberId": "EVG100234501", "start": "2024-01-01", "end": null})
    );
}

#[test]
fn the_plan_is_the_plan_class_else_the_group_name_else_value() {
    let plan = |classes: Vec<Value>| Coverage::from_fhir(&json!({"class": classes})).plan;
    assert_eq!(
        plan(vec![class("plan", None, Some("PPO-1500"))]),
        some("PPO-1500")
    );
    assert_eq!(
        plan(vec![class("group", Some("Group 7"), Some("G7"))]),
        some("Group 7")
    );
    assert_eq!(plan(vec![class("group", None, Some("G7"))]), some("G7"));
    // A plan class with neither name nor value: the next plan class, else the group.
    assert_eq!(
        plan(vec![
            class("plan", None, None),
            class("group", Some("Group 7"), None),
            class("plan", Some("Second plan"), None)
        ]),
        some("Second plan")
    );
    assert_eq!(
        plan(vec![
            class("plan", None, None),
            class("group", Some("Group 7"), None)
        ]),
        some("Group 7")
    );
    assert_eq!(plan(vec![class("rxgroup", Some("Rx"), None)]), None);
    assert_eq!(plan(vec![]), None);
}

#[test]
fn the_member_id_is_the_subscriber_else_the_mb_identifier_else_the_first() {
    let member = |coverage: Value| Coverage::from_fhir(&coverage).member_id;
    let mb = json!({"type": {"coding": [{"code": "XX"}, {"code": "MB"}]}, "value": "M-2"});
    let other = json!({"type": {"coding": [{"code": "SN"}]}, "value": "S-1"});
    assert_eq!(
        member(json!({"identifier": [other.clone(), mb.clone()]})),
        some("M-2")
    );
    assert_eq!(member(json!({"identifier": [other.clone()]})), some("S-1"));
    assert_eq!(
        member(json!({"identifier": [{"value": "plain"}]})),
        some("plain")
    );
    // The MB identifier without a value: no member id (not the next identifier).
    let mb_without_value = json!({"type": {"coding": [{"code": "MB"}]}});
    assert_eq!(
        member(json!({"identifier": [other, mb_without_value]})),
        None
    );
    assert_eq!(member(json!({"identifier": []})), None);
}

#[test]
fn odd_coverages_give_nones_not_a_panic() {
    let empty = Coverage {
        payor: None,
        plan: None,
        status: None,
        member_id: None,
        start: None,
        end: None,
    };
    assert_eq!(Coverage::from_fhir(&json!({})), empty);
    assert_eq!(Coverage::from_fhir(&Value::Null), empty);
    assert_eq!(Coverage::from_fhir(&json!(42)), empty);
    let odd = json!({
        "status": 1,
        "subscriberId": 123456,
        "identifier": {"value": "not an array"},
        "payor": {"display": "not an array"},
        "class": "plan",
        "period": ["2024-01-01"]
    });
    assert_eq!(Coverage::from_fhir(&odd), empty);
    let odd_items = json!({
        "identifier": [7, {"type": "MB", "value": 8}],
        "payor": ["Evergreen", {"display": null}],
        "class": [null, {"type": {"coding": "plan"}, "name": "x"}, {"type": {"coding": [{"code": 1}]}}],
        "period": {"start": 2024, "end": null}
    });
    assert_eq!(Coverage::from_fhir(&odd_items), empty);
}

#[test]
fn a_coverage_list_keeps_only_coverage_resources_in_order() {
    let resources = [
        json!({"resourceType": "Coverage", "status": "active"}),
        json!({"resourceType": "OperationOutcome", "status": "x"}),
        json!({"status": "no type"}),
        json!({"resourceType": "Coverage", "status": "cancelled"}),
    ];
    let statuses: Vec<Option<String>> = Coverage::list_from_fhir(&resources)
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [some("active"), some("cancelled")]);
    assert_eq!(Coverage::list_from_fhir(&[]), []);
}

#[test]
fn coverage_details_skip_what_is_missing() {
    let mut coverage = Coverage {
        plan: None,
        payor: Some("Evergreen".into()),
        status: None,
        member_id: Some("M1".into()),
        start: Some("2024-01-01".into()),
        end: None,
    };
    assert_eq!(
        coverage.details(),
        "Evergreen · member M1 · 2024-01-01 – present"
    );
    coverage.status = some("active");
    coverage.end = some("2024-12-31");
    assert_eq!(
        coverage.details(),
        "Evergreen · active · member M1 · 2024-01-01 – 2024-12-31"
    );
    let unknown = Coverage::from_fhir(&json!({}));
    assert_eq!(unknown.details(), "? – present");
}

// Claim

fn total(code: &str, value: Value, currency: &str) -> Value {
    json!({"category": {"coding": [{"code": code}]}, "amount": {"value": value, "currency": currency}})
}

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
        to_value(Claim::from_fhir(&eob)).unwrap(),
        json!({"id": "eob-1", "date": "2025-02-11", "provider": "Riverside Family Medicine",
               "type": null, "billed": 185.0, "paid": 98.4, "currency": "USD"})
    );
    // Missing parts are nulls, not a panic.
    assert_eq!(
        to_value(Claim::from_fhir(&json!({}))).unwrap(),
        json!({"id": null, "date": null, "provider": null, "type": null, "billed": null,
               "paid": null, "currency": "USD"})
    );
}

#[test]
fn a_claim_is_dated_by_its_billable_period_else_its_creation_day() {
    let date = |eob: Value| Claim::from_fhir(&eob).date;
    assert_eq!(
        date(json!({"billablePeriod": {"start": "2025-02-11T09:30:00Z"}, "created": "2025-03-01"})),
        some("2025-02-11")
    );
    assert_eq!(
        date(
            json!({"billablePeriod": {"end": "2025-02-11"}, "created": "2025-03-01T12:00:00-05:00"})
        ),
        some("2025-03-01")
    );
    assert_eq!(
        date(json!({"billablePeriod": {"start": 2025}, "created": "2025-03"})),
        some("2025-03")
    );
    assert_eq!(date(json!({"created": 20250301})), None);
}

#[test]
fn a_claim_has_provider_display_else_reference_and_the_first_type() {
    let eob = json!({
        "provider": {"reference": "Organization/riverside"},
        "type": {"coding": [
            {"code": "pharmacy", "display": "Pharmacy"},
            {"code": "professional", "display": "Professional"}
        ]}
    });
    let claim = Claim::from_fhir(&eob);
    assert_eq!(claim.provider, some("Organization/riverside"));
    assert_eq!(claim.kind, some("Pharmacy"));
    let display =
        json!({"provider": {"display": "Pearl Street Pharmacy", "reference": "Organization/1"}});
    assert_eq!(
        Claim::from_fhir(&display).provider,
        some("Pearl Street Pharmacy")
    );
    // The first coding without a display: no type (not the second's).
    let first_bare = json!({"type": {"coding": [{"code": "x"}, {"display": "Professional"}]}});
    assert_eq!(Claim::from_fhir(&first_bare).kind, None);
}

#[test]
fn billed_and_paid_are_the_submitted_and_benefit_totals() {
    let eob = json!({"total": [
        total("benefit", json!(2.1), "EUR"),
        total("submitted", json!("24.99"), "EUR"),
        total("submitted", json!(25), "EUR"),
        total("deductible", json!(5.0), "EUR")
    ]});
    let claim = Claim::from_fhir(&eob);
    // A total whose amount is no number is passed over; integers are amounts.
    assert_eq!((claim.billed, claim.paid), (Some(25.0), Some(2.1)));
    assert_eq!(claim.currency, "EUR");
    assert_eq!(
        claim.billed_money(),
        Some(Money {
            value: 25.0,
            currency: "EUR".into()
        })
    );
    assert_eq!(claim.paid_money().unwrap().to_string(), "2.10 EUR");
    let unpaid = Claim::from_fhir(&json!({"total": [total("submitted", json!(10), "USD")]}));
    assert_eq!(unpaid.paid_money(), None);
    assert_eq!(unpaid.billed_money().unwrap().to_string(), "$10.00");
}

#[test]
fn odd_claims_give_nones_not_a_panic() {
    let empty = Claim {
        id: None,
        date: None,
        provider: None,
        kind: None,
        billed: None,
        paid: None,
        currency: "USD".into(),
    };
    assert_eq!(Claim::from_fhir(&Value::Null), empty);
    assert_eq!(Claim::from_fhir(&json!(["ExplanationOfBenefit"])), empty);
    let odd = json!({
        "id": 12,
        "billablePeriod": "2025-02-11",
        "provider": "Riverside",
        "type": {"coding": {"display": "Pharmacy"}},
        "total": {"category": "submitted", "amount": 185.0}
    });
    assert_eq!(Claim::from_fhir(&odd), empty);
    let odd_totals = json!({"total": [
        null,
        {"category": {"coding": [{"code": "submitted"}]}},
        {"category": {"coding": [{"code": "benefit"}]}, "amount": {"value": null, "currency": 840}}
    ]});
    assert_eq!(Claim::from_fhir(&odd_totals), empty);
}

#[test]
fn a_claim_json_reads_back() {
    let claim =
        Claim::from_fhir(&json!({"id": "eob-1", "total": [total("benefit", json!(1.5), "USD")]}));
    let back: Claim = serde_json::from_value(to_value(&claim).unwrap()).unwrap();
    assert_eq!(back, claim);
}

// Money

fn usd(value: f64) -> String {
    Money {
        value,
        currency: "USD".into(),
    }
    .to_string()
}

#[test]
fn money_reads_as_the_page_shows_it() {
    assert_eq!(usd(18.4), "$18.40");
    assert_eq!(usd(0.0), "$0.00");
    assert_eq!(usd(0.005), "$0.01");
    assert_eq!(usd(999.999), "$1,000.00");
    assert_eq!(usd(1234.5), "$1,234.50");
    assert_eq!(usd(123_456.0), "$123,456.00");
    assert_eq!(usd(1_234_567.891), "$1,234,567.89");
    assert_eq!(usd(-95.0), "-$95.00");
    let eur = Money {
        value: 1000.0,
        currency: "EUR".into(),
    };
    assert_eq!(eur.to_string(), "1,000.00 EUR");
    let negative = Money {
        value: -0.5,
        currency: "GBP".into(),
    };
    assert_eq!(negative.to_string(), "-0.50 GBP");
}
