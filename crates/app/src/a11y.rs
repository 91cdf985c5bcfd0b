//! Names a screen reader speaks for widgets whose visible text is an icon (⏮, ⏵, ✖),
//! a number (`2×2`, `−10 s`) or nothing at all (a wall tile, a text field).
//!
//! egui gives every widget an AccessKit node; eframe's `accesskit` feature hands the
//! tree to the desktop's screen reader (AT-SPI on Linux). A button's node is named
//! after its text, so an icon-only button would be read as "⏮". [`Named::named`]
//! replaces that name with words and keeps the widget's role, state and value.
//!
//! Owns: the naming helpers. Must not: draw anything or change what a widget does.

use egui::{Response, Role, WidgetInfo};

/// Gives a widget's response an accessible name.
pub(crate) trait Named: Sized {
    /// `label` is what a screen reader says for this widget of `role`.
    fn named(self, role: Role, label: &str) -> Self;

    /// A button that is on or off (a selected layout, a pressed toggle).
    fn named_toggle(self, role: Role, selected: bool, label: &str) -> Self;

    /// A one-line text field holding `text`: the name, and the text as its value.
    fn named_text(self, label: &str, text: &str) -> Self;

    /// A button.
    fn named_button(self, label: &str) -> Self {
        self.named(Role::Button, label)
    }
}

impl Named for Response {
    fn named(self, role: Role, label: &str) -> Self {
        let enabled = self.enabled();
        self.widget_info(|| WidgetInfo::labeled(role, enabled, label));
        self
    }

    fn named_toggle(self, role: Role, selected: bool, label: &str) -> Self {
        let enabled = self.enabled();
        self.widget_info(|| WidgetInfo::selected(role, enabled, selected, label));
        self
    }

    fn named_text(self, label: &str, text: &str) -> Self {
        let enabled = self.enabled();
        self.widget_info(|| WidgetInfo {
            label: Some(label.to_owned()),
            // The field's own hint stays the placeholder.
            hint_text: None,
            ..WidgetInfo::text_edit(enabled, text, text, "")
        });
        self
    }
}
