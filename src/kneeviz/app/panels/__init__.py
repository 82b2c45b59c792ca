"""The widgets the window is made of. Each takes the session (or what it shows) in its
constructor and writes back only through it; none knows the window."""
