"""Security rule about MLflow model folders (MIG350): pickles that `mlflow.pyfunc.load_model`
unpickles (Keras custom objects saved with cloudpickle, a custom pyfunc's `python_model.pkl`).

The reader disassembles each pickle from its opcodes (`migrator.payload.pickles`); nothing here
or there loads one.
"""

from __future__ import annotations

from collections.abc import Mapping

from migrator.facts import short_list
from migrator.model import Artifact
from migrator.rules import Hit, artifact_rule
from migrator.rules.security import LOAD
from migrator.rules.security._dangerous import dangerous_callable

# What a pickle of Keras/TF classes imports: the Keras flavors pickle the registered custom
# objects (mlflow 2.10.2 writes every class in Keras' global registry this way).
_FRAMEWORK_PREFIXES = ("keras.", "tf_keras.", "tensorflow.", "numpy.")


@artifact_rule(
    "MIG350",
    "mlflow-pickled-objects",
    title="MLflow folder with pickles that loading unpickles",
    severity="critical",
    breaks_in=f"{LOAD} through MLflow: `mlflow.pyfunc.load_model` and `mlflow.tensorflow/"
    "keras.load_model` cloudpickle.load them (MLFLOW_ALLOW_PICKLE_DESERIALIZATION defaults to "
    "true in mlflow 3.17.2)",
    formats=("mlflow-model",),
)
def pickled_objects(artifact: Artifact) -> Hit | None:
    """`data/custom_objects.cloudpickle`, `data/global_custom_objects.cloudpickle` or a custom
    pyfunc's `python_model.pkl` in an MLflow model folder.

    MLflow's Keras flavors save the user's custom objects with cloudpickle and load them with
    `cloudpickle.load` before building the model; a custom pyfunc model is a pickle of the user's
    class. A pickle can import and call anything (`os.system`), and cloudpickle can carry whole
    functions by value. The reader lists what each pickle imports from its opcodes: critical
    when that reaches process, file, network or code-loading modules or anything outside
    Keras/TF/NumPy; high when it only names Keras/TF classes (what MLflow itself writes), since
    loading still unpickles a file anyone could have replaced.

    Fix: do not load the folder from an untrusted source; rebuild the custom objects from your
    own code (`custom_objects=` at load time) and remove the pickles, or convert the model inside
    with `migrator convert --custom-objects MODULE`, which writes a `.keras` that needs no pickle.
    """
    pickles = [p for p in artifact.details.get("pickled_files") or [] if isinstance(p, Mapping)]
    if not pickles:
        return None
    dangerous: list[str] = []
    foreign: list[str] = []
    framework: list[str] = []
    for entry in pickles:
        where = str(entry.get("path"))
        imports = [str(i) for i in entry.get("imports") or []]
        bad = [i for i in imports if dangerous_callable(i)]
        odd = [i for i in imports if i not in bad and not i.startswith(_FRAMEWORK_PREFIXES)]
        if bad:
            dangerous.append(f"`{where}` imports {short_list(bad, 3)}")
        elif odd or entry.get("error") or not imports:
            what = short_list(odd, 3) if odd else "names that could not be read"
            foreign.append(f"`{where}` imports {what}")
        else:
            framework.append(f"`{where}` ({len(imports)} Keras/TF classes)")
    if dangerous or foreign:
        return Hit(
            f"{'; '.join((dangerous + foreign)[:3])}: `mlflow.pyfunc.load_model` unpickles it, "
            "running those imports and calls",
            "do not load this folder; rebuild the custom objects from trusted code and remove "
            "the pickles",
        )
    return Hit(
        f"{', '.join(framework[:3])}: `mlflow.pyfunc.load_model` unpickles it with cloudpickle; "
        "it names only Keras/TF classes, but any replacement of the file runs on load",
        "pass the custom objects from your own code at load time and remove the pickle "
        "(or convert the model inside with `migrator convert`)",
        severity="high",
    )
