"""Sessions: a scope that frees what stateful backends keep, however the block exits.

Shows ``with dspex.session() as s:``: modules created inside carry the session's id, and the
dspy backend keeps its live dspy modules in a per-session store that is emptied when the block
ends (also on an exception), so a long-running server does not accumulate them. A dspy-backed
reference used after its session ended raises ``dspex.errors.SessionError``; native modules
hold no backend state and keep working. Needs dspex-dspy (dspy 3.4) for its dspy module.

    python examples/sessions.py [--lm openai/gpt-4o-mini]
"""

import dspex_core as dspex
from _common import require_dspy, setup, short


def main() -> None:
    setup(__doc__.splitlines()[0])
    require_dspy("sessions.py")
    ended: list[str] = []
    handler = dspex.telemetry.attach(dspex.telemetry.SESSION_END,
                                     lambda event, measurements, meta: ended.append(meta["session_id"]))
    try:
        with dspex.context(telemetry_enabled=True), dspex.session() as session:
            on_dspy = dspex.Predict.create("question -> answer", implementation="dspy")
            on_native = dspex.Predict.create("question -> answer", implementation="native")
            print(f"inside {session.id}: dspy module {on_dspy.handle!r} (session_id {on_dspy.session_id}), "
                  f"native module (session_id {on_native.session_id})")
            print(f"dspy answer: {short(on_dspy(question='What is a session?').answer, 60)}")
    finally:
        dspex.telemetry.detach(dspex.telemetry.SESSION_END, handler)
    print(f"after the block: ended={session.ended}, end events for {ended}, current session: {dspex.current_session()}")
    try:
        on_dspy(question="Is it still there?")
    except dspex.errors.SessionError as error:
        print(f"dspy module after the session: SessionError: {short(error, 70)}")
    print(f"native module after the session: {short(on_native(question='Is it still there?').answer, 60)}")


if __name__ == "__main__":
    main()
