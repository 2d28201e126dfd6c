//! README.md's examples, run by the test command: a section's first fenced block of a
//! language (the example) and the `text` block after it (what it must print).

use std::process::Output;

use crate::process::{root, Result};

/// One example of README.md.
pub struct Example {
    /// The whole section (the npm package's README is made of it).
    pub section: String,
    /// The example's code.
    pub code: String,
    /// What it prints.
    pub output: String,
}

fn fenced_block(text: &str, lang: &str) -> Option<(String, usize)> {
    let open = format!("```{lang}\n");
    let start = text.find(&open)? + open.len();
    let len = text.get(start..)?.find("```")?;
    Some((text.get(start..start + len)?.to_owned(), start + len + 3))
}

/// The example of the section starting with `heading`, in `lang`.
pub fn example(heading: &str, lang: &str) -> Result<Example> {
    let path = root().join("README.md");
    let readme =
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let start = readme
        .find(heading)
        .ok_or_else(|| format!("README.md has no `{heading}` section"))?;
    let rest = readme.get(start..).unwrap_or_default();
    let end = rest
        .get(1..)
        .and_then(|r| r.find("\n## "))
        .map_or(rest.len(), |e| e + 1);
    let section = rest.get(..end).unwrap_or_default().to_owned();
    let missing = || format!("`{heading}` needs a ```{lang} block followed by a ```text block");
    let (code, after) = fenced_block(&section, lang).ok_or_else(missing)?;
    let (output, _) =
        fenced_block(section.get(after..).unwrap_or_default(), "text").ok_or_else(missing)?;
    Ok(Example {
        section,
        code,
        output,
    })
}

impl Example {
    /// Whether a run of the example succeeded and printed exactly the README's output.
    pub fn check_output(&self, run: &Output) -> Result {
        let printed = String::from_utf8_lossy(&run.stdout);
        if run.status.success() && printed == self.output {
            return Ok(());
        }
        Err(format!(
            "README.md's example printed\n{printed}{}\ninstead of\n{}",
            String::from_utf8_lossy(&run.stderr),
            self.output
        ))
    }
}
