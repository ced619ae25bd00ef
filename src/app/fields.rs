//! Labelled text fields: the text a person reads beside a field is also the field's accessible
//! name, which screen readers and the UI tests find it by.

/// Shows `label`, then `edit` named by it; returns the field's response.
pub fn labelled_edit_ui(
    ui: &mut egui::Ui,
    label: impl Into<egui::WidgetText>,
    edit: egui::TextEdit<'_>,
) -> egui::Response {
    let label_id = ui.label(label).id;
    ui.add(edit).labelled_by(label_id)
}
