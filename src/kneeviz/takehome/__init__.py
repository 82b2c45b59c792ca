"""What a patient takes home from a visit: a one-page report for the record, their squat in 3D.

- content: what every take-home file says (the squat against healthy, the frames at the angles
  the MRI study imaged, the story's sentences picked by what the squat shows, the model's limits);
- report: the PDF page (Qt's QPdfWriter: real text, vector curves, pictures at print resolution);
- gltf: the knee as a .glb, one material per part, the squat as node animation (pygltflib);
- page: one self-contained HTML page with the squat in 3D to turn with a finger (plotly.js
  embedded: nothing is fetched when it is opened).

The commands (`kneeviz report`, `export-3d`, `take-home`) and the app's File menu solve the squats
and call these; every file goes through kneeviz.atomic.
"""
