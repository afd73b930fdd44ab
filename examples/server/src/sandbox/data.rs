//! The sandbox's sample health plans and their sample FHIR R4 records (one patient per plan).
//!
//! Every name, member id and claim here is made up. The resources follow the shapes Flexpa
//! returns (CARIN Blue Button profiles): `Patient`, `Coverage`, `ExplanationOfBenefit`.

use serde_json::{json, Value};

/// A sample health plan: a Flexpa "endpoint" with one sample member who can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The endpoint id (what `FlexpaLink.create({ endpoint })` preselects).
    pub id: &'static str,
    /// The endpoint's machine name (also accepted as `endpoint`).
    pub name: &'static str,
    /// The endpoint's labels (the first is shown).
    pub label: &'static [&'static str],
    /// What kind of plan it is, shown under the label.
    pub kind: &'static str,
    /// Whether the endpoint supports refresh tokens (`usage: "MULTIPLE"`).
    pub refreshable: bool,
    /// Lifetime of its refresh tokens in seconds (0 = they never expire).
    pub refresh_expires_in: u64,
    /// The sample member's user name on the plan's sign-in page.
    pub username: &'static str,
    /// The sample member's password (shown on screen: this is a sandbox).
    pub password: &'static str,
    /// The sample member's FHIR `Patient` id.
    pub patient_id: &'static str,
}

/// The FHIR resource types every sample endpoint serves.
pub const RESOURCES: &[&str] = &["Patient", "Coverage", "ExplanationOfBenefit"];

/// The sample health plans.
pub const PLANS: &[Plan] = &[
    Plan {
        id: "8d1c2f4e-5b6a-4c3d-9e8f-0a1b2c3d4e5f",
        name: "evergreen-health-sandbox",
        label: &["Evergreen Health", "Evergreen Health PPO"],
        kind: "Commercial PPO",
        refreshable: true,
        refresh_expires_in: 0,
        username: "jane.doe",
        password: "sample-evergreen",
        patient_id: "7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b",
    },
    Plan {
        id: "2a7e9b30-c1d4-4f56-8a9b-3c4d5e6f7081",
        name: "summit-medicare-sandbox",
        label: &["Summit Medicare Advantage"],
        kind: "Medicare Advantage HMO",
        refreshable: true,
        refresh_expires_in: 15_552_000,
        username: "robert.miller",
        password: "sample-summit",
        patient_id: "c4e5f6a7-8b9c-4d0e-a1f2-b3c4d5e6f708",
    },
    Plan {
        id: "5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0",
        name: "bayside-medicaid-sandbox",
        label: &["Bayside Community Health", "Bayside Medicaid"],
        kind: "Medicaid managed care",
        refreshable: false,
        refresh_expires_in: 0,
        username: "maria.garcia",
        password: "sample-bayside",
        patient_id: "19a8b7c6-d5e4-4f3a-9b2c-1d0e9f8a7b6c",
    },
];

/// The plan with this endpoint id or name.
pub fn plan(id_or_name: &str) -> Option<&'static Plan> {
    PLANS
        .iter()
        .find(|p| p.id == id_or_name || p.name == id_or_name)
}

/// The plan whose sample member is this patient.
pub fn plan_of_patient(patient_id: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.patient_id == patient_id)
}

/// The endpoint object of the exchange and introspection answers.
pub fn endpoint_json(plan: &Plan) -> Value {
    json!({
        "id": plan.id,
        "label": plan.label,
        "name": plan.name,
        "refreshable": plan.refreshable,
        "resources": RESOURCES,
    })
}

struct Person {
    given: &'static [&'static str],
    family: &'static str,
    gender: &'static str,
    birth_date: &'static str,
    phone: &'static str,
    line: &'static str,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    member_id: &'static str,
    payer_org: &'static str,
    payer_name: &'static str,
    group: (&'static str, &'static str),
    plan: (&'static str, &'static str),
    coverage_id: &'static str,
    start: &'static str,
    /// An earlier, ended coverage (id, plan name, start, end), if any.
    previous: Option<(&'static str, &'static str, &'static str, &'static str)>,
}

fn person(plan: &Plan) -> Person {
    match plan.name {
        "evergreen-health-sandbox" => Person {
            given: &["Jane", "Q."],
            family: "Doe",
            gender: "female",
            birth_date: "1980-01-01",
            phone: "555-010-0143",
            line: "42 Cedar Lane",
            city: "Portland",
            state: "OR",
            postal_code: "97205",
            member_id: "EVG100234501",
            payer_org: "evergreen-health",
            payer_name: "Evergreen Health",
            group: ("GRP-88123", "Cascade Design Co. employees"),
            plan: ("EVG-PPO-1500", "Evergreen PPO 1500"),
            coverage_id: "cov-evergreen-2024",
            start: "2024-01-01",
            previous: Some((
                "cov-evergreen-2022",
                "Evergreen HMO Basic",
                "2022-01-01",
                "2023-12-31",
            )),
        },
        "summit-medicare-sandbox" => Person {
            given: &["Robert", "James"],
            family: "Miller",
            gender: "male",
            birth_date: "1951-07-14",
            phone: "555-010-0178",
            line: "1180 Aspen Court",
            city: "Boulder",
            state: "CO",
            postal_code: "80302",
            member_id: "SMA7730021",
            payer_org: "summit-medicare",
            payer_name: "Summit Medicare Advantage",
            group: ("MA-H1234", "Summit Medicare Advantage members"),
            plan: ("H1234-005", "Summit Advantage Plus (HMO)"),
            coverage_id: "cov-summit-2025",
            start: "2025-01-01",
            previous: None,
        },
        _ => Person {
            given: &["María", "Elena"],
            family: "García",
            gender: "female",
            birth_date: "1994-03-22",
            phone: "555-010-0112",
            line: "77 Harbor View Road, Apt 3",
            city: "Oakland",
            state: "CA",
            postal_code: "94607",
            member_id: "BCH-55019822",
            payer_org: "bayside-community-health",
            payer_name: "Bayside Community Health",
            group: ("MCD-ALAMEDA", "Alameda County Medicaid"),
            plan: ("BCH-MCD-STD", "Bayside Medicaid Standard"),
            coverage_id: "cov-bayside-2023",
            start: "2023-07-01",
            previous: None,
        },
    }
}

const META_UPDATED: &str = "2025-06-02T14:21:07.000Z";
const MEMBER_SYSTEM: &str = "https://sandbox.flexpa-link.example/member-id";

/// The sample member's `Patient` resource.
pub fn patient(plan: &Plan) -> Value {
    let p = person(plan);
    json!({
        "resourceType": "Patient",
        "id": plan.patient_id,
        "meta": {
            "lastUpdated": META_UPDATED,
            "profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|2.0.0"]
        },
        "identifier": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "MB",
                "display": "Member Number"
            }]},
            "system": MEMBER_SYSTEM,
            "value": p.member_id
        }],
        "active": true,
        "name": [{
            "use": "official",
            "text": format!("{} {}", p.given.join(" "), p.family),
            "family": p.family,
            "given": p.given
        }],
        "telecom": [{"system": "phone", "value": p.phone, "use": "home"}],
        "gender": p.gender,
        "birthDate": p.birth_date,
        "address": [{
            "use": "home",
            "type": "physical",
            "line": [p.line],
            "city": p.city,
            "state": p.state,
            "postalCode": p.postal_code,
            "country": "US"
        }]
    })
}

fn coverage(
    plan: &Plan,
    p: &Person,
    id: &str,
    plan_name: &str,
    start: &str,
    end: Option<&str>,
) -> Value {
    let mut period = json!({ "start": start });
    if let Some(end) = end {
        period["end"] = json!(end);
    }
    json!({
        "resourceType": "Coverage",
        "id": id,
        "meta": {
            "lastUpdated": META_UPDATED,
            "profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage|2.0.0"]
        },
        "identifier": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                "code": "MB",
                "display": "Member Number"
            }]},
            "system": MEMBER_SYSTEM,
            "value": p.member_id
        }],
        "status": if end.is_some() { "cancelled" } else { "active" },
        "type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "HIP",
            "display": "health insurance plan policy"
        }]},
        "subscriberId": p.member_id,
        "beneficiary": {"reference": format!("Patient/{}", plan.patient_id)},
        "relationship": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
            "code": "self",
            "display": "Self"
        }]},
        "period": period,
        "payor": [{
            "reference": format!("Organization/{}", p.payer_org),
            "display": p.payer_name
        }],
        "class": [
            {
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                    "code": "group"
                }]},
                "value": p.group.0,
                "name": p.group.1
            },
            {
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                    "code": "plan"
                }]},
                "value": p.plan.0,
                "name": plan_name
            }
        ]
    })
}

/// The sample member's `Coverage` resources (current first).
pub fn coverages(plan: &Plan) -> Vec<Value> {
    let p = person(plan);
    let mut list = vec![coverage(plan, &p, p.coverage_id, p.plan.1, p.start, None)];
    if let Some((id, name, start, end)) = p.previous {
        list.push(coverage(plan, &p, id, name, start, Some(end)));
    }
    list
}

struct Claim {
    id: &'static str,
    kind: (&'static str, &'static str),
    date: &'static str,
    provider: &'static str,
    code: (&'static str, &'static str, &'static str),
    submitted: f64,
    allowed: f64,
    paid: f64,
    member: f64,
}

fn claims(plan: &Plan) -> Vec<Claim> {
    const CPT: &str = "http://www.ama-assn.org/go/cpt";
    const NDC: &str = "http://hl7.org/fhir/sid/ndc";
    let professional = ("professional", "Professional");
    let pharmacy = ("pharmacy", "Pharmacy");
    match plan.name {
        "evergreen-health-sandbox" => vec![
            Claim {
                id: "eob-evergreen-0001",
                kind: professional,
                date: "2025-02-11",
                provider: "Riverside Family Medicine",
                code: (
                    CPT,
                    "99213",
                    "Office or other outpatient visit, established patient, 20-29 minutes",
                ),
                submitted: 185.00,
                allowed: 128.40,
                paid: 98.40,
                member: 30.00,
            },
            Claim {
                id: "eob-evergreen-0002",
                kind: pharmacy,
                date: "2025-02-12",
                provider: "Pearl Street Pharmacy",
                code: (NDC, "00093-7146-56", "Amoxicillin 500 MG Oral Capsule"),
                submitted: 24.99,
                allowed: 12.10,
                paid: 2.10,
                member: 10.00,
            },
        ],
        "summit-medicare-sandbox" => vec![
            Claim {
                id: "eob-summit-0001",
                kind: professional,
                date: "2025-03-04",
                provider: "Flatirons Cardiology Associates",
                code: (
                    CPT,
                    "93000",
                    "Electrocardiogram, routine, with interpretation and report",
                ),
                submitted: 95.00,
                allowed: 17.86,
                paid: 17.86,
                member: 0.00,
            },
            Claim {
                id: "eob-summit-0002",
                kind: professional,
                date: "2025-03-04",
                provider: "Flatirons Cardiology Associates",
                code: (
                    CPT,
                    "99214",
                    "Office or other outpatient visit, established patient, 30-39 minutes",
                ),
                submitted: 240.00,
                allowed: 131.12,
                paid: 121.12,
                member: 10.00,
            },
            Claim {
                id: "eob-summit-0003",
                kind: pharmacy,
                date: "2025-03-06",
                provider: "Pearl Street Pharmacy",
                code: (
                    NDC,
                    "00378-0018-01",
                    "Metoprolol Tartrate 25 MG Oral Tablet",
                ),
                submitted: 18.40,
                allowed: 6.20,
                paid: 6.20,
                member: 0.00,
            },
        ],
        _ => vec![Claim {
            id: "eob-bayside-0001",
            kind: professional,
            date: "2025-01-21",
            provider: "Harborview Community Clinic",
            code: (
                CPT,
                "99395",
                "Periodic comprehensive preventive medicine, established patient, 18-39 years",
            ),
            submitted: 210.00,
            allowed: 96.50,
            paid: 96.50,
            member: 0.00,
        }],
    }
}

fn money(value: f64) -> Value {
    json!({ "value": value, "currency": "USD" })
}

fn adjudication(code: &str, display: &str, value: f64) -> Value {
    json!({
        "category": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adjudication",
            "code": code,
            "display": display
        }]},
        "amount": money(value)
    })
}

/// The sample member's `ExplanationOfBenefit` resources (claims).
pub fn explanations_of_benefit(plan: &Plan) -> Vec<Value> {
    let p = person(plan);
    claims(plan)
        .into_iter()
        .map(|c| {
            let profile = if c.kind.0 == "pharmacy" {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy|2.0.0"
            } else {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.0.0"
            };
            json!({
                "resourceType": "ExplanationOfBenefit",
                "id": c.id,
                "meta": {"lastUpdated": META_UPDATED, "profile": [profile]},
                "identifier": [{
                    "type": {"coding": [{
                        "system": "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType",
                        "code": "uc",
                        "display": "Unique Claim ID"
                    }]},
                    "value": c.id.to_uppercase()
                }],
                "status": "active",
                "type": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": c.kind.0,
                    "display": c.kind.1
                }]},
                "use": "claim",
                "patient": {"reference": format!("Patient/{}", plan.patient_id)},
                "billablePeriod": {"start": c.date, "end": c.date},
                "created": format!("{}T09:30:00Z", c.date),
                "insurer": {
                    "reference": format!("Organization/{}", p.payer_org),
                    "display": p.payer_name
                },
                "provider": {"display": c.provider},
                "outcome": "complete",
                "insurance": [{
                    "focal": true,
                    "coverage": {"reference": format!("Coverage/{}", p.coverage_id)}
                }],
                "item": [{
                    "sequence": 1,
                    "productOrService": {"coding": [{
                        "system": c.code.0,
                        "code": c.code.1,
                        "display": c.code.2
                    }]},
                    "servicedDate": c.date,
                    "adjudication": [
                        adjudication("submitted", "Submitted Amount", c.submitted),
                        adjudication("eligible", "Eligible Amount", c.allowed),
                        adjudication("benefit", "Benefit Amount", c.paid)
                    ]
                }],
                "total": [
                    adjudication("submitted", "Submitted Amount", c.submitted),
                    adjudication("eligible", "Eligible Amount", c.allowed),
                    adjudication("benefit", "Benefit Amount", c.paid),
                    {
                        "category": {"coding": [{
                            "system": "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication",
                            "code": "memberliability",
                            "display": "Member liability"
                        }]},
                        "amount": money(c.member)
                    }
                ],
                "payment": {"date": c.date, "amount": money(c.paid)}
            })
        })
        .collect()
}
