//! Names that become file or folder names (scenario names, strategy labels, run folders,
//! chart files): the one check every such name passes before it touches the file system.
//!
//! A name is refused when it could leave its folder or confuse a reader: empty, `.` or
//! `..`, a path separator (`/`, `\`), a control character, a `:` (a drive or stream on
//! Windows), a leading `.` (hidden; pcnsim's own temporary names start with `.`) or more
//! than [`MAX_NAME_BYTES`] bytes (a run folder adds a prefix, a suffix and a temporary tag,
//! and file systems stop at 255).
//!
//! **What it must not do:** touch the file system (see `output::child` for the path).

/// The longest name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 100;

/// Checks that `name` can be used as one file or folder name inside a results folder.
///
/// Returns why not, as a sentence fragment ("contains a path separator `/`").
///
/// # Example
/// ```
/// use pcnsim::names::check;
/// assert!(check("jit-1.5").is_ok());
/// assert!(check("x/../../ESCAPED").is_err());
/// ```
pub fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` names a folder, not a file"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(format!("contains a path separator `{c}`"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character {c:?}"));
    }
    if name.contains(':') {
        return Err("contains `:`".into());
    }
    if name.starts_with('.') {
        return Err("starts with `.` (hidden; reserved for temporary files)".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_NAME_BYTES} are allowed",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in [
            "default",
            "jit-1.5",
            "topup (splice)",
            "p000-none-r000",
            "é_ü",
        ] {
            assert_eq!(check(n), Ok(()), "{n}");
        }
    }

    #[test]
    fn refuses_names_that_leave_the_folder_or_hide() {
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        for (n, why) in [
            ("", "empty"),
            (".", "folder"),
            ("..", "folder"),
            ("x/../../../../ESCAPED", "separator `/`"),
            ("a\\b", "separator `\\`"),
            ("a\nb", "control"),
            ("a\0b", "control"),
            ("c:x", "`:`"),
            (".hidden", "starts with `.`"),
            (long.as_str(), "bytes long"),
        ] {
            let e = check(n).expect_err(n);
            assert!(e.contains(why), "{n:?}: {e}");
        }
        assert!(check(&"a".repeat(MAX_NAME_BYTES)).is_ok());
    }
}
