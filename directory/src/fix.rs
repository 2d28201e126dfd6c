//! `onbehalf fix` with a directory: the fixes of a named request, their commands naming the
//! real accounts (server, client, and the account behind each target SPN), and the fixes the
//! directory makes impossible refused with the reason.

use onbehalf_core::fix::{fixes_with, Accounts};
use onbehalf_core::json::{error_to_value, fix_answer, Value};

use crate::check::{fill, CheckError, Filled};

/// The answer's key for the fixes the directory makes impossible.
pub const REFUSED_KEY: &str = "refused";
use crate::Directory;

/// `{"decision", "fixes", "refused": [{"summary", "reason"}], "request", "facts"}` for one
/// named request, or the error object.
#[must_use]
pub fn fix_value(directory: &Directory, value: &Value) -> Value {
    match fill(directory, value) {
        Ok(filled) => answer(directory, &filled),
        Err(e) => e.to_value(),
    }
}

/// [`fix_value`] on one JSON text, as one line of JSON.
#[must_use]
pub fn fix_str(directory: &Directory, text: &str) -> String {
    match Value::parse(text) {
        Ok(value) => fix_value(directory, &value).to_json(),
        Err(e) => CheckError::from(e).to_value().to_json(),
    }
}

fn answer(directory: &Directory, filled: &Filled<'_>) -> Value {
    let request = &filled.request;
    let placeholders = Accounts::PLACEHOLDERS;
    let server = filled
        .server
        .map_or(placeholders.server, |a| a.sam_account_name.as_str());
    let client = filled
        .client
        .map_or(placeholders.client, |a| a.sam_account_name.as_str());
    // Every SPN a fix may name: the hop targets and the server's current targets.
    let spns: Vec<&str> = request
        .hops
        .iter()
        .map(|h| h.target.as_str())
        .chain(
            request
                .delegation
                .allowed_targets
                .iter()
                .map(String::as_str),
        )
        .collect();
    let targets: Vec<(&str, &str)> = spns
        .iter()
        .filter_map(|spn| {
            directory
                .spn_account(spn)
                .ok()
                .map(|a| (*spn, a.sam_account_name.as_str()))
        })
        .collect();
    let accounts = Accounts {
        server,
        client,
        targets: &targets,
    };
    let all = match fixes_with(request, &accounts) {
        Ok(f) => f,
        Err(e) => return error_to_value(&e),
    };
    // A fix that adds a target no account registers cannot work: Kerberos gets no ticket.
    let (kept, refused): (Vec<_>, Vec<_>) = all.into_iter().partition(|f| {
        f.added_targets
            .iter()
            .all(|t| directory.spn_account(t).is_ok())
    });
    let refused = refused.iter().map(|f| {
        let why: Vec<String> = f
            .added_targets
            .iter()
            .filter_map(|t| directory.spn_account(t).err())
            .map(|e| e.message)
            .collect();
        Value::Object(vec![
            ("summary".into(), Value::String(f.summary())),
            ("reason".into(), Value::String(why.join("; "))),
        ])
    });
    let Value::Object(mut out) = fix_answer(request, &kept) else {
        return fix_answer(request, &kept);
    };
    out.push((REFUSED_KEY.into(), Value::Array(refused.collect())));
    out.extend(filled.request_and_facts());
    Value::Object(out)
}
