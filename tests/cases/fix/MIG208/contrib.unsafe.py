import tensorflow as tf

model = tf.keras.Sequential()
model.add(tf.keras.layers.Dense(1, input_shape=[10]))
model.export(  # TF 1.x
      '/tmp/simple_keras_model')
saved_to_path = '/tmp/simple_keras_model'
model_prime = tf.keras.layers.TFSMLayer(saved_to_path, call_endpoint='serving_default')
model.export(export_base)
