"""dspy.streamify over a real HTTP LM (a local OpenAI-compatible server that streams its reply)."""

import asyncio
import json

import dspy
from dspex_core.testing.server import LocalLMServer

REPLY = ("[[ ## reasoning ## ]]\nThe sky scatters blue light more than red light, so it looks blue.\n\n"
         "[[ ## answer ## ]]\nRayleigh scattering.\n\n[[ ## completed ## ]]")


class Explain(dspy.Module):
    def __init__(self):
        super().__init__()
        self.explain = dspy.ChainOfThought("question -> answer")

    def forward(self, question):
        return self.explain(question=question)


async def main(url):
    dspy.configure(lm=dspy.LM("openai/local-lm", api_base=url, api_key="local", cache=False))
    stream = dspy.streamify(Explain(), stream_listeners=[dspy.streaming.StreamListener("reasoning"),
                                                         dspy.streaming.StreamListener("answer")])
    chunks, final = [], None
    async for item in stream(question="Why is the sky blue?"):
        if isinstance(item, dspy.streaming.StreamResponse):
            chunks.append(item)
        elif isinstance(item, dspy.Prediction):
            final = item
    return chunks, final


with LocalLMServer(REPLY) as server:
    chunks, final = asyncio.run(main(server.url))
    sync_stream = dspy.streamify(dspy.Predict("question -> answer"), async_streaming=False,
                                 stream_listeners=[dspy.streaming.StreamListener("answer")])
    sync_items = list(sync_stream(question="Hi?"))
fields = []
for chunk in chunks:
    if not fields or fields[-1] != chunk.signature_field_name:
        fields.append(chunk.signature_field_name)
print(json.dumps({
    "final": dict(final.items()),
    "fields": fields,
    "predict_names": sorted({chunk.predict_name for chunk in chunks}),
    "joined": {f: "".join(c.chunk for c in chunks if c.signature_field_name == f) for f in fields},
    "last_chunks": [c.signature_field_name for c in chunks if c.is_last_chunk],
    "sync_kinds": sorted({type(item).__name__ for item in sync_items}),
    "sync_last": type(sync_items[-1]).__name__,
}))
