//! Your domain in the page: a facts file or a BloodHound collection's zip, read in the browser
//! (it never leaves it), then the form's request filled from named accounts — the directory
//! crate's `fill_over`, the same facts → request rules as `onbehalf check`.

use std::cell::RefCell;

use js_sys::{Error as JsError, Reflect};
use onbehalf_directory::check::{fill_over, CheckError};
use onbehalf_directory::{report, Directory};
use wasm_bindgen::prelude::*;

thread_local! {
    /// The directory loaded last (the page holds one at a time).
    static LOADED: RefCell<Option<Directory>> = const { RefCell::new(None) };
}

/// A JS `Error` whose `code` is the directory's (or the spec's) error code.
fn throw(code: &str, message: &str) -> JsValue {
    let js = JsError::new(message);
    // Setting a property on a fresh Error object cannot fail; if it did, the message stays.
    let _ = Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(code));
    js.into()
}

fn throw_check(e: &CheckError) -> JsValue {
    match e {
        CheckError::Request(e) => throw(e.code.name(), &e.to_string()),
        CheckError::Directory(e) => throw(e.code.name(), &e.to_string()),
    }
}

/// Reads a facts file or a BloodHound `.zip` (`bytes`, named `name`) and keeps it for
/// [`fill_from_directory`]; returns `{"source", "accounts": [{"name", "domain", "kind", "sid",
/// "spns"}]}`, or throws `directory-invalid` naming the file and JSON path.
#[wasm_bindgen(js_name = loadDirectory)]
pub fn load_directory(bytes: &[u8], name: &str) -> Result<JsValue, JsValue> {
    let directory =
        Directory::from_bytes(bytes, name).map_err(|e| throw(e.code.name(), &e.to_string()))?;
    let summary = crate::to_js(&report::accounts_value(&directory))?;
    LOADED.with(|l| *l.borrow_mut() = Some(directory));
    Ok(summary)
}

/// The request object with the named accounts' facts laid over it: the answer of
/// `onbehalf check` as JSON text (`{…decision, "request", "facts"}`), or throws
/// (`account-not-found`, `account-ambiguous`, `directory-invalid`, a spec code; `not-found`
/// when no directory is loaded).
#[wasm_bindgen(js_name = fillFromDirectory)]
pub fn fill_from_directory(
    #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
    client: Option<String>,
    server: Option<String>,
) -> Result<String, JsValue> {
    let request = crate::from_js(request)?;
    LOADED.with(|l| {
        let loaded = l.borrow();
        let directory = loaded.as_ref().ok_or_else(|| {
            throw(
                "not-found",
                "no directory is loaded: load a facts file or a BloodHound zip first",
            )
        })?;
        let named = |n: &Option<String>| {
            n.as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        };
        let filled = fill_over(
            directory,
            request,
            named(&client).as_deref(),
            named(&server).as_deref(),
        )
        .map_err(|e| throw_check(&e))?;
        Ok(filled.answer().to_json())
    })
}
