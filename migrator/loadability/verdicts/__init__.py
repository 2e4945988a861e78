"""The verdicts, one module per loader family, and the named checks they run.

Every module here whose name does not start with ``_`` is imported by
`migrator.loadability.registry` the first time a verdict is asked for. Adding a fact about a
loader = one ``@check(stage, evidence=...)`` function (docstring: what it catches) in the module
of its stage, plus its test; a new loader/format pair = one ``@verdict(call, fmt, evidence=...)``.

Modules: ``config_checks`` (building a model from its config), ``compile_checks`` (what makes
compile=False necessary), ``keras_archive`` (whether a `.keras` opens), ``load_model`` (`.h5` and
`.keras`), ``load_model_saved_model``, ``load_weights`` (each weights format), ``saved_model``
(`tf.saved_model.load` and `TFSMLayer`).
"""
