"""Help > About: what the app shows and the science behind it, with citations."""

from __future__ import annotations

from kneeviz import __version__

ABOUT_HTML = f"""
<h2>kneeviz {__version__}</h2>
<p>kneeviz shows how the hip steers the kneecap. When the hip muscles do not hold the thigh,
the femur turns inwards (internal rotation) and drops inwards (adduction) during a squat. The
kneecap is held by the quadriceps and its tendon, so the groove turns underneath it: relative to
the femur the kneecap tilts and shifts towards the outside (lateral) and presses on its outer
facet.</p>
<p>Souza et al. imaged women with patellofemoral pain squatting in an MRI scanner and found that
the lateral tilt and displacement of the patella came mostly from the <b>femur rotating
underneath it</b>, not from the patella moving on its own:<br>
Souza RB, Draper CE, Fredericson M, Powers CM. Femur rotation and patellofemoral joint kinematics:
a weight-bearing magnetic resonance imaging analysis. <i>J Orthop Sports Phys Ther</i>
2010;40(5):277-285.</p>
<p>Powers CM. The influence of abnormal hip mechanics on knee injury: a biomechanical
perspective. <i>J Orthop Sports Phys Ther</i> 2010;40(2):42-51.</p>
<h3>The model</h3>
<p>The squat moves the bones with the knee's natural coupling of rotation and rolling
(Walker PS, Rovick JS, Robertson DD. The effects of knee brace hinge design and placement on joint
mechanics. <i>J Biomech</i> 1988;21(11):965-974). The kneecap is not animated: in every frame it
settles where the quadriceps, patellar tendon, retinacula and cartilage contact balance, as in
Lenhart RL, Kaiser J, Smith CR, Thelen DG. Prediction and validation of load-dependent behavior of
the tibiofemoral and patellofemoral joints during movement. <i>Ann Biomed Eng</i>
2015;43(11):2675-2685.</p>
<h3>The default knee</h3>
<p>Built from the LLP26 knee atlas, distributed in the <i>musculoskeletal-models</i> package
(Mozilla Public License 2.0).</p>
<p>kneeviz is an educational illustration, not a diagnostic device.</p>
"""
