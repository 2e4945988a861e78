"""Downloaded Keras files keep their extension through get_file and splitext: no finding."""
import os

import tensorflow as tf

weights_h5 = tf.keras.utils.get_file("resnet.h5", "https://example.org/resnet.h5")
model = tf.keras.models.load_model(weights_h5)
archive = tf.keras.utils.get_file("bundle.keras.zip", "https://example.org/b.zip", extract=True)
model = tf.keras.models.load_model(os.path.splitext(archive)[0])
