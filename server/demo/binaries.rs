//! Finding the PostgreSQL server programs: `OPTISCHEMA_PG_BIN`, then
//! `pg_config --bindir`, then the highest `/usr/lib/postgresql/<major>/bin`
//! (Debian and Ubuntu install several majors side by side), then `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::DemoError;

/// Environment variable naming the directory with initdb and pg_ctl.
pub const PG_BIN_ENV: &str = "OPTISCHEMA_PG_BIN";

/// Where Debian and Ubuntu put each major version's server programs.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub bindir: PathBuf,
}

impl PgBinaries {
    pub fn find() -> Result<PgBinaries, DemoError> {
        let mut searched = Vec::new();
        let candidates = std::env::var_os(PG_BIN_ENV)
            .map(PathBuf::from)
            .into_iter()
            .chain(pg_config_bindir())
            .chain(highest_debian_bindir(Path::new(DEBIAN_ROOT)))
            .chain(path_dirs());
        for dir in candidates {
            if has_server_programs(&dir) {
                return Ok(PgBinaries { bindir: dir });
            }
            searched.push(dir.display().to_string());
        }
        searched.dedup();
        let searched = if searched.is_empty() {
            String::new()
        } else {
            format!(" (looked in {})", searched.join(", "))
        };
        Err(DemoError::BinariesMissing { searched })
    }

    pub fn program(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }

    /// Checks that pg_stat_statements is installed next to the server, where
    /// the layout tells (Debian: `<bindir>/../lib`); a server told to preload
    /// a missing library would not start, with a less helpful message.
    pub fn check_contrib(&self) -> Result<(), DemoError> {
        let Some(lib) = self.bindir.parent().map(|parent| parent.join("lib")) else {
            return Ok(());
        };
        let has_lib_dir = lib.join("plpgsql.so").exists();
        if has_lib_dir && !lib.join("pg_stat_statements.so").exists() {
            return Err(DemoError::ContribMissing {
                bindir: self.bindir.clone(),
            });
        }
        Ok(())
    }

    /// `15` from `/usr/lib/postgresql/15/bin`, else from `postgres --version`.
    pub fn major_version(&self) -> Option<String> {
        let from_path = self
            .bindir
            .parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .filter(|name| name.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .map(str::to_owned);
        from_path.or_else(|| {
            let output = Command::new(self.program("postgres"))
                .arg("--version")
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&output.stdout);
            let version = text.split_whitespace().last()?;
            version.split('.').next().map(str::to_owned)
        })
    }
}

fn has_server_programs(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|name| dir.join(name).is_file())
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (!text.is_empty()).then(|| PathBuf::from(text))
}

/// `<root>/<highest major>/bin`, comparing majors numerically (10 > 9.6).
fn highest_debian_bindir(root: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    let mut majors: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            let key: Option<Vec<u32>> = name.split('.').map(|part| part.parse().ok()).collect();
            Some((key?, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_server_programs(bin))
        .collect();
    majors.sort();
    majors.pop().map(|(_, bin)| bin)
}

fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_major_numerically() {
        let root = std::env::temp_dir().join(format!("optischema-pgbin-{}", std::process::id()));
        for major in ["9.6", "10", "15", "notaversion"] {
            let bin = root.join(major).join("bin");
            std::fs::create_dir_all(&bin).expect("mkdir");
            for program in ["initdb", "pg_ctl", "postgres"] {
                std::fs::write(bin.join(program), b"").expect("touch");
            }
        }
        std::fs::create_dir_all(root.join("16").join("bin")).expect("mkdir");
        assert_eq!(
            highest_debian_bindir(&root),
            Some(root.join("15").join("bin"))
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
