"""The kinds of line element the wrench kernels tell apart (kneeviz.mechanics.kernel builds the
arrays, kernel_numba compiles the loop over them): one home for both, so neither imports the
other's module to learn them."""

BUNDLE = 0
"""Line kind: a quadriceps bundle (a prescribed pull, wrapping over the femoral cylinder)."""
SPRING = 1
"""Line kind: a tension-only spring (retinaculum)."""
SPRING_FLOOR = 2
"""Line kind: a spring whose Jacobian stiffness never drops below SLACK_JACOBIAN_FRACTION of its
taut stiffness (the patellar tendon bundles: muscles.spring_force with slack_floor)."""
