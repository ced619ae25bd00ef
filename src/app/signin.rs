//! The sign-in screen: choose your name from big tiles (or type it), then a PIN on a keypad
//! sized for gloves, or a password. A station with no users asks for its first admin instead.
//! The live camera grid keeps running beside it.

use egui::{RichText, vec2};
use egui_extras::{Size, StripBuilder};

use super::fields::{NewUserFields, RoleField, labelled_edit_ui};
use super::state::AppState;
use super::theme;
use crate::domain::Role;
use crate::runtime::Command;
use crate::runtime::UsersCommand;

#[derive(Default)]
pub struct SignInForm {
    selected: Option<String>,
    /// Who the last attempt was for: the runtime's refusal is shown only under that user.
    attempted: Option<String>,
    uses_pin: bool,
    secret: String,
    typed_name: String,
    first_admin: NewUserFields,
    local_error: Option<String>,
}

impl SignInForm {
    fn choose(&mut self, name: &str, uses_pin: bool) {
        self.selected = Some(name.to_owned());
        self.uses_pin = uses_pin;
        self.secret.clear();
        self.local_error = None;
    }

    fn submit(&mut self, outbox: &mut Vec<Command>) {
        if let Some(name) = &self.selected {
            if self.secret.is_empty() {
                self.local_error = Some("Enter your PIN or password first.".to_owned());
                return;
            }
            outbox.push(Command::Users(UsersCommand::SignIn {
                name: name.clone(),
                secret: std::mem::take(&mut self.secret),
            }));
            self.attempted = Some(name.clone());
            self.local_error = None;
        }
    }
}

pub fn sign_in_screen_ui(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    state: &AppState,
    outbox: &mut Vec<Command>,
    live_grid: impl FnOnce(&mut egui::Ui),
) {
    // Three columns, so that the keypad is never scrolled out of reach: who, the secret, and
    // the live cameras.
    StripBuilder::new(ui)
        .size(Size::exact(430.0))
        .size(Size::exact(360.0))
        .size(Size::remainder())
        .horizontal(|mut strip| {
            if state.needs_first_admin {
                strip.cell(|ui| first_admin_ui(ui, form, outbox));
                strip.empty();
            } else {
                strip.cell(|ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| choose_user_ui(ui, form, state));
                });
                strip.cell(|ui| secret_ui(ui, form, state, outbox));
            }
            strip.cell(|ui| {
                ui.label(RichText::new("Live cameras").color(theme::TEXT_DIM));
                live_grid(ui);
            });
        });
}

fn choose_user_ui(ui: &mut egui::Ui, form: &mut SignInForm, state: &AppState) {
    ui.heading(format!("Sign in to {}", state.station_name));
    if let Some(message) = &state.signed_out_idle {
        ui.label(RichText::new(message).color(theme::WARN));
    }
    ui.label("Choose your name:");
    ui.horizontal_wrapped(|ui| {
        for entry in &state.sign_in_list {
            let selected = form.selected.as_deref() == Some(entry.name.as_str());
            let mut text = format!("{}\n{}", entry.name, entry.role);
            if entry.locked {
                text.push_str(" · locked");
            }
            let button = theme::choice_button(
                selected,
                RichText::new(text).font(theme::big()),
                vec2(196.0, 76.0),
            );
            if ui.add(button).clicked() {
                form.choose(&entry.name, entry.uses_pin);
            }
        }
    });
    let edit = labelled_edit_ui(
        ui,
        "or type it:",
        egui::TextEdit::singleline(&mut form.typed_name)
            .hint_text("user name")
            .desired_width(300.0),
    );
    if edit.changed() {
        let typed = form.typed_name.trim().to_lowercase();
        match state.sign_in_list.iter().find(|entry| entry.name == typed) {
            Some(entry) => {
                let (name, uses_pin) = (entry.name.clone(), entry.uses_pin);
                form.choose(&name, uses_pin);
            }
            None if !typed.is_empty() => {
                // An unknown name still gets a password field: the runtime gives the answer.
                form.selected = Some(typed);
                form.uses_pin = false;
            }
            None => form.selected = None,
        }
    }
}

fn secret_ui(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    state: &AppState,
    outbox: &mut Vec<Command>,
) {
    let Some(name) = form.selected.clone() else {
        ui.add_space(theme::GAP * 4.0);
        ui.label(RichText::new("Choose your name on the left.").color(theme::TEXT_DIM));
        return;
    };
    if form.uses_pin {
        ui.label(RichText::new(format!("PIN for {name}")).font(theme::big()));
        pin_entry_ui(ui, form, outbox);
    } else {
        let edit = labelled_edit_ui(
            ui,
            RichText::new(format!("Password for {name}")).font(theme::big()),
            egui::TextEdit::singleline(&mut form.secret)
                .password(true)
                .hint_text("password")
                .desired_width(320.0),
        );
        if !edit.has_focus() && form.secret.is_empty() {
            edit.request_focus();
        }
        let enter = edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        let button = egui::Button::new(RichText::new("Sign in").color(theme::ACCENT_TEXT).strong())
            .fill(theme::ACCENT)
            .min_size(vec2(320.0, theme::TOUCH_PX));
        if ui.add(button).clicked() || enter {
            form.submit(outbox);
        }
    }
    let refusal = state
        .sign_in_error
        .as_ref()
        .filter(|_| form.attempted == form.selected);
    for error in [form.local_error.as_ref(), refusal].into_iter().flatten() {
        ui.label(RichText::new(error).color(theme::FAULT).font(theme::big()));
    }
}

/// A 3×4 keypad, plus the physical keyboard's digits, Backspace and Enter.
fn pin_entry_ui(ui: &mut egui::Ui, form: &mut SignInForm, outbox: &mut Vec<Command>) {
    let dots = if form.secret.is_empty() {
        "–".to_owned()
    } else {
        "* ".repeat(form.secret.chars().count())
    };
    ui.label(RichText::new(dots).font(theme::heading()));
    ui.input(|input| {
        for event in &input.events {
            match event {
                egui::Event::Text(text) => {
                    for digit in text.chars().filter(char::is_ascii_digit) {
                        if form.secret.len() < 8 {
                            form.secret.push(digit);
                        }
                    }
                }
                egui::Event::Key {
                    key: egui::Key::Backspace,
                    pressed: true,
                    ..
                } => {
                    form.secret.pop();
                }
                _ => {}
            }
        }
    });
    let enter = ui.input(|input| input.key_pressed(egui::Key::Enter));
    let keys = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "Del",
    ];
    egui::Grid::new("keypad")
        .spacing(vec2(theme::GAP, theme::GAP))
        .show(ui, |ui| {
            for (index, key) in keys.iter().enumerate() {
                let button = egui::Button::new(RichText::new(*key).font(theme::heading()))
                    .min_size(theme::KEYPAD_KEY);
                if ui.add(button).clicked() {
                    match *key {
                        "Clear" => form.secret.clear(),
                        "Del" => {
                            form.secret.pop();
                        }
                        digit if form.secret.len() < 8 => form.secret.push_str(digit),
                        _ => {}
                    }
                }
                if index % 3 == 2 {
                    ui.end_row();
                }
            }
        });
    let width = theme::KEYPAD_KEY.x * 3.0 + theme::GAP * 2.0;
    let button = egui::Button::new(RichText::new("Sign in").color(theme::ACCENT_TEXT).strong())
        .fill(theme::ACCENT)
        .min_size(vec2(width, theme::KEYPAD_KEY.y));
    if ui.add(button).clicked() || enter {
        form.submit(outbox);
    }
}

fn first_admin_ui(ui: &mut egui::Ui, form: &mut SignInForm, outbox: &mut Vec<Command>) {
    ui.heading("Welcome: create the first administrator");
    ui.label(
        "This station has no users yet. The first account is an administrator, who then adds \
         operators, engineers and viewers in Admin.",
    );
    form.first_admin
        .grid_ui(ui, "first_admin", "e.g. ada", RoleField::Fixed(Role::Admin));
    let button = egui::Button::new(
        RichText::new("Create admin and sign in")
            .color(theme::ACCENT_TEXT)
            .strong(),
    )
    .fill(theme::ACCENT)
    .min_size(vec2(0.0, theme::TOUCH_PX));
    if ui.add(button).clicked() {
        match form.first_admin.take_valid(Role::Admin) {
            Ok((name, secret)) => {
                outbox.push(Command::Users(UsersCommand::CreateFirstAdmin {
                    name,
                    secret,
                }));
                form.local_error = None;
            }
            Err(error) => form.local_error = Some(error),
        }
    }
    if let Some(error) = &form.local_error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
}
