"""Security rules (MIG3xx): artifacts whose loading could run code, touch files or reach the network.

Auditing never executes any of it: these rules read the facts the readers recorded (configs as
JSON, op types and the strings that feed file ops, zip and HDF5 structure, npy headers). Nothing
is unmarshalled, unpickled, imported or run. Severities follow what loading can do: `critical`
when loading (or serving) the artifact runs code or writes/sends data chosen by whoever made it,
`high` when it reads local files or names code outside the artifact that loading will import or
call, `medium` when the artifact cannot be audited because its behaviour lives in code elsewhere.

One module per kind of payload: ``config_code`` (code a Keras config carries or names),
``graph_ops`` (TensorFlow ops that touch files, the network or Python), ``containers`` (weight
files and archives). The rules registry imports them all (``migrator.rules._load``).

The unsafe TensorFlow ops were chosen from what the ops do: the op registry of TF 2.21 (every op
with file names, URLs, Python callbacks or network addresses among its inputs or attrs, checked
against the `tf.raw_ops` documentation) plus ops of older releases (`Rpc`/`TryRpc` of
`tf.contrib.rpc`), and TFLite's Flex allowlist for `Flex*` custom ops.
"""

from __future__ import annotations

# The versions every security rule names: the risk is in loading, whatever the release.
LOAD = "every Keras/TF version that loads the artifact"
