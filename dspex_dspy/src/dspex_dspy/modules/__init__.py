"""One file per module type the dspy backend serves, named after the module type.

Each file defines ``implementation``, the object the plugin registers for that type; the plugin
finds the files without importing them (:mod:`dspex_dspy.plugin`), so adding a module type is
adding a file here. Nothing else belongs in this folder: what several module types share lives
beside it, in :mod:`dspex_dspy`.
"""
