//! The app through a screen reader's eyes (issue 17): every control of the toolbar,
//! camera list, wall, timeline panel and its menus has a spoken name made of words
//! (icon-only buttons too), the main controls are found by those names and work when
//! clicked, and text pasted from the clipboard reaches the go-to-time field.
//!
//! The names come from the AccessKit tree egui builds (the one eframe's `accesskit`
//! feature hands to AT-SPI), read here through egui_kittest.

mod common;

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};
use vigil_app::VigilApp;
use vigil_app::timeline_panel::GOTO_LABEL;
use vigil_time::NANOS_PER_SEC;

use common::history::{Fixture, app_with_history};
use common::run_until;

/// Roles a user operates: each needs a name a screen reader can say.
fn interactive(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::DefaultButton
            | Role::Switch
            | Role::Tab
            | Role::CheckBox
            | Role::RadioButton
            | Role::ComboBox
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::SpinButton
            | Role::Slider
            | Role::Link
            | Role::MenuItem
            | Role::MenuItemCheckBox
            | Role::MenuItemRadio
            | Role::MenuListOption
            | Role::ListBoxOption
            | Role::ListItem
            | Role::Canvas
    )
}

/// Interactive widgets whose name has no letter in it ("⏮", "2×2", "✖", none).
fn unnamed(harness: &Harness<'_, VigilApp>) -> Vec<String> {
    harness
        .root()
        .query_all(By::new().predicate(|node| interactive(node.role())))
        .filter_map(|node| {
            let node = node.accesskit_node();
            let label = node.label().unwrap_or_default();
            (!label.chars().any(char::is_alphabetic))
                .then(|| format!("{:?} {label:?} at {:?}", node.role(), node.bounding_box()))
        })
        .collect()
}

fn assert_all_named(harness: &Harness<'_, VigilApp>, when: &str) {
    let unnamed = unnamed(harness);
    assert!(
        unnamed.is_empty(),
        "{when}: widgets a screen reader cannot name: {unnamed:#?}"
    );
}

#[test]
fn every_control_has_a_spoken_name_live_in_review_and_in_menus() {
    let Fixture {
        mut harness,
        dir: _dir,
    } = app_with_history(|_, _| {});
    harness.run_steps(2);
    assert_all_named(&harness, "live");

    // The main controls, found by name as a screen reader user would.
    for label in [
        "Previous event",
        "Previous frame",
        "Play",
        "Next frame",
        "Next event",
        "Speed",
        "Reverse",
        GOTO_LABEL,
        "Go to the typed time",
        "Replay the last 10 seconds",
        "Bookmark…",
        "Bookmarks",
        "Layout 2×2",
        "Timeline",
        "Stats",
        "Snapshot",
        "Full screen",
        "Save layout…",
        "Recordings timeline",
    ] {
        harness.get_by_label(label);
    }
    harness.get_by_label_contains("Tile 1: ");
    // The camera list says each camera's name and state.
    assert!(
        harness
            .query_all_by_label_contains("Lobby, ")
            .any(|n| n.accesskit_node().role() == Role::ListItem),
        "camera list entry for the lobby"
    );

    // The wall's tiles say their camera and state (the overlay is only painted).
    let live_tiles = harness
        .query_all_by_label_contains(", live")
        .filter(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Tile "))
        })
        .count();
    assert_eq!(live_tiles, 4, "tiles named with their state");

    // The dialogs: the speed list, the bookmark menu, the save-layout menu and a
    // tile's right-click menu.
    harness.get_by_label("Speed").click();
    harness.run_steps(2);
    harness.get_by_label("1/8 speed");
    harness.get_by_label("16 times speed");
    assert_all_named(&harness, "speed list");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    harness.get_by_label("Bookmark…").click();
    harness.run_steps(2);
    harness.get_by_label("Bookmark note");
    harness.get_by_label("Seconds before");
    assert_all_named(&harness, "bookmark menu");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    harness.get_by_label("Save layout…").click();
    harness.run_steps(2);
    harness.get_by_label("Layout name");
    assert_all_named(&harness, "save layout menu");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    harness.get_by_label_contains("Tile 2: ").click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Save snapshot (PNG)");
    assert_all_named(&harness, "tile menu");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);

    // Clicking by name works: replay, pause, play, back to live.
    harness.get_by_label("Replay the last 10 seconds").click();
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| app
            .core()
            .is_reviewing()),
        "replay did not start review"
    );
    harness.run_steps(2);
    assert_all_named(&harness, "review");
    assert!(
        harness.query_all_by_label_contains(", playback").any(|n| n
            .accesskit_node()
            .label()
            .is_some_and(|l| l.starts_with("Tile "))),
        "a tile in review says so"
    );
    assert!(!harness.state().core().review_paused());
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    assert!(
        harness.state().core().review_paused(),
        "Pause did not pause"
    );
    harness.get_by_label("Play").click();
    harness.run_steps(2);
    assert!(!harness.state().core().review_paused(), "Play did not play");
    harness.get_by_label("Back to live").click();
    harness.run_steps(2);
    assert!(!harness.state().core().is_reviewing(), "still reviewing");
}

#[test]
fn pasting_a_time_into_the_go_to_field_seeks_there() {
    let Fixture {
        mut harness,
        dir: _dir,
    } = app_with_history(|_, _| {});
    let now = harness.state().core().now();
    let target = now.saturating_add_nanos(-300 * NANOS_PER_SEC);
    let text = target.to_local().format("%Y-%m-%d %H:%M:%S").to_string();

    harness.get_by_label(GOTO_LABEL).click();
    harness.run_steps(2);
    assert!(harness.get_by_label(GOTO_LABEL).is_focused());
    // What eframe sends when the user presses Ctrl+V with text on the clipboard.
    harness.event(egui::Event::Paste(text.clone()));
    harness.run_steps(2);
    assert_eq!(
        harness.get_by_label(GOTO_LABEL).value().as_deref(),
        Some(text.as_str())
    );
    harness.key_press(egui::Key::Enter);
    assert!(
        run_until(&mut harness, Duration::from_secs(20), |app| app
            .core()
            .review_position()
            .is_some_and(|p| p.nanos_since(target).abs() < 5 * NANOS_PER_SEC)),
        "the pasted time was not sought: position {:?}, wanted {target:?}",
        harness.state().core().review_position()
    );
}
