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
    /// Whether fetching the member's data from the plan fails: after the syncing window, FHIR
    /// answers 422 (`processing`) and the `sync_failed` webhook is sent.
    pub sync_fails: bool,
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
        sync_fails: false,
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
        sync_fails: false,
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
        sync_fails: false,
    },
    Plan {
        id: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        name: "lakeshore-sync-fails-sandbox",
        label: &["Lakeshore Health (sync fails)"],
        kind: "Commercial HMO: its data sync always fails",
        refreshable: false,
        refresh_expires_in: 0,
        username: "alex.chen",
        password: "sample-lakeshore",
        patient_id: "3b2a1c0d-9e8f-4a7b-b6c5-d4e3f2a1b0c9",
        sync_fails: true,
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
        "lakeshore-sync-fails-sandbox" => Person {
            given: &["Alex"],
            family: "Chen",
            gender: "other",
            birth_date: "1988-11-05",
            phone: "555-010-0190",
            line: "9 Lakeshore Drive",
            city: "Chicago",
            state: "IL",
            postal_code: "60611",
            member_id: "LKS-4410093",
            payer_org: "lakeshore-health",
            payer_name: "Lakeshore Health",
            group: ("LKS-G-200", "Lakeshore Health members"),
            plan: ("LKS-HMO-2000", "Lakeshore HMO 2000"),
            coverage_id: "cov-lakeshore-2025",
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

pub(crate) const META_UPDATED: &str = "2025-06-02T14:21:07.000Z";
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
    id: String,
    kind: (&'static str, &'static str),
    /// The service date, `YYYY-MM-DD`.
    date: String,
    provider: &'static str,
    code: (&'static str, &'static str, &'static str),
    submitted: f64,
    allowed: f64,
    paid: f64,
    member: f64,
}

/// The member's most recent, hand-written claims.
fn recent_claims(plan: &Plan) -> Vec<Claim> {
    let professional = PROFESSIONAL;
    let pharmacy = PHARMACY;
    match plan.name {
        "evergreen-health-sandbox" => vec![
            Claim {
                id: "eob-evergreen-0001".into(),
                kind: professional,
                date: "2025-02-11".into(),
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
                id: "eob-evergreen-0002".into(),
                kind: pharmacy,
                date: "2025-02-12".into(),
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
                id: "eob-summit-0001".into(),
                kind: professional,
                date: "2025-03-04".into(),
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
                id: "eob-summit-0002".into(),
                kind: professional,
                date: "2025-03-04".into(),
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
                id: "eob-summit-0003".into(),
                kind: pharmacy,
                date: "2025-03-06".into(),
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
        "lakeshore-sync-fails-sandbox" => Vec::new(),
        _ => vec![Claim {
            id: "eob-bayside-0001".into(),
            kind: professional,
            date: "2025-01-21".into(),
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

/// A routine service the generated claims are made of.
struct Service {
    kind: (&'static str, &'static str),
    provider: &'static str,
    code: (&'static str, &'static str, &'static str),
    /// Billed amount in cents.
    submitted: i64,
    /// The allowed share of the billed amount, in percent.
    allowed_percent: i64,
    /// The member's copay in cents (at most the allowed amount).
    copay: i64,
}

const CPT: &str = "http://www.ama-assn.org/go/cpt";
const NDC: &str = "http://hl7.org/fhir/sid/ndc";
const PROFESSIONAL: (&str, &str) = ("professional", "Professional");
const PHARMACY: (&str, &str) = ("pharmacy", "Pharmacy");

const ROUTINE: &[Service] = &[
    Service {
        kind: PROFESSIONAL,
        provider: "Riverside Family Medicine",
        code: (
            CPT,
            "99213",
            "Office or other outpatient visit, established patient, 20-29 minutes",
        ),
        submitted: 18_500,
        allowed_percent: 69,
        copay: 3_000,
    },
    Service {
        kind: PROFESSIONAL,
        provider: "Cascade Physical Therapy",
        code: (CPT, "97110", "Therapeutic exercises, each 15 minutes"),
        submitted: 14_200,
        allowed_percent: 55,
        copay: 2_500,
    },
    Service {
        kind: PHARMACY,
        provider: "Pearl Street Pharmacy",
        code: (NDC, "00071-0155-23", "Atorvastatin 10 MG Oral Tablet"),
        submitted: 4_210,
        allowed_percent: 40,
        copay: 1_000,
    },
    Service {
        kind: PROFESSIONAL,
        provider: "Northside Imaging Center",
        code: (CPT, "71046", "Radiologic examination, chest; 2 views"),
        submitted: 21_000,
        allowed_percent: 50,
        copay: 4_000,
    },
    Service {
        kind: PROFESSIONAL,
        provider: "Valley Medical Laboratory",
        code: (CPT, "80053", "Comprehensive metabolic panel"),
        submitted: 8_900,
        allowed_percent: 20,
        copay: 0,
    },
    Service {
        kind: PROFESSIONAL,
        provider: "Harbor Urgent Care",
        code: (
            CPT,
            "99203",
            "Office or other outpatient visit, new patient, 30-44 minutes",
        ),
        submitted: 26_500,
        allowed_percent: 60,
        copay: 5_000,
    },
    Service {
        kind: PHARMACY,
        provider: "Pearl Street Pharmacy",
        code: (NDC, "00378-0208-01", "Lisinopril 10 MG Oral Tablet"),
        submitted: 1_550,
        allowed_percent: 45,
        copay: 500,
    },
];

/// How many routine claims each sample member has before their recent ones, and the date the
/// most recent of those recent ones is counted back from. Enough that Evergreen's claims span
/// three pages at the default `_count` of 20, Summit's two, Bayside's one.
fn routine_count(plan: &Plan) -> (usize, &'static str) {
    match plan.name {
        "evergreen-health-sandbox" => (44, "2025-02-11"),
        "summit-medicare-sandbox" => (24, "2025-03-04"),
        "lakeshore-sync-fails-sandbox" => (3, "2025-04-01"),
        _ => (7, "2025-01-21"),
    }
}

/// The member's routine claims: every 11 days back from the start date, cycling through the
/// services with slightly varying amounts. Numbered after the recent claims.
fn routine_claims(plan: &Plan, first_number: usize) -> Vec<Claim> {
    let (count, from) = routine_count(plan);
    let from = days_from_date(from).unwrap_or(0);
    let prefix = plan.name.split('-').next().unwrap_or("sandbox");
    (0..count)
        .map(|i| {
            let service = &ROUTINE[(i * 3 + first_number) % ROUTINE.len()];
            let submitted = service.submitted * (100 + (i as i64 * 7) % 13) / 100;
            let allowed = submitted * service.allowed_percent / 100;
            let member = service.copay.min(allowed);
            let cents = |c: i64| c as f64 / 100.0;
            Claim {
                id: format!("eob-{prefix}-{:04}", first_number + i),
                kind: service.kind,
                date: date_from_days(from - 11 * (i as i64 + 1)),
                provider: service.provider,
                code: service.code,
                submitted: cents(submitted),
                allowed: cents(allowed),
                paid: cents(allowed - member),
                member: cents(member),
            }
        })
        .collect()
}

/// Every claim of the member, most recent first (then by id).
fn claims(plan: &Plan) -> Vec<Claim> {
    let mut list = recent_claims(plan);
    let routine = routine_claims(plan, list.len() + 1);
    list.extend(routine);
    list.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
    list
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
fn days_from_date(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date of a day count since 1970-01-01 (Hinnant's civil_from_days).
fn date_from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2024-03-01"), Some(19_783));
        assert_eq!(date_from_days(19_783), "2024-03-01");
        assert_eq!(date_from_days(19_782), "2024-02-29");
        assert_eq!(days_from_date("not-a-date"), None);
    }

    #[test]
    fn claims_are_most_recent_first_with_unique_ids() {
        for plan in PLANS {
            let list = claims(plan);
            assert!(
                list.windows(2).all(|w| w[0].date >= w[1].date),
                "{}",
                plan.name
            );
            let ids: std::collections::HashSet<&str> = list.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(ids.len(), list.len(), "{}", plan.name);
            assert!(list.iter().all(|c| c.paid + c.member <= c.submitted));
        }
        assert_eq!(claims(plan("evergreen-health-sandbox").unwrap()).len(), 46);
    }
}
