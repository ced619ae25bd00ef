//! The Inventory panel: items by status (counts as large figures, each a touch target that
//! filters by its status), low-stock alerts, filters (component, vendor, lot, status, batch)
//! and the item table. Queries go to the inventory worker; the answers arrive as events and are
//! kept here. Nothing here reads the database.

use egui::{RichText, vec2};
use egui_extras::{Column, TableBuilder};

use super::audit_view::display_time;
use super::fields::labelled_edit_ui;
use super::theme;
use crate::domain::ItemStatus;
use crate::runtime::{InventoryCommand, InventoryEvent, InventoryPage};
use crate::store::{BatchRecord, ItemFilter, LowStockAlert};

/// Rows shown at most (the counts cover every item).
const ROWS: usize = 500;

#[derive(Default)]
pub struct InventoryView {
    component: String,
    vendor: String,
    lot: String,
    status: Option<ItemStatus>,
    batch_id: Option<i64>,
    page: Option<InventoryPage>,
    error: Option<String>,
    /// The filter of the last query sent: a drop-down choice may land after this frame's
    /// comparison, so a change is found against what was asked; typed text that differs from
    /// it lights the Apply button.
    asked: Option<ItemFilter>,
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
            batch_id: self.batch_id,
            limit: ROWS,
        }
    }

    /// The query to send now (on opening the panel, after a change, on Apply).
    pub fn query(&mut self) -> InventoryCommand {
        let filter = self.filter();
        self.asked = Some(filter.clone());
        InventoryCommand::List(filter)
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

    /// True when a drop-down or a chip changed the status or the batch since the last query.
    fn choice_changed(&self) -> bool {
        self.asked
            .as_ref()
            .is_some_and(|asked| asked.status != self.status || asked.batch_id != self.batch_id)
    }

    /// True when typed text has not been applied yet.
    fn text_pending(&self) -> bool {
        self.asked
            .as_ref()
            .is_some_and(|asked| *asked != self.filter())
    }

    fn clear_filters(&mut self) {
        self.component.clear();
        self.vendor.clear();
        self.lot.clear();
        self.status = None;
        self.batch_id = None;
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

/// What the batch filter shows for a batch: its number, lot and sequence range.
fn batch_text(batch: &BatchRecord) -> String {
    format!(
        "#{} {}-{}-{} {:05}–{:05}",
        batch.id,
        batch.component,
        batch.vendor,
        batch.lot,
        batch.first_seq,
        batch.last_seq()
    )
}

/// The line of one alert, e.g. "PAD: 3 in stock, minimum 10".
fn alert_text(alert: &LowStockAlert) -> String {
    let mut text = format!(
        "{}: {} in stock, minimum {}",
        alert.component, alert.in_stock, alert.min_in_stock
    );
    if alert.verified > 0 {
        text.push_str(&format!(" ({} verified on the way)", alert.verified));
    }
    text
}

/// Draws the panel; returns a query to send when the operator asked for one.
pub fn inventory_ui(ui: &mut egui::Ui, view: &mut InventoryView) -> Option<InventoryCommand> {
    let mut ask = false;
    if let Some(page) = &view.page {
        low_stock_ui(ui, &page.low_stock);
        let mut chosen = None;
        ui.horizontal_wrapped(|ui| {
            for (status, count) in page.counts.iter() {
                let colour = if count == 0 {
                    theme::TEXT_DIM
                } else {
                    status_colour(status)
                };
                if status_chip_ui(
                    ui,
                    status.as_str(),
                    count,
                    colour,
                    view.status == Some(status),
                ) {
                    chosen = Some(Some(status));
                }
            }
            if status_chip_ui(
                ui,
                "total",
                page.counts.total(),
                theme::TEXT,
                view.status.is_none(),
            ) {
                chosen = Some(None);
            }
        });
        if let Some(status) = chosen {
            view.status = status;
        }
    }
    ui.add_space(theme::GAP / 2.0);
    ask |= filters_ui(ui, view);
    ask |= view.choice_changed();
    if let Some(error) = &view.error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    ui.add_space(theme::GAP / 2.0);
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
                .font(theme::big())
                .color(theme::TEXT_DIM),
            );
        }
        Some(page) => item_table_ui(ui, page),
    }
    ask.then(|| view.query())
}

/// One banner for every alert: amber while some stock is left, red when a type has none.
fn low_stock_ui(ui: &mut egui::Ui, alerts: &[LowStockAlert]) {
    if alerts.is_empty() {
        return;
    }
    let colour = if alerts.iter().any(|alert| alert.in_stock == 0) {
        theme::FAULT
    } else {
        theme::WARN
    };
    egui::Frame::new()
        .fill(colour.gamma_multiply(0.18))
        .stroke(egui::Stroke::new(2.0, colour))
        .inner_margin(egui::Margin::symmetric(12, 8))
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new("LOW STOCK")
                        .font(theme::big())
                        .color(colour)
                        .strong(),
                );
                for alert in alerts {
                    ui.add_space(theme::GAP);
                    let alert_colour = if alert.in_stock == 0 {
                        theme::FAULT
                    } else {
                        theme::WARN
                    };
                    ui.label(
                        RichText::new(alert_text(alert))
                            .font(theme::big())
                            .color(alert_colour),
                    );
                }
            });
        });
    ui.add_space(theme::GAP / 2.0);
}

/// The filters: typed text on one row, applied by Enter or Apply; the drop-downs on the next,
/// applied as soon as they change. True when the operator asked for the query.
fn filters_ui(ui: &mut egui::Ui, view: &mut InventoryView) -> bool {
    let mut ask = false;
    let batches: Vec<BatchRecord> = view
        .page
        .as_ref()
        .map_or_else(Vec::new, |page| page.batches.clone());
    ui.horizontal(|ui| {
        for (label, field, hint, width) in [
            ("Component", &mut view.component, "PAD", 110.0),
            ("Vendor", &mut view.vendor, "V0100", 110.0),
            ("Lot", &mut view.lot, "L2025-09", 130.0),
        ] {
            let response = labelled_edit_ui(
                ui,
                label,
                egui::TextEdit::singleline(field)
                    .hint_text(hint)
                    .desired_width(width),
            );
            if response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                ask = true;
            }
        }
        let pending = view.text_pending();
        let apply = egui::Button::new(if pending {
            RichText::new("Apply").color(theme::ACCENT_TEXT)
        } else {
            RichText::new("Apply")
        })
        .fill(if pending {
            theme::ACCENT
        } else {
            theme::PANEL_RAISED
        })
        .min_size(vec2(110.0, theme::TOUCH_PX));
        if ui.add(apply).clicked() {
            ask = true;
        }
        if !is_unfiltered(&view.filter())
            && ui
                .add(egui::Button::new("Clear").min_size(vec2(110.0, theme::TOUCH_PX)))
                .clicked()
        {
            view.clear_filters();
            ask = true;
        }
    });
    ui.horizontal(|ui| {
        let status_label = ui.label("Status").id;
        egui::ComboBox::from_id_salt("inventory_status")
            .selected_text(view.status.map_or("any", ItemStatus::as_str))
            .width(190.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.status, None, "any");
                for status in ItemStatus::ALL {
                    ui.selectable_value(&mut view.status, Some(status), status.as_str());
                }
            })
            .response
            .labelled_by(status_label);
        ui.add_space(theme::GAP);
        let batch_label = ui.label("Batch").id;
        let selected = match view.batch_id {
            None => "any".to_owned(),
            Some(id) => batches
                .iter()
                .find(|batch| batch.id == id)
                .map_or_else(|| format!("#{id}"), batch_text),
        };
        egui::ComboBox::from_id_salt("inventory_batch")
            .selected_text(selected)
            .width(400.0)
            .truncate()
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.batch_id, None, "any");
                for batch in &batches {
                    ui.selectable_value(&mut view.batch_id, Some(batch.id), batch_text(batch));
                }
            })
            .response
            .labelled_by(batch_label);
    });
    ask
}

/// A count as a large figure over its status; the whole chip is a touch target that filters by
/// the status. Returns true when it was tapped.
fn status_chip_ui(
    ui: &mut egui::Ui,
    name: &str,
    count: u64,
    colour: egui::Color32,
    selected: bool,
) -> bool {
    let frame = egui::Frame::new()
        .fill(theme::PANEL_RAISED)
        .stroke(egui::Stroke::new(
            2.0,
            if selected {
                theme::ACCENT
            } else {
                theme::PANEL_RAISED
            },
        ))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(14, 6))
        .show(ui, |ui| {
            ui.set_min_size(vec2(theme::TOUCH_PX * 1.4, theme::TOUCH_PX));
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
    let response = ui.interact(
        frame.response.rect,
        ui.scope_id().with(("inventory_chip", name)),
        egui::Sense::click(),
    );
    let label = if name == "total" {
        "show every status".to_owned()
    } else {
        format!("show {name} only")
    };
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    response.clicked()
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
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(300.0).clip(true))
        .column(Column::exact(150.0))
        .column(Column::exact(100.0))
        .column(Column::exact(70.0))
        .column(Column::exact(120.0))
        .column(Column::exact(120.0))
        .column(Column::remainder())
        .header(30.0, |mut header| {
            for title in [
                "UID",
                "Status",
                "Lot",
                "Seq",
                "Made on",
                "Engrave job",
                "Updated",
            ] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(theme::TOUCH_PX * 0.7, page.items.len(), |mut row| {
                let item = &page.items[row.index()];
                row.col(|ui| {
                    ui.label(RichText::new(&item.uid).font(theme::mono()).strong());
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
                    ui.label(format!("{:05}", item.seq));
                });
                row.col(|ui| {
                    ui.label(&item.manufactured_on);
                });
                row.col(|ui| {
                    ui.label(
                        item.engrave_job_id
                            .map_or_else(|| "–".to_owned(), |id| format!("#{id}")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(in_stock: u64, verified: u64) -> LowStockAlert {
        LowStockAlert {
            component: "PAD".into(),
            in_stock,
            min_in_stock: 10,
            verified,
        }
    }

    #[test]
    fn an_alert_reads_as_count_against_minimum() {
        assert_eq!(alert_text(&alert(3, 0)), "PAD: 3 in stock, minimum 10");
        assert_eq!(
            alert_text(&alert(0, 2)),
            "PAD: 0 in stock, minimum 10 (2 verified on the way)"
        );
    }

    #[test]
    fn a_drop_down_change_asks_and_typed_text_waits_for_apply() {
        let mut view = InventoryView::default();
        assert!(!view.choice_changed(), "nothing asked yet");
        let InventoryCommand::List(first) = view.query();
        assert_eq!(first.limit, ROWS);
        view.component = " pad ".into();
        assert!(view.text_pending());
        assert!(!view.choice_changed(), "typing alone does not query");
        view.batch_id = Some(4);
        assert!(view.choice_changed());
        let InventoryCommand::List(filter) = view.query();
        assert_eq!(filter.component.as_deref(), Some("PAD"));
        assert_eq!(filter.batch_id, Some(4));
        assert!(!view.text_pending() && !view.choice_changed());
        view.clear_filters();
        assert!(is_unfiltered(&view.filter()));
    }
}
