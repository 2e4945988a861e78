"""The TF1 saving APIs imported from TensorFlow's implementation modules instead of their public
aliases: each is the same API as `tf.train.Saver`, `SavedModelBuilder`, `simple_save`, ..."""
import tensorflow as tf
from tensorflow.python.saved_model import builder_impl, simple_save
from tensorflow.python.training import saver as saver_lib
from tensorflow.python.training.saver import import_meta_graph

saver = saver_lib.Saver()  # expect: MIG213
graph = import_meta_graph("model.ckpt.meta")  # expect: MIG214
builder = builder_impl.SavedModelBuilder("export/1")  # expect: MIG212
with tf.compat.v1.Session() as sess:
    simple_save.simple_save(sess, "export/2", {}, {})  # expect: MIG211
