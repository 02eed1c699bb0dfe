//! `herald speechd install` and `uninstall`: Herald as a module of the
//! user's Speech Dispatcher.
//!
//! Install writes, under the config directory DIR (by default
//! `~/.config/speech-dispatcher`, made from the system's `speechd.conf`
//! when the user has none):
//!
//! - `modules/sd_herald`, a link to the Herald program (which runs as the
//!   module when started by that name);
//! - `modules/herald.conf`, the module's Herald settings (TOML, as
//!   `herald.toml`), with the paths of this checkout made absolute so the
//!   module finds its voices and cache from wherever the server starts it;
//! - a block in `speechd.conf` with `AddModule "herald" …`. A file with no
//!   `AddModule` line of its own lets Speech Dispatcher find its modules by
//!   itself, which one `AddModule` line would turn off; so the block then
//!   also names the modules it would have found, and they keep working.
//!
//! Every other line is kept, and installing twice changes nothing.
//! Uninstall removes the block and the two files.

use crate::settings::{Settings, SpeechdSettings};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where Debian installs Speech Dispatcher's modules and configuration.
const SYSTEM_MODULES: &str = "/usr/lib/speech-dispatcher-modules";
const SYSTEM_CONFIG: &str = "/etc/speech-dispatcher/speechd.conf";

const BLOCK_START: &str = "# >>> herald: written by `herald speechd install`; `herald speechd uninstall` removes it";
const BLOCK_END: &str = "# <<< herald";

#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error("no config directory: set HOME or XDG_CONFIG_HOME, or pass --config-dir")]
    NoHome,
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("the path {} cannot be written in speechd.conf (it holds a double quote)", .0.display())]
    Unquotable(PathBuf),
}

/// Whether the command changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Changed,
    Unchanged,
}

/// The user's Speech Dispatcher config directory.
pub(crate) fn default_dir() -> Result<PathBuf, InstallError> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|home| PathBuf::from(home).join(".config")))
        .ok_or(InstallError::NoHome)?;
    Ok(config.join("speech-dispatcher"))
}

/// The module's files under `dir`.
struct Files {
    conf: PathBuf,
    program: PathBuf,
    settings: PathBuf,
}

impl Files {
    fn in_dir(dir: &Path) -> Self {
        let modules = dir.join("modules");
        Self {
            conf: dir.join("speechd.conf"),
            program: modules.join(super::MODULE_PROGRAM),
            settings: modules.join("herald.conf"),
        }
    }
}

/// Installs the module that runs `program` (Herald) with `settings`.
pub(crate) fn install(dir: &Path, program: &Path, settings: &Settings) -> Result<Outcome, InstallError> {
    let dir = absolute(dir);
    let files = Files::in_dir(&dir);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| InstallError::Io { path, error }
    };
    std::fs::create_dir_all(files.settings.parent().expect("inside modules/")).map_err(io(&dir))?;
    let mut changed = write_if_changed(&files.settings, &module_settings(settings))?;
    if std::fs::read_link(&files.program).ok().as_deref() != Some(program) {
        let _ = std::fs::remove_file(&files.program);
        std::os::unix::fs::symlink(program, &files.program).map_err(io(&files.program))?;
        changed = true;
    }
    let current = match std::fs::read_to_string(&files.conf) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::read_to_string(SYSTEM_CONFIG).unwrap_or_default()
        }
        Err(error) => return Err(InstallError::Io { path: files.conf, error }),
    };
    let kept = without_block(&current);
    let block = block(&files, &kept, &system_modules())?;
    let mut updated = kept.trim_end_matches('\n').to_string();
    if !updated.is_empty() {
        updated.push_str("\n\n");
    }
    updated.push_str(&block);
    changed |= write_if_changed(&files.conf, &updated)?;
    Ok(if changed { Outcome::Changed } else { Outcome::Unchanged })
}

/// Removes what [`install`] wrote under `dir`.
pub(crate) fn uninstall(dir: &Path) -> Result<Outcome, InstallError> {
    let files = Files::in_dir(dir);
    let mut changed = false;
    for path in [&files.program, &files.settings] {
        match std::fs::remove_file(path) {
            Ok(()) => changed = true,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(InstallError::Io { path: path.clone(), error }),
        }
    }
    if let Ok(current) = std::fs::read_to_string(&files.conf) {
        let kept = without_block(&current);
        if kept != current {
            write_if_changed(&files.conf, &kept)?;
            changed = true;
        }
    }
    Ok(if changed { Outcome::Changed } else { Outcome::Unchanged })
}

/// `text` without Herald's block (and the blank line before it).
fn without_block(text: &str) -> String {
    let (Some(start), Some(end)) = (text.find(BLOCK_START), text.find(BLOCK_END)) else { return text.to_string() };
    if end < start {
        return text.to_string();
    }
    let after = text[end + BLOCK_END.len()..].strip_prefix('\n').unwrap_or(&text[end + BLOCK_END.len()..]);
    let before = text[..start].trim_end_matches('\n');
    let before = if before.is_empty() { String::new() } else { format!("{before}\n") };
    if after.is_empty() {
        before
    } else {
        format!("{before}{after}")
    }
}

/// Herald's block: its `AddModule` line, and the modules Speech Dispatcher
/// would have found by itself when `kept` names none.
fn block(files: &Files, kept: &str, found: &[String]) -> Result<String, InstallError> {
    let quoted = |path: &Path| {
        let text = path.to_string_lossy();
        if text.contains('"') {
            Err(InstallError::Unquotable(path.to_path_buf()))
        } else {
            Ok(text.into_owned())
        }
    };
    let mut lines = vec![
        BLOCK_START.to_string(),
        format!("AddModule \"herald\" \"{}\" \"{}\"", quoted(&files.program)?, quoted(&files.settings)?),
    ];
    let names_modules = kept.lines().any(|l| l.trim_start().starts_with("AddModule"));
    if !names_modules && !found.is_empty() {
        lines.push("# The modules Speech Dispatcher finds by itself when no AddModule line is given:".into());
        lines.extend(found.iter().map(|name| format!("AddModule \"{name}\" \"sd_{name}\" \"{name}.conf\"")));
    }
    lines.push(BLOCK_END.to_string());
    Ok(lines.join("\n") + "\n")
}

/// The modules Speech Dispatcher finds in its module directory (as its
/// `detect_output_modules` does; generic ones need their own lines).
fn system_modules() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(SYSTEM_MODULES) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_prefix("sd_").map(str::to_string))
        .filter(|name| !name.is_empty() && name != "generic" && name != "herald")
        .collect();
    names.sort();
    names
}

/// The module's settings file: where this checkout keeps its voices and
/// cache, as absolute paths, and how the module speaks.
#[derive(Serialize)]
struct ModuleSettings {
    cache: ModuleCache,
    neural: ModuleNeural,
    #[serde(skip_serializing_if = "Option::is_none")]
    synthesis: Option<ModuleSynthesis>,
    speechd: SpeechdSettings,
}

#[derive(Serialize)]
struct ModuleCache {
    dir: PathBuf,
}

#[derive(Serialize)]
struct ModuleNeural {
    dirs: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    onnxruntime: Option<PathBuf>,
}

#[derive(Serialize)]
struct ModuleSynthesis {
    voice_catalog: PathBuf,
}

fn module_settings(settings: &Settings) -> String {
    let file = ModuleSettings {
        cache: ModuleCache { dir: absolute(&settings.cache.dir) },
        neural: ModuleNeural {
            dirs: settings.neural.dirs.iter().map(|d| absolute(d)).collect(),
            onnxruntime: settings.neural.onnxruntime.as_deref().map(absolute),
        },
        synthesis: settings.synthesis.voice_catalog.as_deref().map(|c| ModuleSynthesis { voice_catalog: absolute(c) }),
        speechd: settings.speechd.clone(),
    };
    let body = toml::to_string(&file).expect("module settings serialize");
    format!(
        "# Herald's Speech Dispatcher module: Herald settings, as in herald.toml.\n\
         # [speechd] quality: \"natural\" or \"fast\", the voices used where none is chosen;\n\
         # language_switching: speak a sentence in another language with that language's voice.\n\n{body}"
    )
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn write_if_changed(path: &Path, text: &str) -> Result<bool, InstallError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    std::fs::write(path, text).map_err(|error| InstallError::Io { path: path.to_path_buf(), error })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_keeps_other_lines_and_uninstalls_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("speechd.conf");
        let original =
            "# mine\nAudioOutputMethod \"alsa\"\nAddModule \"espeak-ng\" \"sd_espeak-ng\" \"espeak-ng.conf\"\n";
        std::fs::write(&conf, original).unwrap();
        let program = Path::new("/usr/bin/true");
        let settings = Settings::default();
        assert_eq!(install(dir.path(), program, &settings).unwrap(), Outcome::Changed);
        let installed = std::fs::read_to_string(&conf).unwrap();
        assert!(installed.starts_with(original), "{installed}");
        assert_eq!(installed.matches("AddModule \"herald\"").count(), 1);
        assert_eq!(installed.matches("AddModule").count(), 2, "no module added beside the user's own: {installed}");
        assert_eq!(std::fs::read_link(dir.path().join("modules/sd_herald")).unwrap(), program);
        let module: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.path().join("modules/herald.conf")).unwrap()).unwrap();
        assert!(Path::new(module["cache"]["dir"].as_str().unwrap()).is_absolute());
        assert_eq!(module["speechd"]["quality"].as_str(), Some("natural"));
        assert_eq!(install(dir.path(), program, &settings).unwrap(), Outcome::Unchanged);
        assert_eq!(std::fs::read_to_string(&conf).unwrap(), installed);
        assert_eq!(uninstall(dir.path()).unwrap(), Outcome::Changed);
        assert_eq!(std::fs::read_to_string(&conf).unwrap(), original);
        assert!(!dir.path().join("modules/herald.conf").exists() && !dir.path().join("modules/sd_herald").exists());
        assert_eq!(uninstall(dir.path()).unwrap(), Outcome::Unchanged);
    }

    #[test]
    fn without_addmodule_lines_the_found_modules_stay() {
        let files = Files::in_dir(Path::new("/home/u/.config/speech-dispatcher"));
        let found = ["dummy".to_string(), "espeak-ng".to_string()];
        let block = block(&files, "#AddModule \"espeak-ng\" \"sd_espeak-ng\" \"espeak-ng.conf\"\n", &found).unwrap();
        assert!(block.contains("AddModule \"espeak-ng\" \"sd_espeak-ng\" \"espeak-ng.conf\"\n"), "{block}");
        assert!(block.contains(
            "AddModule \"herald\" \"/home/u/.config/speech-dispatcher/modules/sd_herald\" \"/home/u/.config/speech-dispatcher/modules/herald.conf\""
        ));
        let own = block_without(&files, &found);
        assert_eq!(own.matches("AddModule").count(), 1);
    }

    fn block_without(files: &Files, found: &[String]) -> String {
        block(files, "AddModule \"x\" \"sd_x\" \"x.conf\"\n", found).unwrap()
    }
}
