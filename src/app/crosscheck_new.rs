//! The Cross-check panel's new session: its name and its files — dropped on the window, typed
//! as a path (a file, or a folder for all its accepted files), or, in the demo, a generated
//! pack from `<data dir>/demo-packs/pack-*` — then Start sends `Create`. The form is emptied
//! once the session is seen started, and kept when the worker refuses it. Reads no file or
//! folder and generates nothing: the worker takes a folder's files and lists the demo packs.

use std::path::{Path, PathBuf};

use egui::{RichText, vec2};

use super::crosscheck::CrosscheckDesk;
use super::fields::labelled_edit_ui;
use super::state::AppState;
use super::theme;
use crate::domain::Permission;
use crate::runtime::{CrosscheckCommand, CrosscheckView, DEMO_PACKS};

/// A new session as it is being put together.
#[derive(Debug, Default)]
pub struct NewSession {
    name: String,
    files: Vec<PathBuf>,
    /// The path field of "Pick files".
    path: String,
    error: Option<String>,
    /// The pack the demo button opens next (they are taken in turn).
    next_pack: usize,
}

impl NewSession {
    /// Empties the form (its session was made).
    pub(super) fn clear(&mut self) {
        self.name.clear();
        self.files.clear();
        self.path.clear();
        self.error = None;
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.name.is_empty() && self.files.is_empty()
    }

    #[cfg(test)]
    pub(super) fn fill_for_test(&mut self, name: &str, file: &str) {
        self.name = name.to_owned();
        self.files.push(PathBuf::from(file));
    }

    /// Adds a file or a folder (the worker takes a folder's accepted files, not its
    /// subfolders, and names a path it cannot read); false, with what is wrong shown under the
    /// list, when there is no path.
    pub(super) fn add_or_say_why(&mut self, path: &Path) -> bool {
        if path.as_os_str().is_empty() {
            self.error = Some("Type the path of a file or a folder, then Add.".into());
            return false;
        }
        if !self.files.iter().any(|file| file == path) {
            self.files.push(path.to_path_buf());
        }
        self.error = None;
        true
    }
}

/// A new session: its name and files, then Start.
pub(super) fn new_session_ui(
    ui: &mut egui::Ui,
    desk: &mut CrosscheckDesk,
    state: &mut AppState,
    view: &CrosscheckView,
) {
    ui.label(RichText::new("New cross-check session").font(theme::heading()));
    ui.label(
        RichText::new(
            "The traveler (PDF), the as-built BOM (Excel or CSV) and the product photos of one \
             build. Drop them anywhere on this window, or type where they are.",
        )
        .color(theme::TEXT_DIM),
    );
    ui.add_space(theme::GAP / 2.0);
    labelled_edit_ui(
        ui,
        "Session name",
        egui::TextEdit::singleline(&mut desk.new.name)
            .hint_text("job, build or work order")
            .desired_width(360.0),
    );
    ui.add_space(theme::GAP / 2.0);
    ui.label(RichText::new("Pick files").strong());
    let mut add = false;
    ui.horizontal(|ui| {
        let field = labelled_edit_ui(
            ui,
            "File or folder",
            egui::TextEdit::singleline(&mut desk.new.path)
                .hint_text("/media/usb/build-12345/traveler.pdf")
                .desired_width(420.0),
        );
        add |= field.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        add |= ui
            .add(egui::Button::new("Add").min_size(vec2(96.0, theme::TOUCH_PX * 0.8)))
            .clicked();
    });
    if add {
        let typed = desk
            .new
            .path
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_owned();
        if desk.new.add_or_say_why(Path::new(&typed)) {
            desk.new.path.clear();
        }
    }
    files_to_send_ui(ui, &mut desk.new);
    if let Some(error) = &desk.new.error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    ui.add_space(theme::GAP / 2.0);
    let may = state.may(Permission::Operate);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                may,
                egui::Button::new(RichText::new("Start cross-check").font(theme::big()))
                    .min_size(vec2(240.0, theme::TOUCH_PX)),
            )
            .clicked()
        {
            start(desk, state);
        }
        if ui
            .add_enabled(
                !desk.new.files.is_empty(),
                egui::Button::new("Clear files").min_size(vec2(140.0, theme::TOUCH_PX)),
            )
            .clicked()
        {
            desk.new.files.clear();
        }
    });
    if !may {
        ui.label(
            RichText::new("Starting a cross-check needs an operator, engineer or admin.")
                .color(theme::TEXT_DIM),
        );
    }
    if state.demo {
        ui.add_space(theme::GAP);
        ui.separator();
        demo_packs_ui(ui, desk, state, view, may);
    }
}

/// The files the session will be made of, each removable.
fn files_to_send_ui(ui: &mut egui::Ui, new: &mut NewSession) {
    if new.files.is_empty() {
        ui.label(RichText::new("No files yet.").color(theme::TEXT_DIM));
        return;
    }
    ui.label(format!(
        "{} file{}:",
        new.files.len(),
        if new.files.len() == 1 { "" } else { "s" }
    ));
    let mut remove = None;
    egui::ScrollArea::vertical()
        .id_salt("crosscheck_new_files")
        .max_height(220.0)
        .show(ui, |ui| {
            for (index, path) in new.files.iter().enumerate() {
                ui.horizontal(|ui| {
                    if ui
                        .add(egui::Button::new("Remove").min_size(vec2(88.0, 40.0)))
                        .clicked()
                    {
                        remove = Some(index);
                    }
                    let name = path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    ui.label(RichText::new(name).strong());
                    if let Some(folder) = path.parent() {
                        ui.label(
                            RichText::new(folder.display().to_string())
                                .font(theme::small())
                                .color(theme::TEXT_DIM),
                        );
                    }
                });
            }
        });
    if let Some(index) = remove {
        new.files.remove(index);
    }
}

/// Sends Create with the form, or says what is missing.
fn start(desk: &mut CrosscheckDesk, state: &AppState) {
    let name = desk.new.name.trim().to_owned();
    if name.is_empty() {
        desk.new.error = Some("Give the session a name (the job, build or work order).".into());
        return;
    }
    if desk.new.files.is_empty() {
        desk.new.error =
            Some("Add the build's files: drop them on the window or type their path.".into());
        return;
    }
    let Some(actor) = state.actor.clone() else {
        return;
    };
    // The form stays until the session is seen started: a refused one can be put right.
    let files = desk.new.files.clone();
    desk.new.error = None;
    desk.starting = Some(name.clone());
    desk.wanted = None;
    desk.selection = None;
    desk.exported = None;
    desk.send(CrosscheckCommand::Create { actor, name, files });
}

/// The demo: a session from a generated pack, or how to generate packs.
fn demo_packs_ui(
    ui: &mut egui::Ui,
    desk: &mut CrosscheckDesk,
    state: &AppState,
    view: &CrosscheckView,
    may: bool,
) {
    let packs = &view.demo_packs;
    let folder = view.data_dir.join(DEMO_PACKS);
    if packs.is_empty() {
        ui.label(
            RichText::new(format!(
                "No demo packs in {} yet. The demo writes five when it starts (a few \
                 seconds): press Look again. To make them yourself:\n  qcstation synth \
                 crosscheck --out {} --count 5 --seed 1",
                folder.display(),
                folder.display()
            ))
            .color(theme::TEXT_DIM),
        );
        if ui
            .add(egui::Button::new("Look again").min_size(vec2(160.0, theme::TOUCH_PX * 0.8)))
            .clicked()
        {
            // The worker lists the packs again with the sessions.
            desk.relist();
        }
        return;
    }
    let opened: Vec<&str> = view.sessions.iter().map(|s| s.name.as_str()).collect();
    let index = next_pack(packs, desk.new.next_pack, &opened);
    let pack = &packs[index];
    let pack_name = folder_name(pack);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                may,
                egui::Button::new(RichText::new("Open a demo pack").font(theme::big()))
                    .min_size(vec2(240.0, theme::TOUCH_PX)),
            )
            .on_hover_text(pack.display().to_string())
            .clicked()
        {
            // The worker takes the folder's files.
            desk.new.next_pack = index + 1;
            desk.new.name = demo_session_name(pack);
            desk.new.files = vec![pack.clone()];
            start(desk, state);
        }
        ui.label(
            RichText::new(format!(
                "next: {pack_name} ({} of {} in {})",
                index + 1,
                packs.len(),
                folder.display()
            ))
            .color(theme::TEXT_DIM),
        );
    });
}

fn folder_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The session a demo pack is opened as.
fn demo_session_name(pack: &Path) -> String {
    format!("Demo {}", folder_name(pack))
}

/// The pack the demo button opens: from `from` on, the first not yet opened as a session
/// (`opened` are the sessions' names), so each pack is shown once before any comes again.
fn next_pack(packs: &[PathBuf], from: usize, opened: &[&str]) -> usize {
    let count = packs.len().max(1);
    (0..count)
        .map(|step| (from + step) % count)
        .find(|&index| {
            packs
                .get(index)
                .is_some_and(|pack| !opened.contains(&demo_session_name(pack).as_str()))
        })
        .unwrap_or(from % count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_button_takes_packs_not_yet_opened_then_goes_round() {
        let packs: Vec<PathBuf> = ["pack-00001", "pack-00002", "pack-00003"]
            .iter()
            .map(|name| Path::new("/data/demo-packs").join(name))
            .collect();
        assert_eq!(demo_session_name(&packs[1]), "Demo pack-00002");
        assert_eq!(next_pack(&packs, 0, &[]), 0);
        assert_eq!(next_pack(&packs, 0, &["Demo pack-00001", "Other"]), 1);
        assert_eq!(next_pack(&packs, 2, &["Demo pack-00003"]), 0);
        let all = ["Demo pack-00001", "Demo pack-00002", "Demo pack-00003"];
        assert_eq!(next_pack(&packs, 4, &all), 1);
    }
}
