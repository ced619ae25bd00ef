//! The GUI.
