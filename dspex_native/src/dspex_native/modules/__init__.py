"""One file per module type the native backend serves.

The file's name is the module type (a name of ``dspex_core.backend.module_types()``) and its
module-level ``implementation`` is what :mod:`dspex_native.plugin` registers, so serving one
more module type natively is one more file here. Nothing else lives in this package: the
machinery the files share is beside it (:mod:`dspex_native.predictor`, ``adapters``, ``lm``,
``type_coercion``, ``evaluation``).
"""
