"""The desktop app (PyQt6 + pyvistaqt): thin views over the model, in four rooms, each importing
only from the rooms below it (an import-linter contract in pyproject.toml):

    window/   the main window, its menus and actions, the clinician's layout, settings
    panels/   the widgets it is made of: controls, readouts, plots, the axial slice, the
              underside maps, the side-by-side view, the story
    state/    the session the panels subscribe to (scenario, squat, frame, display), the squat as
              the window shows it (squat_view), playback, the solver and its worker process
    support/  small Qt helpers (a throttle, a background job)

docs/architecture.md draws the rooms and says what each may know.
"""
