//! What each policy of the reload cycle answers to each request of the mix, alone and inside
//! a batch, recorded before the soak so every answer during it can be checked.

use onbehalf_testkit::http::{Client, Response};
use serde_json::Value;

use crate::server::Server;

/// Requests per batch (every eighth request of a client is a batch).
pub const BATCH: usize = 64;

/// One policy of the cycle.
pub struct Policy<'a> {
    name: &'static str,
    module: &'a [u8],
    faulting: bool,
}

impl<'a> Policy<'a> {
    pub fn new(name: &'static str, module: &'a [u8], faulting: bool) -> Policy<'a> {
        Policy {
            name,
            module,
            faulting,
        }
    }
}

/// What identifies an answer: status, fault header and body (not the date header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub fault: Option<String>,
    pub body: Vec<u8>,
}

impl From<&Response> for Answer {
    fn from(r: &Response) -> Answer {
        Answer {
            status: r.status,
            fault: r.fault().map(str::to_owned),
            body: r.body.clone(),
        }
    }
}

/// Per policy (in cycle order): its answer to each request alone, and each batch element.
pub struct Calibration {
    singles: Vec<Vec<Answer>>,
    elements: Vec<Vec<Value>>,
    faulting: Vec<bool>,
    default: usize,
}

impl Calibration {
    pub fn single_ok(&self, i: usize, r: &Answer) -> bool {
        self.singles.iter().any(|p| p.get(i) == Some(r))
    }

    pub fn element_ok(&self, i: usize, v: &Value) -> bool {
        self.elements.iter().any(|p| p.get(i) == Some(v))
    }

    /// Only the faulting policy answers this (its fail-closed answer).
    pub fn element_fail_closed(&self, i: usize, v: &Value) -> bool {
        self.elements
            .iter()
            .zip(&self.faulting)
            .all(|(answers, faulting)| (answers.get(i) == Some(v)) == *faulting)
    }

    /// Whether `r` is the default policy's answer to request `i`.
    pub fn is_default_single(&self, i: usize, r: &Response) -> bool {
        self.singles
            .get(self.default)
            .and_then(|p| p.get(i))
            .is_some_and(|a| *a == Answer::from(r))
    }
}

pub fn batch_body(requests: &[String]) -> String {
    format!("[{}]", requests.join(","))
}

fn batch_answers(
    client: &mut Client,
    requests: &[String],
    name: &str,
) -> Result<Vec<Value>, String> {
    let mut elements = Vec::with_capacity(requests.len());
    for chunk in requests.chunks(BATCH) {
        let r = client
            .post_json("/v1/decide", &batch_body(chunk))
            .map_err(|e| e.to_string())?;
        let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&r.body) else {
            return Err(format!("{name}: a batch answer is not an array"));
        };
        elements.extend(items);
    }
    if elements.len() != requests.len() {
        return Err(format!(
            "{name}: {} batch answers for {} requests",
            elements.len(),
            requests.len()
        ));
    }
    Ok(elements)
}

/// Loads each policy in turn and records its answers; the last policy is the default.
pub fn calibrate(
    server: &Server,
    requests: &[String],
    policies: &[Policy<'_>],
) -> Result<Calibration, String> {
    let mut client = Client::new(&server.addr);
    let mut cal = Calibration {
        singles: Vec::new(),
        elements: Vec::new(),
        faulting: Vec::new(),
        default: policies.len().saturating_sub(1),
    };
    for policy in policies {
        let r = server
            .reload(&mut client, policy.module)
            .map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!(
                "loading the {} policy: status {}",
                policy.name, r.status
            ));
        }
        cal.elements
            .push(batch_answers(&mut client, requests, policy.name)?);
        let mut singles = Vec::with_capacity(requests.len());
        for request in requests {
            let r = client
                .post_json("/v1/decide", request)
                .map_err(|e| e.to_string())?;
            singles.push(Answer::from(&r));
        }
        if policy.faulting && singles.iter().all(|a| a.fault.is_none()) {
            return Err(format!(
                "the {} policy never faulted during calibration",
                policy.name
            ));
        }
        cal.singles.push(singles);
        cal.faulting.push(policy.faulting);
    }
    Ok(cal)
}
