//! Form fields shared by the screens: labelled text fields (the text a person reads beside a
//! field is also its accessible name, which screen readers and the UI tests find it by), the
//! role picker, and the new-user fields used both by Admin › Users and by a new station's first
//! admin.

use egui::{RichText, vec2};

use super::theme;
use crate::domain::{Role, UserName, check_secret};

/// Shows `label`, then `edit` named by it; returns the field's response.
pub fn labelled_edit_ui(
    ui: &mut egui::Ui,
    label: impl Into<egui::WidgetText>,
    edit: egui::TextEdit<'_>,
) -> egui::Response {
    let label_id = ui.label(label).id;
    ui.add(edit).labelled_by(label_id)
}

/// A labelled drop-down of the four roles.
pub fn role_picker_ui(ui: &mut egui::Ui, id: &str, label: &str, role: &mut Role) {
    let label_id = ui.label(label).id;
    egui::ComboBox::from_id_salt(id)
        .selected_text(role.as_str())
        .width(180.0)
        .show_ui(ui, |ui| {
            for option in Role::ALL {
                ui.selectable_value(role, option, option.as_str());
            }
        })
        .response
        .labelled_by(label_id);
}

/// Whether a new user's role is chosen on the form or given.
pub enum RoleField<'a> {
    Fixed(Role),
    Choose(&'a mut Role),
}

/// A new user's name and secret, typed twice.
#[derive(Default)]
pub struct NewUserFields {
    name: String,
    secret: String,
    confirm: String,
}

impl NewUserFields {
    /// The fields as a grid, then the secret rule for the role; returns the role.
    pub fn grid_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: &str,
        name_hint: &str,
        role: RoleField<'_>,
    ) -> Role {
        let role = egui::Grid::new(id)
            .num_columns(2)
            .spacing(vec2(theme::GAP, theme::GAP))
            .show(ui, |ui| {
                labelled_edit_ui(
                    ui,
                    "Name",
                    egui::TextEdit::singleline(&mut self.name).hint_text(name_hint),
                );
                ui.end_row();
                let role = match role {
                    RoleField::Fixed(role) => role,
                    RoleField::Choose(role) => {
                        role_picker_ui(ui, &format!("{id}_role"), "Role", role);
                        ui.end_row();
                        *role
                    }
                };
                let secret_label = if role.requires_password() {
                    "Password"
                } else {
                    "PIN or password"
                };
                for (label, secret) in [
                    (secret_label, &mut self.secret),
                    ("Repeat", &mut self.confirm),
                ] {
                    labelled_edit_ui(ui, label, egui::TextEdit::singleline(secret).password(true));
                    ui.end_row();
                }
                role
            })
            .inner;
        ui.label(
            RichText::new(if role.requires_password() {
                "A password: 10+ characters with three of lower case, upper case, digits, symbols."
            } else {
                "A 4–8 digit PIN, or a password."
            })
            .color(theme::TEXT_DIM),
        );
        role
    }

    /// Checks the fields for `role` (the store checks again). On success returns the name and
    /// the secret and clears both secret fields; the name stays for the caller to clear.
    pub fn take_valid(&mut self, role: Role) -> Result<(String, String), String> {
        let name = UserName::parse(&self.name).map_err(|err| format!("{err}"))?;
        check_secret(role, &self.secret).map_err(|err| format!("{err}"))?;
        if self.secret != self.confirm {
            return Err("The two entries differ: type the same PIN or password twice.".to_owned());
        }
        self.confirm.clear();
        Ok((name.to_string(), std::mem::take(&mut self.secret)))
    }

    pub fn clear_name(&mut self) {
        self.name.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, secret: &str, confirm: &str) -> NewUserFields {
        NewUserFields {
            name: name.into(),
            secret: secret.into(),
            confirm: confirm.into(),
        }
    }

    #[test]
    fn valid_fields_give_name_and_secret_and_clear_the_secrets() {
        let mut form = fields(" Pete ", "5678", "5678");
        assert_eq!(
            form.take_valid(Role::Operator),
            Ok(("pete".into(), "5678".into()))
        );
        assert!(form.secret.is_empty() && form.confirm.is_empty());
        assert_eq!(form.name, " Pete ", "the caller decides about the name");
    }

    #[test]
    fn invalid_fields_say_why_and_keep_what_was_typed() {
        let mut form = fields("pete", "5678", "5679");
        assert!(
            form.take_valid(Role::Operator)
                .unwrap_err()
                .contains("differ")
        );
        assert_eq!(form.secret, "5678");
        assert!(
            form.take_valid(Role::Admin)
                .unwrap_err()
                .contains("password")
        );
        assert!(
            fields("", "5678", "5678")
                .take_valid(Role::Operator)
                .is_err()
        );
    }
}
