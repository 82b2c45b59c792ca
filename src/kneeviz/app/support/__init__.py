"""Small Qt helpers any room may use: a throttle for frame-rate signals, a background job."""
