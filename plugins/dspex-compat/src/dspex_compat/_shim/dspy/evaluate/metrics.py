from dspex_compat._metrics import (
    EM,
    F1,
    HotPotF1,
    answer_exact_match,
    answer_passage_match,
    em_score,
    f1_score,
    hotpot_f1_score,
    normalize_text,
    precision_score,
)
