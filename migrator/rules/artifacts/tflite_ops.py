"""Artifact rule about TFLite custom operators (MIG129): kernels the file does not carry.

A TFLite flatbuffer names each operator by a builtin code or, for `CUSTOM`, by a string. Builtin
operators run in every interpreter; a custom one runs only where a kernel was registered under
exactly that name. The reader lists the names (`details.custom_ops`); this rule says which
interpreters can run them, which the details alone did not.

Which custom names the stock interpreter resolves was measured, not assumed: a one-operator model
per name (the `tflite` case writer) given to `tf.lite.Interpreter(...).allocate_tensors()` in
TF 2.21. `TFLite_Detection_PostProcess`, `NumericVerify`, `Mfcc` and `AudioSpectrogram` resolve
(BuiltinOpResolver's `AddCustom` entries in `tensorflow/lite/core/kernels/register.cc`);
`ParseExample`, `HadamardRotation` and any other name fail with "Encountered unresolved custom
op"; `Flex*` names fail with "Select TensorFlow op(s) ... not supported by this interpreter"
unless the Flex delegate is linked.
"""

from __future__ import annotations

from migrator.facts import short_list
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule

# Custom-op names the stock TFLite interpreter registers itself (checked with TF 2.21).
STOCK_CUSTOM_OPS = frozenset(
    {"TFLite_Detection_PostProcess", "NumericVerify", "Mfcc", "AudioSpectrogram"}
)
FLEX_PREFIX = "Flex"


@artifact_rule(
    "MIG129",
    "tflite-custom-ops",
    title="TFLite model with custom operators the interpreter must provide",
    severity="medium",
    breaks_in="every TFLite/LiteRT interpreter without the op's kernel registered: "
    '`allocate_tensors()` fails with "Encountered unresolved custom op" (checked with TF 2.21); '
    "`Flex*` ops fail unless the Flex (Select TF ops) delegate is linked",
    formats=("tflite",),
)
def tflite_custom_ops(artifact: Artifact) -> Hit | None:
    """A `.tflite` whose operators include custom codes the stock interpreter does not register.

    The flatbuffer holds no code for a custom operator, only its name. Loading resolves the name
    against the interpreter's op resolver: a name nobody registered fails at
    `allocate_tensors()`. `Flex*` operators (converted with `SELECT_TF_OPS`) run TensorFlow
    kernels through the Flex delegate, which must be linked into the interpreter (on mobile the
    `tensorflow-lite-select-tf-ops` dependency); TFLite Micro has none, and TF 2.21's own
    `tf.lite.Interpreter` refused a Flex op in our check. Any other name needs its kernel compiled
    in and registered (`MutableOpResolver::AddCustom`, `InterpreterWithCustomOps`), so the model
    runs only in the app that ships that kernel. The four custom names the stock resolver
    registers itself (`TFLite_Detection_PostProcess`, `NumericVerify`, `Mfcc`,
    `AudioSpectrogram`) are not reported.

    Fix: re-convert from the source model with builtin ops only (drop
    `allow_custom_ops`/`SELECT_TF_OPS`, replace the unsupported layers), or ship the model
    together with the interpreter build that registers those kernels and name it in the
    model's documentation.
    """
    names = [str(n) for n in artifact.details.get("custom_ops") or [] if isinstance(n, str)]
    flex = [n for n in names if n.startswith(FLEX_PREFIX)]
    custom = [n for n in names if n not in STOCK_CUSTOM_OPS and not n.startswith(FLEX_PREFIX)]
    if not flex and not custom:
        return None
    parts = []
    if custom:
        parts.append(
            f"custom op(s) {short_list(custom, 4)} run only in an interpreter that registers "
            "their kernels (not the stock TFLite/LiteRT interpreter, not TFLite Micro)"
        )
    if flex:
        parts.append(
            f"Select TF op(s) {short_list(flex, 4)} run only where the Flex delegate is linked "
            "into the interpreter (a build with `tensorflow-lite-select-tf-ops`; not TFLite "
            "Micro, not TF 2.21's stock `tf.lite.Interpreter`)"
        )
    return Hit(
        "; ".join(parts),
        "re-convert from the source model with builtin ops only, or ship it with the "
        "interpreter build that registers those kernels",
        severity="medium" if custom else "low",
    )
