//! The Inventory panel: items by status (counts as large figures), low-stock alerts, filters
//! (component, vendor, lot, status) and the item table. Queries go to the inventory worker; the
//! answers arrive as events and are kept here.

use egui::{RichText, vec2};
use egui_extras::{Column, TableBuilder};

use super::audit_view::display_time;
use super::fields::labelled_edit_ui;
use super::theme;
use crate::domain::ItemStatus;
use crate::runtime::{InventoryCommand, InventoryEvent, InventoryPage};
use crate::store::ItemFilter;

/// Rows shown at most (the counts cover every item).
const ROWS: usize = 500;

#[derive(Default)]
pub struct InventoryView {
    component: String,
    vendor: String,
    lot: String,
    status: Option<ItemStatus>,
    page: Option<InventoryPage>,
    error: Option<String>,
    /// The status the last query asked for: a drop-down choice may land after this frame's
    /// comparison, so a change is found against what was asked.
    asked_status: Option<Option<ItemStatus>>,
}

impl InventoryView {
    /// The filter the fields describe.
    pub fn filter(&self) -> ItemFilter {
        let text = |value: &str| Some(value.trim().to_uppercase()).filter(|v| !v.is_empty());
        ItemFilter {
            component: text(&self.component),
            vendor: text(&self.vendor),
            lot: text(&self.lot),
            status: self.status,
            batch_id: None,
            limit: ROWS,
        }
    }

    /// The query to send now (on opening the panel, after a change, on Apply).
    pub fn query(&mut self) -> InventoryCommand {
        self.asked_status = Some(self.status);
        InventoryCommand::List(self.filter())
    }

    pub fn apply(&mut self, event: InventoryEvent) {
        match event {
            InventoryEvent::Listed(page) => {
                self.error = None;
                self.page = Some(page);
            }
            InventoryEvent::Failed(error) => self.error = Some(error),
        }
    }
}

/// True when the filter narrows nothing (an empty answer then means an empty inventory).
fn is_unfiltered(filter: &ItemFilter) -> bool {
    filter.component.is_none()
        && filter.vendor.is_none()
        && filter.lot.is_none()
        && filter.status.is_none()
        && filter.batch_id.is_none()
}

fn status_colour(status: ItemStatus) -> egui::Color32 {
    match status {
        ItemStatus::Allocated => theme::TEXT_DIM,
        ItemStatus::Engraved => theme::ACCENT,
        ItemStatus::Verified | ItemStatus::InStock => theme::OK,
        ItemStatus::Consumed => theme::TEXT,
        ItemStatus::Scrapped | ItemStatus::EngraveFailed => theme::FAULT,
    }
}

/// Draws the panel; returns a query to send when the operator asked for one.
pub fn inventory_ui(ui: &mut egui::Ui, view: &mut InventoryView) -> Option<InventoryCommand> {
    let mut ask = false;
    if let Some(page) = &view.page {
        for alert in &page.low_stock {
            egui::Frame::new()
                .fill(theme::WARN.gamma_multiply(0.2))
                .stroke(egui::Stroke::new(2.0, theme::WARN))
                .inner_margin(8.0)
                .corner_radius(6.0)
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(format!(
                            "Low stock: {} has {} in stock, minimum {} ({} verified on the way)",
                            alert.component, alert.in_stock, alert.min_in_stock, alert.verified
                        ))
                        .color(theme::WARN)
                        .strong(),
                    );
                });
        }
        ui.horizontal_wrapped(|ui| {
            for (status, count) in page.counts.iter() {
                let colour = if count == 0 {
                    theme::TEXT_DIM
                } else {
                    status_colour(status)
                };
                status_chip_ui(ui, status.as_str(), count, colour);
            }
            status_chip_ui(ui, "total", page.counts.total(), theme::TEXT);
        });
    }
    ui.add_space(theme::GAP / 2.0);
    ui.horizontal_wrapped(|ui| {
        for (label, field) in [
            ("Component", &mut view.component),
            ("Vendor", &mut view.vendor),
            ("Lot", &mut view.lot),
        ] {
            let response = labelled_edit_ui(
                ui,
                label,
                egui::TextEdit::singleline(field).desired_width(110.0),
            );
            if response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                ask = true;
            }
        }
        let status_label = ui.label("Status").id;
        egui::ComboBox::from_id_salt("inventory_status")
            .selected_text(view.status.map_or("any", ItemStatus::as_str))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.status, None, "any");
                for status in ItemStatus::ALL {
                    ui.selectable_value(&mut view.status, Some(status), status.as_str());
                }
            })
            .response
            .labelled_by(status_label);
        ask |= view.asked_status.is_some_and(|asked| asked != view.status);
        if ui
            .add(egui::Button::new("Apply").min_size(vec2(0.0, theme::TOUCH_PX * 0.8)))
            .clicked()
        {
            ask = true;
        }
    });
    if let Some(error) = &view.error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    match &view.page {
        None => {
            ui.label(RichText::new("Reading the inventory…").color(theme::TEXT_DIM));
        }
        Some(page) if page.items.is_empty() => {
            ui.label(
                RichText::new(if is_unfiltered(&page.filter) {
                    "No items yet: allocate a batch on the Engrave panel or with \
                     `qcstation qr generate`."
                } else {
                    "No item matches these filters."
                })
                .color(theme::TEXT_DIM),
            );
        }
        Some(page) => item_table_ui(ui, page),
    }
    ask.then(|| view.query())
}

fn status_chip_ui(ui: &mut egui::Ui, name: &str, count: u64, colour: egui::Color32) {
    egui::Frame::new()
        .fill(theme::PANEL_RAISED)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(12, 6))
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.label(
                    RichText::new(count.to_string())
                        .font(theme::heading())
                        .color(colour),
                );
                ui.label(
                    RichText::new(name)
                        .font(theme::small())
                        .color(theme::TEXT_DIM),
                );
            });
        });
}

fn item_table_ui(ui: &mut egui::Ui, page: &InventoryPage) {
    if page.items.len() == ROWS {
        ui.label(
            RichText::new(format!(
                "The first {ROWS} items; narrow the filters to see others."
            ))
            .color(theme::TEXT_DIM),
        );
    }
    TableBuilder::new(ui)
        .id_salt("inventory_items")
        .striped(true)
        .column(Column::exact(250.0).clip(true))
        .column(Column::exact(150.0))
        .column(Column::exact(110.0))
        .column(Column::exact(110.0))
        .column(Column::exact(90.0))
        .column(Column::remainder())
        .header(30.0, |mut header| {
            for title in ["UID", "Status", "Lot", "Made", "Job", "Updated"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(theme::TOUCH_PX * 0.6, page.items.len(), |mut row| {
                let item = &page.items[row.index()];
                row.col(|ui| {
                    ui.label(RichText::new(&item.uid).font(theme::small()).strong());
                });
                row.col(|ui| {
                    ui.label(
                        RichText::new(item.status.as_str())
                            .color(status_colour(item.status))
                            .strong(),
                    );
                });
                row.col(|ui| {
                    ui.label(&item.lot);
                });
                row.col(|ui| {
                    ui.label(&item.manufactured_on);
                });
                row.col(|ui| {
                    ui.label(
                        item.engrave_job_id
                            .map_or(String::new(), |id| id.to_string()),
                    );
                });
                row.col(|ui| {
                    let mut text = display_time(&item.updated_at_utc);
                    text.truncate(16);
                    ui.label(text);
                });
            });
        });
}
