import tensorflow as tf

model = tf.keras.Sequential()
model.add(tf.keras.layers.Dense(1, input_shape=[10]))
saved_to_path = tf.contrib.saved_model.save_keras_model(  # TF 1.x
      model, '/tmp/simple_keras_model')
model_prime = tf.contrib.saved_model.load_keras_model(saved_to_path)
tf.contrib.saved_model.save_keras_model(model, export_base)
