from dspex_compat._evaluate import (
    Evaluate,
    EvaluationResult,
    is_in_ipython_notebook_environment,
    merge_dicts,
    prediction_is_dictlike,
    truncate_cell,
)
