//! The Admin panel: users (admins), the audit trail (engineers and admins), the station's
//! settings (admins) and the GPIO diagnostics (engineers). Tabs the signed-in role may not use are not offered; the runtime refuses
//! them anyway.

use egui::RichText;

use super::fields::labelled_edit_ui;
use super::state::AppState;
use super::{audit_view, theme, users_admin};
use crate::domain::Permission;
use crate::runtime::Command;
use crate::runtime::{AuditQuery, StationCommand, UsersCommand};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminTab {
    #[default]
    Users,
    Audit,
    Station,
    Gpio,
}

impl AdminTab {
    const ALL: [AdminTab; 4] = [Self::Users, Self::Audit, Self::Station, Self::Gpio];

    fn title(self) -> &'static str {
        match self {
            Self::Users => "Users",
            Self::Audit => "Audit trail",
            Self::Station => "Station",
            Self::Gpio => "GPIO",
        }
    }

    fn permission(self) -> Permission {
        match self {
            Self::Users => Permission::ManageUsers,
            Self::Audit => Permission::ViewAudit,
            Self::Station => Permission::ManageStation,
            Self::Gpio => Permission::Engineer,
        }
    }
}

#[derive(Default)]
pub struct AdminView {
    tab: Option<AdminTab>,
    users: users_admin::UsersForm,
    audit: audit_view::AuditForm,
    station_name: String,
}

impl AdminView {
    pub fn tab(&self) -> Option<AdminTab> {
        self.tab
    }
}

/// The queries that fill a tab.
pub fn queries(state: &AppState, tab: Option<AdminTab>) -> Vec<Command> {
    let tab = tab.unwrap_or_else(|| default_tab(state));
    match tab {
        AdminTab::Users if state.may(Permission::ManageUsers) => {
            vec![Command::Users(UsersCommand::List)]
        }
        AdminTab::Audit if state.may(Permission::ViewAudit) => {
            vec![Command::Audit(AuditQuery::Rows(state.audit_filter.clone()))]
        }
        _ => Vec::new(),
    }
}

fn default_tab(state: &AppState) -> AdminTab {
    AdminTab::ALL
        .into_iter()
        .find(|tab| state.may(tab.permission()))
        .unwrap_or(AdminTab::Audit)
}

pub fn admin_ui(
    ui: &mut egui::Ui,
    view: &mut AdminView,
    state: &AppState,
    gpio: Option<&crate::runtime::GpioHandle>,
    outbox: &mut Vec<Command>,
) {
    let current = view.tab.unwrap_or_else(|| default_tab(state));
    ui.horizontal(|ui| {
        for tab in AdminTab::ALL {
            if !state.may(tab.permission()) {
                continue;
            }
            let button = theme::choice_button(
                current == tab,
                tab.title(),
                egui::vec2(160.0, theme::TOUCH_PX),
            );
            if ui.add(button).clicked() && current != tab {
                view.tab = Some(tab);
                outbox.extend(queries(state, Some(tab)));
            }
        }
    });
    ui.separator();
    match current {
        AdminTab::Users => users_admin::users_ui(ui, &mut view.users, state, outbox),
        AdminTab::Audit => audit_view::audit_ui(ui, &mut view.audit, state, outbox),
        AdminTab::Station => station_ui(ui, &mut view.station_name, state, outbox),
        AdminTab::Gpio => super::gpio_page::gpio_ui(ui, gpio, state.may(Permission::Engineer)),
    }
}

fn station_ui(ui: &mut egui::Ui, name: &mut String, state: &AppState, outbox: &mut Vec<Command>) {
    ui.label(
        RichText::new("Shown in the top bar and recorded with every inspection.")
            .color(theme::TEXT_DIM),
    );
    ui.horizontal(|ui| {
        labelled_edit_ui(
            ui,
            RichText::new("Station name").font(theme::big()),
            egui::TextEdit::singleline(name).hint_text(state.station_name.as_str()),
        );
        let button = egui::Button::new("Rename").min_size(egui::vec2(0.0, theme::TOUCH_PX));
        if ui.add_enabled(!name.trim().is_empty(), button).clicked() {
            outbox.push(Command::Station(StationCommand::Rename {
                name: std::mem::take(name).trim().to_owned(),
            }));
        }
    });
}
