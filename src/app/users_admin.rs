//! Admin › Users: the user table, and forms to add a user, change a role, disable or enable,
//! and reset a PIN or password. Every change asks for a reason, which goes to the audit trail.

use egui::{RichText, vec2};
use egui_extras::{Column, TableBuilder};

use super::audit_view::minutes;
use super::fields::{NewUserFields, RoleField, labelled_edit_ui, role_picker_ui};
use super::state::AppState;
use super::theme;
use crate::domain::{Role, check_secret};
use crate::runtime::Command;
use crate::runtime::UsersCommand;
use crate::store::{UserRecord, now_utc};

#[derive(Default)]
pub struct UsersForm {
    selected: Option<i64>,
    new_user: NewUserFields,
    new_role: Option<Role>,
    role: Option<Role>,
    reason: String,
    reset_secret: String,
    reset_confirm: String,
    error: Option<String>,
}

/// A stored UTC time to the minute, as shown beside a user.
fn state_text(user: &UserRecord) -> (&'static str, egui::Color32) {
    if user.disabled {
        ("disabled", theme::TEXT_DIM)
    } else if user.is_locked_at(now_utc()) {
        ("locked", theme::WARN)
    } else {
        ("active", theme::OK)
    }
}

pub fn users_ui(
    ui: &mut egui::Ui,
    form: &mut UsersForm,
    state: &AppState,
    outbox: &mut Vec<Command>,
) {
    ui.columns(2, |columns| {
        user_table_ui(&mut columns[0], form, state);
        let selected = form
            .selected
            .and_then(|id| state.users.iter().find(|user| user.id == id));
        match selected {
            Some(user) => edit_user_ui(&mut columns[1], form, user, outbox),
            None => add_user_ui(&mut columns[1], form, outbox),
        }
        if let Some(error) = &form.error {
            columns[1].label(RichText::new(error).color(theme::FAULT));
        }
    });
}

fn user_table_ui(ui: &mut egui::Ui, form: &mut UsersForm, state: &AppState) {
    ui.label(RichText::new(format!("{} users", state.users.len())).font(theme::big()));
    TableBuilder::new(ui)
        .id_salt("users")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(120.0))
        .column(Column::auto().at_least(100.0))
        .column(Column::auto().at_least(90.0))
        .column(Column::remainder())
        .header(32.0, |mut header| {
            for title in ["Name", "Role", "Sign-in", "State"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|mut body| {
            for user in &state.users {
                body.row(theme::TOUCH_PX * 0.8, |mut row| {
                    row.set_selected(form.selected == Some(user.id));
                    row.col(|ui| {
                        ui.label(&user.name);
                    });
                    row.col(|ui| {
                        ui.label(user.role.as_str());
                    });
                    row.col(|ui| {
                        ui.label(user.secret_kind.as_str());
                    });
                    let selected = form.selected == Some(user.id);
                    row.col(|ui| {
                        let (text, colour) = state_text(user);
                        // On the accent fill of a selected row only dark text is legible.
                        let colour = if selected { theme::ACCENT_TEXT } else { colour };
                        ui.label(RichText::new(text).color(colour).strong());
                    });
                    if row.response().clicked() {
                        form.selected = if form.selected == Some(user.id) {
                            None
                        } else {
                            Some(user.id)
                        };
                        form.role = Some(user.role);
                        form.error = None;
                    }
                });
            }
        });
}

fn add_user_ui(ui: &mut egui::Ui, form: &mut UsersForm, outbox: &mut Vec<Command>) {
    ui.label(RichText::new("Add a user").font(theme::big()));
    let mut role = form.new_role.unwrap_or(Role::Operator);
    form.new_user
        .grid_ui(ui, "add_user", "e.g. j.smith", RoleField::Choose(&mut role));
    form.new_role = Some(role);
    let button = egui::Button::new("Add user").min_size(vec2(0.0, theme::TOUCH_PX));
    if ui.add(button).clicked() {
        match form.new_user.take_valid(role) {
            Ok((name, secret)) => {
                outbox.push(Command::Users(UsersCommand::Add { name, role, secret }));
                form.new_user.clear_name();
                form.error = None;
            }
            Err(error) => form.error = Some(error),
        }
    }
}

fn edit_user_ui(
    ui: &mut egui::Ui,
    form: &mut UsersForm,
    user: &UserRecord,
    outbox: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Edit {}", user.name)).font(theme::big()));
        if ui.button("Add a user instead").clicked() {
            form.selected = None;
        }
    });
    ui.label(
        RichText::new(format!(
            "created {} UTC · last sign-in {}",
            minutes(&user.created_at_utc),
            user.last_sign_in_utc
                .as_deref()
                .map_or_else(|| "never".to_owned(), minutes)
        ))
        .color(theme::TEXT_DIM),
    );
    ui.horizontal(|ui| {
        labelled_edit_ui(
            ui,
            "Reason",
            egui::TextEdit::singleline(&mut form.reason).hint_text("why (for the audit trail)"),
        );
    });
    let has_reason = !form.reason.trim().is_empty();
    let mut role = form.role.unwrap_or(user.role);
    ui.horizontal(|ui| {
        role_picker_ui(ui, "edit_role", "Role", &mut role);
        let button = egui::Button::new("Change role").min_size(vec2(0.0, theme::TOUCH_PX));
        if ui
            .add_enabled(has_reason && role != user.role, button)
            .clicked()
        {
            outbox.push(Command::Users(UsersCommand::SetRole {
                user_id: user.id,
                role,
                reason: form.reason.trim().to_owned(),
            }));
        }
    });
    form.role = Some(role);
    let (toggle, disabled) = if user.disabled {
        ("Enable account", false)
    } else {
        ("Disable account", true)
    };
    let button = egui::Button::new(toggle).min_size(vec2(0.0, theme::TOUCH_PX));
    if ui.add_enabled(has_reason, button).clicked() {
        outbox.push(Command::Users(UsersCommand::SetDisabled {
            user_id: user.id,
            disabled,
            reason: form.reason.trim().to_owned(),
        }));
    }
    ui.separator();
    ui.label(if user.role.requires_password() {
        "New password (also clears a lockout)"
    } else {
        "New PIN or password (also clears a lockout)"
    });
    egui::Grid::new("reset_secret")
        .num_columns(2)
        .spacing(vec2(theme::GAP, theme::GAP))
        .show(ui, |ui| {
            for (label, secret) in [
                ("New", &mut form.reset_secret),
                ("Repeat", &mut form.reset_confirm),
            ] {
                labelled_edit_ui(ui, label, egui::TextEdit::singleline(secret).password(true));
                ui.end_row();
            }
        });
    let button = egui::Button::new("Set new PIN or password").min_size(vec2(0.0, theme::TOUCH_PX));
    if ui.add_enabled(has_reason, button).clicked() {
        let checked = check_secret(user.role, &form.reset_secret)
            .map_err(|err| err.to_string())
            .and_then(|_| {
                if form.reset_secret == form.reset_confirm {
                    Ok(())
                } else {
                    Err("The two entries differ.".to_owned())
                }
            });
        match checked {
            Ok(()) => {
                outbox.push(Command::Users(UsersCommand::ResetSecret {
                    user_id: user.id,
                    secret: std::mem::take(&mut form.reset_secret),
                    reason: form.reason.trim().to_owned(),
                }));
                form.reset_confirm.clear();
                form.error = None;
            }
            Err(error) => form.error = Some(error),
        }
    }
    if !has_reason {
        ui.label(RichText::new("Changes need a reason.").color(theme::TEXT_DIM));
    }
}
