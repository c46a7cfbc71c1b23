//! The trend history directory: where it is, and whether we can write there
//! (without it, trends start over whenever the editor restarts).

use std::path::{Path, PathBuf};

use super::report::{CheckLine, Report};
use crate::stats::store::HistoryStore;

const CHECK: &str = "history";

pub fn check(configured: Option<&Path>, report: &mut Report<'_>) {
    let Some(dir) = configured
        .map(Path::to_path_buf)
        .or_else(HistoryStore::default_dir)
    else {
        report.push(CheckLine::warn(
            CHECK,
            "no cache directory is known for this user, so trends are kept in memory only",
            "set stats.historyDir in optischema.toml to a writable directory",
        ));
        return;
    };
    report.push(match writable(&dir) {
        Ok(Existing::Directory) => CheckLine::pass(CHECK, format!("{} (writable)", dir.display())),
        Ok(Existing::Ancestor(ancestor)) => CheckLine::pass(
            CHECK,
            format!(
                "{} (created on first use; {} is writable)",
                dir.display(),
                ancestor.display()
            ),
        ),
        Err(reason) => CheckLine::warn(
            CHECK,
            format!(
                "{} is not writable ({reason}): trends are kept in memory only",
                dir.display()
            ),
            "fix the directory's permissions, or set stats.historyDir in optischema.toml to a \
             writable directory",
        ),
    });
}

enum Existing {
    Directory,
    /// The directory does not exist yet; its nearest existing ancestor is writable.
    Ancestor(PathBuf),
}

/// Tries a probe file in `dir`, or in its nearest existing ancestor when
/// `dir` does not exist yet (the store creates it on first use). Permission
/// bits alone would mislead (root, ACLs, read-only mounts).
fn writable(dir: &Path) -> Result<Existing, String> {
    let mut candidate = dir;
    loop {
        if candidate.is_dir() {
            probe(candidate)?;
            return Ok(if candidate == dir {
                Existing::Directory
            } else {
                Existing::Ancestor(candidate.to_path_buf())
            });
        }
        if candidate.exists() {
            return Err(format!("{} is not a directory", candidate.display()));
        }
        candidate = candidate
            .parent()
            .ok_or_else(|| "no part of the path exists".to_owned())?;
    }
}

fn probe(dir: &Path) -> Result<(), String> {
    let path = dir.join(format!(".optischema-doctor-{}", std::process::id()));
    std::fs::write(&path, b"probe").map_err(|error| error.to_string())?;
    let _ = std::fs::remove_file(&path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Status;

    #[test]
    fn a_missing_directory_under_a_writable_parent_is_fine() {
        let base = std::env::temp_dir().join(format!("optischema-history-{}", std::process::id()));
        std::fs::create_dir_all(&base).expect("temp dir");
        let mut report = Report::new(None);
        check(Some(&base.join("not/yet")), &mut report);
        assert_eq!(report.lines()[0].status, Status::Pass);
        assert!(report.lines()[0].message.contains("created on first use"));
        let mut report = Report::new(None);
        check(Some(&base), &mut report);
        assert!(report.lines()[0].message.ends_with("(writable)"));
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_file_in_the_way_is_reported() {
        let file =
            std::env::temp_dir().join(format!("optischema-history-file-{}", std::process::id()));
        std::fs::write(&file, b"x").expect("file");
        let mut report = Report::new(None);
        check(Some(&file.join("history")), &mut report);
        assert_eq!(report.lines()[0].status, Status::Warn);
        let _ = std::fs::remove_file(&file);
    }
}
