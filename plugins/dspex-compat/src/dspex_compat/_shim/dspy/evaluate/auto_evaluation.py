from dspex_compat._auto_evaluation import (
    AnswerCompleteness,
    AnswerGroundedness,
    CompleteAndGrounded,
    DecompositionalSemanticRecallPrecision,
    SemanticF1,
    SemanticRecallPrecision,
    f1_score,
)
