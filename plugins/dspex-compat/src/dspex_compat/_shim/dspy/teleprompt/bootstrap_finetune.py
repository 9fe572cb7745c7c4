from dspex_compat._not_built import not_built
from dspex_compat._program_lms import (
    all_predictors_have_lms,
    assert_all_predictors_have_lms,
    get_unique_lms,
    kill_lms,
    launch_lms,
)
from dspex_compat._student_teacher import (
    assert_no_shared_predictor,
    assert_structural_equivalency,
    prepare_student,
    prepare_teacher,
)


def __getattr__(name):
    raise not_built(__name__, name)
