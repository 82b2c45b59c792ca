"""kneeviz: how the hip drives the kneecap.

Pure model layers (anatomy, motion, mechanics, simulation) import only numpy, scipy and trimesh;
scene/ (pyvista) and app/ (PyQt6) sit on top of them.
"""

__version__ = "0.1.0"
