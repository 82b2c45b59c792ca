"""What the window shows, without widgets: the session (knee, scenario, squat, frame, display
state) the panels subscribe to, the squat as the window shows it, playback, and the solver with
its worker process."""
