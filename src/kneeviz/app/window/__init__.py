"""The main window and what hangs on it: menus and their actions (open, export, motion),
the clinician's layout of the panels, the story's place, settings that persist, Ctrl-C."""
