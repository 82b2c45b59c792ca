"""The 3D scene (pyvista): actors built once from an Anatomy and posed by matrices, materials,
camera presets and offscreen rendering. Imports VTK; the model layers never import this."""
