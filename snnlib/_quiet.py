"""Import TensorFlow without its C++ start-up log lines.

``TF_CPP_MIN_LOG_LEVEL`` silences the absl/oneDNN banner and
``TF_ENABLE_ONEDNN_OPTS=0`` turns off oneDNN's reordered float sums, so that
results are the same bit for bit from run to run. Both are only defaults: a
value the user set beforehand wins.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

__all__ = ["tf"]
