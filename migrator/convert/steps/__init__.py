"""One module per single-hop conversion; each declares itself with `registry.conversion_step`.

Modules here are imported by `migrator.convert.registry` (names only, no TensorFlow); a step's
`run` imports TensorFlow/Keras when a worker of a TensorFlow runtime calls it.
"""
