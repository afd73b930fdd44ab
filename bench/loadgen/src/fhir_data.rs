//! Synthetic FHIR R4 records for the records benchmark (a module of `bench-standin`).
//!
//! Deterministic (a fixed-seed xorshift, no clock, no `HashMap` order): the same flags give the
//! same bytes on every run, so every client parses exactly the same bodies. The resources are
//! shaped like what Flexpa returns for a payer (CARIN Blue Button): mostly
//! `ExplanationOfBenefit`s with line items, adjudications and codings, plus the Patient, their
//! Coverage and the Practitioners, Organizations, Conditions and Observations the claims point
//! to. Lots of small nested objects, as in real FHIR JSON: that is what makes parsing and the
//! in-memory tree costly, so a few large strings would not be a fair stand-in.

use serde_json::{json, Value};

/// The patient every record belongs to.
pub const PATIENT_ID: &str = "7f3c9a1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b";

/// The served bodies, made once at start-up.
pub struct Records {
    /// `GET /fhir/Patient/$PATIENT_ID/$everything`: one searchset Bundle.
    pub everything: bytes::Bytes,
    /// `GET /fhir/ExplanationOfBenefit?...&page=N`: page N (1-based) is `pages[N - 1]`.
    pub pages: Vec<bytes::Bytes>,
    /// How many resources `$everything` holds.
    pub everything_entries: usize,
}

/// Makes `$everything` (resources added until its body reaches `everything_bytes`) and a
/// search of `pages` x `page_size` ExplanationOfBenefits whose `next` links are absolute URLs
/// under `base` (`http://127.0.0.1:PORT`), as a FHIR server writes them.
pub fn make(base: &str, everything_bytes: usize, pages: usize, page_size: usize) -> Records {
    let fhir = format!("{base}/fhir");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);

    // $everything: the Patient and their Coverage first, then claims with the occasional
    // referenced resource, until the body is big enough.
    let mut entries: Vec<String> = vec![entry(&fhir, &patient()), entry(&fhir, &coverage())];
    let mut size = entries.iter().map(|e| e.len() + 1).sum::<usize>();
    let mut i = 0usize;
    while size < everything_bytes {
        let resource = match i % 20 {
            5 => practitioner(&mut rng, i),
            10 => organization(&mut rng, i),
            15 => condition(&mut rng, i),
            19 => observation(&mut rng, i),
            _ => explanation_of_benefit(&mut rng, i),
        };
        let e = entry(&fhir, &resource);
        size += e.len() + 1;
        entries.push(e);
        i += 1;
    }
    let everything_entries = entries.len();
    let everything = bundle(
        &format!("{fhir}/Patient/{PATIENT_ID}/$everything"),
        None,
        entries,
    );

    // The search: its own claims (ids distinct from $everything's), page_size per page.
    let total = pages * page_size;
    let mut search_rng = Rng(0x9e37_79b9_7f4a_7c15);
    let page_url = |n: usize| {
        format!("{fhir}/ExplanationOfBenefit?patient=%24PATIENT_ID&_count={page_size}&page={n}")
    };
    let pages = (1..=pages)
        .map(|n| {
            let entries = ((n - 1) * page_size..n * page_size)
                .map(|k| {
                    entry(
                        &fhir,
                        &explanation_of_benefit(&mut search_rng, 1_000_000 + k),
                    )
                })
                .collect();
            let next = (n < pages).then(|| page_url(n + 1));
            bundle_with_total(&page_url(n), next.as_deref(), entries, total)
        })
        .collect();
    Records {
        everything,
        pages,
        everything_entries,
    }
}

/// A small deterministic generator (xorshift64*), enough to vary codes, dates and amounts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn date(&mut self) -> String {
        format!(
            "20{:02}-{:02}-{:02}",
            18 + self.below(7),
            1 + self.below(12),
            1 + self.below(28)
        )
    }
    fn money(&mut self, max_cents: u64) -> Value {
        json!({ "value": self.below(max_cents) as f64 / 100.0, "currency": "USD" })
    }
}

fn entry(fhir: &str, resource: &Value) -> String {
    let kind = resource["resourceType"].as_str().unwrap_or("Resource");
    let id = resource["id"].as_str().unwrap_or("0");
    let e = json!({
        "fullUrl": format!("{fhir}/{kind}/{id}"),
        "resource": resource,
        "search": { "mode": "match" },
    });
    e.to_string()
}

fn bundle(self_url: &str, next: Option<&str>, entries: Vec<String>) -> bytes::Bytes {
    let total = entries.len();
    bundle_with_total(self_url, next, entries, total)
}

/// Joins pre-serialized entries into a Bundle (cheaper than one huge `Value`).
fn bundle_with_total(
    self_url: &str,
    next: Option<&str>,
    entries: Vec<String>,
    total: usize,
) -> bytes::Bytes {
    let mut links = vec![json!({ "relation": "self", "url": self_url })];
    if let Some(next) = next {
        links.push(json!({ "relation": "next", "url": next }));
    }
    let head = json!({
        "resourceType": "Bundle",
        "id": format!("bundle-{total}-{}", entries.len()),
        "meta": { "lastUpdated": "2026-01-01T00:00:00.000+00:00" },
        "type": "searchset",
        "total": total,
        "link": links,
    })
    .to_string();
    let mut out =
        String::with_capacity(head.len() + entries.iter().map(|e| e.len() + 1).sum::<usize>() + 16);
    out.push_str(&head[..head.len() - 1]); // without the closing brace
    out.push_str(",\"entry\":[");
    for (k, e) in entries.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(e);
    }
    out.push_str("]}");
    bytes::Bytes::from(out)
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }] })
}

fn reference(kind: &str, id: impl std::fmt::Display) -> Value {
    json!({ "reference": format!("{kind}/{id}") })
}

fn meta(profile: &str) -> Value {
    json!({
        "versionId": "1",
        "lastUpdated": "2026-01-01T00:00:00.000+00:00",
        "source": "#humana-sandbox",
        "profile": [format!("http://hl7.org/fhir/us/carin-bb/StructureDefinition/{profile}")],
    })
}

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": meta("C4BB-Patient"),
        "identifier": [{
            "type": coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MB", "Member Number"),
            "system": "https://www.humana.com/fhir/member-id",
            "value": "H12345678-01",
        }],
        "active": true,
        "name": [{ "use": "usual", "family": "Rivera", "given": ["Ana", "Maria"] }],
        "telecom": [{ "system": "phone", "value": "555-0100", "use": "home" }],
        "gender": "female",
        "birthDate": "1956-04-12",
        "address": [{
            "use": "home", "line": ["123 Main St"], "city": "Louisville",
            "state": "KY", "postalCode": "40202", "country": "US",
        }],
    })
}

fn coverage() -> Value {
    json!({
        "resourceType": "Coverage",
        "id": "coverage-1",
        "meta": meta("C4BB-Coverage"),
        "status": "active",
        "type": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "HMO", "health maintenance organization policy"),
        "subscriberId": "H12345678",
        "beneficiary": reference("Patient", PATIENT_ID),
        "relationship": coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self", "Self"),
        "period": { "start": "2018-01-01", "end": "2026-12-31" },
        "payor": [reference("Organization", "org-humana")],
        "class": [{
            "type": coding("http://terminology.hl7.org/CodeSystem/coverage-class", "plan", "Plan"),
            "value": "H1036-200",
            "name": "Humana Gold Plus H1036-200 (HMO)",
        }],
    })
}

const CPT: &[&str] = &[
    "99213", "99214", "80053", "85025", "36415", "93000", "71046", "97110", "G0439", "J1100",
];
const ICD10: &[&str] = &[
    "E11.9", "I10", "E78.5", "M54.5", "J44.9", "N18.3", "F32.9", "Z00.00", "K21.9", "R07.9",
];
const NDC: &[&str] = &[
    "00093-7180-56",
    "00378-1805-10",
    "68180-0513-09",
    "00071-0155-23",
    "59762-3304-01",
];
const ADJUDICATION: &[(&str, &str)] = &[
    ("submitted", "Submitted Amount"),
    ("benefit", "Benefit Amount"),
    ("copay", "CoPay"),
    ("deductible", "Deductible"),
    ("paidtoprovider", "Paid to provider"),
];

fn explanation_of_benefit(rng: &mut Rng, i: usize) -> Value {
    let kind = rng.pick(&["professional", "institutional", "pharmacy"]);
    let service = rng.date();
    let items: Vec<Value> = (1..=1 + rng.below(4))
        .map(|seq| {
            let (system, code) = if kind == "pharmacy" {
                ("http://hl7.org/fhir/sid/ndc", rng.pick(NDC))
            } else {
                ("http://www.ama-assn.org/go/cpt", rng.pick(CPT))
            };
            let adjudication: Vec<Value> = ADJUDICATION
                .iter()
                .map(|(code, display)| {
                    json!({
                        "category": coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication", code, display),
                        "amount": rng.money(50_000),
                    })
                })
                .collect();
            json!({
                "sequence": seq,
                "diagnosisSequence": [1],
                "productOrService": coding(system, code, "Service"),
                "servicedDate": service,
                "locationCodeableConcept": coding("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", "11", "Office"),
                "quantity": { "value": 1 + rng.below(3) },
                "net": rng.money(50_000),
                "adjudication": adjudication,
            })
        })
        .collect();
    json!({
        "resourceType": "ExplanationOfBenefit",
        "id": format!("eob-{i:08}"),
        "meta": meta(&format!("C4BB-ExplanationOfBenefit-{}", if kind == "pharmacy" { "Pharmacy" } else { "Professional-NonClinician" })),
        "identifier": [{
            "type": coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", "uc", "Unique Claim ID"),
            "system": "https://www.humana.com/fhir/claim-id",
            "value": format!("CLM{:012}", rng.below(1_000_000_000_000)),
        }],
        "status": "active",
        "type": coding("http://terminology.hl7.org/CodeSystem/claim-type", kind, kind),
        "use": "claim",
        "patient": reference("Patient", PATIENT_ID),
        "billablePeriod": { "start": service, "end": service },
        "created": format!("{service}T12:00:00+00:00"),
        "insurer": reference("Organization", "org-humana"),
        "provider": reference("Practitioner", format!("prac-{:05}", rng.below(500))),
        "outcome": "complete",
        "careTeam": [{
            "sequence": 1,
            "provider": reference("Practitioner", format!("prac-{:05}", rng.below(500))),
            "role": coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole", "rendering", "Rendering provider"),
        }],
        "supportingInfo": [{
            "sequence": 1,
            "category": coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType", "clmrecvddate", "Claim Received Date"),
            "timingDate": service,
        }],
        "diagnosis": [{
            "sequence": 1,
            "diagnosisCodeableConcept": coding("http://hl7.org/fhir/sid/icd-10-cm", rng.pick(ICD10), "Diagnosis"),
            "type": coding("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "principal", "Principal Diagnosis"),
        }],
        "insurance": [{ "focal": true, "coverage": reference("Coverage", "coverage-1") }],
        "item": items,
        "total": [{
            "category": coding("http://terminology.hl7.org/CodeSystem/adjudication", "submitted", "Submitted Amount"),
            "amount": rng.money(200_000),
        }, {
            "category": coding("http://terminology.hl7.org/CodeSystem/adjudication", "benefit", "Benefit Amount"),
            "amount": rng.money(200_000),
        }],
        "payment": { "date": service, "amount": rng.money(200_000) },
    })
}

fn practitioner(rng: &mut Rng, i: usize) -> Value {
    json!({
        "resourceType": "Practitioner",
        "id": format!("prac-{i:05}"),
        "meta": meta("C4BB-Practitioner"),
        "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": format!("1{:09}", rng.below(1_000_000_000)) }],
        "name": [{ "family": rng.pick(&["Smith", "Nguyen", "Patel", "Garcia", "Kim"]), "given": [rng.pick(&["John", "Mai", "Raj", "Lucia", "Min"])], "prefix": ["Dr."] }],
    })
}

fn organization(rng: &mut Rng, i: usize) -> Value {
    json!({
        "resourceType": "Organization",
        "id": format!("org-{i:05}"),
        "meta": meta("C4BB-Organization"),
        "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": format!("1{:09}", rng.below(1_000_000_000)) }],
        "active": true,
        "name": rng.pick(&["Baptist Health", "Norton Healthcare", "UofL Health", "Quest Diagnostics"]),
        "address": [{ "line": ["1 Hospital Dr"], "city": "Louisville", "state": "KY", "postalCode": "40202" }],
    })
}

fn condition(rng: &mut Rng, i: usize) -> Value {
    json!({
        "resourceType": "Condition",
        "id": format!("cond-{i:06}"),
        "meta": { "lastUpdated": "2026-01-01T00:00:00.000+00:00" },
        "clinicalStatus": coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
        "category": [coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
        "code": coding("http://hl7.org/fhir/sid/icd-10-cm", rng.pick(ICD10), "Diagnosis"),
        "subject": reference("Patient", PATIENT_ID),
        "recordedDate": rng.date(),
    })
}

fn observation(rng: &mut Rng, i: usize) -> Value {
    json!({
        "resourceType": "Observation",
        "id": format!("obs-{i:06}"),
        "meta": { "lastUpdated": "2026-01-01T00:00:00.000+00:00" },
        "status": "final",
        "category": [coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
        "code": coding("http://loinc.org", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
        "subject": reference("Patient", PATIENT_ID),
        "effectiveDateTime": rng.date(),
        "valueQuantity": { "value": 5.0 + rng.below(40) as f64 / 10.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%" },
    })
}
